#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wl
{

// Copies a row-major tensor of `dims` into the order of its axes `axes`: axis j of the result
// runs over axis axes[j] of the input, so the result's dims are dims[axes[j]]. `item` is the
// element size in bytes; `in` and `out` hold the product of dims elements and do not overlap.
void permuteAxes(const void *in, const std::vector<std::int64_t> &dims,
                 const std::vector<int> &axes, std::size_t item, void *out);

} // namespace wl
