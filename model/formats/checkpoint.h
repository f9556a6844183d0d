#pragma once

#include "core/checkpointindex.h"
#include "core/result.h"
#include "io/mappedfile.h"
#include "jobs/jobcontext.h"

#include <QByteArray>
#include <memory>

namespace wl
{

struct StreamOptions {
    std::size_t window = std::size_t(64) << 20; // bytes mapped at once
    bool verifyChecksum = true;
};

// An opened checkpoint: its index plus on-demand access to tensor bytes. Thread-safe for
// concurrent reads of different or the same tensors.
class Checkpoint
{
public:
    explicit Checkpoint(CheckpointIndex index) : m_index(std::move(index)) {}
    virtual ~Checkpoint() = default;

    const CheckpointIndex &index() const { return m_index; }
    const TensorInfo &tensor(int i) const { return m_index.tensors[i]; }

    // Streams tensor i as little-endian C-order elements in pieces of whole elements (for
    // string tensors: the stored bytes). Verifies the stored checksum when there is one and
    // returns its state; a mismatch is a result, not an error.
    virtual Result<ChecksumState> streamTensor(int i, const ChunkSink &sink,
                                               const StreamOptions &options = {}) const;

    // What the state file of its folder says of it; set while the folder is opened, before the
    // checkpoint is shared. The save time also becomes a metadata row.
    void setStateFileFacts(bool latest, std::optional<double> savedAt);

    // Whole tensor in memory; refuses tensors larger than maxBytes.
    // With `checksum`, also how the bytes compare with a stored checksum.
    Result<QByteArray> readTensor(int i, std::int64_t maxBytes = std::int64_t(1) << 31,
                                  ChecksumState *checksum = nullptr) const;

protected:
    CheckpointIndex &mutableIndex() { return m_index; }

private:
    CheckpointIndex m_index;
};

// Streams a Raw-storage location: byte swapping for big-endian data, masked CRC-32C check.
Result<ChecksumState> streamRawLocation(const TensorInfo &t, const ChunkSink &sink,
                                        const StreamOptions &options);

} // namespace wl
