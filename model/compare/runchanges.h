#pragma once

#include "diffengine.h"

#include <QStringList>
#include <QVector>
#include <memory>

namespace wl
{

// How much each variable of a run moved from one checkpoint to the next: ||A−B|| / ||A|| of
// every consecutive pair, A the earlier checkpoint. Rows are the variables (optimizer slots and
// bookkeeping and integer counters left out) by canonical name, in the order first seen; columns
// the steps from the second checkpoint on.
struct RunChanges {
    QStringList variables;
    QStringList columns;  // the later checkpoint of each pair: its step, else its name
    QVector<double> rel;  // variables × columns, row-major; NaN where not computed
    QStringList problems; // pairs or tensors that could not be compared, named
    int rowOf(const QString &variable) const { return int(variables.indexOf(variable)); }
    double at(int row, int col) const { return rel.value(qsizetype(row) * columns.size() + col); }
};

// Streams each consecutive pair through computeDiff (bounded windows, only the sums kept), one
// pair at a time. Progress covers all pairs; cancellation stops at once and returns an error.
Result<RunChanges> computeRunChanges(const QVector<std::shared_ptr<const Checkpoint>> &run,
                                     const DiffRequest &request = {},
                                     const JobContext &job = JobContext::none());

// A checkpoint's column label: its step when known, else its name.
QString runColumnLabel(const CheckpointIndex &index);

} // namespace wl
