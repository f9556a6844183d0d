#pragma once

#include <QStringList>

namespace wl::cli
{

// `weightlens events PATH [--json] [--tag GLOB]`: scalar and histogram series of a run.
// Returns the exit status: 0 success, 1 the input failed, 2 bad usage.
int events(const QStringList &args);

} // namespace wl::cli
