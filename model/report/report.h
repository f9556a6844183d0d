#pragma once

#include "core/result.h"
#include "formats/reader.h"

#include <QStringList>

namespace wl
{

// A shareable summary of opened sources: per checkpoint its format, metadata and a table of
// tensors with statistics. Markdown for people, JSON for scripts.
struct ReportOptions {
    int maxTensorsPerCheckpoint = 500;
};

QString markdownReport(const QList<OpenResult> &sources, const ReportOptions &options = {},
                       const JobContext &job = JobContext::none());
QByteArray jsonReport(const QList<OpenResult> &sources, const ReportOptions &options = {},
                      const JobContext &job = JobContext::none());

// Opens each path, builds the report chosen by the file's suffix (.md or .json) and writes it
// atomically. Paths that fail to open are listed in the report and returned in `failures`.
Status writeReport(const QStringList &paths, const QString &outFile, QList<LoadError> *failures,
                   const ReportOptions &options = {}, const JobContext &job = JobContext::none());

} // namespace wl
