#pragma once

#include "core/result.h"
#include "formats/checkpoint.h"
#include "jobs/jobcontext.h"

#include <QStringList>
#include <QVector>
#include <memory>

namespace wl::analysis
{

// Layer analysis across a run: alpha and spectral norm of every weight matrix (a recurrent
// kernel's gates apart) of each checkpoint. Rows are the matrices by name (with the gate) in the
// order first seen, columns the checkpoints in the run's order.
struct RunAnalysis {
    QStringList matrices;
    QStringList columns;      // each checkpoint's step, else its name
    QVector<double> alpha;    // matrices x columns, row-major; NaN where missing
    QVector<double> spectral; // the same for the spectral norm
    QStringList problems;     // matrices that could not be read, named
    double at(const QVector<double> &v, int row, int col) const
    {
        return v.value(qsizetype(row) * columns.size() + col, qQNaN());
    }
};

// analyzeCheckpoint of each checkpoint in turn, on `threads` threads (0: one per core).
// Progress covers the whole run; cancellation returns a Cancelled error.
Result<RunAnalysis> computeRunAnalysis(const QVector<std::shared_ptr<const Checkpoint>> &run,
                                       int threads = 0, const JobContext &job = JobContext::none());

} // namespace wl::analysis
