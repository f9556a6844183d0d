#pragma once

#include "reportdata.h"

#include <QByteArray>
#include <QSize>

class QPainter;

namespace wl::report
{

// A plot of a report, by what it shows.
struct PlotSpec {
    enum class Kind { Histogram, Curves, OverTime, Esd };
    Kind kind = Kind::Histogram;
    QString title;
    QList<HistogramSeries> histograms; // Histogram: one, or several overlaid
    const CurvePart *curves = nullptr; // Curves: one tag, its runs and checkpoint markers
    const OverTime *overTime = nullptr;
    const analysis::MatrixAnalysis *matrix = nullptr; // Esd: its eigenvalue density
};

// Draws a report's plots. The window's plot widgets implement it (widgets/reportplots), so a
// report shows what the window shows; model/ only knows this interface. Called on the thread
// that owns the GUI objects.
class PlotRenderer
{
public:
    virtual ~PlotRenderer() = default;
    // Onto `painter` within (0, 0, size): vector output on a vector device (PDF, SVG).
    virtual void paint(const PlotSpec &plot, QPainter &painter, const QSize &size) const = 0;
    // The same as an SVG document.
    virtual QByteArray svg(const PlotSpec &plot, const QSize &size) const = 0;
    // The whole report as a paged PDF with these plots (report/pdf/reportpdf.h): the PDF
    // writer needs QtGui, which the core does not link.
    virtual Result<QByteArray> pdf(const Report &report) const = 0;
};

} // namespace wl::report
