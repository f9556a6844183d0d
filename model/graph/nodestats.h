#pragma once

#include "core/result.h"

#include <QString>
#include <QStringList>
#include <cstdint>
#include <optional>
#include <vector>

namespace wl
{
class Checkpoint;
class JobContext;
struct DiffSums;
struct TensorStats;
} // namespace wl

namespace wl::graph
{

// What the graph's nodes can be coloured by. Each is a statistic of all the node's weights
// together, as if they were one tensor.
enum class NodeStat { None, MeanAbs, L2, RelChange };
QString nodeStatName(NodeStat stat);

// The sums one tensor adds to its node's statistic; NaN and ±Inf are left out, as the statistics
// engine leaves them out.
struct WeightSums {
    bool hasAbs = false;  // sumAbs and finite
    bool hasSq = false;   // sumSq
    bool hasDiff = false; // diffSq and prevSq (a tensor with no partner has both 0)
    double sumAbs = 0;
    double sumSq = 0;
    std::int64_t finite = 0;
    double diffSq = 0; // Σ(w − w_prev)²
    double prevSq = 0; // Σw_prev²
};

// The sums of a tensor that adds nothing to `stat` (unreadable, or without a partner to compare).
WeightSums emptySums(NodeStat stat);
// From a tensor's statistics (the tree's cache): sumSq (l2²) and the finite count.
WeightSums sumsFromStats(const TensorStats &stats);
// From the diff of a tensor with its copy in the previous checkpoint (A = previous).
WeightSums sumsFromDiff(const DiffSums &diff);
// Σ|w|, Σw² and the finite count of tensor i, streamed in bounded windows.
Result<WeightSums> magnitudeSums(const Checkpoint &checkpoint, int tensor, const JobContext &job);

// The statistic over a node's tensors; none until every tensor's sums are there, or when it is
// undefined (no finite values, or a previous norm of zero).
std::optional<double> nodeStatValue(NodeStat stat, const std::vector<const WeightSums *> &parts);

} // namespace wl::graph
