#pragma once

#include "formats/checkpoint.h"

#include <QString>

namespace wl::analysis
{

// Keras's gate order in the columns of a recurrent layer's kernels: "ifco" for LSTM (input,
// forget, cell, output), "zrh" for GRU (update, reset, candidate); empty for other classes.
QString kerasGateOrder(const QString &className);

// The Keras class of the layer (or cell) that tensor i belongs to, as the checkpoint states it:
// a Keras file's layer table (summary "layers", matched by a component of the tensor's name) or,
// in a TensorFlow checkpoint, the OBJECT_CONFIG_JSON of the nearest object above the variable.
// Empty when the checkpoint does not say.
QString kerasLayerClass(const Checkpoint &checkpoint, int i);

// The gates tensor i is split into: kerasGateOrder of its layer when it is the kernel or
// recurrent kernel (Keras 3: vars/0, vars/1) of an LSTM or GRU whose columns divide evenly;
// empty otherwise.
QString recurrentGates(const Checkpoint &checkpoint, int i);

} // namespace wl::analysis
