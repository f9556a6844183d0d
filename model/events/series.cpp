#include "series.h"

#include <algorithm>

namespace wl::events
{

void Series::purgeFrom(std::int64_t step)
{
    std::erase_if(scalars, [step](const ScalarPoint &p) { return p.step >= step; });
    std::erase_if(histograms, [step](const HistogramPoint &p) { return p.step >= step; });
}

Series &SeriesSet::series(const QString &tag, SeriesKind kind)
{
    auto it = m_byTag.constFind(tag);
    if (it != m_byTag.constEnd())
        return m_series[*it];
    m_byTag.insert(tag, m_series.size());
    Series &s = m_series.emplace_back();
    s.tag = tag;
    s.kind = kind;
    return s;
}

const Series *SeriesSet::find(const QString &tag) const
{
    auto it = m_byTag.constFind(tag);
    return it == m_byTag.constEnd() ? nullptr : &m_series[*it];
}

void SeriesSet::purgeFrom(std::int64_t step)
{
    for (auto &s : m_series)
        s.purgeFrom(step);
}

} // namespace wl::events
