#include "kernels.h"

namespace wl::kernels {

void accumulate(DType dtype, const void *data, std::size_t n, StatsAccumulator::Moments &m)
{
    accumulateScalar(dtype, data, n, m);
}

void histogram(DType dtype, const void *data, std::size_t n, double lo, double hi,
               std::uint64_t *counts, int bins)
{
    histogramScalar(dtype, data, n, lo, hi, counts, bins);
}

} // namespace wl::kernels
