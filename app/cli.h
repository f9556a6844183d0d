#pragma once

#include <QStringList>

namespace wl::report
{
class PlotRenderer;
}

namespace wl::cli
{

// Headless commands. Returns the process exit status: 0 success, 1 an input failed, 2 usage.
bool isCommand(const QString &word);
int run(const QStringList &args);
// Reports draw their plots with this (the window's plot code); without it they hold tables only.
void setPlotRenderer(const report::PlotRenderer *plots);
// Whether these arguments write a report with plots, which the window's libraries draw.
bool needsPlots(const QStringList &args);
// The built-in demo runs, written on first use under the application data folder; empty on
// failure.
QStringList demoRuns();
// Without a GUI (`why` says why): the arguments of an HTML report of the demo runs in the
// current folder, after saying so; empty when the runs could not be written.
QStringList headlessDemoReport(const char *why);

} // namespace wl::cli
