#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace wl::events
{

// TensorBoard's scalar smoothing: a debiased exponential moving average over the whole series.
// `weight` is the slider value, clamped to [0, 1] (not finite counts as 0). A constant series is
// returned as is, and a non-finite value passes through without entering the average, both as
// TensorBoard's scalar dashboard does. Smooth the full series; thin only the result for drawing.
std::vector<double> smoothEma(const std::vector<double> &values, double weight);

// Indices of the points to draw so that a line through them looks like the line through all
// points at `buckets` columns: per column of the x range [xMin, xMax], the first, lowest,
// highest and last point, in series order. Points outside the range are dropped except the
// nearest one on each side, so the line still runs to the edges. `x` must be non-decreasing.
// Returns every index when there are no more than 4 * buckets points in range.
std::vector<std::size_t> decimateMinMax(std::span<const double> x, std::span<const double> y,
                                        double xMin, double xMax, int buckets);

} // namespace wl::events
