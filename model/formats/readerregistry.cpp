#include "readerregistry.h"

#include "core/naturalorder.h"
#include "events/runlogs.h"
#include "io/hdf5file.h"

#include <QDir>
#include <QFileInfo>
#include <QSet>
#include <algorithm>

namespace wl
{
namespace
{

constexpr int kMaxScanDepth = 3;
constexpr int kClaimScore = 50; // what a file inside a scanned folder needs to be opened
// Logs sit deeper than checkpoints: Keras' TensorBoard callback writes logs/fit/<time>/train.
constexpr int kMaxLogDepth = 5;

// The training logs of a run folder, their files marked as accounted for. A folder without logs
// is no finding: most hold checkpoints only.
std::shared_ptr<const events::RunLogs> findLogs(const QString &dir, QSet<QString> &consumed)
{
    auto logs = events::loadLogs(dir, kMaxLogDepth);
    if (!logs.ok())
        return {};
    for (const auto &run : logs->runs) {
        if (!run.csvFile.isEmpty())
            consumed.insert(run.csvFile);
        for (const auto &f : run.eventFiles)
            consumed.insert(f.path);
    }
    return std::make_shared<const events::RunLogs>(std::move(logs).value());
}

} // namespace

void ReaderRegistry::add(std::unique_ptr<Reader> reader)
{
    m_readers.push_back(std::move(reader));
}

QStringList ReaderRegistry::filePatterns() const
{
    QStringList patterns;
    for (const auto &r : m_readers)
        patterns << r->filePatterns();
    patterns.removeDuplicates();
    return patterns;
}

const Reader *ReaderRegistry::find(const QString &id) const
{
    for (const auto &r : m_readers)
        if (r->id() == id)
            return r.get();
    return nullptr;
}

// Readers flagged Isolated parse their files in a sandboxed reader process.
Result<OpenResult> ReaderRegistry::openWith(const Reader &reader, const Source &source,
                                            const JobContext &job)
{
    const h5::IsolatedScope where(reader.capabilities().testFlag(Reader::Isolated));
    return reader.open(source, job);
}

std::vector<ReaderRegistry::Candidate> ReaderRegistry::candidates(const Source &source) const
{
    std::vector<Candidate> out;
    for (const auto &r : m_readers) {
        const h5::IsolatedScope where(r->capabilities().testFlag(Reader::Isolated));
        auto p = r->probe(source);
        if (p.score > 0)
            out.push_back({r.get(), p});
    }
    std::stable_sort(out.begin(), out.end(), [](const Candidate &a, const Candidate &b) {
        return a.probe.score > b.probe.score;
    });
    return out;
}

Result<OpenResult> ReaderRegistry::open(const QString &path, const JobContext &job) const
{
    const Source s = Source::fromPath(path);
    if (s.kind() == Source::Kind::Missing)
        return makeError(LoadError::Code::NotFound, s.path(), {},
                         QStringLiteral("a file, folder or checkpoint prefix"),
                         QStringLiteral("nothing at this path"));
    return openSource(s, job);
}

Result<OpenResult> ReaderRegistry::openSource(const Source &source, const JobContext &job) const
{
    const auto cands = candidates(source);
    QStringList failures;
    std::optional<LoadError> best;
    for (const auto &c : cands) {
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, source.path(), {}, {});
        auto r = openWith(*c.reader, source, job);
        if (r.ok()) {
            auto res = std::move(r).value();
            if (res.readerId.isEmpty())
                res.readerId = c.reader->id();
            if (res.path.isEmpty())
                res.path = source.path();
            if (source.kind() == Source::Kind::Directory) {
                // The rest of a run folder: other model files and sub-runs.
                QSet<QString> consumed(res.consumedFiles.begin(), res.consumedFiles.end());
                for (const auto &cp : res.checkpoints)
                    consumed.insert(cp->index().path);
                if (!res.logs)
                    res.logs = findLogs(source.path(), consumed);
                OpenResult rest;
                rest.problems = res.problems; // files named here are not listed as "not read"
                scanInto(source, job, 0, rest, consumed);
                for (auto &cp : rest.checkpoints)
                    res.checkpoints.push_back(cp);
                res.problems = rest.problems;
                res.consumedFiles = QStringList(consumed.begin(), consumed.end());
                if (res.checkpoints.size() > 1 && res.kind == QLatin1String("checkpoint"))
                    res.kind = QStringLiteral("run");
            }
            return res;
        }
        if (!best)
            best = r.error();
        failures << c.reader->displayName() + QLatin1String(": ") + r.error().message();
    }
    if (source.kind() == Source::Kind::Directory) {
        auto scanned = scanDirectory(source, job, 0);
        if (scanned.ok() || !best) {
            if (scanned.ok() && best)
                scanned->problems.prepend(problemFrom(*best, source.path()));
            return scanned;
        }
    }
    if (best) {
        if (failures.size() > 1)
            best->detail =
                QStringLiteral("every reader failed: ") + failures.join(QLatin1String("; "));
        return *best;
    }
    const QString what = describeUnknown(source);
    QString found = what;
    if (found.isEmpty()) {
        const QByteArray head = source.head(16);
        found = head.isEmpty()
                    ? QStringLiteral("an empty file")
                    : QStringLiteral("first bytes %1").arg(QString::fromLatin1(head.toHex(' ')));
    }
    return makeError(source.size() == 0 && source.kind() == Source::Kind::File
                         ? LoadError::Code::Empty
                         : LoadError::Code::UnknownFormat,
                     source.path(), {}, QStringLiteral("a checkpoint or weight file"), found);
}

Result<OpenResult> ReaderRegistry::scanDirectory(const Source &source, const JobContext &job,
                                                 int depth) const
{
    OpenResult res;
    res.path = source.path();
    res.kind = QStringLiteral("run");
    QSet<QString> consumed;
    res.logs = findLogs(source.path(), consumed);
    scanInto(source, job, depth, res, consumed);
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, source.path(), {}, {});
    res.consumedFiles = QStringList(consumed.begin(), consumed.end());
    if (res.checkpoints.empty() && !res.logs) {
        LoadError e =
            makeError(LoadError::Code::UnknownFormat, source.path(), {},
                      QStringLiteral("a checkpoint, SavedModel or weight file in this folder"),
                      QStringLiteral("none"));
        if (!res.problems.isEmpty())
            e.detail = res.problems.first().toString();
        return e;
    }
    return res;
}

void ReaderRegistry::scanInto(const Source &source, const JobContext &job, int depth,
                              OpenResult &res, QSet<QString> &consumed) const
{
    QStringList files, dirs;
    for (const auto &e : source.entries()) {
        const QString full = source.path() + QLatin1Char('/') + e;
        (QFileInfo(full).isDir() ? dirs : files) << full;
    }
    // The order every view shows: sub-runs and files as people number them.
    std::stable_sort(dirs.begin(), dirs.end(), naturalLess);
    std::stable_sort(files.begin(), files.end(), naturalLess);
    // A sharded checkpoint's index opens its shards, so it goes before them.
    std::stable_partition(files.begin(), files.end(), [](const QString &f) {
        return f.endsWith(QLatin1String(".index.json"));
    });
    auto absorb = [&](OpenResult &&sub) {
        for (auto &cp : sub.checkpoints) {
            if (consumed.contains(cp->index().path))
                continue; // already opened through the folder's own reader
            consumed.insert(cp->index().path);
            res.checkpoints.push_back(cp);
        }
        for (const auto &f : sub.consumedFiles)
            consumed.insert(f);
        res.problems << sub.problems;
    };
    // Folders that a reader claims as a whole go first, so their files are not opened twice.
    for (const auto &d : dirs) {
        if (job.cancelled())
            return;
        if (consumed.contains(d))
            continue;
        const Source sub = Source::fromPath(d);
        const auto cands = candidates(sub);
        if (!cands.empty()) {
            auto r = openWith(*cands.front().reader, sub, job);
            if (r.ok()) {
                absorb(std::move(r).value());
                // The rest of a claimed run folder, as when it is opened on its own: a Keras
                // file beside the checkpoints, sub-runs.
                if (depth + 1 < kMaxScanDepth)
                    scanInto(sub, job, depth + 1, res, consumed);
                continue;
            }
            res.problems << problemFrom(r.error(), d);
        }
        if (depth + 1 < kMaxScanDepth)
            scanInto(sub, job, depth + 1, res, consumed);
    }
    for (const auto &f : files) {
        if (consumed.contains(f))
            continue;
        if (job.cancelled())
            return;
        const Source sub = Source::fromPath(f);
        const auto cands = candidates(sub);
        if (cands.empty() || cands.front().probe.score < kClaimScore) {
            const auto &probe = cands.empty() ? ProbeResult{} : cands.front().probe;
            notRead(sub,
                    probe.subtype.isEmpty() && !cands.empty() ? cands.front().reader->displayName()
                                                              : probe.subtype,
                    res.problems);
            continue;
        }
        auto r = openWith(*cands.front().reader, sub, job);
        if (r.ok())
            absorb(std::move(r).value());
        else
            res.problems << problemFrom(r.error(), f);
    }
}

void ReaderRegistry::notRead(const Source &file, const QString &recognisedAs, Problems &problems)
{
    // Hidden files are the system's (.DS_Store); a file already named by a problem is not
    // listed twice.
    if (file.fileName().startsWith(QLatin1Char('.')))
        return;
    for (const auto &p : std::as_const(problems))
        if (p.file == file.path())
            return;
    QString what = describeUnknown(file);
    if (what.isEmpty())
        what = recognisedAs.isEmpty()
                   ? QStringLiteral("no reader knows this file")
                   : QStringLiteral("recognised only as %1; open the file on its own to read it")
                         .arg(recognisedAs);
    problems << Problem{
        Problem::Severity::Info, file.path(), {}, QStringLiteral("not read: %1").arg(what)};
}

QString ReaderRegistry::describeUnknown(const Source &source)
{
    const QString name = source.fileName();
    if (source.kind() == Source::Kind::Directory)
        return QStringLiteral("a folder with no checkpoint in it");
    if (name.contains(QLatin1String("tfevents")))
        return QStringLiteral("a TensorBoard event file (training log, no weights)");
    if (name == QLatin1String("checkpoint"))
        return QStringLiteral("a TensorFlow checkpoint state file (open its folder instead)");
    if (name.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive))
        return QStringLiteral("a CSV file (training log, no weights)");
    if (name.endsWith(QLatin1String(".pbtxt")))
        return QStringLiteral("a text-format protobuf (graph definition, no weights)");
    if (name.endsWith(QLatin1String(".json")))
        return QStringLiteral("a JSON file (configuration, no weights)");
    const QByteArray head = source.head(8);
    if (head.startsWith("PK\x03\x04"))
        return QStringLiteral("a zip archive with no model files WeightLens knows");
    return {};
}

const ReaderRegistry &ReaderRegistry::builtin()
{
    static const ReaderRegistry registry = [] {
        ReaderRegistry r;
        registerBuiltinReaders(r);
        return r;
    }();
    return registry;
}

} // namespace wl
