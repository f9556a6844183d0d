#pragma once

#include "checkpoint.h"
#include "io/source.h"

#include <QFlags>
#include <QJsonObject>
#include <QStringList>
#include <memory>
#include <vector>

namespace wl
{
namespace events
{
struct RunLogs;
}

// How sure a reader is that it can open a source; 0 = not at all.
struct ProbeResult {
    int score = 0; // 0..100
    QString subtype;
    explicit operator bool() const { return score > 0; }
};

// What an open yields: one or more checkpoints (a run directory has several) plus findings.
struct OpenResult {
    QString path; // the path that was opened
    QString kind; // "checkpoint", "run", "savedmodel", "keras", ...
    QString readerId;
    std::vector<std::shared_ptr<Checkpoint>> checkpoints;
    QString latest;            // displayName of the newest checkpoint, when known
    QStringList consumedFiles; // absolute paths this open accounted for
    QJsonObject summary;       // source-level facts (state file, signatures)
    QString summaryText;       // the same for people
    Problems problems;
    // Event files and CSV logs found beside a run folder's checkpoints; null when none.
    std::shared_ptr<const events::RunLogs> logs;
};

// What a reader returns when `path` opens to exactly one checkpoint: latest is its name, and
// consumedFiles the files it accounts for (the file at `path` alone when empty).
OpenResult singleCheckpoint(const QString &path, const QString &readerId,
                            std::shared_ptr<Checkpoint> checkpoint, QStringList consumedFiles = {});

class Reader
{
public:
    enum Capability {
        ReadIndex = 0x1,
        StreamTensors = 0x2,
        RestoreTarget = 0x4,
        ConvertTarget = 0x8,
        ProvidesCurves = 0x10,
        // Parses through a library with a poor safety record (HDF5): the registry runs it
        // in a sandboxed reader process unless WEIGHTLENS_ISOLATION=off.
        Isolated = 0x20,
    };
    Q_DECLARE_FLAGS(Capabilities, Capability)

    virtual ~Reader() = default;
    virtual QString id() const = 0;
    virtual QString displayName() const = 0;
    virtual QStringList filePatterns() const = 0;
    virtual Capabilities capabilities() const { return Capabilities(ReadIndex) | StreamTensors; }
    // Cheap and side-effect free: names, head/tail bytes, directory entries; never payloads.
    virtual ProbeResult probe(const Source &source) const = 0;
    virtual Result<OpenResult> open(const Source &source, const JobContext &job) const = 0;
};

} // namespace wl

Q_DECLARE_OPERATORS_FOR_FLAGS(wl::Reader::Capabilities)
