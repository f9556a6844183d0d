#pragma once

#include "formats/checkpoint.h"
#include "tensorstats.h"

#include <QByteArray>
#include <QVector>
#include <functional>

namespace wl
{

struct StatsRequest {
    int bins = 0;      // histogram bins; 0 = no histogram
    bool hash = false; // sha256 of the little-endian C-order bytes
    bool verifyChecksum = true;
    int threads = 0;                                // 0 = one per core
    std::size_t splitBytes = std::size_t(32) << 20; // larger tensors are split across threads
    std::size_t window = std::size_t(16) << 20;     // bytes mapped at once per thread
};

struct TensorReport {
    int tensor = -1;
    bool reduced = false; // numeric statistics were computed
    TensorStats stats;
    QByteArray sha256; // raw digest, empty unless requested
    ChecksumState checksum = ChecksumState::NotChecked;
    QString error; // reading failed (names the file and the tensor); stats are absent
};

// Indexes of every tensor of a checkpoint, in order.
QVector<int> allTensors(const CheckpointIndex &index);

// Statistics for the given tensors: parallel across tensors and within large ones, streaming
// through bounded windows. onEach is called on the calling thread for each
// tensor once all are done. Cancellation leaves unfinished reports with error "cancelled".
QVector<TensorReport> computeStats(const Checkpoint &checkpoint, const QVector<int> &tensors,
                                   const StatsRequest &request,
                                   const JobContext &job = JobContext::none(),
                                   const std::function<void(const TensorReport &)> &onEach = {});

} // namespace wl
