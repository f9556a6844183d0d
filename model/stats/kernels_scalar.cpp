#include "kernels.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace wl::kernels
{
namespace
{

template <class T> T load(const std::uint8_t *p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Float8 decoders: exponent bias, mantissa bits, and the NaN/Inf conventions of each variant.
double fp8ToDouble(DType t, std::uint8_t b)
{
    int expBits, manBits, bias;
    bool fnuz = false, fn = false;
    switch (t) {
    case DType::Float8E5M2:
        expBits = 5, manBits = 2, bias = 15;
        break;
    case DType::Float8E5M2FNUZ:
        expBits = 5, manBits = 2, bias = 16, fnuz = true;
        break;
    case DType::Float8E4M3FN:
        expBits = 4, manBits = 3, bias = 7, fn = true;
        break;
    case DType::Float8E4M3FNUZ:
        expBits = 4, manBits = 3, bias = 8, fnuz = true;
        break;
    default: // Float8E4M3B11FNUZ
        expBits = 4, manBits = 3, bias = 11, fnuz = true;
        break;
    }
    const bool neg = b & 0x80;
    const int e = (b >> manBits) & ((1 << expBits) - 1);
    const int m = b & ((1 << manBits) - 1);
    if (fnuz) {
        if (b == 0x80)
            return std::numeric_limits<double>::quiet_NaN();
    } else if (fn) {
        if ((b & 0x7F) == 0x7F)
            return std::numeric_limits<double>::quiet_NaN();
    } else if (e == (1 << expBits) - 1) {
        if (m == 0)
            return neg ? -INFINITY : INFINITY;
        return std::numeric_limits<double>::quiet_NaN();
    }
    double v = e == 0 ? std::ldexp(double(m), 1 - bias - manBits)
                      : std::ldexp(double(m | (1 << manBits)), e - bias - manBits);
    return neg ? -v : v;
}

template <class F> void forEach(DType t, const std::uint8_t *p, std::size_t n, F &&f)
{
    switch (t) {
    case DType::Float32:
        for (std::size_t i = 0; i < n; ++i)
            f(double(load<float>(p + 4 * i)));
        break;
    case DType::Float64:
        for (std::size_t i = 0; i < n; ++i)
            f(load<double>(p + 8 * i));
        break;
    case DType::Float16:
        for (std::size_t i = 0; i < n; ++i)
            f(halfToDouble(load<std::uint16_t>(p + 2 * i)));
        break;
    case DType::BFloat16:
        for (std::size_t i = 0; i < n; ++i)
            f(bfloat16ToDouble(load<std::uint16_t>(p + 2 * i)));
        break;
    case DType::Bool:
        for (std::size_t i = 0; i < n; ++i)
            f(p[i] ? 1.0 : 0.0);
        break;
    case DType::Int8:
    case DType::QInt8:
        for (std::size_t i = 0; i < n; ++i)
            f(double(std::int8_t(p[i])));
        break;
    case DType::UInt8:
    case DType::QUInt8:
        for (std::size_t i = 0; i < n; ++i)
            f(double(p[i]));
        break;
    case DType::Int16:
    case DType::QInt16:
        for (std::size_t i = 0; i < n; ++i)
            f(double(load<std::int16_t>(p + 2 * i)));
        break;
    case DType::UInt16:
    case DType::QUInt16:
        for (std::size_t i = 0; i < n; ++i)
            f(double(load<std::uint16_t>(p + 2 * i)));
        break;
    case DType::Int32:
    case DType::QInt32:
        for (std::size_t i = 0; i < n; ++i)
            f(double(load<std::int32_t>(p + 4 * i)));
        break;
    case DType::UInt32:
        for (std::size_t i = 0; i < n; ++i)
            f(double(load<std::uint32_t>(p + 4 * i)));
        break;
    case DType::Int64:
        for (std::size_t i = 0; i < n; ++i)
            f(double(load<std::int64_t>(p + 8 * i)));
        break;
    case DType::UInt64:
        for (std::size_t i = 0; i < n; ++i)
            f(double(load<std::uint64_t>(p + 8 * i)));
        break;
    case DType::Float8E5M2:
    case DType::Float8E4M3FN:
    case DType::Float8E4M3FNUZ:
    case DType::Float8E4M3B11FNUZ:
    case DType::Float8E5M2FNUZ:
        for (std::size_t i = 0; i < n; ++i)
            f(fp8ToDouble(t, p[i]));
        break;
    default:
        break;
    }
}

} // namespace

double halfToDouble(std::uint16_t h)
{
    const bool neg = h & 0x8000;
    const int e = (h >> 10) & 0x1F;
    const int m = h & 0x3FF;
    double v;
    if (e == 0)
        v = std::ldexp(double(m), -24);
    else if (e == 31)
        v = m ? std::numeric_limits<double>::quiet_NaN() : INFINITY;
    else
        v = std::ldexp(double(m | 0x400), e - 25);
    return neg ? -v : v;
}

double bfloat16ToDouble(std::uint16_t h)
{
    const std::uint32_t bits = std::uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return double(f);
}

void accumulateScalar(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m)
{
    StatsAccumulator::Moments part;
    part.count = std::int64_t(n);
    // Shifted sums around the first finite value keep the variance accurate in one pass.
    bool haveShift = false;
    double shift = 0, s1 = 0, s2 = 0;
    forEach(dtype, static_cast<const std::uint8_t *>(data), n, [&](double v) {
        if (std::isnan(v)) {
            ++part.nan;
            return;
        }
        if (std::isinf(v)) {
            ++part.inf;
            return;
        }
        if (v == 0)
            ++part.zeros;
        if (!haveShift) {
            haveShift = true;
            shift = v;
            part.min = part.max = v;
        }
        part.min = v < part.min ? v : part.min;
        part.max = v > part.max ? v : part.max;
        const double d = v - shift;
        s1 += d;
        s2 += d * d;
        part.sumSq += v * v;
        ++part.n;
    });
    if (part.n > 0) {
        part.mean = shift + s1 / double(part.n);
        part.m2 = std::max(0.0, s2 - s1 * s1 / double(part.n));
    }
    m.merge(part);
}

Binning::Binning(DType dtype, double l, double h, int n) : lo(l), hi(h), scale(0), bins(n)
{
    valid = n > 0 && std::isfinite(l) && std::isfinite(h) && h > l;
    if (!valid)
        return;
    scale = double(n) / (h - l);
    lo32 = float(lo);
    if (double(lo32) < lo)
        lo32 = std::nextafter(lo32, INFINITY);
    if (lo32 == 0)
        lo32 = -0.f; // −0 − lo′ is then +0, not −0: the sign of v − lo′ tells v < lo′
    hi32 = float(hi);
    if (double(hi32) > hi)
        hi32 = std::nextafter(hi32, -INFINITY);
    scale32 = float(scale);
    // The float path needs v − lo′ and the scale representable as normal floats.
    inFloat = (dtype == DType::Float32 || dtype == DType::BFloat16 || dtype == DType::Float16) &&
              std::isfinite(hi32 - lo32) && std::isfinite(scale32) &&
              scale32 >= std::numeric_limits<float>::min();
}

void histogramScalar(DType dtype, const void *data, std::size_t n, double lo, double hi,
                     std::uint64_t *counts, int bins)
{
    const Binning binning(dtype, lo, hi, bins);
    if (!binning.valid)
        return;
    forEach(dtype, static_cast<const std::uint8_t *>(data), n, [&](double v) {
        const int b = binning.index(v);
        if (b >= 0)
            counts[b] += 1;
    });
}

void toDouble(DType dtype, const void *data, std::size_t n, double *out)
{
    std::size_t i = 0;
    forEach(dtype, static_cast<const std::uint8_t *>(data), n, [&](double v) { out[i++] = v; });
    for (; i < n; ++i)
        out[i] = std::numeric_limits<double>::quiet_NaN();
}

} // namespace wl::kernels
