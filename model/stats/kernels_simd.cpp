// Highway kernels for float32, bfloat16 and float16: moments and histograms, compiled for
// every x86 target and picked at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "stats/kernels_simd.cpp"
#include <hwy/foreach_target.h> // IWYU pragma: keep

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "io/crc32c.h"
#include "kernels.h"
#include "kernels_simd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#ifndef WL_KERNELS_SIMD_ONCE
#define WL_KERNELS_SIMD_ONCE
namespace wl::kernels::simd::detail
{

constexpr std::size_t itemSize(int kind)
{
    return kind == int(Kind::Float32) ? 4 : 2;
}

inline double element(int kind, const std::uint8_t *p, std::size_t i)
{
    if (kind == int(Kind::Float32)) {
        float f;
        std::memcpy(&f, p + 4 * i, 4);
        return double(f);
    }
    std::uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    return kind == int(Kind::BFloat16) ? bfloat16ToDouble(h) : halfToDouble(h);
}

} // namespace wl::kernels::simd::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace wl::kernels::simd
{
namespace HWY_NAMESPACE
{
namespace hn = hwy::HWY_NAMESPACE;

using Moments = StatsAccumulator::Moments;

#if HWY_TARGET == HWY_SCALAR

void RunChunk(int kind, const std::uint8_t *p, std::size_t n, Moments *m, const HistParams *h,
              std::uint32_t *crc)
{
    if (crc)
        *crc = crc32cExtend(*crc, p, n * detail::itemSize(kind));
    const DType t = kind == int(Kind::Float32)    ? DType::Float32
                    : kind == int(Kind::BFloat16) ? DType::BFloat16
                                                  : DType::Float16;
    if (m)
        accumulateScalar(t, p, n, *m);
    if (h)
        histogramScalar(t, p, n, h->binning.lo, h->binning.hi, h->counts, h->binning.bins);
}

void RunRange(int kind, const std::uint8_t *p, std::size_t n, Range *r, std::uint32_t *crc)
{
    if (crc)
        *crc = crc32cExtend(*crc, p, n * detail::itemSize(kind));
    for (std::size_t i = 0; i < n; ++i) {
        const double v = detail::element(kind, p, i);
        if (std::isfinite(v)) {
            r->min = std::min(r->min, v);
            r->max = std::max(r->max, v);
        }
    }
}

#else

using DF = hn::ScalableTag<float>;
using DFH = hn::Half<DF>;
using DD = hn::Repartition<double, DF>;
using DI = hn::RebindToSigned<DF>;
using VF = hn::Vec<DF>;
using VD = hn::Vec<DD>;
using VI = hn::Vec<DI>;

// Two float vectors of consecutive elements (bfloat16 lanes come out permuted, which no
// statistic can see).
template <int K> HWY_INLINE void Load2(const std::uint8_t *p, std::size_t i, VF &v0, VF &v1)
{
    const DF df;
    const std::size_t N = hn::Lanes(df);
    if constexpr (K == int(Kind::Float32)) {
        const float *f = reinterpret_cast<const float *>(p);
        v0 = hn::LoadU(df, f + i);
        v1 = hn::LoadU(df, f + i + N);
    } else if constexpr (K == int(Kind::BFloat16)) {
        const hn::Repartition<std::uint16_t, DF> du16;
        const hn::RebindToUnsigned<DF> du32;
        const auto u = hn::LoadU(du16, reinterpret_cast<const std::uint16_t *>(p) + i);
        v0 = hn::BitCast(df, hn::ZipLower(du32, hn::Zero(du16), u));
        v1 = hn::BitCast(df, hn::ZipUpper(du32, hn::Zero(du16), u));
    } else {
        const hn::Rebind<std::uint16_t, DF> du16;
#if HWY_TARGET <= HWY_AVX2
        // F16C converts exactly, subnormals and Inf/NaN included.
        const hn::Rebind<hwy::float16_t, DF> dh;
        const auto *h = reinterpret_cast<const hwy::float16_t *>(p);
        v0 = hn::PromoteTo(
            df, hn::BitCast(dh, hn::LoadU(du16, reinterpret_cast<const std::uint16_t *>(h) + i)));
        v1 = hn::PromoteTo(
            df,
            hn::BitCast(dh, hn::LoadU(du16, reinterpret_cast<const std::uint16_t *>(h) + i + N)));
#else
        // Without F16C: shift exponent and mantissa into place and rescale by 2^112 (exact
        // for normals and subnormals); exponent 31 becomes 255 (Inf/NaN).
        const hn::RebindToUnsigned<DF> du32;
        const auto *h = reinterpret_cast<const std::uint16_t *>(p);
        auto decode = [&](std::size_t at) HWY_ATTR {
            const auto bits = hn::PromoteTo(du32, hn::LoadU(du16, h + at));
            const auto mag = hn::And(bits, hn::Set(du32, 0x7FFFu));
            const auto scaled = hn::Mul(hn::BitCast(df, hn::ShiftLeft<13>(mag)),
                                        hn::Set(df, 5.192296858534828e33f)); // 2^112
            const hn::RebindToSigned<DF> di32;
            const auto special =
                hn::RebindMask(du32, hn::Gt(hn::BitCast(di32, mag), hn::Set(di32, 0x7BFF)));
            const auto inf = hn::Or(hn::ShiftLeft<13>(mag), hn::Set(du32, 0x7F800000u));
            const auto out = hn::IfThenElse(special, inf, hn::BitCast(du32, scaled));
            return hn::BitCast(
                df, hn::Or(out, hn::ShiftLeft<16>(hn::And(bits, hn::Set(du32, 0x8000u)))));
        };
        v0 = decode(i);
        v1 = decode(i + N);
#endif
    }
}

// The four double vectors of a pair: v0's lower and upper half, then v1's.
HWY_INLINE void Widen(VF v0, VF v1, VD &a0, VD &b0, VD &a1, VD &b1)
{
    const DFH dfh;
    const DD dd;
    a0 = hn::PromoteTo(dd, hn::LowerHalf(dfh, v0));
    b0 = hn::PromoteTo(dd, hn::UpperHalf(dfh, v0));
    a1 = hn::PromoteTo(dd, hn::LowerHalf(dfh, v1));
    b1 = hn::PromoteTo(dd, hn::UpperHalf(dfh, v1));
}

// The same for the float32 pair at element i, converted straight from memory: the conversion
// and vextractf128 compete for one pipe, which bounds the moments loop otherwise. (A histogram
// loop, busy on the load ports, is faster with the register form.)
HWY_INLINE void Widen(const float *f, std::size_t i, VD &a0, VD &b0, VD &a1, VD &b1)
{
    const DFH dfh;
    const DD dd;
    const std::size_t H = hn::Lanes(dfh);
    a0 = hn::PromoteTo(dd, hn::LoadU(dfh, f + i));
    b0 = hn::PromoteTo(dd, hn::LoadU(dfh, f + i + H));
    a1 = hn::PromoteTo(dd, hn::LoadU(dfh, f + i + 2 * H));
    b1 = hn::PromoteTo(dd, hn::LoadU(dfh, f + i + 3 * H));
}

// Double accumulators s1 and s2 for the values shifted by c. Σv² is not accumulated:
// Σv² = s2 + 2c·s1 + n·c², which saves the loop a register and six operations per pair; when c
// lies far from the values and those terms cancel, Chunk() sums the squares in a pass of their
// own (SumSquares).
//
// Zen 3 runs FP additions, comparisons, min/max and conversions on two of its four FP pipes and
// multiplications on the other two, and the loop is bound by the busier pair or by the latency
// of its chains. With kSpread (the float32 moments loop, where FMA is native), the subtractions and
// some additions are FMAs with a factor of 1 (rounded the same), and a pair's squares are summed
// among themselves before they join s2, so each chain is one operation per pair. Without (loops
// that also decode 16-bit floats or bin a histogram, which load the addition pipes more), s2 is
// split in two FMA chains, two long per pair, and the rest stays on the addition pipes.
template <bool kSpread> struct MomentLanes {
    VF min, max, shift32;
    VD shift, s1, s2, s2odd;
    VI zeroLanes; // minus the zeros seen in each lane
    std::int64_t nan = 0, nonFinite = 0;

    explicit MomentLanes(double s)
    {
        const DF df;
        const DD dd;
        min = max = shift32 = hn::Set(df, float(s));
        shift = hn::Set(dd, s);
        s1 = s2 = s2odd = hn::Zero(dd);
        zeroLanes = hn::Zero(DI());
    }

    static HWY_INLINE VD add(VD a, VD b)
    {
        return kSpread ? hn::MulAdd(a, hn::Set(DD(), 1.0), b) : hn::Add(a, b);
    }

    HWY_INLINE VD shifted(VD a) const
    {
        return kSpread ? hn::MulAdd(a, hn::Set(DD(), 1.0), hn::Neg(shift)) : hn::Sub(a, shift);
    }

    // s1 += d, s2 += d² for d = v - c.
    HWY_INLINE void sums(VD a0, VD b0, VD a1, VD b1)
    {
        a0 = shifted(a0);
        b0 = shifted(b0);
        a1 = shifted(a1);
        b1 = shifted(b1);
        s1 = hn::Add(s1, add(add(a0, b0), add(a1, b1)));
        if constexpr (kSpread) {
            const VD q0 = hn::MulAdd(a0, a0, hn::Mul(b0, b0));
            const VD q1 = hn::MulAdd(a1, a1, hn::Mul(b1, b1));
            s2 = hn::Add(s2, hn::Add(q0, q1));
        } else {
            s2 = hn::MulAdd(a0, a0, s2);
            s2odd = hn::MulAdd(a1, a1, s2odd);
            s2 = hn::MulAdd(b0, b0, s2);
            s2odd = hn::MulAdd(b1, b1, s2odd);
        }
    }

    HWY_INLINE void sums(VF v0, VF v1)
    {
        VD a0, b0, a1, b1;
        Widen(v0, v1, a0, b0, a1, b1);
        sums(a0, b0, a1, b1);
    }

    // Each lane adds its compare masks (all ones, -1): four operations per pair, where
    // counting mask bits in a general register takes eight.
    HWY_INLINE void countZeros(VF v0, VF v1)
    {
        const DF df;
        const DI di;
        const VF zero = hn::Zero(df);
        zeroLanes =
            hn::Add(zeroLanes, hn::Add(hn::BitCast(di, hn::VecFromMask(df, hn::Eq(v0, zero))),
                                       hn::BitCast(di, hn::VecFromMask(df, hn::Eq(v1, zero)))));
    }

    std::int64_t zeros() const
    {
        HWY_ALIGN std::int32_t lanes[hn::MaxLanes(DI())];
        hn::Store(zeroLanes, DI(), lanes);
        std::int64_t sum = 0;
        for (std::size_t j = 0; j < hn::Lanes(DI()); ++j)
            sum -= lanes[j];
        return sum;
    }

    // kReload: v0 and v1 are float32 elements i.. of p, to be widened from memory.
    template <bool kReload>
    HWY_INLINE void finite(const std::uint8_t *p, std::size_t i, VF v0, VF v1)
    {
        min = hn::Min(min, hn::Min(v0, v1));
        max = hn::Max(max, hn::Max(v0, v1));
        countZeros(v0, v1);
        VD a0, b0, a1, b1;
        if constexpr (kReload)
            Widen(reinterpret_cast<const float *>(p), i, a0, b0, a1, b1);
        else
            Widen(v0, v1, a0, b0, a1, b1);
        sums(a0, b0, a1, b1);
    }

    // Non-finite lanes count apart; they stand in as the shift (d = 0).
    HWY_INLINE VF maskNonFinite(VF v)
    {
        const DF df;
        const auto fin = hn::Eq(hn::Sub(v, v), hn::Zero(df));
        nan += std::int64_t(hn::CountTrue(df, hn::IsNaN(v)));
        nonFinite += std::int64_t(hn::Lanes(df) - hn::CountTrue(df, fin));
        return hn::IfThenElse(fin, v, shift32);
    }

    HWY_INLINE void mixed(VF v0, VF v1)
    {
        const VF w0 = maskNonFinite(v0);
        const VF w1 = maskNonFinite(v1);
        min = hn::Min(min, hn::Min(w0, w1));
        max = hn::Max(max, hn::Max(w0, w1));
        countZeros(v0, v1);
        sums(w0, w1);
    }
};

// Histograms in two steps: the vector loop writes each block's bin indexes to a buffer, and
// scalar increments count the previous block's meanwhile (the increments use the load and
// store ports, the vector work the FP ports, so the two overlap). Even and odd positions
// count into two sub-histograms, so runs of equal bins do not wait on each other's stores.
// A sub-histogram has bins + 2 counters: slot `bins` takes t == bins (v == hi, added to the
// last bin at the end), slot bins + 1 takes values outside [lo, hi] and NaN.
struct HistLanes {
    VF lo32, hi32, scale32;
    VI trash;

    explicit HistLanes(const Binning &b)
    {
        const DF df;
        lo32 = hn::Set(df, b.lo32);
        hi32 = hn::Set(df, b.hi32);
        scale32 = hn::Set(df, b.scale32);
        trash = hn::Set(DI(), b.bins + 1);
    }

    // Binning::index() in float lanes.
    HWY_INLINE VI bin(VF v)
    {
        const DI di;
        // v >= lo′ exactly when v − lo′, and so t, has no sign bit: lo′ is −0 rather than +0
        // (Binning), so that −0 − lo′ is +0. NaN lanes fail the test against hi′.
        const VF t = hn::Mul(hn::Sub(v, lo32), scale32);
#if HWY_TARGET == HWY_AVX2
        // Lanes in range have 0 <= t <= bins + 1, so ConvertTo's overflow fix-up is not needed.
        const VI b{_mm256_cvttps_epi32(t.raw)};
#else
        const VI b = hn::ConvertTo(di, t);
#endif
#if HWY_TARGET == HWY_SSSE3
        // Highway 1.0's IfNegativeThenElse relies on blendv, which SSSE3 lacks.
        const VI below =
            hn::IfThenElse(hn::MaskFromVec(hn::BroadcastSignBit(hn::BitCast(di, t))), trash, b);
#else
        const VI below = hn::IfNegativeThenElse(hn::BitCast(di, t), trash, b);
#endif
        return hn::IfThenElse(hn::RebindMask(di, hn::Le(v, hi32)), below, trash);
    }

    HWY_INLINE void index(VF v, std::int32_t *out)
    {
        hn::StoreU(bin(v), DI(), out);
    }
};

// n is even; indexes are loaded in pairs, one for each sub-histogram.
HWY_INLINE void CountIndexes(const std::int32_t *idx, std::size_t n, std::uint32_t *sub0,
                             std::uint32_t *sub1)
{
    for (std::size_t j = 0; j < n; j += 2) {
        std::uint64_t pair;
        std::memcpy(&pair, idx + j, sizeof pair);
        ++sub0[std::uint32_t(pair)];
        ++sub1[pair >> 32];
    }
}

// Σv² over the finite elements, for when it cannot be had from the shifted sums.
template <int K> double SumSquares(const std::uint8_t *p, std::size_t n)
{
    const DF df;
    const DFH dfh;
    const DD dd;
    const std::size_t N = hn::Lanes(df);
    VD acc0 = hn::Zero(dd), acc1 = hn::Zero(dd);
    auto add = [&](VF v, VD &acc) HWY_ATTR {
        const VF f = hn::IfThenElseZero(hn::Eq(hn::Sub(v, v), hn::Zero(df)), v);
        const VD a = hn::PromoteTo(dd, hn::LowerHalf(dfh, f));
        const VD b = hn::PromoteTo(dd, hn::UpperHalf(dfh, f));
        acc = hn::MulAdd(a, a, hn::MulAdd(b, b, acc));
    };
    std::size_t i = 0;
    for (; i + 2 * N <= n; i += 2 * N) {
        VF v0, v1;
        Load2<K>(p, i, v0, v1);
        add(v0, acc0);
        add(v1, acc1);
    }
    double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(acc0, acc1)));
    for (; i < n; ++i) {
        const double v = detail::element(K, p, i);
        if (std::isfinite(v))
            sum += v * v;
    }
    return sum;
}

template <int K, bool kMoments, bool kHist>
void Chunk(const std::uint8_t *p, std::size_t n, Moments *m, const HistParams *h,
           std::uint32_t *crc)
{
    constexpr std::size_t kItem = detail::itemSize(K);
    const DF df;
    const DD dd;
    const DI di;
    const std::size_t N = hn::Lanes(df);
    std::size_t i = 0;
    Moments part;
    part.count = std::int64_t(n);

    // Moments are shifted by the first finite value; the elements before it are non-finite.
    double shift = 0;
    if constexpr (kMoments) {
        for (; i < n; ++i) {
            const double v = detail::element(K, p, i);
            if (std::isfinite(v)) {
                shift = v;
                break;
            }
            ++(std::isnan(v) ? part.nan : part.inf);
        }
    }
    // The same lanes with and without a histogram: the statistics engine takes a tensor's moments
    // in the fused loop when it wants a histogram, and they must not change with --bins.
    MomentLanes<K == int(Kind::Float32) && HWY_NATIVE_FMA> ml(shift);

    // Without a histogram, blocks are 2 KiB: a checksum after each keeps memory busy (the
    // block's prefetches are in flight meanwhile); 1 and 4 KiB measured slower.
    constexpr std::size_t kBlockPairs =
        kHist ? 64 : std::max<std::size_t>(1, 2048 / (2 * hn::MaxLanes(DF()) * kItem));
    std::vector<std::uint32_t> sub;
    std::uint32_t *sub0 = nullptr, *sub1 = nullptr;
    // Indexes of the block being read and of the one before, which is counted meanwhile. The
    // two lie 2 KiB apart modulo 4 KiB: a load from a multiple of 4 KiB past a pending store
    // waits on it as if it were the same address.
    constexpr std::size_t kBlockElems = kBlockPairs * 2 * hn::MaxLanes(DF());
    HWY_ALIGN std::int32_t idx[2][kHist ? kBlockElems + 512 : 1];
    std::size_t pending = 0; // indexes in idx[cur ^ 1] not yet counted
    int cur = 0;
    const Binning noBins(DType::Float32, 0, 1, 1);
    const Binning &binning = kHist ? h->binning : noBins;
    if constexpr (kHist) {
        const std::size_t stride = std::size_t(binning.bins) + 2;
        sub.assign(2 * stride, 0);
        sub0 = sub.data();
        sub1 = sub0 + stride;
    }
    HistLanes hl(binning);

    // One block of `pairs` vector pairs; with kCount the previous block, at least as long, is
    // counted alongside (only the first block has none, so the loop needs no test).
    auto block = [&](std::size_t pairs, auto kCount) HWY_ATTR {
    // Two pairs per iteration halve the loop's own operations, which matters to the
    // histogram loops: they are bound by their µop count (fused float32 +8-35 % in A/B).
#pragma GCC unroll 2
        for (std::size_t k = 0; k < pairs; ++k) {
            VF v0, v1;
            Load2<K>(p, i + k * 2 * N, v0, v1);
            hwy::Prefetch(p + (i + k * 2 * N) * kItem + kPrefetchDistance);
            if constexpr (kMoments)
                ml.template finite<K == int(Kind::Float32) && !kHist>(p, i + k * 2 * N, v0, v1);
            if constexpr (kHist) {
                hl.index(v0, idx[cur] + k * 2 * N);
                hl.index(v1, idx[cur] + k * 2 * N + N);
                if constexpr (decltype(kCount)::value)
                    CountIndexes(idx[cur ^ 1] + k * 2 * N, 2 * N, sub0, sub1);
            }
        }
    };

    const std::size_t vecStart = i;
    std::size_t crcDone = 0; // bytes checksummed
    // Blocks run optimistically without non-finite tests: a NaN or Inf turns the shifted sum
    // non-finite, and then the block's moments are redone with per-lane masks.
    while (i + 2 * N <= n) {
        const std::size_t pairs = std::min(kBlockPairs, (n - i) / (2 * N));
        const auto saved = ml;
        if (kHist && pending > 0)
            block(pairs, std::true_type());
        else
            block(pairs, std::false_type());
        if constexpr (kHist) {
            if (pending > 0) // the rest of a longer previous block
                CountIndexes(idx[cur ^ 1] + pairs * 2 * N, pending - pairs * 2 * N, sub0, sub1);
            pending = pairs * 2 * N;
            cur ^= 1;
        }
        if constexpr (kMoments) {
            if (HWY_UNLIKELY(!hn::AllTrue(dd, hn::Eq(hn::Sub(ml.s1, ml.s1), hn::Zero(dd))))) {
                ml = saved;
                for (std::size_t k = 0; k < pairs; ++k) {
                    VF v0, v1;
                    Load2<K>(p, i + k * 2 * N, v0, v1);
                    ml.mixed(v0, v1);
                }
            }
        }
        i += pairs * 2 * N;
        // The block just reduced is still in L1; checksumming it here keeps the prefetches
        // going between the blocks and reads memory once.
        if (!kHist && crc) {
            *crc = crc32cExtend(*crc, p + crcDone, i * kItem - crcDone);
            crcDone = i * kItem;
        }
    }
    const std::size_t vecEnd = i;
    if (!kHist && crc && crcDone < n * kItem)
        *crc = crc32cExtend(*crc, p + crcDone, n * kItem - crcDone);
    if constexpr (kHist)
        CountIndexes(idx[cur ^ 1], pending, sub0, sub1);

    if constexpr (kMoments) {
        HWY_ALIGN float f[hn::MaxLanes(DF())];
        double mn = shift, mx = shift;
        hn::Store(ml.min, df, f);
        for (std::size_t j = 0; j < N; ++j)
            mn = std::min(mn, double(f[j]));
        hn::Store(ml.max, df, f);
        for (std::size_t j = 0; j < N; ++j)
            mx = std::max(mx, double(f[j]));
        part.zeros += ml.zeros();
        double s1 = hn::GetLane(hn::SumOfLanes(dd, ml.s1));
        double s2 = hn::GetLane(hn::SumOfLanes(dd, hn::Add(ml.s2, ml.s2odd)));
        part.nan += ml.nan;
        part.inf += ml.nonFinite - ml.nan;
        for (std::size_t j = vecEnd; j < n; ++j) {
            const double v = detail::element(K, p, j);
            if (std::isnan(v)) {
                ++part.nan;
                continue;
            }
            if (std::isinf(v)) {
                ++part.inf;
                continue;
            }
            part.zeros += v == 0;
            mn = std::min(mn, v);
            mx = std::max(mx, v);
            const double d = v - shift;
            s1 += d;
            s2 += d * d;
        }
        part.n = part.count - part.nan - part.inf;
        if (part.n > 0) {
            part.min = mn;
            part.max = mx;
            part.mean = shift + s1 / double(part.n);
            part.m2 = std::max(0.0, s2 - s1 * s1 / double(part.n));
            // The terms are as large as s2 + n·c²; beyond 10^4 times the result, too many
            // digits cancel.
            const double terms = s2 + double(part.n) * shift * shift;
            double sumSq = s2 + shift * (2 * s1 + double(part.n) * shift);
            if (!(sumSq * 1e4 >= terms))
                sumSq = SumSquares<K>(p, n);
            part.sumSq = std::max(0.0, sumSq);
        }
        m->merge(part);
    }

    if constexpr (kHist) {
        const auto bins = std::size_t(binning.bins);
        for (std::size_t b = 0; b < bins; ++b)
            h->counts[b] += std::uint64_t(sub0[b]) + sub1[b];
        h->counts[bins - 1] += std::uint64_t(sub0[bins]) + sub1[bins];
        // The prefix before the shift and the tail were not seen by the vector loop.
        auto scalar = [&](std::size_t from, std::size_t to) {
            for (std::size_t j = from; j < to; ++j) {
                const int b = binning.index(detail::element(K, p, j));
                if (b >= 0)
                    ++h->counts[b];
            }
        };
        scalar(0, vecStart);
        scalar(vecEnd, n);
    }
}

template <int K>
void RunKind(const std::uint8_t *p, std::size_t n, Moments *m, const HistParams *h,
             std::uint32_t *crc)
{
    if (h && h->binning.lo32 > h->binning.hi32)
        h = nullptr; // no float value lies in [lo, hi]: nothing to count
    // Histogram loops are busy enough on their own: they leave the checksum to a pass before.
    if (crc && (h || !m))
        *crc = crc32cExtend(*crc, p, n * detail::itemSize(K));
    if (m && h)
        Chunk<K, true, true>(p, n, m, h, nullptr);
    else if (m)
        Chunk<K, true, false>(p, n, m, h, crc);
    else if (h)
        Chunk<K, false, true>(p, n, m, h, nullptr);
}

// Smallest and largest finite value: what a histogram's range needs before its pass. Memory
// bound, so each 4 KiB block is checksummed right after, while in L1.
template <int K> void RangeKind(const std::uint8_t *p, std::size_t n, Range *r, std::uint32_t *crc)
{
    constexpr std::size_t kItem = detail::itemSize(K);
    const DF df;
    const std::size_t N = hn::Lanes(df);
    const VF inf = hn::Set(df, std::numeric_limits<float>::infinity());
    const VF ninf = hn::Neg(inf);
    VF mn0 = inf, mn1 = inf, mx0 = ninf, mx1 = ninf;
    constexpr std::size_t kBlock = 4096 / kItem;
    std::size_t i = 0;
    while (i + 2 * N <= n) {
        const std::size_t end = std::min(n, i + kBlock) - (std::min(n, i + kBlock) - i) % (2 * N);
        const std::size_t from = i;
        for (; i < end; i += 2 * N) {
            VF v0, v1;
            Load2<K>(p, i, v0, v1);
            hwy::Prefetch(p + i * kItem + kPrefetchDistance);
            // Non-finite lanes (v - v is NaN) stand in as ±Inf, which a finite value replaces.
            const auto f0 = hn::Eq(hn::Sub(v0, v0), hn::Zero(df));
            const auto f1 = hn::Eq(hn::Sub(v1, v1), hn::Zero(df));
            mn0 = hn::Min(mn0, hn::IfThenElse(f0, v0, inf));
            mx0 = hn::Max(mx0, hn::IfThenElse(f0, v0, ninf));
            mn1 = hn::Min(mn1, hn::IfThenElse(f1, v1, inf));
            mx1 = hn::Max(mx1, hn::IfThenElse(f1, v1, ninf));
        }
        if (crc)
            *crc = crc32cExtend(*crc, p + from * kItem, (i - from) * kItem);
    }
    HWY_ALIGN float f[hn::MaxLanes(DF())];
    hn::Store(hn::Min(mn0, mn1), df, f);
    for (std::size_t j = 0; j < N; ++j)
        r->min = std::min(r->min, double(f[j]));
    hn::Store(hn::Max(mx0, mx1), df, f);
    for (std::size_t j = 0; j < N; ++j)
        r->max = std::max(r->max, double(f[j]));
    if (crc)
        *crc = crc32cExtend(*crc, p + i * kItem, (n - i) * kItem);
    for (; i < n; ++i) {
        const double v = detail::element(K, p, i);
        if (std::isfinite(v)) {
            r->min = std::min(r->min, v);
            r->max = std::max(r->max, v);
        }
    }
}

void RunRange(int kind, const std::uint8_t *p, std::size_t n, Range *r, std::uint32_t *crc)
{
    switch (kind) {
    case int(Kind::Float32):
        return RangeKind<int(Kind::Float32)>(p, n, r, crc);
    case int(Kind::BFloat16):
        return RangeKind<int(Kind::BFloat16)>(p, n, r, crc);
    default:
        return RangeKind<int(Kind::Float16)>(p, n, r, crc);
    }
}

void RunChunk(int kind, const std::uint8_t *p, std::size_t n, Moments *m, const HistParams *h,
              std::uint32_t *crc)
{
    switch (kind) {
    case int(Kind::Float32):
        return RunKind<int(Kind::Float32)>(p, n, m, h, crc);
    case int(Kind::BFloat16):
        return RunKind<int(Kind::BFloat16)>(p, n, m, h, crc);
    default:
        return RunKind<int(Kind::Float16)>(p, n, m, h, crc);
    }
}

#endif // HWY_TARGET == HWY_SCALAR

} // namespace HWY_NAMESPACE
} // namespace wl::kernels::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace wl::kernels::simd
{
namespace
{

// Dispatch is done here rather than with HWY_DYNAMIC_DISPATCH, whose run-time library costs
// every process several milliseconds of start-up (it measures its timer when loaded).
using RunFn = decltype(&HWY_STATIC_DISPATCH(RunChunk));
using RangeFn = decltype(&HWY_STATIC_DISPATCH(RunRange));

struct Entry {
    std::int64_t target;
    RunFn run;
    RangeFn range;
};

// Instruction sets each Highway x86 target needs (see hwy/targets.cc).
bool cpuHas(std::int64_t target)
{
    __builtin_cpu_init();
    const bool ssse3 = __builtin_cpu_supports("ssse3");
    const bool sse4 = ssse3 && __builtin_cpu_supports("sse4.1") &&
                      __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul") &&
                      __builtin_cpu_supports("aes");
#if defined(__clang__)
    // clang (the fuzzing build) knows no level names and no "vaes": the features it can test.
    const bool avx2 = sse4 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
                      __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("fma");
    const bool avx3 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd");
    const bool vaes = true;
#else
    const bool avx2 = sse4 && __builtin_cpu_supports("x86-64-v3");
    const bool avx3 = avx2 && __builtin_cpu_supports("x86-64-v4");
    const bool vaes = __builtin_cpu_supports("vaes");
#endif
    switch (target) {
    case HWY_SSSE3:
        return ssse3;
    case HWY_SSE4:
        return sse4;
    case HWY_AVX2:
        return avx2;
    case HWY_AVX3:
        return avx3;
    case HWY_AVX3_DL:
        return avx3 && __builtin_cpu_supports("avx512vnni") &&
               __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx512vbmi") &&
               __builtin_cpu_supports("avx512vbmi2") && vaes &&
               __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("avx512bitalg");
    default:
        return true; // the portable fallback
    }
}

#if HWY_TARGETS & HWY_EMU128
constexpr std::int64_t kFallback = HWY_EMU128;
#elif HWY_TARGETS & HWY_SCALAR
constexpr std::int64_t kFallback = HWY_SCALAR;
#else
constexpr std::int64_t kFallback = HWY_STATIC_TARGET;
#endif

// Compiled targets this CPU runs, best first.
const std::vector<Entry> &entries()
{
    static const std::vector<Entry> list = [] {
        const Entry all[] = {
            {HWY_AVX3_DL, HWY_CHOOSE_AVX3_DL(RunChunk), HWY_CHOOSE_AVX3_DL(RunRange)},
            {HWY_AVX3, HWY_CHOOSE_AVX3(RunChunk), HWY_CHOOSE_AVX3(RunRange)},
            {HWY_AVX2, HWY_CHOOSE_AVX2(RunChunk), HWY_CHOOSE_AVX2(RunRange)},
            {HWY_SSE4, HWY_CHOOSE_SSE4(RunChunk), HWY_CHOOSE_SSE4(RunRange)},
            {HWY_SSSE3, HWY_CHOOSE_SSSE3(RunChunk), HWY_CHOOSE_SSSE3(RunRange)},
            {kFallback, HWY_CHOOSE_FALLBACK(RunChunk), HWY_CHOOSE_FALLBACK(RunRange)}};
        std::vector<Entry> out;
        for (const Entry &e : all)
            if (e.run && cpuHas(e.target))
                out.push_back(e);
        return out;
    }();
    return list;
}

std::atomic<std::size_t> g_active{0};

const Entry &active()
{
    return entries()[std::min(g_active.load(std::memory_order_relaxed), entries().size() - 1)];
}

} // namespace

const char *targetName()
{
    return hwy::TargetName(active().target);
}

bool kindOf(DType dtype, Kind &kind)
{
    switch (dtype) {
    case DType::Float32:
        kind = Kind::Float32;
        return true;
    case DType::BFloat16:
        kind = Kind::BFloat16;
        return true;
    case DType::Float16:
        kind = Kind::Float16;
        return true;
    default:
        return false;
    }
}

void run(Kind kind, const void *data, std::size_t n, StatsAccumulator::Moments *m,
         const HistParams *h, std::uint32_t *crc)
{
    const std::size_t item = detail::itemSize(int(kind));
    const auto *p = static_cast<const std::uint8_t *>(data);
    // Per-lane 32-bit counters stay far from overflow within a chunk.
    constexpr std::size_t kChunk = std::size_t(1) << 26;
    const RunFn fn = active().run;
    for (std::size_t off = 0; off < n; off += kChunk)
        fn(int(kind), p + off * item, std::min(kChunk, n - off), m, h, crc);
}

void range(Kind kind, const void *data, std::size_t n, Range &r, std::uint32_t *crc)
{
    active().range(int(kind), static_cast<const std::uint8_t *>(data), n, &r, crc);
}

} // namespace wl::kernels::simd

namespace wl::kernels
{

std::vector<std::string> simdTargets()
{
    std::vector<std::string> names;
    for (const auto &e : simd::entries())
        names.emplace_back(hwy::TargetName(e.target));
    return names;
}

bool useSimdTarget(const std::string &name)
{
    if (name.empty()) {
        simd::g_active = 0;
        return true;
    }
    const auto &list = simd::entries();
    for (std::size_t i = 0; i < list.size(); ++i)
        if (name == hwy::TargetName(list[i].target)) {
            simd::g_active = i;
            return true;
        }
    return false;
}

std::string activeSimdTarget()
{
    return simd::targetName();
}

} // namespace wl::kernels
#endif // HWY_ONCE
