#pragma once

#include "core/problem.h"
#include "core/result.h"

#include <QList>
#include <QString>
#include <optional>

namespace wl
{

// One checkpoint named by a `checkpoint` state file.
struct CheckpointStateEntry {
    QString written;  // as stored in the file
    QString resolved; // absolute prefix that was checked (after any fallback)
    bool absolute = false;
    bool fellBack = false;    // absolute path missing; dirname(state)/basename(path) used
    bool indexExists = false; // resolved + ".index" (V2 bundle)
    bool v1Exists = false;    // resolved itself is a file (legacy V1)
};

struct CheckpointStateInfo {
    CheckpointStateEntry latest;
    QList<CheckpointStateEntry> all; // oldest to newest
    QList<double> timestamps;
    std::optional<double> lastPreserved;
    Problems problems; // stale paths, missing checkpoints, odd timestamps
};

// Reads a text-format CheckpointState and resolves its paths against the file's directory.
Result<CheckpointStateInfo> readCheckpointState(const QString &stateFilePath);

} // namespace wl
