#pragma once

#include <vector>

#include "compare/namematch.h"
#include "formats/checkpoint.h"

#include <QByteArray>
#include <QPair>
#include <QStringList>
#include <QVector>

namespace wl
{

struct RestoreRequest {
    // Globs (fnmatch rules) over the readable names and keys of A's and B's tensors; empty:
    // every matched variable.
    QStringList select;
    QList<NameRule> rules; // renamings from A's names to B's, as for diff
    // (A's tensor, B's tensor) pairs as the user matched and chose them (the compare view);
    // when given, they replace the name matching and `select`.
    QVector<QPair<int, int>> pairs;
    // A's values converted to B's dtype where they differ; otherwise such a pair is refused.
    bool cast = false;
    // Each chosen variable's optimizer slots (linked through B's object graph or Keras's
    // optimizer names) restored from A's slots of the same name along with it.
    bool withSlots = false;
};

struct RestoredTensor {
    QString key;     // B's key, under which A's bytes were written
    QString fromKey; // A's key
    QByteArray sha256;
    DType castFrom = DType::Invalid; // A's dtype, when the values were cast
    double maxRoundingError = 0;     // largest |cast value - A's value|
    std::vector<int> axes;           // A's axis for each of B's, when written in B's layout
};

struct RestoreReport {
    QString prefix; // the checkpoint written
    QString logPath;
    QString statePath; // the run's state file, when it now names the result
    QVector<RestoredTensor> restored;
    int kept = 0; // B's tensors copied byte for byte
};

// Writes B, with the selected tensors replaced by their partners in A (any format, same shape
// and dtype unless cast), in B's format: a TensorFlow checkpoint at the prefix outPrefix (every
// other tensor, object graph and slots included, copied byte for byte), or for a safetensors,
// Keras .h5 or PyTorch B the file outPrefix (B's bytes, header, groups and attributes as they
// were; only the chosen tensors' data changed, an .h5 through the HDF5 library, a PyTorch zip
// with its members' CRC-32s). Neither input is written;
// an existing output is refused. The result is written under a hidden temporary name, read back
// with every tensor's sha256 compared with what was meant, and renamed into place; a log of
// what was restored goes beside it (OUT.restore.json).
Result<RestoreReport> restoreTensors(const Checkpoint &from, const Checkpoint &into,
                                     const QString &outPrefix, const RestoreRequest &request,
                                     const JobContext &job = JobContext::none());

// The prefix of the next checkpoint of a TF run folder: the state file's newest name with its
// number one past the highest any checkpoint of the folder or the state file has ("ckpt-9"
// -> "ckpt-10"; "ckpt_20" -> "ckpt_21").
Result<QString> nextCheckpointPrefix(const QString &runDir);

// Restores into the newest checkpoint of the TF run folder `runDir`, as restoreTensors does, into
// a new checkpoint of the run (nextCheckpointPrefix), then adds it to the run's `checkpoint`
// state file atomically, so tf.train.latest_checkpoint picks it up. Until the state file is
// replaced nothing is left under a final name: a failed or cancelled restore removes what it
// wrote and the state file is untouched.
Result<RestoreReport> restoreIntoRun(const Checkpoint &from, const QString &runDir,
                                     const RestoreRequest &request,
                                     const JobContext &job = JobContext::none());

} // namespace wl
