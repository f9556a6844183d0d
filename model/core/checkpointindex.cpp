#include "checkpointindex.h"

#include <QDateTime>

namespace wl
{

int CheckpointIndex::indexOfKey(const QString &key) const
{
    for (int i = 0; i < tensors.size(); ++i)
        if (tensors[i].key == key)
            return i;
    return -1;
}

std::int64_t CheckpointIndex::totalBytes() const
{
    std::int64_t n = 0;
    for (const auto &t : tensors)
        n += t.location.size;
    return n;
}

QString CheckpointIndex::savedAtText() const
{
    if (!savedAt)
        return {};
    return QDateTime::fromMSecsSinceEpoch(qint64(*savedAt * 1000.0))
        .toLocalTime()
        .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString tensorError(LoadError e, const CheckpointIndex &index, const TensorInfo &t)
{
    if (e.file.isEmpty())
        e.file = t.location.file.isEmpty() ? index.path : t.location.file;
    QStringView where = e.where;
    if (where.startsWith(QLatin1Char('/')))
        where = where.mid(1);
    if (where != t.key) {
        const QString tensor = QStringLiteral("tensor \"%1\"").arg(t.key);
        e.where = e.where.isEmpty() ? tensor : tensor + QLatin1String(", ") + e.where;
    }
    return e.message();
}

} // namespace wl
