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

// An input that could not be opened: the path as given and why.
struct UnreadInput {
    QString path;
    LoadError error;
};

// Unread inputs are listed first, each with its reason, so a report never leaves one out.
QString markdownReport(const QList<OpenResult> &sources, const QList<UnreadInput> &unread = {},
                       const ReportOptions &options = {},
                       const JobContext &job = JobContext::none());
// One object per input; an unread one has "error" (the message) and no checkpoints.
QByteArray jsonReport(const QList<OpenResult> &sources, const QList<UnreadInput> &unread = {},
                      const ReportOptions &options = {},
                      const JobContext &job = JobContext::none());

// Opens each path, builds the report chosen by the file's suffix (.md or .json) and writes it
// atomically. Paths that fail to open are listed in the report and returned in `unread`.
Status writeReport(const QStringList &paths, const QString &outFile, QList<UnreadInput> *unread,
                   const ReportOptions &options = {}, const JobContext &job = JobContext::none());

} // namespace wl
