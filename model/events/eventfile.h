#pragma once

#include "core/result.h"
#include "series.h"

#include <QString>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace wl::events
{

// Where reading of one event file stands: a file still being written is read up to its last
// whole record and resumed from `offset` later, never from the start.
struct EventFileCursor {
    QString path;
    std::int64_t offset = 0;  // start of the first record not yet read
    std::int64_t records = 0; // whole records passed (read or skipped for a bad data CRC)
    std::int64_t pending = 0; // bytes after `offset` that do not yet make a whole record
    int graphDefs = 0;
    int metaGraphDefs = 0;
    QString fileVersion;
    bool ended = false; // a bad length CRC: nothing after it can be framed
    // TF1 writers put a tag's plugin metadata only on its first value in a file.
    std::unordered_map<std::string, std::string> pluginByTag;
};

// Reads the whole records after cursor.offset into `out`. A bad data CRC skips that record and a
// bad length CRC ends the file, each with a warning in `problems` naming file and offset. With
// `restarts`, a session_log START at step s drops the points at or after s (TensorBoard's rule);
// without, every point is kept as stored. Fails only when the file cannot be read.
Status readEvents(EventFileCursor &cursor, SeriesSet &out, Problems &problems,
                  bool restarts = true);

// True for names TensorFlow gives event files.
bool isEventFileName(const QString &fileName);

} // namespace wl::events
