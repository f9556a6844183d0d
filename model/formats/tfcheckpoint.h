#pragma once

// An opened TensorFlow checkpoint: tensor bytes of V2 bundles (plain, DT_STRING, partitioned)
// and of legacy V1 files (TensorProto values).

#include "checkpoint.h"
#include "tfbundle.h"

#include <memory>
#include <vector>

namespace wl
{

namespace tf
{
class TensorProto;
}

// One stored piece of a partitioned tensor (or the single piece of a V1 tensor slice).
struct TfSlicePart {
    std::vector<std::int64_t> start;
    std::vector<std::int64_t> length; // -1 = the whole dimension
    TensorLocation location;          // V2: where the slice's bytes are
    QByteArray v1Key;                 // V1: the table key of the SavedTensorSlices entry
};

class TfCheckpoint : public Checkpoint
{
public:
    // parts[i] lists the stored slices of tensor i (empty for plain tensors). v1Table is set
    // for legacy V1 files, whose values live in the table itself.
    TfCheckpoint(CheckpointIndex index, std::vector<std::vector<TfSlicePart>> parts,
                 std::shared_ptr<const tfbundle::SsTable> v1Table = {});

    Result<ChecksumState> streamTensor(int i, const ChunkSink &sink,
                                       const StreamOptions &options = {}) const override;

private:
    Result<ChecksumState> streamAssembled(int i, const ChunkSink &sink,
                                          const StreamOptions &options) const;

    std::vector<std::vector<TfSlicePart>> m_parts;
    std::shared_ptr<const tfbundle::SsTable> m_v1Table;
};

// elements * item, or -1 when negative or too large for int64.
std::int64_t tfByteSize(std::int64_t elements, int item);

// Little-endian element bytes of a TensorProto holding `elements` values of `dtype`, with a
// single value broadcast (formats-tensorflow.md 6.4).
Result<QByteArray> decodeTensorProtoValues(const tf::TensorProto &proto, DType dtype,
                                           std::int64_t elements, const QString &file,
                                           const QString &where);

} // namespace wl
