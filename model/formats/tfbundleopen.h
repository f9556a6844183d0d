#pragma once

// Opening one TensorFlow checkpoint: a V2 bundle by its prefix or a legacy V1 file.

#include "checkpoint.h"
#include "jobs/jobcontext.h"

#include <QHash>
#include <QStringList>
#include <memory>
#include <optional>

namespace wl
{
struct ObjectGraphInfo;
}

namespace wl::tfopen
{

inline const QString kReaderId = QStringLiteral("tf-bundle");
// The serialized object graph and the save counter: bundle entries that are not variables.
inline const QString kObjectGraphKey = QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH");
inline const QString kSaveCounterKey = QStringLiteral("save_counter/.ATTRIBUTES/VARIABLE_VALUE");

struct Opened {
    std::shared_ptr<Checkpoint> checkpoint;
    QStringList consumed; // absolute paths of the files this checkpoint is made of
};

Result<Opened> openV2(const QString &prefix, const JobContext &job);
Result<Opened> openV1(const QString &path, const JobContext &job);

// Files a TensorFlow writer leaves while saving; never checkpoints.
bool isTempName(const QString &fileName);
// "P" for "P.data-00000-of-00002", empty when the name is not a data shard.
QString prefixOfShard(const QString &fileName);
// The `-N` training-step suffix of a prefix name ("model.ckpt-20000").
std::optional<std::int64_t> stepSuffix(const QString &name);

// Readable names and roles of TF1 Saver keys; `trainable` comes from a `.meta` when known.
void nameTf1Tensors(QVector<TensorInfo> &tensors, const QHash<QString, bool> *trainable);
// Names and roles from the object graph; without one, keys lose their attribute suffix.
void nameObjectBasedTensors(QVector<TensorInfo> &tensors, const ObjectGraphInfo *graph);

} // namespace wl::tfopen
