// Highway kernels for float32, bfloat16 and float16: moments and histograms, compiled for
// every x86 target and picked at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "stats/kernels_simd.cpp"
#include <hwy/foreach_target.h> // IWYU pragma: keep

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "kernels.h"
#include "kernels_simd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#ifndef WL_KERNELS_SIMD_ONCE
#define WL_KERNELS_SIMD_ONCE
namespace wl::kernels::simd::detail
{

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

// Smallest float >= lo and largest float <= hi: for a float v, v >= lo exactly when
// v >= lo32, so the range test can run in float lanes.
inline void floatRange(double lo, double hi, float &lo32, float &hi32)
{
    lo32 = float(lo);
    if (double(lo32) < lo)
        lo32 = std::nextafter(lo32, INFINITY);
    hi32 = float(hi);
    if (double(hi32) > hi)
        hi32 = std::nextafter(hi32, -INFINITY);
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

void RunChunk(int kind, const std::uint8_t *p, std::size_t n, Moments *m, const HistParams *h)
{
    const DType t = kind == int(Kind::Float32)    ? DType::Float32
                    : kind == int(Kind::BFloat16) ? DType::BFloat16
                                                  : DType::Float16;
    if (m)
        accumulateScalar(t, p, n, *m);
    if (h)
        histogramScalar(t, p, n, h->lo, h->hi, h->counts, h->bins);
}

#else

using DF = hn::ScalableTag<float>;
using DFH = hn::Half<DF>;
using DD = hn::Repartition<double, DF>;
using DI = hn::RebindToSigned<DF>;
using DIH = hn::Rebind<std::int32_t, DD>;
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

// Two double accumulators, each updated once per pair of float vectors: with one per half
// vector AVX2 runs out of registers and the spilled sums make the loop latency-bound. The
// sum of squares is not accumulated: with shift c, Σv² = s2 + 2c·s1 + n·c², which saves the
// loop a register and six operations per pair; when c lies far from the values and those
// terms cancel, Chunk() sums the squares in a pass of their own (SumSquares).
struct MomentLanes {
    VF min, max, shift32;
    VD shift, s1, s2;
    std::int64_t zeros = 0, nan = 0, nonFinite = 0;

    explicit MomentLanes(double s)
    {
        const DF df;
        const DD dd;
        min = max = shift32 = hn::Set(df, float(s));
        shift = hn::Set(dd, s);
        s1 = s2 = hn::Zero(dd);
    }

    // s1 += d, s2 += d² for the shifted values d = v - shift.
    HWY_INLINE void sums(VF v0, VF v1)
    {
        const DFH dfh;
        const DD dd;
        const VD a0 = hn::Sub(hn::PromoteTo(dd, hn::LowerHalf(dfh, v0)), shift);
        const VD b0 = hn::Sub(hn::PromoteTo(dd, hn::UpperHalf(dfh, v0)), shift);
        const VD a1 = hn::Sub(hn::PromoteTo(dd, hn::LowerHalf(dfh, v1)), shift);
        const VD b1 = hn::Sub(hn::PromoteTo(dd, hn::UpperHalf(dfh, v1)), shift);
        s1 = hn::Add(s1, hn::Add(hn::Add(a0, b0), hn::Add(a1, b1)));
        s2 = hn::Add(
            s2, hn::Add(hn::MulAdd(b0, b0, hn::Mul(a0, a0)), hn::MulAdd(b1, b1, hn::Mul(a1, a1))));
    }

    // Counted in a general register: a vector counter would cost the loop a register.
    HWY_INLINE void countZeros(VF v)
    {
        const DF df;
        zeros += std::int64_t(hn::CountTrue(df, hn::Eq(v, hn::Zero(df))));
    }

    HWY_INLINE void finite(VF v0, VF v1)
    {
        min = hn::Min(min, hn::Min(v0, v1));
        max = hn::Max(max, hn::Max(v0, v1));
        countZeros(v0);
        countZeros(v1);
        sums(v0, v1);
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
        countZeros(v0);
        countZeros(v1);
        sums(w0, w1);
    }
};

// Histograms in two steps: the vector loop writes each block's bin indexes to a buffer, and
// scalar increments count the previous block's meanwhile (the increments use the load and
// store ports, the vector work the FP ports, so the two overlap). Lanes alternate between
// sub-histograms so runs of equal bins do not wait on each other's stores; each index
// already carries its sub-histogram's offset. A sub-histogram has bins + 2 counters: slot
// `bins` takes t == bins (v == hi, added to the last bin at the end), slot bins + 1 takes
// values outside [lo, hi] and NaN.
constexpr std::size_t kSubHistograms = 2;

struct HistLanes {
    VF lo32, hi32;
    VD lo, scale;
    VI offset, trash;

    HistLanes(const HistParams &h, float l32, float h32)
    {
        const DF df;
        const DD dd;
        const DI di;
        lo32 = hn::Set(df, l32);
        hi32 = hn::Set(df, h32);
        lo = hn::Set(dd, h.lo);
        scale = hn::Set(dd, double(h.bins) / (h.hi - h.lo));
        const auto stride = std::int32_t(h.bins + 2);
        offset =
            hn::Mul(hn::And(hn::Iota(di, 0), hn::Set(di, kSubHistograms - 1)), hn::Set(di, stride));
        trash = hn::Add(offset, hn::Set(di, h.bins + 1));
    }

    // Bin index as in the scalar reference, int((v - lo) * scale) in double.
    HWY_INLINE VI bin(VF v)
    {
        const DFH dfh;
        const DD dd;
        const DI di;
        const DIH dih;
        const auto in = hn::And(hn::Ge(v, lo32), hn::Le(v, hi32));
        const VD ta = hn::Mul(hn::Sub(hn::PromoteTo(dd, hn::LowerHalf(dfh, v)), lo), scale);
        const VD tb = hn::Mul(hn::Sub(hn::PromoteTo(dd, hn::UpperHalf(dfh, v)), lo), scale);
#if HWY_TARGET == HWY_AVX2
        // In range 0 <= t <= bins, so DemoteTo's clamp is not needed.
        (void)dih;
        VI b{_mm256_inserti128_si256(_mm256_castsi128_si256(_mm256_cvttpd_epi32(ta.raw)),
                                     _mm256_cvttpd_epi32(tb.raw), 1)};
#else
        VI b = hn::Combine(di, hn::DemoteTo(dih, tb), hn::DemoteTo(dih, ta));
#endif
        return hn::IfThenElse(hn::RebindMask(di, in), hn::Add(b, offset), trash);
    }

    HWY_INLINE void index(VF v, std::int32_t *out)
    {
        hn::StoreU(bin(v), DI(), out);
    }
};

HWY_INLINE void CountIndexes(const std::int32_t *idx, std::size_t n, std::uint32_t *sub)
{
    for (std::size_t j = 0; j < n; ++j)
        ++sub[idx[j]];
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
void Chunk(const std::uint8_t *p, std::size_t n, Moments *m, const HistParams *h)
{
    constexpr std::size_t kItem = K == int(Kind::Float32) ? 4 : 2;
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
    MomentLanes ml(shift);

    constexpr std::size_t kBlockPairs = 64;
    float lo32 = 0, hi32 = 0;
    std::size_t stride = 0;
    std::vector<std::uint32_t> sub;
    // Indexes of the block being read and of the one before, which is counted meanwhile.
    constexpr std::size_t kBlockElems = kBlockPairs * 2 * hn::MaxLanes(DF());
    HWY_ALIGN std::int32_t idx[2][kHist ? kBlockElems : 1];
    std::size_t counted = 0, pending = 0;
    int cur = 0;
    if constexpr (kHist) {
        detail::floatRange(h->lo, h->hi, lo32, hi32);
        stride = std::size_t(h->bins) + 2;
        sub.assign(stride * kSubHistograms, 0);
    }
    HistLanes hl(kHist ? *h : HistParams{0, 1, nullptr, 1}, lo32, hi32);

    const std::size_t vecStart = i;
    // Blocks run optimistically without non-finite tests: a NaN or Inf turns the shifted sum
    // non-finite, and then the block's moments are redone with per-lane masks.
    while (i + 2 * N <= n) {
        const std::size_t pairs = std::min(kBlockPairs, (n - i) / (2 * N));
        const MomentLanes saved = ml;
        for (std::size_t k = 0; k < pairs; ++k) {
            VF v0, v1;
            Load2<K>(p, i + k * 2 * N, v0, v1);
            hwy::Prefetch(p + (i + k * 2 * N) * kItem + kPrefetchDistance);
            if constexpr (kMoments)
                ml.finite(v0, v1);
            if constexpr (kHist) {
                hl.index(v0, idx[cur] + k * 2 * N);
                hl.index(v1, idx[cur] + k * 2 * N + N);
                if (HWY_LIKELY(counted + 2 * N <= pending)) {
                    CountIndexes(idx[cur ^ 1] + counted, 2 * N, sub.data());
                    counted += 2 * N;
                }
            }
        }
        if constexpr (kHist) {
            CountIndexes(idx[cur ^ 1] + counted, pending - counted, sub.data());
            counted = 0;
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
    }
    const std::size_t vecEnd = i;
    if constexpr (kHist)
        CountIndexes(idx[cur ^ 1], pending, sub.data());

    if constexpr (kMoments) {
        HWY_ALIGN float f[hn::MaxLanes(DF())];
        double mn = shift, mx = shift;
        hn::Store(ml.min, df, f);
        for (std::size_t j = 0; j < N; ++j)
            mn = std::min(mn, double(f[j]));
        hn::Store(ml.max, df, f);
        for (std::size_t j = 0; j < N; ++j)
            mx = std::max(mx, double(f[j]));
        part.zeros += ml.zeros;
        double s1 = hn::GetLane(hn::SumOfLanes(dd, ml.s1));
        double s2 = hn::GetLane(hn::SumOfLanes(dd, ml.s2));
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
        const int bins = h->bins;
        for (std::size_t k = 0; k < kSubHistograms; ++k) {
            for (int b = 0; b < bins; ++b)
                h->counts[b] += sub[k * stride + std::size_t(b)];
            h->counts[bins - 1] += sub[k * stride + std::size_t(bins)];
        }
        // The prefix before the shift and the tail were not seen by the vector loop.
        const double scale = double(bins) / (h->hi - h->lo);
        auto scalar = [&](std::size_t from, std::size_t to) {
            for (std::size_t j = from; j < to; ++j) {
                const double v = detail::element(K, p, j);
                if (!(v >= h->lo && v <= h->hi))
                    continue;
                const int b = int((v - h->lo) * scale);
                ++h->counts[b >= bins ? bins - 1 : b];
            }
        };
        scalar(0, vecStart);
        scalar(vecEnd, n);
    }
}

template <int K> void RunKind(const std::uint8_t *p, std::size_t n, Moments *m, const HistParams *h)
{
    float lo32, hi32;
    if (h) {
        detail::floatRange(h->lo, h->hi, lo32, hi32);
        if (lo32 > hi32)
            h = nullptr; // no float value lies in [lo, hi]: nothing to count
    }
    if (m && h)
        Chunk<K, true, true>(p, n, m, h);
    else if (m)
        Chunk<K, true, false>(p, n, m, h);
    else if (h)
        Chunk<K, false, true>(p, n, m, h);
}

void RunChunk(int kind, const std::uint8_t *p, std::size_t n, Moments *m, const HistParams *h)
{
    switch (kind) {
    case int(Kind::Float32):
        return RunKind<int(Kind::Float32)>(p, n, m, h);
    case int(Kind::BFloat16):
        return RunKind<int(Kind::BFloat16)>(p, n, m, h);
    default:
        return RunKind<int(Kind::Float16)>(p, n, m, h);
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

struct Entry {
    std::int64_t target;
    RunFn run;
};

// Instruction sets each Highway x86 target needs (see hwy/targets.cc).
bool cpuHas(std::int64_t target)
{
    __builtin_cpu_init();
    const bool ssse3 = __builtin_cpu_supports("ssse3");
    const bool sse4 = ssse3 && __builtin_cpu_supports("sse4.1") &&
                      __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul") &&
                      __builtin_cpu_supports("aes");
    const bool avx2 = sse4 && __builtin_cpu_supports("x86-64-v3");
    const bool avx3 = avx2 && __builtin_cpu_supports("x86-64-v4");
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
               __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("vaes") &&
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
        const Entry all[] = {{HWY_AVX3_DL, HWY_CHOOSE_AVX3_DL(RunChunk)},
                             {HWY_AVX3, HWY_CHOOSE_AVX3(RunChunk)},
                             {HWY_AVX2, HWY_CHOOSE_AVX2(RunChunk)},
                             {HWY_SSE4, HWY_CHOOSE_SSE4(RunChunk)},
                             {HWY_SSSE3, HWY_CHOOSE_SSSE3(RunChunk)},
                             {kFallback, HWY_CHOOSE_FALLBACK(RunChunk)}};
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
         const HistParams *h)
{
    const std::size_t item = kind == Kind::Float32 ? 4 : 2;
    const auto *p = static_cast<const std::uint8_t *>(data);
    // Per-lane 32-bit counters stay far from overflow within a chunk.
    constexpr std::size_t kChunk = std::size_t(1) << 26;
    const RunFn fn = active().run;
    for (std::size_t off = 0; off < n; off += kChunk)
        fn(int(kind), p + off * item, std::min(kChunk, n - off), m, h);
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
