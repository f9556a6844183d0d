#include "heatmapview.h"

#include "themecolors.h"

#include <QLabel>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace wl
{

HeatmapView::HeatmapView(QWidget *parent) : QWidget(parent)
{
    m_plot = new QCustomPlot(this);
    m_plot->setAccessibleName(tr("Heatmap of values"));
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setupFullAxesBox(true);
    m_plot->xAxis->setLabel(tr("column"));
    m_plot->yAxis->setLabel(tr("row"));
    m_plot->yAxis->setRangeReversed(true);
    const QFont f = font();
    for (auto *axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setLabelFont(f);
        axis->setTickLabelFont(f);
        axis->grid()->setVisible(false);
    }

    m_map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(true);
    m_scale = new QCPColorScale(m_plot);
    m_scale->axis()->setTickLabelFont(f);
    m_scale->axis()->setLabelFont(f);
    m_scale->axis()->setLabel(tr("value"));
    m_plot->plotLayout()->addElement(0, 1, m_scale);
    m_map->setColorScale(m_scale);

    applyPalette();

    auto *margins = new QCPMarginGroup(m_plot);
    m_plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);

    m_readout = new QLabel(tr("Hover a cell to read its value"), this);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_readout);
    connect(m_plot, &QCustomPlot::mouseMove, this, &HeatmapView::hover);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] {
        m_plot->rescaleAxes();
        m_plot->replot();
    });
}

void HeatmapView::applyPalette()
{
    theme::applyToPlot(m_plot, palette());
    m_map->setGradient(theme::divergingGradient(palette()));
}

void HeatmapView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        applyPalette();
        m_plot->replot();
    }
}

void HeatmapView::clear()
{
    setSlice({}, 0, 0, {});
}

void HeatmapView::setSlice(const QVector<double> &rowMajor, int rows, int cols,
                           const QString &title)
{
    m_values = rowMajor;
    m_rows = rows;
    m_cols = cols;
    auto *data = m_map->data();
    data->setSize(std::max(cols, 1), std::max(rows, 1));
    data->setRange(QCPRange(0, std::max(cols - 1, 0)), QCPRange(0, std::max(rows - 1, 0)));
    double maxAbs = 0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const double v = rowMajor.value(qsizetype(r) * cols + c, std::nan(""));
            data->setCell(c, r, v);
            if (std::isfinite(v))
                maxAbs = std::max(maxAbs, std::abs(v));
        }
    }
    if (rows == 0 || cols == 0)
        data->fill(std::nan(""));
    m_range = maxAbs > 0 ? maxAbs : 1;
    m_map->setDataRange(QCPRange(-m_range, m_range));
    m_scale->axis()->setLabel(title.isEmpty() ? tr("value") : title);
    m_plot->rescaleAxes();
    const double padX = 0.5, padY = 0.5;
    m_plot->xAxis->setRange(-padX, std::max(cols, 1) - 1 + padX);
    m_plot->yAxis->setRange(-padY, std::max(rows, 1) - 1 + padY);
    m_plot->replot();
}

void HeatmapView::hover(QMouseEvent *event)
{
    const int c = int(std::lround(m_plot->xAxis->pixelToCoord(event->position().x())));
    const int r = int(std::lround(m_plot->yAxis->pixelToCoord(event->position().y())));
    if (r < 0 || c < 0 || r >= m_rows || c >= m_cols) {
        m_readout->setText(tr("Hover a cell to read its value"));
        return;
    }
    const double v = m_values.value(qsizetype(r) * m_cols + c);
    m_readout->setText(tr("row %1, column %2: %3").arg(r).arg(c).arg(QString::number(v, 'g', 9)));
}

} // namespace wl
