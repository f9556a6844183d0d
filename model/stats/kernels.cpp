#include "kernels.h"

#include "kernels_simd.h"

#include "io/crc32c.h"

namespace wl::kernels
{
void accumulate(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m,
                std::uint32_t *crc)
{
    simd::Kind kind;
    if (simd::kindOf(dtype, kind)) {
        simd::run(kind, data, n, &m, nullptr, crc);
        return;
    }
    accumulateScalar(dtype, data, n, m);
    if (crc)
        *crc = crc32cExtend(*crc, data, n * std::size_t(dtypeSize(dtype)));
}

void histogram(DType dtype, const void *data, std::size_t n, double lo, double hi,
               std::uint64_t *counts, int bins)
{
    const simd::HistParams h{Binning(dtype, lo, hi, bins), counts};
    simd::Kind kind;
    if (simd::kindOf(dtype, kind) && h.simd())
        simd::run(kind, data, n, nullptr, &h);
    else
        histogramScalar(dtype, data, n, lo, hi, counts, bins);
}

void accumulateWithHistogram(DType dtype, const void *data, std::size_t n,
                             StatsAccumulator::Moments &m, double lo, double hi,
                             std::uint64_t *counts, int bins)
{
    const simd::HistParams h{Binning(dtype, lo, hi, bins), counts};
    simd::Kind kind;
    if (simd::kindOf(dtype, kind) && h.simd()) {
        simd::run(kind, data, n, &m, &h);
    } else {
        accumulate(dtype, data, n, m);
        histogramScalar(dtype, data, n, lo, hi, counts, bins);
    }
}

} // namespace wl::kernels
