#pragma once

#include "checkpoint.h"

#include <QHash>
#include <memory>
#include <vector>

namespace wl
{

class InflatedMember;

// A tensor whose elements are not one C-order run: a strided view of a storage (a transposed
// PyTorch tensor, a Fortran-order npy array), or bytes inflated from a deflated zip member.
struct StridedView {
    std::int64_t start = 0;  // byte offset of storage element 0 in the file or the member
    std::int64_t offset = 0; // in elements
    std::vector<std::int64_t> size, stride;
    std::shared_ptr<const InflatedMember> member; // else the tensor's location.file is mapped
};

// C-order strides for a shape, and the Fortran-order ones.
std::vector<std::int64_t> cOrderStrides(const std::vector<std::int64_t> &size);
std::vector<std::int64_t> fortranOrderStrides(const std::vector<std::int64_t> &size);

// Streams such tensors as their logical elements in C order, little-endian; the others as
// raw locations. Bounds are the reader's to check at open.
class StridedCheckpoint : public Checkpoint
{
public:
    StridedCheckpoint(CheckpointIndex index, QHash<int, StridedView> views);

    Result<ChecksumState> streamTensor(int i, const ChunkSink &sink,
                                       const StreamOptions &options = {}) const override;

private:
    QHash<int, StridedView> m_views;
};

} // namespace wl
