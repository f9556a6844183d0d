#include "histogramplot.h"

#include "themecolors.h"

#include "plotexport.h"

#include <algorithm>
#include <cmath>

#include <QCheckBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QSpinBox>
#include <QTextLayout>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace wl
{
namespace
{

constexpr double kLogBase = 0.8; // log-scale bars start just below one count

// QCPBars draws a bar from its base to base + value; on a log axis the base cannot be 0, so
// bars store value - base and end exactly at the value.
double logBase(const QList<HistogramSeries> &series, bool density)
{
    if (!density)
        return kLogBase;
    double bottom = 0;
    for (const auto &s : series) {
        std::uint64_t total = 0;
        for (auto c : s.histogram.counts)
            total += c;
        if (total == 0 || s.histogram.binWidth() <= 0)
            continue;
        const double smallest = 1.0 / (double(total) * s.histogram.binWidth());
        bottom = bottom == 0 ? smallest : std::min(bottom, smallest);
    }
    return bottom > 0 ? bottom * 0.5 : kLogBase;
}

QString number(double v)
{
    return QString::number(v, 'g', 6);
}

// Lines of at most `width` pixels: broken at spaces where it can be, inside a long tensor key
// or path where it cannot.
QString wrapped(const QString &text, const QFont &font, qreal width)
{
    QStringList lines;
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    for (const QString &paragraph : text.split(QLatin1Char('\n'))) {
        QTextLayout layout(paragraph, font);
        layout.setTextOption(option);
        layout.beginLayout();
        for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
            line.setLineWidth(width);
            lines << paragraph.mid(line.textStart(), line.textLength()).trimmed();
        }
        layout.endLayout();
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace

QColor HistogramPlot::seriesColor(int i)
{
    static const QColor colors[] = {{0x3b, 0x6e, 0xc4}, {0xe0, 0x7b, 0x39}, {0x3c, 0xa0, 0x5a},
                                    {0xc8, 0x3e, 0x4d}, {0x80, 0x62, 0xb8}, {0x8c, 0x6d, 0x4f},
                                    {0xd6, 0x6f, 0xb4}, {0x6b, 0x6b, 0x6b}, {0xb5, 0xa6, 0x2d},
                                    {0x2b, 0xa6, 0xc0}};
    return colors[i % int(std::size(colors))];
}

HistogramPlot::HistogramPlot(QWidget *parent) : QWidget(parent)
{
    m_bins = new QSpinBox(this);
    m_bins->setRange(0, 4096);
    m_bins->setValue(0);
    m_bins->setPrefix(tr("Bins: "));
    m_bins->setSpecialValueText(tr("Bins: auto"));
    m_bins->setKeyboardTracking(false);
    m_bins->setToolTip(tr("Number of equal-width bins between the minimum and the maximum; "
                          "auto grows with the number of values"));
    m_log = new QCheckBox(tr("Log counts"), this);
    m_log->setToolTip(tr("Logarithmic count axis: shows rare values in the tails"));
    m_density = new QCheckBox(tr("Density"), this);
    m_density->setToolTip(tr("Scale each histogram to unit area, so tensors of different sizes "
                             "can be compared by shape"));
    auto *reset = new QToolButton(this);
    reset->setText(tr("Reset zoom"));
    reset->setToolTip(tr("Show all bins again (wheel zooms, drag pans, double-click resets)"));
    m_export = new QToolButton(this);
    m_export->setText(tr("Export"));
    m_export->setToolTip(tr("Save the plot as PNG, SVG or PDF, or the bins as CSV"));
    m_export->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(m_export);
    for (const auto &[label, fmt] : {std::pair{tr("Image (PNG)…"), QStringLiteral("png")},
                                     {tr("Vector (SVG)…"), QStringLiteral("svg")},
                                     {tr("Document (PDF)…"), QStringLiteral("pdf")},
                                     {tr("Bins (CSV)…"), QStringLiteral("csv")}})
        menu->addAction(label, this, [this, f = fmt] { exportTo(f); });
    m_export->setMenu(menu);
    m_nonFinite = new QLabel(this);
    m_nonFinite->setToolTip(tr("Non-finite values are counted apart and not binned"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_bins);
    bar->addWidget(m_log);
    bar->addWidget(m_density);
    bar->addWidget(reset);
    bar->addWidget(m_export);
    bar->addStretch(1);
    // Its own row, wrapping: a long statistics line must not widen the whole panel.
    m_nonFinite->setWordWrap(true);

    m_plot = new QCustomPlot(this);
    m_plot->setAccessibleName(tr("Histogram plot"));
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->xAxis->setLabel(tr("value"));
    m_plot->yAxis->setLabel(tr("count"));
    m_plot->setMinimumHeight(200);
    const QFont f = font();
    for (auto *axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setLabelFont(f);
        axis->setTickLabelFont(f);
        axis->grid()->setPen(QPen(Qt::lightGray, 0, Qt::DotLine)); // coloured by the palette
    }
    m_plot->legend->setFont(f);
    m_plot->plotLayout()->insertRow(0);
    QFont titleFont = f;
    titleFont.setBold(true);
    m_title = new QCPTextElement(m_plot, QString(), titleFont);
    m_plot->installEventFilter(this);
    m_plot->plotLayout()->addElement(0, 0, m_title);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    theme::applyToPlot(m_plot, palette());

    m_readout = new QLabel(this);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_readout->setText(tr("Hover a bar to read its range and count"));
    m_readout->setStyleSheet(QStringLiteral("color: palette(mid);"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(m_nonFinite);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_readout);

    connect(m_bins, &QSpinBox::valueChanged, this, &HistogramPlot::binsChanged);
    connect(m_log, &QCheckBox::toggled, this, [this](bool on) {
        rebuild();
        emit logScaleChanged(on);
    });
    connect(m_density, &QCheckBox::toggled, this, [this] { rebuild(); });
    connect(reset, &QToolButton::clicked, this, &HistogramPlot::resetZoom);
    connect(m_plot, &QCustomPlot::mouseMove, this, &HistogramPlot::updateReadout);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { resetZoom(); });
    rebuild();
}

int HistogramPlot::bins() const
{
    return m_bins->value();
}

int HistogramPlot::binsFor(std::int64_t values) const
{
    if (m_bins->value() > 0)
        return m_bins->value();
    // Rice rule: a handful of bars for a bias vector, a few hundred for a large kernel.
    const double rice = 2.0 * std::cbrt(double(std::max<std::int64_t>(values, 1)));
    return std::clamp(int(std::lround(rice)), 8, 256);
}
void HistogramPlot::setBins(int bins)
{
    m_bins->setValue(bins);
}
bool HistogramPlot::logScale() const
{
    return m_log->isChecked();
}
bool HistogramPlot::density() const
{
    return m_density->isChecked();
}
void HistogramPlot::setDensity(bool on)
{
    m_density->setChecked(on);
}
void HistogramPlot::setLogScale(bool on)
{
    m_log->setChecked(on);
}

void HistogramPlot::setSeries(const QList<HistogramSeries> &series)
{
    m_series = series;
    m_message.clear();
    rebuild();
}

void HistogramPlot::setMessage(const QString &text)
{
    m_series.clear();
    m_message = text;
    rebuild();
}

void HistogramPlot::setTitle(const QString &title)
{
    m_title->setText(title);
    m_plot->replot();
}

void HistogramPlot::rebuild()
{
    m_plot->clearPlottables();
    m_plot->clearItems();
    m_note = nullptr;
    m_bars.clear();
    const bool log = logScale();
    m_plot->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log)
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    const bool dens = density();
    const QString what = dens ? tr("density") : tr("count");
    m_plot->yAxis->setLabel(log ? tr("%1 (log scale)").arg(what) : what);

    const bool overlay = m_series.size() > 1;
    m_base = log ? logBase(m_series, dens) : 0.0;
    for (int i = 0; i < m_series.size(); ++i) {
        const auto &h = m_series[i].histogram;
        if (h.isEmpty())
            continue;
        auto *bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        const QColor c = seriesColor(i);
        QColor fill = c;
        fill.setAlpha(overlay ? 110 : 200);
        bars->setPen(QPen(c.darker(115), 1));
        bars->setBrush(fill);
        bars->setName(m_series[i].label);
        bars->setWidth(h.binWidth() > 0 ? h.binWidth() : 1.0);
        std::uint64_t total = 0;
        for (auto c : h.counts)
            total += c;
        const double scale =
            dens && total > 0 && h.binWidth() > 0 ? 1.0 / (double(total) * h.binWidth()) : 1.0;
        bars->setBaseValue(m_base);
        QVector<double> keys, values;
        for (std::size_t b = 0; b < h.counts.size(); ++b) {
            if (log && h.counts[b] == 0)
                continue;
            keys << h.edge(b) + h.binWidth() / 2;
            values << double(h.counts[b]) * scale - m_base;
        }
        bars->setData(keys, values, true);
        m_bars << bars;
    }
    m_plot->legend->setVisible(overlay);

    auto *zero = new QCPItemStraightLine(m_plot);
    zero->point1->setCoords(0, 0);
    zero->point2->setCoords(0, 1);
    zero->setPen(QPen(theme::mutedText(palette()), 1, Qt::DashLine));
    zero->setVisible(!m_bars.isEmpty());

    if (!m_message.isEmpty() || m_bars.isEmpty()) {
        m_note = new QCPItemText(m_plot);
        m_note->position->setType(QCPItemPosition::ptAxisRectRatio);
        m_note->position->setCoords(0.5, 0.5);
        m_note->setTextAlignment(Qt::AlignHCenter);
        QFont f = font();
        f.setPointSizeF(f.pointSizeF() * 1.15);
        m_note->setFont(f);
        m_note->setColor(theme::mutedText(palette()));
        m_note->setBrush(palette().color(QPalette::Base)); // the grid stays behind the text
        m_note->setPadding(QMargins(8, 6, 8, 6));
        wrapNote();
    }
    updateNonFinite();
    resetZoom();
}

void HistogramPlot::wrapNote()
{
    if (!m_note)
        return;
    m_note->setText(
        wrapped(m_message.isEmpty() ? tr("Select a numeric tensor or a layer") : m_message,
                m_note->font(), std::max(120, m_plot->width() - 140)));
}

void HistogramPlot::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        theme::applyToPlot(m_plot, palette());
        rebuild(); // the zero line, the note and the counts take their colours when made
    }
}

bool HistogramPlot::eventFilter(QObject *watched, QEvent *event)
{
    // The plot replots itself after a resize; the note only needs its lines for the new width.
    if (watched == m_plot && event->type() == QEvent::Resize)
        wrapNote();
    return QWidget::eventFilter(watched, event);
}

void HistogramPlot::resetZoom()
{
    if (m_bars.isEmpty()) {
        m_plot->xAxis->setRange(-1, 1);
        m_plot->yAxis->setRange(logScale() ? 1 : 0, logScale() ? 10 : 1);
        m_plot->replot();
        return;
    }
    double lo = std::numeric_limits<double>::max(), hi = -lo, top = 0;
    for (const auto &s : m_series) {
        if (s.histogram.isEmpty())
            continue;
        lo = std::min(lo, s.histogram.lo);
        hi = std::max(hi, s.histogram.hi);
    }
    for (auto *b : m_bars) {
        for (auto it = b->data()->constBegin(); it != b->data()->constEnd(); ++it)
            top = std::max(top, it->value + m_base);
    }
    if (top <= 0)
        top = 1;
    const double pad = (hi - lo) * 0.03;
    m_plot->xAxis->setRange(lo - pad, hi + pad);
    if (logScale())
        m_plot->yAxis->setRange(m_base, top * 2.0);
    else
        m_plot->yAxis->setRange(0, top * 1.08);
    if (!logScale()) {
        // Counts are whole numbers: no fractional ticks on small histograms.
        if (top <= 8 && !density()) {
            auto fixed = QSharedPointer<QCPAxisTickerFixed>::create();
            fixed->setTickStep(1);
            fixed->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
            m_plot->yAxis->setTicker(fixed);
        } else {
            m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
        }
    }
    m_plot->replot();
}

QString HistogramPlot::readoutAt(const QPointF &pos) const
{
    const double x = m_plot->xAxis->pixelToCoord(pos.x());
    QStringList parts;
    for (int i = 0; i < m_series.size(); ++i) {
        const auto &h = m_series[i].histogram;
        if (h.isEmpty() || x < h.lo || x > h.hi || h.binWidth() <= 0)
            continue;
        auto b = std::size_t((x - h.lo) / h.binWidth());
        b = std::min(b, h.counts.size() - 1);
        const QString range =
            b + 1 == h.counts.size()
                ? QStringLiteral("[%1, %2]").arg(number(h.edge(b)), number(h.hi))
                : QStringLiteral("[%1, %2)").arg(number(h.edge(b)), number(h.edge(b + 1)));
        QString text = tr("%1: %2 values").arg(range).arg(h.counts[b]);
        if (m_series.size() > 1)
            text = m_series[i].label + QStringLiteral("  ") + text;
        parts << text;
    }
    return parts.join(QStringLiteral("   |   "));
}

QString HistogramPlot::readoutText() const
{
    return m_readout->text();
}

void HistogramPlot::updateReadout(QMouseEvent *event)
{
    const QString text = readoutAt(event->position());
    m_readout->setText(text.isEmpty() ? tr("Hover a bar to read its range and count") : text);
}

void HistogramPlot::updateNonFinite()
{
    std::int64_t nan = 0, inf = 0;
    for (const auto &s : m_series) {
        nan += s.nan;
        inf += s.inf;
    }
    if (m_series.isEmpty()) {
        m_nonFinite->clear();
        return;
    }
    const QString warn =
        QStringLiteral("color:%1; font-weight:600;").arg(theme::warningText(palette()).name());
    auto part = [&](const QString &name, std::int64_t n) {
        return QStringLiteral("<span style='%1'>%2: %3</span>")
            .arg(n ? warn : QString(), name, QLocale().toString(qlonglong(n)));
    };
    QString summary;
    if (m_series.size() == 1 && m_series.first().mean) {
        // One tensor: its statistics sit beside the plot so the picture reads on its own.
        const auto &s = m_series.first();
        auto num = [](const std::optional<double> &v) {
            return v ? QLocale().toString(*v, 'g', 4) : QStringLiteral("–");
        };
        summary = tr("%1 values &nbsp; mean %2 &nbsp; std %3 &nbsp; min %4 &nbsp; max %5")
                      .arg(QLocale().toString(qlonglong(s.count)), num(s.mean), num(s.std),
                           num(s.min), num(s.max)) +
                  QStringLiteral("&nbsp;&nbsp;&nbsp;");
    }
    m_nonFinite->setText(summary + part(tr("NaN"), nan) + QStringLiteral("&nbsp;&nbsp;") +
                         part(tr("±Inf"), inf));
}

void HistogramPlot::exportTo(const QString &format)
{
    const QString filter = format == QLatin1String("csv")   ? tr("CSV files (*.csv)")
                           : format == QLatin1String("svg") ? tr("SVG images (*.svg)")
                           : format == QLatin1String("pdf") ? tr("PDF documents (*.pdf)")
                                                            : tr("PNG images (*.png)");
    QString base = m_series.size() == 1 ? m_series.first().label : QStringLiteral("histogram");
    base.replace(QLatin1Char('/'), QLatin1Char('_'));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export histogram"),
                                                      base + QLatin1Char('.') + format, filter);
    if (path.isEmpty())
        return;
    const Status st =
        format == QLatin1String("csv") ? saveHistogramCsv(m_series, path) : savePlot(m_plot, path);
    if (!st.ok())
        QMessageBox::warning(this, tr("Export failed"), st.error().message());
}

} // namespace wl
