#include "analysisview.h"

#include "themecolors.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QStackedLayout>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include <qcustomplot.h>

namespace wl
{
namespace
{

QString analysisNumber(double v)
{
    if (!std::isfinite(v))
        return std::isinf(v) ? QStringLiteral("∞") : QStringLiteral("–");
    return QString::number(v, 'g', 6);
}

QCustomPlot *analysisPlot(QWidget *parent, const QString &x, const QString &y, bool logX)
{
    auto *p = new QCustomPlot(parent);
    p->setMinimumSize(260, 200);
    p->xAxis->setLabel(x);
    p->yAxis->setLabel(y);
    p->yAxis->setScaleType(QCPAxis::stLogarithmic);
    p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    if (logX) {
        p->xAxis->setScaleType(QCPAxis::stLogarithmic);
        p->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    }
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    theme::applyToPlot(p, p->palette());
    return p;
}

} // namespace

AnalysisView::AnalysisView(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_gate = new QComboBox(this);
    m_gate->setToolTip(tr("The gate of a recurrent kernel, in Keras's order (Alt+G)"));
    m_gate->hide();
    m_gateLabel = new QLabel(tr("&Gate:"), this);
    m_gateLabel->setBuddy(m_gate);
    m_gateLabel->hide();
    connect(m_gate, &QComboBox::currentIndexChanged, this, &AnalysisView::showGate);

    m_singular = analysisPlot(this, tr("index"), tr("singular value"), false);
    m_singular->setToolTip(tr("Singular values, largest first, on a log scale (zeros left out)"));
    m_esd = analysisPlot(this, tr("eigenvalue of WᵀW / rows"), tr("density"), true);
    m_esd->setToolTip(tr("Empirical spectral density on log-log axes: the fitted power law of its "
                         "tail (from xmin) and the Marchenko-Pastur edge of a random matrix of "
                         "the same shape and variance"));
    m_esd->legend->setVisible(true);
    m_numbers = new QTextBrowser(this);
    m_numbers->setFrameShape(QFrame::NoFrame);
    m_numbers->setMinimumWidth(220);
    m_numbers->setMaximumWidth(300);

    m_body = new QWidget(this);
    auto *plots = new QHBoxLayout(m_body);
    plots->setContentsMargins(0, 0, 0, 0);
    plots->addWidget(m_singular, 1);
    plots->addWidget(m_esd, 1);
    plots->addWidget(m_numbers);

    m_message = new QLabel(this);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);

    auto *top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    top->addWidget(m_gateLabel);
    top->addWidget(m_gate);

    m_stack = new QStackedLayout;
    m_stack->addWidget(m_message);
    m_stack->addWidget(m_body);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(top);
    layout->addLayout(m_stack, 1);
    setMessage(tr("Select a weight matrix: a floating-point variable of rank 2 to 4"));
}

void AnalysisView::setMessage(const QString &text)
{
    m_tensor = {};
    m_analyses.clear();
    m_title->clear();
    m_gate->hide();
    m_gateLabel->hide();
    m_message->setText(text);
    m_stack->setCurrentWidget(m_message);
}

void AnalysisView::setAnalyses(const TensorRef &t, const QVector<analysis::LayerAnalysis> &a)
{
    if (a.isEmpty())
        return setMessage(tr("Not a weight matrix"));
    m_tensor = t;
    m_analyses = a;
    const QSignalBlocker block(m_gate);
    m_gate->clear();
    for (const auto &l : a)
        m_gate->addItem(l.gate.isEmpty() ? tr("whole") : l.gate);
    m_gate->setVisible(a.size() > 1);
    m_gateLabel->setVisible(a.size() > 1);
    m_stack->setCurrentWidget(m_body);
    showGate(0);
}

void AnalysisView::showGate(int i)
{
    if (i < 0 || i >= m_analyses.size() || !m_tensor.isValid())
        return;
    const auto &l = m_analyses[i];
    showMatrix(analysis::matrixName(m_tensor.info(), l), l.matrix);
}

void AnalysisView::showMatrix(const QString &title, const analysis::MatrixAnalysis &m)
{
    m_title->setText(
        tr("<b>%1</b> analysed as %2 × %3").arg(title.toHtmlEscaped()).arg(m.rows).arg(m.cols));
    const QPalette pal = palette();
    // The palette of now: a report draws on paper, whatever the desktop's.
    theme::applyToPlot(m_singular, pal);
    theme::applyToPlot(m_esd, pal);
    const QColor accent = theme::accent(pal);
    const QColor warn = theme::warningText(pal);

    // Singular values, largest first.
    m_singular->clearGraphs();
    auto *sv = m_singular->addGraph();
    QVector<double> xs, ys;
    for (std::size_t k = 0; k < m.singularValues.size(); ++k)
        if (m.singularValues[k] > 0) {
            xs << double(k + 1);
            ys << m.singularValues[k];
        }
    sv->setData(xs, ys, true);
    sv->setPen(QPen(accent, 1.5));
    sv->setLineStyle(xs.size() > 200 ? QCPGraph::lsLine : QCPGraph::lsNone);
    if (xs.size() <= 200)
        sv->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
    m_singular->rescaleAxes();
    if (!ys.isEmpty())
        m_singular->yAxis->setRange(ys.last() / 1.5, ys.first() * 1.5);
    m_singular->xAxis->setRange(0, double(std::max<qsizetype>(1, xs.size())) + 1);
    m_singular->replot();

    // ESD: log-spaced bins over the positive eigenvalues, as a density.
    m_esd->clearGraphs();
    m_esd->clearItems();
    std::vector<double> ev;
    for (double s : m.singularValues)
        if (s > 0)
            ev.push_back(s * s / double(m.rows));
    const double total = double(m.singularValues.size());
    if (!ev.empty()) {
        const auto [lo, hi] = std::minmax_element(ev.begin(), ev.end());
        const double a = std::log(*lo), b = std::log(*hi);
        const int bins = std::clamp(int(std::sqrt(double(ev.size())) * 2), 8, 60);
        const double width = b > a ? (b - a) / bins : 1.0;
        std::vector<double> counts(std::size_t(bins), 0.0);
        for (double v : ev) {
            const int k = b > a ? std::min(bins - 1, int((std::log(v) - a) / width)) : 0;
            counts[std::size_t(k)] += 1;
        }
        QVector<double> bx, by;
        for (int k = 0; k < bins; ++k) {
            if (counts[std::size_t(k)] == 0)
                continue;
            const double left = std::exp(a + k * width), right = std::exp(a + (k + 1) * width);
            bx << std::sqrt(left * right);
            by << counts[std::size_t(k)] / (total * (right - left));
        }
        auto *hist = m_esd->addGraph();
        hist->setName(tr("ESD"));
        hist->setData(bx, by, true);
        hist->setPen(QPen(theme::mutedText(pal), 1.5));
        hist->setLineStyle(QCPGraph::lsStepCenter);
        hist->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
        m_esd->rescaleAxes();
        double ylo = by.isEmpty() ? 1 : *std::min_element(by.begin(), by.end());
        double yhi = by.isEmpty() ? 1 : *std::max_element(by.begin(), by.end());
        // The fitted law over its tail, scaled to the whole sample: (tail / n) p(x).
        if (std::isfinite(m.fit.alpha) && m.fit.xmin > 0) {
            QVector<double> fx, fy;
            const double frac = double(m.fit.tail) / total;
            for (int k = 0; k <= 40; ++k) {
                const double x = m.fit.xmin * std::pow(*hi / m.fit.xmin, k / 40.0);
                fx << x;
                fy << frac * (m.fit.alpha - 1) / m.fit.xmin *
                          std::pow(x / m.fit.xmin, -m.fit.alpha);
            }
            auto *law = m_esd->addGraph();
            law->setName(tr("power law, α = %1").arg(analysisNumber(m.fit.alpha)));
            law->setData(fx, fy, true);
            law->setPen(QPen(accent, 2));
            ylo = std::min(ylo, fy.last());
            yhi = std::max(yhi, fy.first());
        }
        m_esd->yAxis->setRange(ylo / 2, yhi * 2);
        m_esd->xAxis->setRange(std::min(*lo, std::isfinite(m.mpEdge) ? m.mpEdge : *lo) / 1.5,
                               std::max(*hi, std::isfinite(m.mpEdge) ? m.mpEdge : *hi) * 1.5);
        if (std::isfinite(m.mpEdge) && m.mpEdge > 0) {
            auto *edge = m_esd->addGraph();
            edge->setName(tr("Marchenko-Pastur edge"));
            edge->setData({m.mpEdge, m.mpEdge}, {ylo / 2, yhi * 2});
            edge->setPen(QPen(warn, 1.5, Qt::DashLine));
        }
    }
    m_esd->replot();

    const auto row = [](const QString &k, const QString &v) {
        return QStringLiteral("<tr><td>%1</td><td align=right>%2</td></tr>").arg(k, v);
    };
    QString html = QStringLiteral("<table cellspacing=2>");
    html += row(tr("Frobenius norm"), analysisNumber(m.frobeniusNorm));
    html += row(tr("Spectral norm"), analysisNumber(m.spectralNorm));
    html += row(tr("Stable rank"), analysisNumber(m.stableRank));
    html += row(tr("Effective rank"), analysisNumber(m.effectiveRank));
    html += row(tr("Condition number"), analysisNumber(m.conditionNumber));
    html += row(tr("Near-zero fraction"), analysisNumber(m.nearZeroFraction));
    html += row(tr("Alpha"), analysisNumber(m.fit.alpha));
    html += row(tr("Alpha xmin"), analysisNumber(m.fit.xmin));
    html += row(tr("Alpha KS distance"), analysisNumber(m.fit.ks));
    html += row(tr("Tail eigenvalues"), QString::number(m.fit.tail));
    html += row(tr("MP edge"), analysisNumber(m.mpEdge));
    html += row(tr("MP spikes"), QString::number(m.mpSpikes));
    html += row(tr("Dead rows"), QString::number(m.deadRows));
    html += row(tr("Dead columns"), QString::number(m.deadCols));
    html += QStringLiteral("</table>");
    if (!m.note.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(m.note.toHtmlEscaped());
    m_numbers->setHtml(html);
}

QString AnalysisView::numbersText() const
{
    return m_numbers->toPlainText();
}

} // namespace wl
