#include "checkpointindex.h"

#include "plural.h"

#include <QDateTime>
#include <QHash>

#include <algorithm>
#include <map>

namespace wl
{

int CheckpointIndex::indexOfKey(const QString &key) const
{
    for (int i = 0; i < tensors.size(); ++i)
        if (tensors[i].key == key)
            return i;
    return -1;
}

namespace
{

// Disjoint byte ranges [begin, end) of one storage covered so far.
class Coverage
{
public:
    // Covers [begin, end) and returns how much of it was covered before.
    std::int64_t add(std::int64_t begin, std::int64_t end)
    {
        std::int64_t before = 0, from = begin, to = end;
        auto it = m_ranges.upper_bound(begin);
        if (it != m_ranges.begin() && std::prev(it)->second >= begin)
            --it;
        // Ranges touching [begin, end) merge into one.
        while (it != m_ranges.end() && it->first <= end) {
            before +=
                std::max<std::int64_t>(0, std::min(end, it->second) - std::max(begin, it->first));
            from = std::min(from, it->first);
            to = std::max(to, it->second);
            it = m_ranges.erase(it);
        }
        m_ranges.emplace(from, to);
        return before;
    }

private:
    std::map<std::int64_t, std::int64_t> m_ranges;
};

} // namespace

std::int64_t CheckpointIndex::totalBytes() const
{
    std::int64_t n = 0;
    for (const auto &t : tensors)
        n += t.location.size;
    for (const auto &o : overlaps())
        n -= o.bytes;
    return n;
}

std::int64_t CheckpointIndex::totalValues() const
{
    std::int64_t n = 0;
    for (const auto &t : tensors)
        n += t.numElements();
    for (const auto &o : overlaps())
        n -= o.values;
    return n;
}

std::vector<StorageOverlap> storageOverlaps(const QList<const TensorInfo *> &tensors)
{
    std::vector<StorageOverlap> out(std::size_t(tensors.size()));
    QHash<QPair<QString, QString>, Coverage> storages;
    for (qsizetype i = 0; i < tensors.size(); ++i) {
        const auto &loc = tensors[i]->location;
        if (loc.storageKey.isEmpty() || loc.size <= 0)
            continue;
        StorageOverlap &o = out[std::size_t(i)];
        o.bytes = storages[{loc.file, loc.storageKey}].add(loc.offset, loc.offset + loc.size);
        const int item = dtypeSize(tensors[i]->dtype);
        o.values = item > 0 ? o.bytes / item : 0;
    }
    return out;
}

std::vector<StorageOverlap> CheckpointIndex::overlaps() const
{
    QList<const TensorInfo *> all;
    all.reserve(tensors.size());
    for (const auto &t : tensors)
        all << &t;
    return storageOverlaps(all);
}

QStringList CheckpointIndex::aliasesOf(int i) const
{
    QStringList keys;
    if (i < 0 || i >= tensors.size() || tensors[i].location.storageKey.isEmpty())
        return keys;
    const auto &loc = tensors[i].location;
    for (qsizetype j = 0; j < tensors.size(); ++j)
        if (j != i && tensors[j].location.storageKey == loc.storageKey &&
            tensors[j].location.file == loc.file)
            keys << tensors[j].key;
    return keys;
}

QString CheckpointIndex::aliasesText(int i, int shown) const
{
    QStringList keys = aliasesOf(i);
    const qsizetype more = keys.size() - shown;
    if (more <= 0)
        return keys.join(QLatin1String(", "));
    keys.resize(shown);
    return keys.join(QLatin1String(", ")) + QLatin1String(" and ") + counted(more, "more", "more");
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
