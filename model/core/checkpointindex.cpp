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

} // namespace wl
