#pragma once

#include "core/result.h"
#include "formats/checkpoint.h"
#include "jobs/jobcontext.h"

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace wl
{

namespace events
{
struct Series;
}

// The points of TensorBoard's distribution dashboard, in basis points: min, the normal CDF at
// −1.5, −1, −0.5, 0, 0.5, 1 and 1.5 standard deviations, and max.
inline constexpr std::array<int, 9> kBandBasisPoints{0,    668,  1587, 3085, 5000,
                                                     6915, 8413, 9332, 10000};

// One step of a variable or of a histogram tag.
struct OverTimeStep {
    std::int64_t step = 0;
    QString label;              // the checkpoint's name, or "step N" for a log
    double count = 0;           // finite values (a log: the histogram's total)
    std::int64_t nonFinite = 0; // NaN and ±Inf, left out of everything else
    std::array<double, kBandBasisPoints.size()> band{}; // the value at each basis point
    std::vector<double> counts;                         // on the shared bins
    // ||W_t − W_{t−1}|| / ||W_{t−1}|| over the elements finite in both; none for the first
    // step, for logs and when ||W_{t−1}|| is 0.
    std::optional<double> relChange;
};

// A variable across the checkpoints of a run, or a histogram tag across its steps: histograms
// on shared bins (equal width over [lo, hi], the range of every step) and percentile bands.
struct OverTime {
    QString name;  // the variable's stored key, or the tag
    QString label; // the variable's readable name, or the tag
    double lo = 0;
    double hi = 0;
    int bins = 0;
    std::vector<OverTimeStep> steps; // in step order
    // Checkpoint values give exact percentiles (linear between order statistics); a log's are
    // interpolated within its buckets, as TensorBoard does.
    bool exactBand = true;
    QStringList notes; // checkpoints left out and why, checksum mismatches

    double binEdge(int i) const { return bins ? lo + (hi - lo) * double(i) / double(bins) : lo; }
};

// One checkpoint's copy of the variable.
struct OverTimeInput {
    std::shared_ptr<const Checkpoint> checkpoint;
    int tensor = -1;
    std::int64_t step = 0;
};

// The step of a checkpoint: the save counter or global_step its reader found, else the first
// number in its file name ("weights.05-0.32.h5" is 5), else none.
std::optional<std::int64_t> checkpointStep(const CheckpointIndex &index);

// The variable stored under `reference.key` in each checkpoint that holds it with the same dtype
// and shape, in step order (checkpoints without a step keep their place after those with one).
// The checkpoints left out are named in `notes`.
std::vector<OverTimeInput>
variableAcrossCheckpoints(const std::vector<std::shared_ptr<const Checkpoint>> &checkpoints,
                          const TensorInfo &reference, QStringList *notes = nullptr);

struct OverTimeRequest {
    int bins = 60;
    // Per checkpoint, held as doubles: the previous step's copy and this one's are in memory
    // at once, for the change between them and the percentiles.
    std::int64_t maxElements = std::int64_t(1) << 25;
    std::size_t window = std::size_t(16) << 20; // bytes mapped at once
};

// Two passes over the checkpoints, in step order: the first reads each copy whole (with the one
// before it) for the element count, min, max, exact percentiles and the change from the step
// before; the second streams each again into bins over the range of all. All in double. A copy
// that cannot be read is left out with a note; fails when none is left, or when cancelled.
Result<OverTime> computeOverTime(const std::vector<OverTimeInput> &inputs,
                                 const OverTimeRequest &request = {},
                                 const JobContext &job = JobContext::none());

// The same from a histogram tag of the logs: each step's buckets spread over the shared bins in
// proportion to their overlap, percentiles interpolated within the bucket where the cumulative
// count passes them. A step logged more than once shows the point read last. Fails when the
// series holds no histogram, or when cancelled.
Result<OverTime> overTimeFromHistograms(const events::Series &series, int bins = 60,
                                        const JobContext &job = JobContext::none());

} // namespace wl

Q_DECLARE_METATYPE(wl::OverTime)
