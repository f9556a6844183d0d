#pragma once

#include "report/plotrenderer.h"

namespace wl::report
{

// A paged PDF through QtGui's PDF writer: the report's HTML laid out by QTextDocument (headings,
// page numbers, tables whose header row repeats on each page), its plots drawn by `plots` as
// vector graphics where the figures stand. In its own library, as the command line links no
// GUI library.
Result<QByteArray> pdfReport(const Report &report, const PlotRenderer *plots);

} // namespace wl::report
