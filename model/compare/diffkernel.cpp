#include "diffkernel.h"

#include "stats/kernels.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace wl
{

void DiffSums::merge(const DiffSums &o)
{
    count += o.count;
    finite += o.finite;
    changed += o.changed;
    maxAbs = std::max(maxAbs, o.maxAbs);
    sumAbs += o.sumAbs;
    sumSq += o.sumSq;
    sumA2 += o.sumA2;
    sumB2 += o.sumB2;
    sumAB += o.sumAB;
    identical = identical && o.identical;
}

std::optional<double> DiffSums::relL2() const
{
    if (sumA2 > 0)
        return std::sqrt(sumSq) / std::sqrt(sumA2);
    if (sumSq == 0)
        return 0.0;
    return std::nullopt;
}

std::optional<double> DiffSums::cosine() const
{
    if (sumA2 > 0 && sumB2 > 0)
        return sumAB / (std::sqrt(sumA2) * std::sqrt(sumB2));
    return std::nullopt;
}

namespace kernels
{
namespace
{

inline void addPair(double x, double y, DiffSums &s)
{
    const bool bothNan = std::isnan(x) && std::isnan(y);
    if (x != y && !bothNan)
        ++s.changed;
    if (!std::isfinite(x) || !std::isfinite(y))
        return;
    ++s.finite;
    const double d = std::abs(x - y);
    s.maxAbs = std::max(s.maxAbs, d);
    s.sumAbs += d;
    s.sumSq += d * d;
    s.sumA2 += x * x;
    s.sumB2 += y * y;
    s.sumAB += x * y;
}

// float32 in vectors of 8 float lanes (GCC vector extensions, whose casts reinterpret bits: AVX2
// where the CPU has it, two SSE halves otherwise): sums run in float over a block of kBlock pairs,
// 64 per lane, so rounding stays near 1e-7 relative, and then go into the double totals.
constexpr std::size_t kBlock = 512;
typedef float VF __attribute__((vector_size(32)));
typedef std::int32_t VI __attribute__((vector_size(32)));
constexpr int kLanes = 8;

__attribute__((target_clones("avx2", "default"))) void
diffFloat32Blocks(const std::uint8_t *a, const std::uint8_t *b, std::size_t blocks, DiffSums &s)
{
    constexpr std::size_t kBytes = kBlock * sizeof(float);
    const VI absMask = VI{} + 0x7fffffff;
    const VF maxFinite = VF{} + FLT_MAX;
    VI differ = VI{}; // any bit differs
    for (std::size_t blk = 0; blk < blocks; ++blk) {
        const std::uint8_t *pa = a + blk * kBytes;
        const std::uint8_t *pb = b + blk * kBytes;
        VF mx = VF{}, sa = VF{}, sq = VF{}, a2 = VF{}, b2 = VF{}, ab = VF{};
        VI fin = VI{}, ch = VI{};
        for (std::size_t j = 0; j < kBytes; j += sizeof(VF)) {
            // Page-cache data streams from memory: ask for each line a while ahead, as the
            // statistics kernels do, since hardware prefetchers stop at page boundaries.
            if (j % 64 == 0) {
                __builtin_prefetch(pa + j + kernels::kPrefetchDistance);
                __builtin_prefetch(pb + j + kernels::kPrefetchDistance);
            }
            VF x, y; // copied in: mapped tensors need not be aligned
            std::memcpy(&x, pa + j, sizeof x);
            std::memcpy(&y, pb + j, sizeof y);
            const VI xi = (VI)x;
            const VI yi = (VI)y;
            differ |= xi ^ yi;
            const VF ax = (VF)(xi & absMask);
            const VF ay = (VF)(yi & absMask);
            // Masks are -1 where true. NaN compares false, so `f` is "both finite".
            const VI f = (ax <= maxFinite) & (ay <= maxFinite);
            const VI bothNan = (x != x) & (y != y);
            ch -= (x != y) & ~bothNan;
            fin -= f;
            const VI xm = xi & f, ym = yi & f;
            const VF xf = (VF)xm;
            const VF yf = (VF)ym;
            const VF d = xf - yf;
            const VI di = (VI)d & absMask;
            const VF ad = (VF)di;
            mx = ad > mx ? ad : mx;
            sa += ad;
            sq += d * d;
            a2 += xf * xf;
            b2 += yf * yf;
            ab += xf * yf;
        }
        for (int k = 0; k < kLanes; ++k) {
            s.maxAbs = std::max(s.maxAbs, double(mx[k]));
            s.sumAbs += sa[k];
            s.sumSq += sq[k];
            s.sumA2 += a2[k];
            s.sumB2 += b2[k];
            s.sumAB += ab[k];
            s.finite += fin[k];
            s.changed += ch[k];
        }
    }
    for (int k = 0; k < kLanes; ++k)
        if (differ[k])
            s.identical = false;
    s.count += std::int64_t(blocks * kBlock);
}

} // namespace

void diffScalar(DType dtype, const void *a, const void *b, std::size_t n, DiffSums &s)
{
    const std::size_t item = std::size_t(dtypeSize(dtype));
    const auto *pa = static_cast<const std::uint8_t *>(a);
    const auto *pb = static_cast<const std::uint8_t *>(b);
    constexpr std::size_t kStep = 256;
    double x[kStep], y[kStep];
    for (std::size_t i = 0; i < n; i += kStep) {
        const std::size_t m = std::min(kStep, n - i);
        toDouble(dtype, pa + i * item, m, x);
        toDouble(dtype, pb + i * item, m, y);
        for (std::size_t k = 0; k < m; ++k)
            addPair(x[k], y[k], s);
        if (s.identical && std::memcmp(pa + i * item, pb + i * item, m * item) != 0)
            s.identical = false;
    }
    s.count += std::int64_t(n);
}

void diff(DType dtype, const void *a, const void *b, std::size_t n, DiffSums &s)
{
    if (dtype != DType::Float32) {
        diffScalar(dtype, a, b, n, s);
        return;
    }
    const auto *pa = static_cast<const std::uint8_t *>(a);
    const auto *pb = static_cast<const std::uint8_t *>(b);
    const std::size_t blocks = n / kBlock;
    diffFloat32Blocks(pa, pb, blocks, s);
    const std::size_t done = blocks * kBlock * sizeof(float);
    if (blocks * kBlock < n)
        diffScalar(dtype, pa + done, pb + done, n - blocks * kBlock, s);
}

} // namespace kernels
} // namespace wl
