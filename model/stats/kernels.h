#pragma once

#include "tensorstats.h"

namespace wl::kernels {

// Adds n elements of `dtype` at `data` to the moments. Implementations may be SIMD; they must
// match the scalar reference (kernels_scalar.cpp) to within double rounding.
void accumulate(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m);

// Counts n elements into bins over [lo, hi].
void histogram(DType dtype, const void *data, std::size_t n, double lo, double hi,
               std::uint64_t *counts, int bins);

// Converts n elements to double (for tables, heatmaps and tests).
void toDouble(DType dtype, const void *data, std::size_t n, double *out);

// Scalar reference implementations.
void accumulateScalar(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m);
void histogramScalar(DType dtype, const void *data, std::size_t n, double lo, double hi,
                     std::uint64_t *counts, int bins);

double halfToDouble(std::uint16_t h);
double bfloat16ToDouble(std::uint16_t h);

} // namespace wl::kernels
