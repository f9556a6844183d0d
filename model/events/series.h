#pragma once

#include "core/largealloc.h"

#include <QHash>
#include <QString>
#include <cstdint>
#include <vector>

namespace wl::events
{

struct ScalarPoint {
    std::int64_t step = 0;
    double wallTime = 0; // seconds since the epoch; 0 where the log has none (CSV)
    double value = 0;
};

// edges has counts.size() + 1 values (TF2 [k,3] tensors: left edges then the last right edge).
struct HistogramPoint {
    std::int64_t step = 0;
    double wallTime = 0;
    std::vector<double> edges;
    std::vector<double> counts;
};

// What a tag holds. Images, audio and other tensors are counted, not decoded.
enum class SeriesKind { Scalar, Histogram, Image, Audio, Other };

// One tag of one run, in the order its points were read.
struct Series {
    QString tag;
    QString plugin; // TensorBoard plugin name; empty for TF1 values and CSV columns
    SeriesKind kind = SeriesKind::Scalar;
    std::vector<ScalarPoint, LargeAllocator<ScalarPoint>> scalars;
    std::vector<HistogramPoint> histograms;
    std::int64_t otherCount = 0; // images, audio, other tensors

    std::int64_t size() const
    {
        return std::int64_t(scalars.size() + histograms.size()) + otherCount;
    }
    // Drops points at or after `step` (a restart replays them).
    void purgeFrom(std::int64_t step);
};

// The tags of a run in first-seen order.
class SeriesSet
{
public:
    Series &series(const QString &tag, SeriesKind kind);
    const std::vector<Series> &all() const { return m_series; }
    Series &at(std::size_t i) { return m_series[i]; }
    const Series *find(const QString &tag) const;
    // A restart at `step`: every tag forgets its points at or after it, as TensorBoard does.
    void purgeFrom(std::int64_t step);

private:
    std::vector<Series> m_series;
    QHash<QString, std::size_t> m_byTag;
};

} // namespace wl::events
