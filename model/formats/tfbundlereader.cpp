#include "tfbundlereader.h"

#include "core/naturalorder.h"

#include "tfbundle.h"
#include "tfbundleopen.h"
#include "tfstatefile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <algorithm>

namespace wl
{
namespace
{

using tfopen::isTempName;
using tfopen::prefixOfShard;

const QString kIndexSuffix = QStringLiteral(".index");
const QString kMetaSuffix = QStringLiteral(".meta");
const QString kStateFile = QStringLiteral("checkpoint");

bool isFile(const QString &path)
{
    return QFileInfo(path).isFile();
}

bool fileHasTableMagic(const QString &path)
{
    const QFileInfo fi(path);
    if (!fi.isFile() || fi.size() < 48)
        return false;
    auto tail = readFileBytes(path, fi.size() - 8, 8);
    return tail.ok() && tfbundle::hasTableMagic(tail.value());
}

// A single file that may be a legacy V1 checkpoint: table magic, no `.index` beside it and
// not one of the bundle's own files.
bool mayBeV1(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    if (isTempName(name) || name.endsWith(kIndexSuffix) || name.endsWith(kMetaSuffix) ||
        !prefixOfShard(name).isEmpty() || name == kStateFile || isFile(path + kIndexSuffix))
        return false;
    return fileHasTableMagic(path);
}

bool isVariablesFolder(const Source &s)
{
    return s.kind() == Source::Kind::Directory && s.fileName() == QLatin1String("variables") &&
           s.hasEntry(QStringLiteral("variables.index"));
}

OpenResult single(const QString &path, tfopen::Opened &&opened)
{
    return singleCheckpoint(path, tfopen::kReaderId, std::move(opened.checkpoint), opened.consumed);
}

Result<OpenResult> openFile(const Source &s, const JobContext &job)
{
    const QString path = s.path();
    const QString name = s.fileName();
    QString prefix;
    if (name.endsWith(kIndexSuffix))
        prefix = path.chopped(kIndexSuffix.size());
    else if (const QString p = prefixOfShard(name); !p.isEmpty())
        prefix = QFileInfo(path).absolutePath() + QLatin1Char('/') + p;
    else if (name.endsWith(kMetaSuffix)) {
        const QString p = path.chopped(kMetaSuffix.size());
        const QString v1Path = isFile(p) ? p : p + QLatin1String("-00000-of-00001");
        if (!isFile(p + kIndexSuffix) && isFile(v1Path)) {
            auto v1 = tfopen::openV1(v1Path, job);
            if (!v1.ok())
                return v1.error();
            return single(path, std::move(v1).value());
        }
        prefix = p;
    }
    if (prefix.isEmpty()) {
        auto v1 = tfopen::openV1(path, job);
        if (!v1.ok())
            return v1.error();
        return single(path, std::move(v1).value());
    }
    if (!isFile(prefix + kIndexSuffix))
        return makeError(LoadError::Code::NotFound, prefix + kIndexSuffix, {},
                         QStringLiteral("the checkpoint index beside %1").arg(name),
                         QStringLiteral("no such file"));
    auto v2 = tfopen::openV2(prefix, job);
    if (!v2.ok())
        return v2.error();
    return single(path, std::move(v2).value());
}

// A folder's checkpoints in one order for every view: the state file's (writers append as they
// save, so it is chronological even when numbering restarted), with the checkpoints it does not
// list fitted in by step, or by name with numbers compared as numbers.
Result<OpenResult> openFolder(const Source &s, const JobContext &job)
{
    const QString dir = s.path();
    OpenResult r;
    r.path = dir;
    r.kind = QStringLiteral("run");
    r.readerId = tfopen::kReaderId;

    struct Candidate {
        QString path; // prefix (V2) or file (V1)
        bool v1 = false;
        std::optional<double> savedAt; // from the state file's timestamps
    };
    QList<Candidate> listed;
    QSet<QString> seen;
    QString latestPath;
    const QString statePath = dir + QLatin1Char('/') + kStateFile;
    QJsonObject summary{{QStringLiteral("kind"), QStringLiteral("tf-checkpoint-folder")}};
    if (isFile(statePath)) {
        r.consumedFiles << statePath;
        auto state = readCheckpointState(statePath);
        if (!state.ok()) {
            r.problems << problemFrom(state.error(), statePath);
        } else {
            r.problems << state->problems;
            // Timestamps pair with paths only when the writer kept both lists whole.
            const bool timed = state->timestamps.size() == state->all.size();
            QJsonArray names;
            for (qsizetype i = 0; i < state->all.size(); ++i) {
                const auto &e = state->all[i];
                names.append(e.written);
                const QString resolved = QDir::cleanPath(e.resolved);
                if (seen.contains(resolved))
                    continue;
                // A missing one is already among the state file's problems.
                if (e.indexExists || e.v1Exists) {
                    listed.push_back(
                        {resolved, !e.indexExists,
                         timed ? std::optional<double>(state->timestamps[i]) : std::nullopt});
                    seen.insert(resolved);
                }
            }
            if (state->latest.indexExists || state->latest.v1Exists)
                latestPath = QDir::cleanPath(state->latest.resolved);
            summary[QStringLiteral("state_file")] = QJsonObject{
                {QStringLiteral("latest"), state->latest.written}, {QStringLiteral("all"), names}};
        }
    }
    QStringList rest;
    QSet<QString> withIndex;
    for (const QString &name : s.entries()) {
        if (isTempName(name))
            continue;
        const QString full = dir + QLatin1Char('/') + name;
        if (name.endsWith(kIndexSuffix) && isFile(full)) {
            withIndex.insert(name.chopped(kIndexSuffix.size()));
            if (!seen.contains(full.chopped(kIndexSuffix.size())))
                rest << name.chopped(kIndexSuffix.size());
        }
    }
    for (const QString &name : s.entries()) {
        const QString full = dir + QLatin1Char('/') + name;
        if (isTempName(name) || seen.contains(full) || withIndex.contains(name))
            continue;
        if (const QString p = prefixOfShard(name); !p.isEmpty()) {
            if (!withIndex.contains(p) && !seen.contains(dir + QLatin1Char('/') + p))
                r.problems << Problem{Problem::Severity::Warning,
                                      full,
                                      {},
                                      QStringLiteral("data shard without %1.index").arg(p)};
        } else if (mayBeV1(full)) {
            rest << name;
        }
    }
    QList<Candidate> order = listed;
    for (const QString &name : rest)
        order.push_back({dir + QLatin1Char('/') + name, !withIndex.contains(name), std::nullopt});

    std::optional<LoadError> firstError;
    std::vector<std::shared_ptr<Checkpoint>> unlisted;
    for (const auto &c : order) {
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, dir, {}, {});
        auto opened = c.v1 ? tfopen::openV1(c.path, job) : tfopen::openV2(c.path, job);
        if (!opened.ok()) {
            if (!firstError)
                firstError = opened.error();
            r.problems << problemFrom(opened.error(), opened.error().file);
            continue;
        }
        r.consumedFiles << opened->consumed;
        opened->checkpoint->setStateFileFacts(c.path == latestPath, c.savedAt);
        (seen.contains(c.path) ? r.checkpoints : unlisted).push_back(opened->checkpoint);
    }
    // Steps are known once opened. Unlisted checkpoints go by step (else by name), each before
    // the first listed one it precedes that way: Keras lists only its newest, a manager drops
    // old ones from the list.
    std::stable_sort(unlisted.begin(), unlisted.end(), [](const auto &a, const auto &b) {
        const auto &ia = a->index();
        const auto &ib = b->index();
        if (ia.step.has_value() != ib.step.has_value())
            return ia.step.has_value();
        if (ia.step && *ia.step != *ib.step)
            return *ia.step < *ib.step;
        return naturalLess(ia.displayName, ib.displayName);
    });
    auto before = [](const CheckpointIndex &u, const CheckpointIndex &listed) {
        if (u.step && listed.step)
            return *u.step < *listed.step;
        return !u.step && !listed.step && naturalLess(u.displayName, listed.displayName);
    };
    std::vector<std::shared_ptr<Checkpoint>> merged;
    auto next = unlisted.begin();
    for (auto &c : r.checkpoints) {
        while (next != unlisted.end() && before((*next)->index(), c->index()))
            merged.push_back(*next++);
        merged.push_back(std::move(c));
    }
    merged.insert(merged.end(), next, unlisted.end());
    r.checkpoints = std::move(merged);
    if (r.checkpoints.empty()) {
        if (firstError)
            return *firstError;
        QStringList why;
        for (const auto &p : r.problems)
            why << p.text;
        return makeError(LoadError::Code::UnknownFormat, dir, {},
                         QStringLiteral("a TensorFlow checkpoint in this folder"),
                         QStringLiteral("none"), why.join(QLatin1String("; ")));
    }
    // Without a state file naming one, the last in order is the newest.
    auto latest = std::find_if(r.checkpoints.begin(), r.checkpoints.end(),
                               [](const auto &c) { return c->index().latest; });
    if (latest == r.checkpoints.end()) {
        latest = r.checkpoints.end() - 1;
        (*latest)->setStateFileFacts(true, (*latest)->index().savedAt);
    }
    r.latest = (*latest)->index().displayName;
    summary[QStringLiteral("checkpoints")] = int(r.checkpoints.size());
    summary[QStringLiteral("latest")] = r.latest;
    r.summary = summary;
    r.consumedFiles.removeDuplicates();
    return r;
}

} // namespace

QString TfBundleReader::id() const
{
    return tfopen::kReaderId;
}

QString TfBundleReader::displayName() const
{
    return QStringLiteral("TensorFlow checkpoint");
}

QStringList TfBundleReader::filePatterns() const
{
    return {QStringLiteral("*.index"), QStringLiteral("*.data-*-of-*"), QStringLiteral("*.meta"),
            QStringLiteral("checkpoint")};
}

ProbeResult TfBundleReader::probe(const Source &source) const
{
    const QString name = source.fileName();
    switch (source.kind()) {
    case Source::Kind::Prefix:
        return {isFile(source.path() + kIndexSuffix) ? 95 : 40, QStringLiteral("V2 bundle")};
    case Source::Kind::File: {
        if (isTempName(name))
            return {};
        if (name.endsWith(kIndexSuffix))
            return {tfbundle::hasTableMagic(source.tail(8)) ? 95 : 30, QStringLiteral("V2 bundle")};
        if (const QString p = prefixOfShard(name); !p.isEmpty())
            return {isFile(QFileInfo(source.path()).absolutePath() + QLatin1Char('/') + p +
                           kIndexSuffix)
                        ? 80
                        : 20,
                    QStringLiteral("V2 bundle")};
        if (name.endsWith(kMetaSuffix)) {
            const QString p = source.path().chopped(kMetaSuffix.size());
            if (isFile(p + kIndexSuffix))
                return {60, QStringLiteral("V2 bundle")};
            if (fileHasTableMagic(p) || fileHasTableMagic(p + QLatin1String("-00000-of-00001")))
                return {60, QStringLiteral("legacy V1")};
            return {};
        }
        if (tfbundle::hasTableMagic(source.tail(8)) && mayBeV1(source.path()))
            return {55, QStringLiteral("legacy V1")};
        return {};
    }
    case Source::Kind::Directory: {
        if (isVariablesFolder(source))
            return {85, QStringLiteral("SavedModel variables")};
        // A state file alone does not make a folder ours: it may name only deleted files.
        int v1Checks = 0;
        for (const QString &e : source.entries()) {
            if (isTempName(e))
                continue;
            if (e.endsWith(kIndexSuffix))
                return {70, QStringLiteral("checkpoint folder")};
        }
        for (const QString &e : source.entries())
            if (v1Checks++ < 32 && mayBeV1(source.path() + QLatin1Char('/') + e))
                return {55, QStringLiteral("checkpoint folder (legacy V1)")};
        // Lowest claim: the registry still scans the folder, and only if nothing else is
        // found does this open's error (which checkpoints the state file names) stand.
        if (source.hasEntry(QStringLiteral("checkpoint")))
            return {5, QStringLiteral("checkpoint state file only")};
        return {};
    }
    default:
        return {};
    }
}

Result<OpenResult> TfBundleReader::open(const Source &source, const JobContext &job) const
{
    switch (source.kind()) {
    case Source::Kind::Prefix: {
        if (!isFile(source.path() + kIndexSuffix))
            return makeError(LoadError::Code::NotFound, source.path() + kIndexSuffix, {},
                             QStringLiteral("the index of checkpoint %1").arg(source.fileName()),
                             QStringLiteral("no such file"));
        auto v2 = tfopen::openV2(source.path(), job);
        if (!v2.ok())
            return v2.error();
        return single(source.path(), std::move(v2).value());
    }
    case Source::Kind::File:
        return openFile(source, job);
    case Source::Kind::Directory: {
        if (isVariablesFolder(source)) {
            auto v2 = tfopen::openV2(source.path() + QLatin1String("/variables"), job);
            if (!v2.ok())
                return v2.error();
            return single(source.path(), std::move(v2).value());
        }
        return openFolder(source, job);
    }
    default:
        return makeError(LoadError::Code::NotFound, source.path(), {},
                         QStringLiteral("a TensorFlow checkpoint"), QStringLiteral("nothing"));
    }
}

} // namespace wl
