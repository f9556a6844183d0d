#include "runanalysis.h"

#include "compare/runchanges.h"
#include "spectral.h"
#include "stats/statsengine.h"

#include <QHash>

namespace wl::analysis
{

Result<RunAnalysis> computeRunAnalysis(const QVector<std::shared_ptr<const Checkpoint>> &run,
                                       int threads, const JobContext &job)
{
    RunAnalysis out;
    // Per checkpoint, (row, alpha, spectral norm); the table is laid out once rows are known.
    struct Cell {
        int row;
        double alpha;
        double spectral;
    };
    std::vector<std::vector<Cell>> cells;
    QHash<QString, int> rows;
    for (qsizetype c = 0; c < run.size(); ++c) {
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, {}, {}, {}, {});
        const auto &cp = *run[c];
        out.columns << runColumnLabel(cp.index());
        const auto part = job.part(double(c) / double(run.size()), double(c + 1) / run.size());
        const auto layers = analyzeCheckpoint(cp, allTensors(cp.index()), threads, part);
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, {}, {}, {}, {});
        auto &mine = cells.emplace_back();
        for (const auto &l : layers) {
            const QString name = matrixName(cp.tensor(l.tensor), l);
            if (!l.error.isEmpty()) {
                out.problems << l.error;
                continue;
            }
            auto it = rows.find(name);
            if (it == rows.end()) {
                it = rows.insert(name, int(out.matrices.size()));
                out.matrices << name;
            }
            mine.push_back({*it, l.matrix.fit.alpha, l.matrix.spectralNorm});
        }
    }
    const auto size = qsizetype(out.matrices.size()) * out.columns.size();
    out.alpha.fill(qQNaN(), size);
    out.spectral.fill(qQNaN(), size);
    for (std::size_t c = 0; c < cells.size(); ++c)
        for (const auto &cell : cells[c]) {
            const auto i = qsizetype(cell.row) * out.columns.size() + qsizetype(c);
            out.alpha[i] = cell.alpha;
            out.spectral[i] = cell.spectral;
        }
    job.progress(1.0);
    return out;
}

} // namespace wl::analysis
