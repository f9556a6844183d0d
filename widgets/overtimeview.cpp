#include "overtimeview.h"

#include "plotexport.h"
#include "themecolors.h"

#include "events/runlogs.h"
#include "write/atomicfile.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace wl
{
namespace
{

constexpr double kRidgeHeight = 2.6; // a step's tallest bin, in step spacings: ridges overlap

// Early steps light, later ones dark.
QColor stepColor(std::size_t i, std::size_t n)
{
    const double t = n > 1 ? double(i) / double(n - 1) : 1.0;
    const QColor a(0xf6, 0xb2, 0x6b), b(0xb3, 0x3c, 0x0c);
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
                            float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

void styleAxes(QCustomPlot *p, const QFont &f)
{
    for (auto *axis : {p->xAxis, p->yAxis}) {
        axis->setLabelFont(f);
        axis->setTickLabelFont(f);
        axis->grid()->setPen(QPen(Qt::lightGray, 0, Qt::DotLine)); // coloured by the palette
    }
}

// A graph along xs at height ys, filled down to a flat one at `base`.
QCPGraph *filledGraph(QCustomPlot *p, const QVector<double> &xs, const QVector<double> &ys,
                      double base, const QPen &pen, const QBrush &brush)
{
    auto *floor = p->addGraph();
    floor->setData(xs, QVector<double>(xs.size(), base), true);
    floor->setPen(Qt::NoPen);
    auto *g = p->addGraph();
    g->setData(xs, ys, true);
    g->setPen(pen);
    g->setBrush(brush);
    g->setChannelFillGraph(floor);
    return g;
}

} // namespace

OverTimeView::OverTimeView(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);

    m_ridgeButton = new QToolButton(this);
    m_ridgeButton->setText(tr("Ridge"));
    m_ridgeButton->setToolTip(tr("Histograms on shared bins, offset by step: later steps "
                                 "further back"));
    m_bandButton = new QToolButton(this);
    m_bandButton->setText(tr("Bands"));
    m_bandButton->setToolTip(tr("Min, the percentiles of TensorBoard's distributions (6.68, "
                                "15.87, 30.85, 50, 69.15, 84.13, 93.32) and max, against step"));
    auto *group = new QButtonGroup(this);
    for (auto *b : {m_ridgeButton, m_bandButton}) {
        b->setCheckable(true);
        b->setAutoRaise(true);
        group->addButton(b);
    }
    m_ridgeButton->setChecked(true);
    connect(m_ridgeButton, &QToolButton::clicked, this, [this] { setMode(Mode::Ridge); });
    connect(m_bandButton, &QToolButton::clicked, this, [this] { setMode(Mode::Band); });

    m_export = new QToolButton(this);
    m_export->setText(tr("Export"));
    m_export->setToolTip(tr("Save the plots as PNG, SVG or PDF, or the percentiles and "
                            "changes per step as CSV"));
    setExportMenu(
        m_export, tr("Export weights over time"),
        [this] { return m_result.label.isEmpty() ? QStringLiteral("over-time") : m_result.label; },
        [this](const QString &path) { return exportTo(path); });

    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setToolTip(tr("Stop reading the checkpoints (Esc)"));
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, this, &OverTimeView::cancelRequested);

    m_logTags = new QComboBox(this);
    m_logTags->setToolTip(tr("A histogram tag of the logs"));
    m_logTags->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_logTags->hide();
    connect(m_logTags, &QComboBox::currentIndexChanged, this, &OverTimeView::showLogTag);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_logTags);
    bar->addWidget(m_title, 1);
    bar->addWidget(m_ridgeButton);
    bar->addWidget(m_bandButton);
    bar->addWidget(m_export);

    m_message = new QLabel(this);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto *messageRow = new QHBoxLayout;
    messageRow->addStretch(1);
    messageRow->addWidget(m_message);
    messageRow->addWidget(m_cancel);
    messageRow->addStretch(1);

    const QFont f = font();
    m_plot = new QCustomPlot(this);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMinimumHeight(200);
    styleAxes(m_plot, f);
    m_change = new QCustomPlot(this);
    m_change->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_change->setMinimumHeight(110);
    styleAxes(m_change, f);
    m_change->xAxis->setLabel(tr("step"));
    // The strip is short, in the window and in reports: few ticks, and a label that fits its
    // height; the tooltip and the report's caption say which change.
    m_change->yAxis->setLabel(tr("rel. change"));
    m_change->yAxis->ticker()->setTickCount(3);
    m_change->setToolTip(tr("Relative L2 change from the previous checkpoint: "
                            "‖Wₜ − Wₜ₋₁‖ / ‖Wₜ₋₁‖"));

    theme::applyToPlot(m_plot, palette());
    theme::applyToPlot(m_change, palette());
    m_plot->setAccessibleName(tr("Weights over time"));
    m_change->setAccessibleName(tr("Relative change per step"));
    m_logTags->setAccessibleName(tr("Histogram tag"));

    m_notes = new QLabel(this);
    m_notes->setWordWrap(true);
    m_notes->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_notes->setStyleSheet(QStringLiteral("color: palette(mid);"));

    m_readout = new QLabel(this);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    connect(m_plot, &QCustomPlot::mouseMove, this,
            [this](QMouseEvent *e) { m_readout->setText(readoutAt(e->position())); });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addLayout(messageRow);
    layout->addWidget(m_plot, 3);
    layout->addWidget(m_readout);
    layout->addWidget(m_change, 1);
    layout->addWidget(m_notes);
    setMessage(tr("Select a variable of a run with two or more checkpoints"));
}

void OverTimeView::setMessage(const QString &text, bool busy)
{
    m_result = {};
    m_title->clear();
    m_message->setText(text);
    m_message->show();
    m_cancel->setVisible(busy);
    m_plot->hide();
    m_change->hide();
    m_notes->clear();
    m_readout->clear();
    m_export->setEnabled(false);
}

void OverTimeView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        theme::applyToPlot(m_plot, palette());
        theme::applyToPlot(m_change, palette());
        redraw();
    }
}

QString OverTimeView::message() const
{
    return m_message->isHidden() ? QString() : m_message->text();
}

QString OverTimeView::notesText() const
{
    return m_notes->text();
}

QString OverTimeView::readoutAt(const QPointF &pos) const
{
    const auto &steps = m_result.steps;
    if (steps.empty())
        return {};
    const double x = m_plot->xAxis->pixelToCoord(pos.x());
    auto num = [](double v) { return QString::number(v, 'g', 6); };
    if (m_mode == Mode::Ridge) {
        // The ridge whose baseline is the nearest one at or below the pointer.
        const double y = m_plot->yAxis->pixelToCoord(pos.y());
        const int k = std::clamp(int(std::floor(y)), 0, int(steps.size()) - 1);
        const int b = int(
            std::floor((x - m_result.lo) / (m_result.hi - m_result.lo) * double(m_result.bins)));
        if (b < 0 || b >= m_result.bins)
            return tr("step %1").arg(steps[std::size_t(k)].step);
        return tr("step %1: [%2, %3) holds %4 of %5")
            .arg(steps[std::size_t(k)].step)
            .arg(num(m_result.binEdge(b)), num(m_result.binEdge(b + 1)),
                 num(steps[std::size_t(k)].counts[std::size_t(b)]),
                 num(steps[std::size_t(k)].count));
    }
    const auto nearest = std::min_element(steps.begin(), steps.end(), [x](auto &a, auto &b) {
        return std::abs(double(a.step) - x) < std::abs(double(b.step) - x);
    });
    QStringList parts;
    for (std::size_t i = 0; i < kBandBasisPoints.size(); ++i) {
        const int bp = kBandBasisPoints[i];
        const QString name = bp == 0       ? tr("min")
                             : bp == 10000 ? tr("max")
                                           : QStringLiteral("%1%").arg(bp / 100.0);
        parts << QStringLiteral("%1 %2").arg(name, num(nearest->band[i]));
    }
    return tr("step %1: %2").arg(nearest->step).arg(parts.join(QStringLiteral(", ")));
}

void OverTimeView::setResult(const OverTime &result)
{
    m_result = result;
    m_message->hide();
    m_cancel->hide();
    m_plot->show();
    m_readout->setText(tr("Hover the plot to read a step"));
    m_export->setEnabled(true);
    const auto &steps = m_result.steps;
    const QString name = m_result.label.isEmpty() ? m_result.name : m_result.label;
    m_title->setText(steps.empty() ? name
                                   : tr("%1 — %n step(s), %2 to %3", "", int(steps.size()))
                                         .arg(name)
                                         .arg(steps.front().step)
                                         .arg(steps.back().step));
    QStringList notes = m_result.notes;
    if (!m_result.exactBand)
        notes.prepend(tr("From the logged histograms: percentiles interpolated within buckets"));
    m_notes->setText(notes.join(QLatin1Char('\n')));
    m_notes->setVisible(!notes.isEmpty());
    redraw();
}

bool OverTimeView::setLogHistograms(const QList<LogRunRef> &runs)
{
    const QString wasChosen = m_logTags->currentText();
    QList<QPair<LogRunRef, QString>> choices;
    QStringList labels;
    for (const auto &run : runs) {
        if (!run.isValid())
            continue;
        for (const auto &s : run.get().series.all())
            if (s.kind == events::SeriesKind::Histogram && !s.histograms.empty()) {
                choices.append({run, s.tag});
                labels << (runs.size() > 1 ? run.get().name + QStringLiteral(": ") + s.tag : s.tag);
            }
    }
    const QSignalBlocker block(m_logTags);
    m_logTags->clear();
    m_logChoices = choices;
    m_logTags->addItems(labels);
    m_logTags->setVisible(!choices.isEmpty());
    if (choices.isEmpty())
        return false;
    const int keep = std::max(0, int(labels.indexOf(wasChosen)));
    m_logTags->setCurrentIndex(keep);
    showLogTag(keep);
    return true;
}

void OverTimeView::showLogTag(int choice)
{
    if (choice < 0 || choice >= m_logChoices.size())
        return;
    const auto &[run, tag] = m_logChoices[choice];
    const events::Series *series = run.isValid() ? run.get().series.find(tag) : nullptr;
    if (!series)
        return setMessage(tr("%1 is no longer in the logs").arg(tag));
    // A live run asks again with each update: the last result stays until the new one comes.
    if (m_result.name != tag)
        setMessage(tr("Binning %1 over %n step(s)…", "", int(series->histograms.size())).arg(tag),
                   true);
    emit logHistogramRequested(std::shared_ptr<const events::Series>(run.logs, series));
}

void OverTimeView::setMode(Mode mode)
{
    m_ridgeButton->setChecked(mode == Mode::Ridge);
    m_bandButton->setChecked(mode == Mode::Band);
    if (mode == m_mode)
        return;
    m_mode = mode;
    redraw();
    emit modeChanged(mode);
}

void OverTimeView::redraw()
{
    m_plot->clearGraphs();
    m_plot->clearPlottables();
    if (m_result.steps.empty()) {
        m_plot->replot();
        return;
    }
    if (m_mode == Mode::Ridge)
        drawRidge();
    else
        drawBand();
    drawChange();
}

void OverTimeView::drawRidge()
{
    const auto &steps = m_result.steps;
    const std::size_t n = steps.size();
    double peak = 0;
    for (const auto &s : steps)
        for (double c : s.counts)
            peak = std::max(peak, c);
    const double scale = peak > 0 ? kRidgeHeight / peak : 0;
    QVector<double> xs;
    const double w = (m_result.hi - m_result.lo) / double(std::max(1, m_result.bins));
    // Steps of bars: each bin as a flat top from edge to edge.
    for (int b = 0; b < m_result.bins; ++b)
        xs << m_result.binEdge(b) << m_result.binEdge(b) + w;
    // Back to front: the first step is drawn last, in front and lowest.
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    const std::size_t every = std::max<std::size_t>(1, n / 12);
    for (std::size_t k = n; k-- > 0;) {
        const double base = double(k);
        QVector<double> ys;
        for (double c : steps[k].counts)
            ys << base + c * scale << base + c * scale;
        const QColor c = stepColor(k, n);
        QColor fill = c;
        fill.setAlphaF(0.92f);
        filledGraph(m_plot, xs, ys, base, QPen(c.darker(130), 1.2), QBrush(fill));
        if (k % every == 0 || k + 1 == n)
            ticker->addTick(base, QString::number(steps[k].step));
    }
    m_plot->xAxis->setLabel(tr("value (%n shared bin(s))", "", m_result.bins));
    m_plot->yAxis->setLabel(tr("step"));
    m_plot->yAxis->setTicker(ticker);
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    m_plot->xAxis->setRange(m_result.lo, m_result.hi);
    m_plot->yAxis->setRange(-0.3, double(n - 1) + kRidgeHeight + 0.3);
    m_plot->replot();
}

void OverTimeView::drawBand()
{
    const auto &steps = m_result.steps;
    QVector<double> xs;
    for (const auto &s : steps)
        xs << double(s.step);
    auto column = [&](std::size_t k) {
        QVector<double> ys;
        for (const auto &s : steps)
            ys << s.band[k];
        return ys;
    };
    const std::size_t last = kBandBasisPoints.size() - 1;
    const QColor base(0xe0, 0x7b, 0x39);
    // Outer bands first, each inner one drawn over it, darker.
    for (std::size_t k = 0; k < last / 2; ++k) {
        auto *lower = m_plot->addGraph();
        lower->setData(xs, column(k), true);
        lower->setPen(Qt::NoPen);
        auto *upper = m_plot->addGraph();
        upper->setData(xs, column(last - k), true);
        upper->setPen(Qt::NoPen);
        QColor fill = base;
        fill.setAlphaF(float(0.22 + 0.16 * double(k)));
        upper->setBrush(fill);
        upper->setChannelFillGraph(lower);
    }
    auto *median = m_plot->addGraph();
    median->setData(xs, column(last / 2), true);
    median->setPen(QPen(theme::isDark(palette()) ? base.lighter(140) : base.darker(160), 1.6));
    if (steps.size() == 1)
        median->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis->setLabel(tr("value"));
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    m_plot->rescaleAxes();
    const double pad = std::max(1.0, (xs.back() - xs.front()) * 0.02);
    m_plot->xAxis->setRange(xs.front() - pad, xs.back() + pad);
    const auto r = m_plot->yAxis->range();
    m_plot->yAxis->setRange(r.lower - r.size() * 0.05, r.upper + r.size() * 0.05);
    m_plot->replot();
}

void OverTimeView::drawChange()
{
    m_change->clearGraphs();
    QVector<double> xs, ys;
    for (const auto &s : m_result.steps)
        if (s.relChange) {
            xs << double(s.step);
            ys << *s.relChange;
        }
    m_change->setVisible(!xs.isEmpty());
    if (xs.isEmpty())
        return;
    auto *g = m_change->addGraph();
    g->setData(xs, ys, true);
    g->setPen(QPen(theme::accent(palette()), 1.6));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
    m_change->rescaleAxes();
    const double top = *std::max_element(ys.begin(), ys.end());
    m_change->yAxis->setRange(0, top > 0 ? top * 1.1 : 1);
    // Over every step, so that it lines up with the bands above.
    const double first = double(m_result.steps.front().step);
    const double last = double(m_result.steps.back().step);
    const double pad = std::max(1.0, (last - first) * 0.02);
    m_change->xAxis->setRange(first - pad, last + pad);
    m_change->replot();
}

QByteArray OverTimeView::csv() const
{
    QByteArray out = "step,label,count,non_finite";
    for (int bp : kBandBasisPoints)
        out += bp == 0       ? QByteArray(",min")
               : bp == 10000 ? QByteArray(",max")
                             : ",p" + QByteArray::number(bp / 100.0);
    out += ",rel_change\n";
    auto num = [](double v) { return std::isfinite(v) ? QString::number(v, 'g', 17) : QString(); };
    for (const auto &s : m_result.steps) {
        QStringList row{QString::number(s.step), csvField(s.label),
                        QString::number(s.count, 'g', 17), QString::number(s.nonFinite)};
        for (double v : s.band)
            row << num(v);
        row << (s.relChange ? num(*s.relChange) : QString());
        out += row.join(QLatin1Char(',')).toUtf8() + '\n';
    }
    return out;
}

Status OverTimeView::exportTo(const QString &path)
{
    if (path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive))
        return writeBytesAtomically(path, csv(), true);
    QList<std::pair<QCustomPlot *, QSize>> plots{{m_plot, m_plot->size()}};
    // The change plot lines up under the bands; it is hidden when there is no change to show.
    if (!m_change->isHidden())
        plots.append({m_change, QSize(m_plot->width(), m_change->height())});
    return savePlots(plots, path);
}

} // namespace wl
