#pragma once

#include "tensorstats.h"

#include <cstddef>
#include <cstdint>

// Highway kernels behind kernels.h; only kernels.cpp and the tests' target switch use this.
namespace wl::kernels::simd
{

enum class Kind { Float32 = 0, BFloat16 = 1, Float16 = 2 };

// False for element types without a SIMD kernel.
bool kindOf(DType dtype, Kind &kind);

struct HistParams {
    double lo = 0;
    double hi = 0;
    std::uint64_t *counts = nullptr;
    int bins = 0;
};

// Each call allocates its own sub-histograms; beyond this many bins the scalar histogram is
// used.
constexpr int kMaxBins = 1 << 16;

// Moments (when m is set) and/or a histogram (when h is set, with a finite range and
// 0 < bins <= kMaxBins) in one pass over n elements.
void run(Kind kind, const void *data, std::size_t n, StatsAccumulator::Moments *m,
         const HistParams *h);

// Name of the instruction set the dispatcher currently picks.
const char *targetName();

} // namespace wl::kernels::simd
