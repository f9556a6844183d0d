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
    m_plot->yAxis->setRangeReversed(true);
    const QFont f = font();
    // Whole-number ticks: rows and columns are indices, never -0.4 (a one-row matrix had those).
    setLabels({}, {}, {}, {});
    for (auto *axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setLabelFont(f);
        axis->setTickLabelFont(f);
        axis->grid()->setVisible(false);
    }

    m_map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    m_map->setInterpolate(false);
    // Not tight: QCustomPlot would clip the map at the outer cells' centres, halving the edge
    // cells and leaving a single row or column no height at all.
    m_map->setTightBoundary(false);
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
    m_map->setGradient(m_sequential ? theme::sequentialGradient(palette())
                                    : theme::divergingGradient(palette()));
}

void HeatmapView::setLabels(const QStringList &rows, const QStringList &cols,
                            const QString &rowTitle, const QString &colTitle)
{
    m_rowLabels = rows;
    m_colLabels = cols;
    m_plot->yAxis->setLabel(rowTitle.isEmpty() ? tr("row") : rowTitle);
    m_plot->xAxis->setLabel(colTitle.isEmpty() ? tr("column") : colTitle);
    const auto ticker = [](const QStringList &labels) -> QSharedPointer<QCPAxisTicker> {
        if (labels.isEmpty()) {
            QSharedPointer<QCPAxisTickerFixed> t(new QCPAxisTickerFixed);
            t->setTickStep(1);
            t->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
            return t;
        }
        QSharedPointer<QCPAxisTickerText> t(new QCPAxisTickerText);
        for (int i = 0; i < labels.size(); ++i)
            t->addTick(i, labels[i]);
        return t;
    };
    m_plot->yAxis->setTicker(ticker(rows));
    m_plot->xAxis->setTicker(ticker(cols));
}

void HeatmapView::setSequential(bool on, bool logScale)
{
    m_sequential = on;
    m_log = on && logScale;
    m_map->setDataScaleType(m_log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    m_scale->setDataScaleType(m_log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (m_log)
        m_scale->axis()->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        m_scale->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    applyPalette();
    setSlice(m_values, m_rows, m_cols, m_scale->axis()->label());
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
    // Cell centres at 0..n-1. QCustomPlot widens the image by half a cell only when a dimension
    // has two or more cells, so a single one gets the cell's width as its range instead.
    const auto centres = [](int n) { return n > 1 ? QCPRange(0, n - 1) : QCPRange(-0.5, 0.5); };
    data->setRange(centres(cols), centres(rows));
    double maxAbs = 0, minPositive = INFINITY;
    for (const double v : rowMajor)
        if (std::isfinite(v)) {
            maxAbs = std::max(maxAbs, std::abs(v));
            if (v > 0)
                minPositive = std::min(minPositive, v);
        }
    m_range = maxAbs > 0 ? maxAbs : 1;
    // On a log scale zero has no colour: it takes the lowest, like the smallest change.
    const double low =
        m_log ? (std::isfinite(minPositive) && minPositive < m_range ? minPositive : m_range / 10)
              : (m_sequential ? 0 : -m_range);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const double v = rowMajor.value(qsizetype(r) * cols + c, std::nan(""));
            data->setCell(c, r, m_log && v < low ? low : v);
        }
    }
    if (rows == 0 || cols == 0)
        data->fill(std::nan(""));
    // Nothing to show draws nothing, not one cell in the NaN colour.
    m_map->setVisible(rows > 0 && cols > 0);
    m_map->setDataRange(QCPRange(low, m_range));
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
    const QString value = std::isnan(v) ? tr("not computed") : QString::number(v, 'g', 9);
    if (m_rowLabels.size() == m_rows && m_colLabels.size() == m_cols)
        m_readout->setText(
            tr("%1, %2 %3: %4").arg(m_rowLabels[r], m_plot->xAxis->label(), m_colLabels[c], value));
    else
        m_readout->setText(tr("row %1, column %2: %3").arg(r).arg(c).arg(value));
}

QString HeatmapView::readoutText() const
{
    return m_readout->text();
}

} // namespace wl
