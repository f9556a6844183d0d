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

// float32 in float lanes: sums run in float over a block of kBlock pairs (kLanes per lane, so
// rounding stays near 1e-7 relative) and then go into the double totals. The fixed-width inner
// loop is what the compiler turns into vector code; AVX2 is picked at run time where present.
constexpr std::size_t kLanes = 16;
constexpr std::size_t kBlock = 512;

__attribute__((target_clones("arch=haswell", "default"))) void
diffFloat32Blocks(const std::uint8_t *a, const std::uint8_t *b, std::size_t blocks, DiffSums &s)
{
    constexpr std::size_t kBytes = kBlock * sizeof(float);
    for (std::size_t blk = 0; blk < blocks; ++blk) {
        const std::uint8_t *pa = a + blk * kBytes;
        const std::uint8_t *pb = b + blk * kBytes;
        float mx[kLanes] = {}, sa[kLanes] = {}, sq[kLanes] = {}, a2[kLanes] = {}, b2[kLanes] = {},
              ab[kLanes] = {};
        std::int32_t fin[kLanes] = {}, ch[kLanes] = {};
        for (std::size_t j = 0; j < kBlock; j += kLanes) {
            // Copied in: mapped tensors need not be aligned for float.
            float xs[kLanes], ys[kLanes];
            std::memcpy(xs, pa + j * sizeof(float), sizeof xs);
            std::memcpy(ys, pb + j * sizeof(float), sizeof ys);
            for (std::size_t k = 0; k < kLanes; ++k) {
                const float x = xs[k];
                const float y = ys[k];
                // NaN compares false, so this is "finite" for both.
                const bool f = (std::fabs(x) <= FLT_MAX) & (std::fabs(y) <= FLT_MAX);
                const bool bothNan = (x != x) & (y != y);
                ch[k] += std::int32_t((x != y) & !bothNan);
                fin[k] += std::int32_t(f);
                const float xf = f ? x : 0.0f;
                const float yf = f ? y : 0.0f;
                const float d = std::fabs(xf - yf);
                mx[k] = mx[k] > d ? mx[k] : d;
                sa[k] += d;
                sq[k] += d * d;
                a2[k] += xf * xf;
                b2[k] += yf * yf;
                ab[k] += xf * yf;
            }
        }
        for (std::size_t k = 0; k < kLanes; ++k) {
            s.maxAbs = std::max(s.maxAbs, double(mx[k]));
            s.sumAbs += sa[k];
            s.sumSq += sq[k];
            s.sumA2 += a2[k];
            s.sumB2 += b2[k];
            s.sumAB += ab[k];
            s.finite += fin[k];
            s.changed += ch[k];
        }
        if (s.identical && std::memcmp(pa, pb, kBytes) != 0)
            s.identical = false;
    }
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
