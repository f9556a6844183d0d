#include "checkpointmarks.h"

#include "formats/checkpoint.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <limits>

namespace wl::events
{
namespace
{

QString fileNameOf(const CheckpointIndex &index)
{
    return QFileInfo(index.path).fileName();
}

QString folderOf(const CheckpointIndex &index)
{
    return QDir::cleanPath(QFileInfo(index.path).absolutePath());
}

std::optional<std::int64_t> metadataInt(const CheckpointIndex &index, QLatin1String key)
{
    for (const auto &[k, v] : index.metadata)
        if (k == key) {
            bool ok = false;
            const qlonglong n = v.toLongLong(&ok);
            if (ok)
                return n;
        }
    return std::nullopt;
}

std::optional<std::int64_t> captured(const QRegularExpression &re, const QString &text)
{
    const auto m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    bool ok = false;
    const qlonglong n = m.captured(1).toLongLong(&ok);
    return ok ? std::optional<std::int64_t>(n) : std::nullopt;
}

// A name's digit runs and what lies between them ("weights.03-0.45.h5": 03, 0, 45 between
// "weights.", "-", ".", ".h5").
struct NameParts {
    QStringList between;
    QList<std::int64_t> numbers;
};

NameParts partsOf(const QString &name)
{
    static const QRegularExpression digits(QStringLiteral("\\d{1,18}"));
    NameParts out;
    qsizetype at = 0;
    for (auto it = digits.globalMatch(name); it.hasNext();) {
        const auto m = it.next();
        out.between << name.mid(at, m.capturedStart() - at);
        out.numbers << m.captured().toLongLong();
        at = m.capturedEnd();
    }
    out.between << name.mid(at);
    return out;
}

// Keras ModelCheckpoint fills `{epoch}` with the epoch counted from 1: the first number that
// differs between checkpoints of one folder named alike.
std::optional<std::int64_t> seriesNumber(const CheckpointIndex &index,
                                         const QList<std::shared_ptr<const Checkpoint>> &series)
{
    const NameParts own = partsOf(fileNameOf(index));
    if (own.numbers.isEmpty())
        return std::nullopt;
    const QString folder = folderOf(index);
    QList<NameParts> alike;
    for (const auto &cp : series) {
        if (!cp || &cp->index() == &index || folderOf(cp->index()) != folder)
            continue;
        const NameParts other = partsOf(fileNameOf(cp->index()));
        if (other.between == own.between)
            alike << other;
    }
    for (qsizetype i = 0; i < own.numbers.size(); ++i)
        if (std::any_of(alike.begin(), alike.end(),
                        [&](const NameParts &o) { return o.numbers[i] != own.numbers[i]; }))
            return own.numbers[i];
    return std::nullopt;
}

// The checkpoint's own training step (not a save counter): stored, or Lightning's `step=S` in
// its name.
std::optional<std::int64_t> storedStep(const CheckpointIndex &index)
{
    static const QRegularExpression stepIs(QStringLiteral("(?:^|[^a-z])step=(\\d{1,18})"),
                                           QRegularExpression::CaseInsensitiveOption);
    for (const auto key : {QLatin1String("global_step"), QLatin1String("step")})
        if (auto s = metadataInt(index, key))
            return s;
    return captured(stepIs, fileNameOf(index));
}

// Lowest and highest step of a run's scalar points.
std::optional<std::pair<std::int64_t, std::int64_t>> stepRange(const LogRun &run)
{
    std::int64_t lo = std::numeric_limits<std::int64_t>::max();
    std::int64_t hi = std::numeric_limits<std::int64_t>::min();
    for (const auto &s : run.series.all())
        for (const auto &p : s.scalars) {
            lo = std::min(lo, p.step);
            hi = std::max(hi, p.step);
        }
    if (lo > hi)
        return std::nullopt;
    return std::make_pair(lo, hi);
}

// Logs may count epochs where checkpoints count saves (Keras), so where both have times a
// checkpoint stands at the step logged nearest its save time, if that lies within the logs.
std::optional<double> stepLoggedAt(const Series &s, double savedAt)
{
    constexpr double kSlack = 60; // seconds a save may follow the last record or precede the first
    if (s.scalars.empty() || !(savedAt >= s.scalars.front().wallTime - kSlack) ||
        !(savedAt <= s.scalars.back().wallTime + kSlack))
        return std::nullopt;
    double best = NAN, bestGap = INFINITY;
    for (const auto &p : s.scalars)
        if (const double gap = std::abs(p.wallTime - savedAt); gap < bestGap) {
            bestGap = gap;
            best = double(p.step);
        }
    return std::isfinite(best) ? std::optional<double>(best) : std::nullopt;
}

QStringList partsOfPath(const QString &path)
{
    return QDir::cleanPath(QDir(path).absolutePath()).split(QLatin1Char('/'), Qt::SkipEmptyParts);
}

int sharedDepth(const QStringList &a, const QStringList &b)
{
    int n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n])
        ++n;
    return n;
}

} // namespace

std::optional<std::int64_t> checkpointEpoch(const CheckpointIndex &index,
                                            const QList<std::shared_ptr<const Checkpoint>> &series)
{
    static const QRegularExpression lightning(QStringLiteral("(?:^|[^a-z])epoch=(\\d{1,18})"),
                                              QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression keras(QStringLiteral("epoch[-_.]?(\\d{1,18})"),
                                          QRegularExpression::CaseInsensitiveOption);
    const QString name = fileNameOf(index);
    if (auto e = captured(lightning, name))
        return e;
    if (auto e = metadataInt(index, QLatin1String("epoch")))
        return e;
    if (auto e = captured(keras, name); e && *e >= 1)
        return *e - 1;
    // A counter stored in the checkpoint numbers its name (CheckpointManager's ckpt-N).
    for (const auto key :
         {QLatin1String("global_step"), QLatin1String("step"), QLatin1String("save_counter")})
        if (metadataInt(index, key))
            return std::nullopt;
    if (auto n = seriesNumber(index, series); n && *n >= 1)
        return *n - 1;
    return std::nullopt;
}

std::optional<double> markerStep(const LogRun &run, const QString &tag,
                                 const Checkpoint &checkpoint,
                                 const QList<std::shared_ptr<const Checkpoint>> &series)
{
    const CheckpointIndex &idx = checkpoint.index();
    if (run.csvFile.isEmpty()) {
        const Series *s = run.series.find(tag);
        if (s && idx.savedAt)
            if (auto at = stepLoggedAt(*s, *idx.savedAt))
                return at;
        // Keras' TensorBoard callback logs its epoch_ tags at the epoch.
        if (tag.startsWith(QLatin1String("epoch_")))
            if (auto e = checkpointEpoch(idx, series))
                return double(*e);
        // Other tags at the training step: one the checkpoint stores, its optimizer's
        // iterations, or a TF1 Saver's `-N` suffix; never a TF2 save counter.
        if (auto s = storedStep(idx))
            return double(*s);
        if (auto s = metadataInt(idx, QLatin1String("optimizer_iterations")))
            return double(*s);
        if (idx.step && !metadataInt(idx, QLatin1String("save_counter")))
            return double(*idx.step);
        return std::nullopt;
    }
    // A CSV log has no times: only an epoch or a step the checkpoint itself names links them.
    const auto range = stepRange(run);
    if (!range)
        return std::nullopt;
    const auto within = [&](std::int64_t x, std::int64_t beyond) {
        return x >= range->first && x <= range->second + beyond;
    };
    if (run.xColumn == QLatin1String("epoch")) {
        if (auto e = checkpointEpoch(idx, series); e && within(*e, 0))
            return double(*e);
        return std::nullopt;
    }
    if (run.xColumn != QLatin1String("step"))
        return std::nullopt;
    // Lightning saves after the last optimizer step it logged: one past that step is its own.
    if (auto s = storedStep(idx); s && within(*s, 1))
        return double(*s);
    const auto e = checkpointEpoch(idx, series);
    const Series *epochs = run.series.find(QStringLiteral("epoch"));
    if (!e || !epochs)
        return std::nullopt;
    std::optional<double> last;
    for (const auto &p : epochs->scalars)
        if (p.value == double(*e) && (!last || double(p.step) > *last))
            last = double(p.step);
    return last;
}

bool belongsTo(const Checkpoint &checkpoint, const RunLogs &logs, int run)
{
    if (run < 0 || std::size_t(run) >= logs.runs.size())
        return false;
    const QStringList root = partsOfPath(logs.root);
    const QStringList folder = partsOfPath(folderOf(checkpoint.index()));
    if (sharedDepth(root, folder) < root.size())
        return false;
    int deepest = 0;
    for (const auto &r : logs.runs)
        deepest = std::max(deepest, sharedDepth(folder, partsOfPath(r.folder)));
    return sharedDepth(folder, partsOfPath(logs.runs[std::size_t(run)].folder)) == deepest;
}

Markers markersFor(const RunLogs &logs, int run, const QString &tag,
                   const QList<std::shared_ptr<const Checkpoint>> &checkpoints)
{
    Markers out;
    for (const auto &cp : checkpoints) {
        if (!cp || !belongsTo(*cp, logs, run))
            continue;
        if (auto x = markerStep(logs.runs[std::size_t(run)], tag, *cp, checkpoints))
            out.placed.emplace_back(cp, *x);
        else
            out.unplaced << cp;
    }
    return out;
}

} // namespace wl::events
