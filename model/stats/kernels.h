#pragma once

#include "tensorstats.h"

#include <string>
#include <vector>

namespace wl::kernels
{

// The SIMD kernels prefetch this far ahead of what they read, one cache line per line read.
// Streaming callers hand them pieces of this size, so while one piece is reduced the next
// comes into L2, where the checksum pass over it finds it.
constexpr std::size_t kPrefetchDistance = std::size_t(64) << 10;

// Adds n elements of `dtype` at `data` to the moments. float32, bfloat16 and float16 run SIMD
// kernels that match the scalar reference (kernels_scalar.cpp) to within double rounding.
void accumulate(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m);

// Counts n elements into bins over [lo, hi]; v == hi goes into the last bin. Values outside,
// non-finite values, and everything when the range is not finite, are not counted.
void histogram(DType dtype, const void *data, std::size_t n, double lo, double hi,
               std::uint64_t *counts, int bins);

// accumulate() and histogram() in one pass, for when the range is known beforehand.
void accumulateWithHistogram(DType dtype, const void *data, std::size_t n,
                             StatsAccumulator::Moments &m, double lo, double hi,
                             std::uint64_t *counts, int bins);

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
