#include "runchanges.h"

#include <QHash>

#include <limits>

namespace wl
{
namespace
{

// Integer scalars stored as variables (episode counters, global_step) change by construction
// and would only crowd out the layers.
bool isWeight(const TensorInfo &t)
{
    return t.role == TensorRole::Variable && !(t.shape.dims.empty() && !dtypeIsFloat(t.dtype));
}

} // namespace

QString runColumnLabel(const CheckpointIndex &index)
{
    if (index.step)
        return QString::number(*index.step);
    return index.displayName.isEmpty() ? QFileInfo(index.path).fileName() : index.displayName;
}

Result<RunChanges> computeRunChanges(const QVector<std::shared_ptr<const Checkpoint>> &run,
                                     const DiffRequest &request, const JobContext &job)
{
    RunChanges out;
    if (run.size() < 2)
        return makeError(LoadError::Code::BadArgument,
                         run.isEmpty() ? QString() : run.front()->index().path, {},
                         QStringLiteral("two or more checkpoints"), QString::number(run.size()));
    const int cols = int(run.size()) - 1;
    for (int c = 0; c < cols; ++c)
        out.columns << runColumnLabel(run[c + 1]->index());

    // Per pair only the relative change of each row survives, so memory stays at the row count
    // times the pairs whatever the tensor sizes.
    QHash<QString, int> rows;
    QVector<QVector<double>> perPair(cols);
    for (int c = 0; c < cols; ++c) {
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, run[c]->index().path, {}, {});
        const Checkpoint &a = *run[c];
        const Checkpoint &b = *run[c + 1];
        const NameMatching m = matchTensors(a.index(), b.index());
        QVector<TensorMatch> pairs;
        for (const auto &p : m.pairs)
            if (isWeight(a.tensor(p.a)) && p.comparable())
                pairs << p;
        const auto diffs =
            computeDiff(a, b, pairs, request, job.part(double(c) / cols, double(c + 1) / cols));
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, b.index().path, {}, {});
        for (const auto &d : diffs) {
            const QString name = canonicalTensorName(a.tensor(d.match.a).name);
            auto it = rows.find(name);
            if (it == rows.end()) {
                it = rows.insert(name, int(out.variables.size()));
                out.variables << name;
            }
            auto &col = perPair[c];
            if (col.size() <= *it)
                col.resize(*it + 1, std::numeric_limits<double>::quiet_NaN());
            if (!d.error.isEmpty()) {
                out.problems << QStringLiteral("%1 → %2: %3: %4")
                                    .arg(runColumnLabel(a.index()), out.columns[c], name, d.error);
                continue;
            }
            if (d.computed)
                col[*it] = d.sums.relL2().value_or(std::numeric_limits<double>::quiet_NaN());
        }
    }
    const int nrows = int(out.variables.size());
    out.rel.fill(std::numeric_limits<double>::quiet_NaN(), qsizetype(nrows) * cols);
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < perPair[c].size(); ++r)
            out.rel[qsizetype(r) * cols + c] = perPair[c][r];
    return out;
}

} // namespace wl
