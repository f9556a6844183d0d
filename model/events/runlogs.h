#pragma once

#include "core/result.h"
#include "eventfile.h"
#include "series.h"

#include <QString>
#include <vector>

namespace wl::events
{

// The logs of one run: the event files of one folder (in file-name order) or one CSV log.
// refresh() reads only what was appended since the last call, for a run still training.
struct LogRun {
    QString name;  // path relative to the opened folder, "." for the folder itself
    QString group; // train/, validation/ and eval/ runs share their parent folder as group
    QString folder;
    QString csvFile; // set for a CSV log run
    QString xColumn; // a CSV log's column its steps come from: "step", "epoch", or empty (rows)
    std::vector<EventFileCursor> eventFiles;
    SeriesSet series;
    Problems problems; // found while reading, newest last

    // Reads new records of known event files, then event files that appeared since; a CSV log
    // that changed is read again whole (they are small). Fails when a file cannot be read.
    Status refresh();

private:
    std::int64_t m_csvSize = -1;
};

struct RunLogs {
    QString root;
    std::vector<LogRun> runs; // by name, natural order; runs found by a refresh after them
    bool singleFile = false;  // opened as one file: the files beside it are not its logs
};

// Parses a Keras CSVLogger file or a similar CSV log into `out`: steps from a `step` column,
// else `epoch`, else the row number; empty and NA cells are no point. A repeated header (an
// appended, resumed training) or a step lower than the row before marks a restart: the points
// from that step on are replaced. Returns the column the steps came from, empty for row numbers.
QString parseCsvLog(const QByteArray &bytes, const QString &file, SeriesSet &out,
                    Problems &problems);
// True when the first line of the file names an `epoch` or `step` column.
bool isCsvLog(const QString &path);

// Reads what the logs' files gained since the last read and adds the event folders and CSV logs
// that appeared below logs.root (after the runs it had, so their indices stay). Fails when a
// file cannot be read; what was read stays.
Status refreshLogs(RunLogs &logs, int maxDepth = 5);

// Finds and reads the logs at `path`: an event file, a CSV log, or a folder searched `maxDepth`
// levels down. Fails when the path does not exist or holds no logs.
Result<RunLogs> loadLogs(const QString &path, int maxDepth = 5);

} // namespace wl::events
