#pragma once

#include "formats/checkpoint.h"
#include "stats/tensorstats.h"

#include <QVector>

namespace wl
{

// What the compare view draws for one pair of tensors.
struct PairDetail {
    Histogram histA; // A and B on the same bins, over the range of both
    Histogram histB;
    Histogram histDiff; // A − B over its own range
    std::int64_t nonFiniteA = 0;
    std::int64_t nonFiniteB = 0;
    // A − B of a 2-D tensor, rows × cols in row-major order; empty for other ranks.
    QVector<double> diff2d;
    int rows = 0;
    int cols = 0;
};

// Reads both tensors whole (refused above maxElements each) and bins them. Both must have the
// same shape, or B A's shape in another layout (layoutAxes), and a numeric dtype.
Result<PairDetail> computePairDetail(const Checkpoint &a, int ta, const Checkpoint &b, int tb,
                                     int bins, std::int64_t maxElements,
                                     const JobContext &job = JobContext::none());

} // namespace wl
