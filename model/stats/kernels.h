#pragma once

#include "tensorstats.h"

#include <limits>
#include <string>
#include <vector>

namespace wl::kernels
{

// The SIMD kernels prefetch this far ahead of what they read, one cache line per line read.
constexpr std::size_t kPrefetchDistance = std::size_t(64) << 10;

// Where a histogram of `bins` equal-width bins over [lo, hi] counts a value. Whether a value
// lies in [lo, hi] is decided exactly, and v == hi counts in the last bin. float32, bfloat16
// and float16 elements are binned in float arithmetic, by the SIMD kernels and the scalar
// reference alike: bin ⌊(v − lo′)·s′⌋, with lo′ the smallest float >= lo and
// s′ = float(bins / (hi − lo)). A value within a float rounding of an edge may so count in the
// bin beside it. Other types, and ranges float cannot express, are binned in double.
struct Binning {
    Binning(DType dtype, double lo, double hi, int bins);

    // Bin of v, -1 when v lies outside [lo, hi] or is NaN; only for a valid binning.
    int index(double v) const
    {
        int b;
        if (inFloat) {
            const float f = float(v);
            if (!(f >= lo32 && f <= hi32))
                return -1;
            b = int((f - lo32) * scale32);
        } else {
            if (!(v >= lo && v <= hi))
                return -1;
            b = int((v - lo) * scale);
        }
        return b < bins ? b : bins - 1;
    }

    double lo, hi, scale;
    int bins;
    bool valid = false; // bins > 0 and a finite range lo < hi
    bool inFloat = false;
    // Smallest float >= lo and largest float <= hi: for a float v, v >= lo exactly when
    // v >= lo32 (and lo32 is −0 rather than +0). lo32 > hi32 when no float lies in [lo, hi].
    float lo32 = 0, hi32 = 0, scale32 = 0;
};

// Adds n elements of `dtype` at `data` to the moments. float32, bfloat16 and float16 run SIMD
// kernels that match the scalar reference (kernels_scalar.cpp) to within double rounding. With
// crc, also extends that CRC-32C over the elements' bytes: the SIMD kernels checksum each block
// right after reducing it, while it is in L1.
void accumulate(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m,
                std::uint32_t *crc = nullptr);

// Counts n elements into bins over [lo, hi]; v == hi goes into the last bin. Values outside,
// non-finite values, and everything when the range is not finite, are not counted.
void histogram(DType dtype, const void *data, std::size_t n, double lo, double hi,
               std::uint64_t *counts, int bins);

// accumulate() and histogram() in one pass, for when the range is known beforehand; the moments
// are bit for bit those of accumulate() over the same elements.
void accumulateWithHistogram(DType dtype, const void *data, std::size_t n,
                             StatsAccumulator::Moments &m, double lo, double hi,
                             std::uint64_t *counts, int bins);

// The smallest and largest finite value of some elements; min > max while none was seen.
struct Range {
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
};

// Extends r over n elements (a histogram's range, in a pass that is much cheaper than
// accumulate()'s); with crc, also extends that CRC-32C over their bytes.
void finiteRange(DType dtype, const void *data, std::size_t n, Range &r,
                 std::uint32_t *crc = nullptr);

// Converts n elements to double (for tables, heatmaps and tests).
void toDouble(DType dtype, const void *data, std::size_t n, double *out);

// Scalar reference implementations.
void accumulateScalar(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m);
void histogramScalar(DType dtype, const void *data, std::size_t n, double lo, double hi,
                     std::uint64_t *counts, int bins);

double halfToDouble(std::uint16_t h);
double bfloat16ToDouble(std::uint16_t h);

// SIMD instruction sets compiled in and usable on this CPU, best first; useSimdTarget()
// restricts dispatch to one of them (empty name: the best again), for tests and benchmarks.
std::vector<std::string> simdTargets();
bool useSimdTarget(const std::string &name);
std::string activeSimdTarget();

} // namespace wl::kernels
