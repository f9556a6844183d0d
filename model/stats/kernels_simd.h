#pragma once

#include "kernels.h"
#include "tensorstats.h"

#include <cstddef>
#include <cstdint>

// Highway kernels behind kernels.h; only kernels.cpp and the tests' target switch use this.
namespace wl::kernels::simd
{

enum class Kind { Float32 = 0, BFloat16 = 1, Float16 = 2 };

// False for element types without a SIMD kernel.
bool kindOf(DType dtype, Kind &kind);

// Each call allocates its own sub-histograms; beyond this many bins the scalar histogram is
// used.
constexpr int kMaxBins = 1 << 16;

struct HistParams {
    Binning binning;
    std::uint64_t *counts = nullptr;

    // Whether the SIMD kernels take this histogram; otherwise histogramScalar() does.
    bool simd() const { return binning.valid && binning.inFloat && binning.bins <= kMaxBins; }
};

// Moments (when m is set) and/or a histogram (when h is set and h->simd()) in one pass over
// n elements; with crc, extends that CRC-32C over their bytes as they are read.
void run(Kind kind, const void *data, std::size_t n, StatsAccumulator::Moments *m,
         const HistParams *h, std::uint32_t *crc = nullptr);

// Smallest and largest finite value seen; with crc, extends that CRC-32C over the bytes.
void range(Kind kind, const void *data, std::size_t n, Range &r, std::uint32_t *crc = nullptr);

// Name of the instruction set the dispatcher currently picks.
const char *targetName();

} // namespace wl::kernels::simd
