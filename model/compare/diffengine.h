#pragma once

#include "diffkernel.h"
#include "formats/checkpoint.h"
#include "namematch.h"

#include <QString>
#include <QVector>

namespace wl
{

struct DiffRequest {
    int threads = 0;                                // 0 = one per core
    std::size_t splitBytes = std::size_t(32) << 20; // larger tensors are split across threads
    std::size_t window = std::size_t(16) << 20;     // bytes mapped at once per file and thread
    // Tensors whose bytes a reader decodes (compressed HDF5, big-endian data) are read whole,
    // up to this size each.
    std::int64_t maxDecodedBytes = std::int64_t(1) << 30;
    // Check the bytes read against the CRC-32C a TF bundle stores for each tensor.
    bool verifyChecksum = true;
};

struct TensorDiff {
    TensorMatch match;
    bool computed = false; // sums hold the element metrics (numeric, same shape and dtype)
    DiffSums sums;         // for non-numeric pairs only `identical` is set
    QString error;         // reading failed or was cancelled; sums are absent
    // Each side's stored CRC-32C against the bytes compared (None: the format stores none).
    ChecksumState checksumA = ChecksumState::None;
    ChecksumState checksumB = ChecksumState::None;
};

// Element metrics of each matched pair, both tensors streamed through bounded memory-mapped
// windows in lockstep, in parallel across tensors and within large ones. Pairs that do not
// match in shape or dtype are returned uncomputed. Cancellation leaves unfinished pairs with
// error "cancelled". Neither checkpoint is written.
QVector<TensorDiff> computeDiff(const Checkpoint &a, const Checkpoint &b,
                                const QVector<TensorMatch> &pairs, const DiffRequest &request = {},
                                const JobContext &job = JobContext::none());

// Metrics of a group of tensors: a layer (A's readable name without its last segment; optimizer
// slots and scalars form one group, bookkeeping another) or all.
struct GroupDiff {
    QString name;
    int tensors = 0;
    DiffSums sums;
};
QVector<GroupDiff> diffByLayer(const CheckpointIndex &a, const QVector<TensorDiff> &diffs);
GroupDiff diffTotal(const QVector<TensorDiff> &diffs);

} // namespace wl
