#pragma once

#include "plotrenderer.h"
#include "reportdata.h"

namespace wl::report
{

enum class Format { Html, Pdf, Markdown, Json };

// The format a file name asks for by its suffix (.html/.htm, .pdf, .md, .json).
std::optional<Format> formatFor(const QString &file);
// The folder a Markdown report's images go to: "report.md" → "report_files".
QString imageFolderFor(const QString &markdownFile);

// The report's numbers for scripts: one object with `schema_version`.
QByteArray jsonReport(const Report &report);
// One self-contained XHTML page: plots as SVG images in data: URLs, no network, print CSS.
// Without a renderer the plots are left out with a note.
QByteArray htmlReport(const Report &report, const PlotRenderer *plots);
// Markdown with the plots as SVG files: their names (relative to the report's folder, under
// `imageFolder`) and bytes go to `images`.
QString markdownReport(const Report &report, const PlotRenderer *plots, const QString &imageFolder,
                       QList<QPair<QString, QByteArray>> *images);

// Writes the report in the format of `file`'s suffix (a PDF through plots->pdf()) through the
// atomic writer (a Markdown report's image folder too): nothing is left under the final names when
// cancelled or failed. Refuses an output that is one of the inputs.
Status writeReport(const Report &report, const QString &file, const PlotRenderer *plots,
                   const JobContext &job = JobContext::none());

} // namespace wl::report
