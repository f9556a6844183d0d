#pragma once

#include <QStringList>

namespace wl::cli
{

// Headless commands. Returns the process exit status: 0 success, 1 an input failed, 2 usage.
bool isCommand(const QString &word);
int run(const QStringList &args);
// The built-in demo runs, written on first use under the application data folder; empty on
// failure.
QStringList demoRuns();
// Without a GUI (`why` says why): a report of the demo runs in the current folder.
int headlessDemo(const char *why);

} // namespace wl::cli
