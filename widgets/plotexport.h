#pragma once

#include "core/result.h"
#include "histogramplot.h"

class QCustomPlot;

namespace wl
{

// Writes the plot as PNG, SVG or PDF (chosen by the file suffix) through a temporary file
// that replaces `path` only when complete.
Status savePlot(QCustomPlot *plot, const QString &path, int width = 0, int height = 0);

// A CSV field, quoted where it holds a comma, a quote or a line break.
QString csvField(QString s);

// One row per bin: series, bin, lo, hi, count; then the NaN and Inf counts per series.
QByteArray histogramCsv(const QList<HistogramSeries> &series);
Status saveHistogramCsv(const QList<HistogramSeries> &series, const QString &path);

} // namespace wl
