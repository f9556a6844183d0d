#include "stridedcheckpoint.h"

#include "io/zipmember.h"

#include <algorithm>

namespace wl
{

std::vector<std::int64_t> cOrderStrides(const std::vector<std::int64_t> &size)
{
    std::vector<std::int64_t> s(size.size(), 1);
    for (std::size_t d = size.size(); d-- > 1;)
        s[d - 1] = s[d] * std::max<std::int64_t>(size[d], 1);
    return s;
}

std::vector<std::int64_t> fortranOrderStrides(const std::vector<std::int64_t> &size)
{
    std::vector<std::int64_t> s(size.size(), 1);
    for (std::size_t d = 1; d < size.size(); ++d)
        s[d] = s[d - 1] * std::max<std::int64_t>(size[d - 1], 1);
    return s;
}

StridedCheckpoint::StridedCheckpoint(CheckpointIndex index, QHash<int, StridedView> views)
    : Checkpoint(std::move(index)), m_views(std::move(views))
{
}

Result<ChecksumState> StridedCheckpoint::streamTensor(int i, const ChunkSink &sink,
                                                      const StreamOptions &options) const
{
    const auto it = m_views.constFind(i);
    if (it == m_views.constEnd())
        return Checkpoint::streamTensor(i, sink, options);
    const TensorInfo &t = tensor(i);
    const StridedView &v = *it;
    std::shared_ptr<const MappedFile> map;
    const std::uint8_t *data = nullptr;
    if (v.member) {
        data = v.member->data();
    } else {
        auto m = MappedFile::open(t.location.file);
        if (!m.ok())
            return m.error();
        map = *m;
        data = map->data();
    }
    const int item = dtypeSize(t.dtype);
    if (item <= 0)
        return makeError(LoadError::Code::Unsupported, t.location.file, t.key,
                         QStringLiteral("a fixed-size element type"), t.dtypeText());
    const int swapUnit =
        (t.dtype == DType::Complex64 || t.dtype == DType::Complex128) ? item / 2 : item;
    const bool swap = t.location.bigEndian && swapUnit > 1;
    const std::size_t dims = v.size.size();
    const std::int64_t count = t.numElements();
    if (std::find(v.size.begin(), v.size.end(), 0) != v.size.end())
        return ChecksumState::None;
    // A dimension of size 1 may carry any stride; it never moves the index.
    std::vector<std::int64_t> stride = v.stride;
    for (std::size_t d = 0; d < dims; ++d)
        if (v.size[d] <= 1)
            stride[d] = 0;
    std::vector<std::int64_t> at(dims, 0);
    constexpr std::size_t kPiece = std::size_t(1) << 20;
    std::vector<std::uint8_t> buf;
    buf.reserve(kPiece);
    std::int64_t index = v.offset;
    const std::uint8_t *base = data + v.start;
    for (std::int64_t n = 0; n < count; ++n) {
        const std::uint8_t *p = base + index * item;
        const std::size_t was = buf.size();
        buf.insert(buf.end(), p, p + item);
        if (swap)
            for (int k = 0; k + swapUnit <= item; k += swapUnit)
                std::reverse(buf.begin() + std::ptrdiff_t(was) + k,
                             buf.begin() + std::ptrdiff_t(was) + k + swapUnit);
        if (buf.size() + std::size_t(item) > kPiece) {
            if (!sink(buf.data(), buf.size()))
                return ChecksumState::None;
            buf.clear();
        }
        // Odometer over the dimensions, last fastest.
        for (std::size_t d = dims; d-- > 0;) {
            index += stride[d];
            if (++at[d] < v.size[d])
                break;
            index -= stride[d] * v.size[d];
            at[d] = 0;
        }
    }
    if (!buf.empty())
        (void)sink(buf.data(), buf.size());
    return ChecksumState::None;
}

} // namespace wl
