#pragma once

#include "core/result.h"
#include "jobs/jobcontext.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace wl
{

// What a `checkpoint` state file says (formats-tensorflow.md 3), paths as they are written.
struct CheckpointStateText {
    QString latest;
    QStringList all; // oldest to newest
    QList<double> timestamps;
    std::optional<double> lastPreserved;
};

// The text format TensorFlow writes, strings C-escaped.
QByteArray formatCheckpointState(const CheckpointStateText &state);

// The state file of `runDir` with `name` (a prefix in that folder) added as the newest
// checkpoint and saved at `savedAt`, written through the atomic writer and read back.
Status addToCheckpointState(const QString &runDir, const QString &name, double savedAt);

} // namespace wl
