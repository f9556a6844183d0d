#pragma once

#include "core/result.h"

#include <QString>
#include <QStringList>
#include <cstdint>

namespace wl
{

struct DemoOptions {
    std::uint64_t seed = 7;
    int epochs = 50;
    int checkpointEvery = 5; // epochs between CheckpointManager saves
    int maxToKeep = 5;       // CheckpointManager's max_to_keep
    int histogramEvery = 5;  // the TensorBoard callback's histogram_freq
    // Wall-clock seconds when training starts; 0 sets it so that the last epoch ends now.
    double startTime = 0;
};

// Trains a small MLP (2 -> 32 -> 32 -> 3, ReLU, softmax) on generated three-arm spirals with
// Adam at two learning rates and writes each run into its own folder under `dir` as Keras 2
// and TensorFlow 2 would: object-based checkpoints with Adam slots and a `checkpoint` state file
// (CheckpointManager), TensorBoard event files under train/ and validation/, a CSVLogger file and
// the best epoch's model as an .h5 (ModelCheckpoint(save_best_only=True)). Fails, writing
// nothing, when a run folder exists; a run folder appears only once it is complete. Returns the
// run folders, the faster learning rate first.
Result<QStringList> writeDemo(const QString &dir, const DemoOptions &options = {});

// Folder names of the runs writeDemo() writes.
QStringList demoRunNames();

} // namespace wl
