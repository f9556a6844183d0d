#pragma once

#include "core/result.h"

#include <QString>

namespace wl
{

// Writes the built-in demo into `dir` (created if needed): a training run saved the way
// tf.train.CheckpointManager saves it (state file, five object-based checkpoints with Adam
// slots). Existing files are never overwritten. Returns the run folder's path.
Result<QString> writeDemo(const QString &dir);

} // namespace wl
