#pragma once

#include "core/dtype.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace wl
{

// Sums over element pairs (a, b) of two tensors, mergeable across pieces. Pairs where either
// value is NaN or infinite are left out of the sums and the maximum, as statistics leave them
// out; they still count as changed unless both are equal (or both NaN).
struct DiffSums {
    std::int64_t count = 0;   // pairs seen
    std::int64_t finite = 0;  // pairs summed
    std::int64_t changed = 0; // pairs whose values differ
    double maxAbs = 0;
    double sumAbs = 0; // Σ|a−b|
    double sumSq = 0;  // Σ(a−b)²
    double sumA2 = 0;
    double sumB2 = 0;
    double sumAB = 0;
    bool identical = true; // every byte equal

    void merge(const DiffSums &o);

    double meanAbs() const { return finite ? sumAbs / double(finite) : 0; }
    // ||A−B|| / ||A||; none when A is all zeros and B is not.
    std::optional<double> relL2() const;
    // A·B / (||A|| ||B||); none when either is all zeros.
    std::optional<double> cosine() const;
    double changedFraction() const { return count ? double(changed) / double(count) : 0; }
};

namespace kernels
{
// Adds n element pairs of `dtype` (little-endian, numeric) to s.
void diff(DType dtype, const void *a, const void *b, std::size_t n, DiffSums &s);
// The same in plain double arithmetic, element by element: the reference the tests hold the
// fast path to.
void diffScalar(DType dtype, const void *a, const void *b, std::size_t n, DiffSums &s);
} // namespace kernels

} // namespace wl
