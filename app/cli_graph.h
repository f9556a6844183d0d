#pragma once

#include <QStringList>

namespace wl::cli
{

// `weightlens graph PATH [--json|--dot]`: the model's layers or ops and their connections.
// Returns the exit status: 0 success, 1 the input failed, 2 bad usage.
int graphCommand(const QStringList &args);

} // namespace wl::cli
