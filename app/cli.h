#pragma once

#include <QStringList>

namespace wl::cli {

// Headless commands. Returns the process exit status: 0 success, 1 an input failed, 2 usage.
bool isCommand(const QString &word);
int run(const QStringList &args);

} // namespace wl::cli
