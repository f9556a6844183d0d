#include "permute.h"

#include <cstring>

namespace wl
{
namespace
{

// N is the element size, 0 when only known at run time (`item`).
template <std::size_t N>
void permuteItems(const std::uint8_t *in, const std::vector<std::int64_t> &outDims,
                  const std::vector<std::int64_t> &inStrides, std::size_t item, std::uint8_t *out)
{
    const std::size_t size = N ? N : item;
    const std::size_t rank = outDims.size();
    std::int64_t total = 1;
    for (const auto d : outDims)
        total *= d;
    if (total == 0)
        return;
    // An odometer over the result's index; `from` follows it through the input.
    std::vector<std::int64_t> index(rank, 0);
    std::int64_t from = 0;
    const std::int64_t inner = outDims[rank - 1], innerStride = inStrides[rank - 1];
    for (std::int64_t done = 0; done < total; done += inner) {
        for (std::int64_t k = 0; k < inner; ++k, out += size)
            std::memcpy(out, in + std::size_t(from + k * innerStride) * size, size);
        for (std::size_t j = rank - 1; j-- > 0;) {
            from += inStrides[j];
            if (++index[j] < outDims[j])
                break;
            from -= inStrides[j] * outDims[j];
            index[j] = 0;
        }
    }
}

} // namespace

void permuteAxes(const void *in, const std::vector<std::int64_t> &dims,
                 const std::vector<int> &axes, std::size_t item, void *out)
{
    const std::size_t rank = dims.size();
    std::vector<std::int64_t> stride(rank, 1);
    for (std::size_t i = rank; i-- > 1;)
        stride[i - 1] = stride[i] * dims[i];
    std::vector<std::int64_t> outDims(rank), inStrides(rank);
    for (std::size_t j = 0; j < rank; ++j) {
        outDims[j] = dims[std::size_t(axes[j])];
        inStrides[j] = stride[std::size_t(axes[j])];
    }
    const auto *src = static_cast<const std::uint8_t *>(in);
    auto *dst = static_cast<std::uint8_t *>(out);
    if (rank == 0) {
        std::memcpy(dst, src, item);
        return;
    }
    switch (item) {
    case 1:
        return permuteItems<1>(src, outDims, inStrides, item, dst);
    case 2:
        return permuteItems<2>(src, outDims, inStrides, item, dst);
    case 4:
        return permuteItems<4>(src, outDims, inStrides, item, dst);
    case 8:
        return permuteItems<8>(src, outDims, inStrides, item, dst);
    default:
        return permuteItems<0>(src, outDims, inStrides, item, dst);
    }
}

} // namespace wl
