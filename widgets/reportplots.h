#pragma once

#include "report/plotrenderer.h"

namespace wl
{

// A report's plots drawn by the window's own plot widgets (HistogramPlot, CurvesPanel,
// OverTimeView), set up as the window sets them up, in a light palette for paper. Needs a
// QApplication (the offscreen platform will do); call on its thread.
class ReportPlots : public report::PlotRenderer
{
public:
    void paint(const report::PlotSpec &plot, QPainter &painter, const QSize &size) const override;
    QByteArray svg(const report::PlotSpec &plot, const QSize &size) const override;
    Result<QByteArray> pdf(const report::Report &report) const override;
};

} // namespace wl
