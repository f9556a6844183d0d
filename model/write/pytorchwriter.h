#pragma once

#include "safetensorswriter.h"

namespace wl
{

// What the PyTorch writer takes of each tensor is what the safetensors writer takes: a key,
// dtype, shape and its bytes asked for when it is written.
using PyTorchTensor = SafetensorsTensor;

// True when torch has a storage type for `dtype`.
bool pytorchHolds(DType dtype);

// Writes a state_dict (an OrderedDict of key -> tensor, in the given order) as torch.save's
// zip format lays it out (formats-keras-pytorch.md 4.1): archive/data.pkl first, each tensor's
// storage as the stored member archive/data/<n> at a 64-byte aligned offset, byteorder
// "little", version 3; zip64 where sizes or offsets need it. The pickle names only globals
// torch.load(weights_only=True) allows. Written through the atomic writer, read back through
// our own reader with every tensor's sha256 compared; a result that fails this is removed.
// Returns key -> sha256 of what was written.
Result<QHash<QString, QByteArray>> writePyTorch(const QString &path,
                                                std::vector<PyTorchTensor> tensors,
                                                const JobContext &job = JobContext::none());

} // namespace wl
