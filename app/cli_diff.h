#pragma once

#include <QStringList>

namespace wl::cli
{

// `weightlens diff A B [--json] [--map FROM=TO]...`: element differences of the tensors two
// checkpoints share by name. Returns the exit status: 0 success, 1 an input failed, 2 bad usage.
int diff(const QStringList &args);

// `weightlens restore --from A --into B --out OUT [--select GLOB]... [--map FROM=TO]...`: a new
// TensorFlow checkpoint, B with A's chosen tensors. Exit status as for diff.
int restore(const QStringList &args);

// `weightlens convert IN OUT [--format tf|keras-h5|safetensors]`: IN written in another format.
// Exit status as for diff.
int convert(const QStringList &args);

} // namespace wl::cli
