#pragma once

#include "core/result.h"
#include "histogramplot.h"

#include <QList>
#include <QSize>
#include <functional>
#include <utility>

class QCustomPlot;
class QToolButton;

namespace wl
{

// Writes the plot as PNG, SVG or PDF (chosen by the file suffix) through a temporary file
// that replaces `path` only when complete.
Status savePlot(QCustomPlot *plot, const QString &path, int width = 0, int height = 0);
// The same for several plots in one picture, each below the one before at its own size.
Status savePlots(const QList<std::pair<QCustomPlot *, QSize>> &plots, const QString &path);

// Gives an Export button its menu: PNG, SVG, PDF and CSV. Each asks for a file name (`base()`
// with the format's suffix, '/' made '_') and hands it to `write`; a failure shows in a box.
void setExportMenu(QToolButton *button, const QString &dialogTitle, std::function<QString()> base,
                   std::function<Status(const QString &path)> write);

// A CSV field, quoted where it holds a comma, a quote or a line break.
QString csvField(QString s);

// One row per bin: series, bin, lo, hi, count; then the NaN and Inf counts per series.
QByteArray histogramCsv(const QList<HistogramSeries> &series);
Status saveHistogramCsv(const QList<HistogramSeries> &series, const QString &path);

} // namespace wl
