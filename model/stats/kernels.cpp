#include "kernels.h"

#include "kernels_simd.h"

#include <cmath>

namespace wl::kernels
{
namespace
{

bool histogramRangeOk(double lo, double hi, int bins)
{
    return bins > 0 && std::isfinite(lo) && std::isfinite(hi) && hi > lo;
}

} // namespace

void accumulate(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m)
{
    simd::Kind kind;
    if (simd::kindOf(dtype, kind))
        simd::run(kind, data, n, &m, nullptr);
    else
        accumulateScalar(dtype, data, n, m);
}

void histogram(DType dtype, const void *data, std::size_t n, double lo, double hi,
               std::uint64_t *counts, int bins)
{
    if (!histogramRangeOk(lo, hi, bins))
        return;
    simd::Kind kind;
    if (simd::kindOf(dtype, kind) && bins <= simd::kMaxBins) {
        const simd::HistParams h{lo, hi, counts, bins};
        simd::run(kind, data, n, nullptr, &h);
    } else {
        histogramScalar(dtype, data, n, lo, hi, counts, bins);
    }
}

void accumulateWithHistogram(DType dtype, const void *data, std::size_t n,
                             StatsAccumulator::Moments &m, double lo, double hi,
                             std::uint64_t *counts, int bins)
{
    simd::Kind kind;
    if (!histogramRangeOk(lo, hi, bins)) {
        accumulate(dtype, data, n, m);
    } else if (simd::kindOf(dtype, kind) && bins <= simd::kMaxBins) {
        const simd::HistParams h{lo, hi, counts, bins};
        simd::run(kind, data, n, &m, &h);
    } else {
        accumulate(dtype, data, n, m);
        histogramScalar(dtype, data, n, lo, hi, counts, bins);
    }
}

} // namespace wl::kernels
