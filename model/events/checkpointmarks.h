#pragma once

#include "runlogs.h"

#include <QList>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace wl
{
class Checkpoint;
struct CheckpointIndex;
} // namespace wl

namespace wl::events
{

// The epoch a checkpoint was saved after (counted from 0, as logs count them), where its file
// name or its stored counters say: Lightning's `epoch=E` and `epoch` entry (from 0), a Keras
// ModelCheckpoint name such as `weights.{epoch:02d}-{val_loss:.2f}.h5` (from 1). `series` is
// the checkpoints saved beside it: a bare number in a name is taken for the epoch only when it
// tells the checkpoints of a series apart and no save or step counter is stored.
std::optional<std::int64_t> checkpointEpoch(const CheckpointIndex &index,
                                            const QList<std::shared_ptr<const Checkpoint>> &series);

// Where a checkpoint stands on the step axis of one tag of a log run, or nothing when nothing
// the files say links the two (a marker there would be a guess):
// - event files: the step logged nearest the save time from the state file, else the
//   checkpoint's own step or save counter;
// - a CSV log counting epochs: the checkpoint's epoch, when the log has it;
// - a CSV log with a step column: the checkpoint's step when the log reaches it, else the last
//   step logged in the checkpoint's epoch;
// - a CSV log counting rows: nothing.
std::optional<double> markerStep(const LogRun &run, const QString &tag,
                                 const Checkpoint &checkpoint,
                                 const QList<std::shared_ptr<const Checkpoint>> &series);

// Whether a checkpoint belongs to `run` of `logs`: it lies in the folder the logs were found in,
// and no other run of them shares a deeper folder with it (run folders each holding their
// checkpoints and logs; one run's checkpoints do not mark another's curves).
bool belongsTo(const Checkpoint &checkpoint, const RunLogs &logs, int run);

// The checkpoints of `checkpoints` that belong to run `run` of `logs`, each placed on the step
// axis of its `tag` or, where nothing links it, listed as unplaced; in the order given.
struct Markers {
    std::vector<std::pair<std::shared_ptr<const Checkpoint>, double>> placed;
    QList<std::shared_ptr<const Checkpoint>> unplaced;
};
Markers markersFor(const RunLogs &logs, int run, const QString &tag,
                   const QList<std::shared_ptr<const Checkpoint>> &checkpoints);

} // namespace wl::events
