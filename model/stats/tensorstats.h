#pragma once

#include "core/dtype.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace wl
{

struct Histogram {
    double lo = 0;
    double hi = 0;
    std::vector<std::uint64_t> counts;

    bool isEmpty() const { return counts.empty(); }
    double binWidth() const { return counts.empty() ? 0 : (hi - lo) / double(counts.size()); }
    double edge(std::size_t i) const { return lo + binWidth() * double(i); }
};

// Element statistics in double precision. NaN and ±Inf are counted apart and left out of
// min, max, mean, std and l2; std is the population std.
struct TensorStats {
    std::int64_t count = 0;
    std::int64_t nan = 0;
    std::int64_t inf = 0;
    std::int64_t zeros = 0;
    std::int64_t finite = 0;
    std::optional<double> min;
    std::optional<double> max;
    std::optional<double> mean;
    std::optional<double> std;
    double l2 = 0;
    double sum = 0;
    Histogram histogram;
};

// Streaming, mergeable accumulator: feed whole elements in any number of pieces, merge
// accumulators of disjoint pieces (in any order), then read the result.
class StatsAccumulator
{
public:
    explicit StatsAccumulator(DType dtype);

    // With crc, also extends that CRC-32C over the bytes, in the same pass.
    void add(const void *data, std::size_t bytes, std::uint32_t *crc = nullptr);
    // add() and hist.add() in one pass over the bytes; the moments are add()'s to the bit.
    void addWithHistogram(const void *data, std::size_t bytes, class HistogramAccumulator &hist);
    void merge(const StatsAccumulator &other);
    TensorStats result() const;
    DType dtype() const { return m_dtype; }

    // Partial moments of finite values: n, mean and sum of squared deviations (Chan et al.).
    struct Moments {
        std::int64_t n = 0;
        double mean = 0;
        double m2 = 0;
        double sumSq = 0;
        double min = 0;
        double max = 0;
        std::int64_t nan = 0;
        std::int64_t inf = 0;
        std::int64_t zeros = 0;
        std::int64_t count = 0;
        void merge(const Moments &o);
    };

private:
    DType m_dtype;
    Moments m_moments;
};

// Equal-width bins over [lo, hi]; values outside and non-finite values are not counted.
class HistogramAccumulator
{
public:
    HistogramAccumulator(DType dtype, double lo, double hi, int bins);
    void add(const void *data, std::size_t bytes);
    void merge(const HistogramAccumulator &other);
    Histogram result() const;

private:
    friend class StatsAccumulator;
    DType m_dtype;
    double m_lo;
    double m_hi;
    std::vector<std::uint64_t> m_counts;
};

// The histogram range for a tensor's statistics: [min, max], widened when min == max.
std::pair<double, double> histogramRange(const TensorStats &stats);
// The same for the smallest and largest finite value, when there is one.
std::pair<double, double> histogramRange(std::optional<double> min, std::optional<double> max);

} // namespace wl
