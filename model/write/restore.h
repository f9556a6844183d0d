#pragma once

#include "compare/namematch.h"
#include "formats/checkpoint.h"

#include <QByteArray>
#include <QStringList>
#include <QVector>

namespace wl
{

struct RestoreRequest {
    // Globs (fnmatch rules) over the readable names and keys of A's and B's tensors; empty:
    // every matched variable.
    QStringList select;
    QList<NameRule> rules; // renamings from A's names to B's, as for diff
};

struct RestoredTensor {
    QString key;     // B's key, under which A's bytes were written
    QString fromKey; // A's key
    QByteArray sha256;
};

struct RestoreReport {
    QString prefix; // the checkpoint written
    QString logPath;
    QVector<RestoredTensor> restored;
    int kept = 0; // B's tensors copied byte for byte
};

// Writes a new TensorFlow checkpoint at outPrefix: B with the selected tensors replaced by their
// partners in A (any format, same shape and dtype), every other tensor of B (object graph,
// optimizer slots, counters) copied byte for byte. Neither input is written; an existing file
// under outPrefix is refused. The result is read back and every tensor's sha256 compared with
// what was meant to be written; a log of what was restored goes beside it (OUT.restore.json).
Result<RestoreReport> restoreTensors(const Checkpoint &from, const Checkpoint &into,
                                     const QString &outPrefix, const RestoreRequest &request,
                                     const JobContext &job = JobContext::none());

} // namespace wl
