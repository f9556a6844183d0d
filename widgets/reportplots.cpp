#include "reportplots.h"

#include "analysisview.h"
#include "curvespanel.h"
#include "histogramplot.h"
#include "overtimeview.h"
#include "report/pdf/reportpdf.h"

#include <QApplication>
#include <QBuffer>
#include <QPicture>
#include <QStyle>
#include <QSvgGenerator>
#include <qcustomplot.h>

namespace wl
{
namespace
{

// Paper is light whatever the desktop's palette.
QPalette paperPalette()
{
    return QApplication::style()->standardPalette();
}

// Draws `plot` with the widget the window shows it in, onto `painter` within (0, 0, size).
void draw(const report::PlotSpec &spec, QCPPainter &painter, const QSize &size)
{
    using Kind = report::PlotSpec::Kind;
    if (spec.kind == Kind::Histogram) {
        HistogramPlot w;
        w.setPalette(paperPalette());
        w.resize(size);
        w.plot()->resize(size);
        w.setSeries(spec.histograms);
        w.setTitle(spec.title);
        w.plot()->toPainter(&painter, size.width(), size.height());
    } else if (spec.kind == Kind::Curves && spec.curves) {
        CurvesPanel w;
        w.setPalette(paperPalette());
        w.plot()->resize(size);
        w.setRuns(spec.curves->runs, spec.curves->checkpoints);
        w.setSmoothing(spec.curves->smoothing);
        w.setCheckedTags({spec.curves->tag});
        w.resetZoom();
        w.plot()->toPainter(&painter, size.width(), size.height());
    } else if (spec.kind == Kind::Esd && spec.matrix) {
        AnalysisView w;
        w.setPalette(paperPalette());
        w.esdPlot()->resize(size);
        w.showMatrix(spec.title, *spec.matrix);
        w.esdPlot()->toPainter(&painter, size.width(), size.height());
    } else if (spec.kind == Kind::OverTime && spec.overTime) {
        OverTimeView w;
        w.setPalette(paperPalette());
        // The ridge above, the relative change below it, as the view stacks them.
        const int top = size.height() * 7 / 10;
        w.plot()->resize(size.width(), top);
        w.changePlot()->resize(size.width(), size.height() - top);
        w.setResult(*spec.overTime);
        w.plot()->toPainter(&painter, size.width(), top);
        painter.save();
        painter.translate(0, top);
        w.changePlot()->toPainter(&painter, size.width(), size.height() - top);
        painter.restore();
    }
}

} // namespace

void ReportPlots::paint(const report::PlotSpec &plot, QPainter &painter, const QSize &size) const
{
    // QCustomPlot draws through its own painter class: record the plot, then play it back
    // onto the caller's painter, which keeps it vector on a PDF.
    QPicture picture;
    QCPPainter p;
    if (!p.begin(&picture))
        return;
    draw(plot, p, size);
    p.end();
    // A picture is played back scaled by the device's resolution over the screen's it was
    // recorded at: undone, so that it fills `size` in the painter's units.
    painter.save();
    if (const auto *device = painter.device()) {
        const double sx = double(picture.logicalDpiX()) / device->logicalDpiX();
        const double sy = double(picture.logicalDpiY()) / device->logicalDpiY();
        painter.scale(sx, sy);
    }
    painter.drawPicture(0, 0, picture);
    painter.restore();
}

QByteArray ReportPlots::svg(const report::PlotSpec &plot, const QSize &size) const
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator gen;
    gen.setOutputDevice(&buffer);
    gen.setSize(size);
    gen.setViewBox(QRect(QPoint(0, 0), size));
    gen.setTitle(plot.title);
    QCPPainter p;
    if (!p.begin(&gen))
        return {};
    draw(plot, p, size);
    p.end();
    return buffer.data();
}

Result<QByteArray> ReportPlots::pdf(const report::Report &report) const
{
    return report::pdfReport(report, this);
}

} // namespace wl
