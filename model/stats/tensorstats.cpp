#include "tensorstats.h"

#include "io/crc32c.h"
#include "kernels.h"

#include <algorithm>
#include <cmath>

namespace wl
{

void StatsAccumulator::Moments::merge(const Moments &o)
{
    count += o.count;
    nan += o.nan;
    inf += o.inf;
    zeros += o.zeros;
    if (o.n == 0)
        return;
    if (n == 0) {
        const auto c = count, na = nan, in = inf, z = zeros;
        *this = o;
        count = c, nan = na, inf = in, zeros = z;
        return;
    }
    const double total = double(n + o.n);
    const double delta = o.mean - mean;
    mean += delta * double(o.n) / total;
    m2 += o.m2 + delta * delta * double(n) * double(o.n) / total;
    sumSq += o.sumSq;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    n += o.n;
}

StatsAccumulator::StatsAccumulator(DType dtype) : m_dtype(dtype) {}

void StatsAccumulator::add(const void *data, std::size_t bytes, std::uint32_t *crc)
{
    const int item = dtypeSize(m_dtype);
    if (item <= 0 || !dtypeIsNumeric(m_dtype)) {
        if (crc)
            *crc = crc32cExtend(*crc, data, bytes);
        return;
    }
    kernels::accumulate(m_dtype, data, bytes / std::size_t(item), m_moments, crc);
}

void StatsAccumulator::addWithHistogram(const void *data, std::size_t bytes,
                                        HistogramAccumulator &hist)
{
    const int item = dtypeSize(m_dtype);
    if (item <= 0 || !dtypeIsNumeric(m_dtype))
        return;
    if (hist.m_counts.empty() || hist.m_dtype != m_dtype) {
        add(data, bytes);
        hist.add(data, bytes);
        return;
    }
    kernels::accumulateWithHistogram(m_dtype, data, bytes / std::size_t(item), m_moments, hist.m_lo,
                                     hist.m_hi, hist.m_counts.data(), int(hist.m_counts.size()));
}

void StatsAccumulator::merge(const StatsAccumulator &other)
{
    m_moments.merge(other.m_moments);
}

TensorStats StatsAccumulator::result() const
{
    TensorStats s;
    const auto &m = m_moments;
    s.count = m.count;
    s.nan = m.nan;
    s.inf = m.inf;
    s.zeros = m.zeros;
    s.finite = m.n;
    if (m.n > 0) {
        s.min = m.min;
        s.max = m.max;
        s.mean = m.mean;
        s.std = std::sqrt(m.m2 / double(m.n));
        s.sum = m.mean * double(m.n);
    }
    s.l2 = std::sqrt(m.sumSq);
    return s;
}

HistogramAccumulator::HistogramAccumulator(DType dtype, double lo, double hi, int bins)
    : m_dtype(dtype), m_lo(lo), m_hi(hi), m_counts(std::size_t(std::max(bins, 0)), 0)
{
}

void HistogramAccumulator::add(const void *data, std::size_t bytes)
{
    const int item = dtypeSize(m_dtype);
    if (item <= 0 || m_counts.empty() || !dtypeIsNumeric(m_dtype))
        return;
    kernels::histogram(m_dtype, data, bytes / std::size_t(item), m_lo, m_hi, m_counts.data(),
                       int(m_counts.size()));
}

void HistogramAccumulator::merge(const HistogramAccumulator &other)
{
    for (std::size_t i = 0; i < m_counts.size() && i < other.m_counts.size(); ++i)
        m_counts[i] += other.m_counts[i];
}

Histogram HistogramAccumulator::result() const
{
    return Histogram{m_lo, m_hi, m_counts};
}

std::pair<double, double> histogramRange(const TensorStats &stats)
{
    return histogramRange(stats.min, stats.max);
}

std::pair<double, double> histogramRange(std::optional<double> min, std::optional<double> max)
{
    if (!min || !max)
        return {0.0, 1.0};
    double lo = *min, hi = *max;
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    return {lo, hi};
}

} // namespace wl
