#include "kernels.h"

#include "kernels_simd.h"

#include "io/crc32c.h"

#include <algorithm>
#include <cmath>

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

void finiteRange(DType dtype, const void *data, std::size_t n, Range &r, std::uint32_t *crc)
{
    simd::Kind kind;
    if (simd::kindOf(dtype, kind)) {
        simd::range(kind, data, n, r, crc);
        return;
    }
    const auto *p = static_cast<const std::uint8_t *>(data);
    const std::size_t item = std::size_t(dtypeSize(dtype));
    if (crc)
        *crc = crc32cExtend(*crc, p, n * item);
    double buf[512];
    for (std::size_t i = 0; i < n; i += 512) {
        const std::size_t k = std::min<std::size_t>(512, n - i);
        toDouble(dtype, p + i * item, k, buf);
        for (std::size_t j = 0; j < k; ++j)
            if (std::isfinite(buf[j])) {
                r.min = std::min(r.min, buf[j]);
                r.max = std::max(r.max, buf[j]);
            }
    }
}

} // namespace wl::kernels
