#include "tensorinspector.h"

#include "analysisview.h"
#include "curvespanel.h"
#include "histogramplot.h"
#include "overtimeview.h"
#include "valuesview.h"

#include "graphview.h"
#include <QScrollBar>
#include <QSet>

#include <QTextBrowser>

namespace wl
{

TensorInspector::TensorInspector(QWidget *parent) : QTabWidget(parent)
{
    m_overview = new QTextBrowser(this);
    m_overview->setAccessibleName(tr("Overview"));
    m_overview->setOpenLinks(false);
    m_overview->setFrameShape(QFrame::NoFrame);
    m_histogram = new HistogramPlot(this);
    m_values = new ValuesView(this);
    addTab(m_overview, tr("Overview"));
    addTab(m_histogram, tr("Histogram"));
    m_curves = new CurvesPanel(this);
    addTab(m_values, tr("Values"));
    addTab(m_curves, tr("Curves"));
    setTabToolTip(OverviewTab, tr("Format, metadata and statistics of the selection (Alt+1)"));
    setTabToolTip(HistogramTab, tr("Distribution of the selected tensors' values (Alt+2)"));
    setTabToolTip(ValuesTab, tr("The elements of one tensor as a table or heatmap (Alt+3)"));
    setTabToolTip(CurvesTab, tr("Training curves from the run's event files and CSV logs (Alt+4)"));
    m_overTime = new OverTimeView(this);
    addTab(m_overTime, tr("Over Time"));
    setTabToolTip(OverTimeTab, tr("The selected variable across the checkpoints of its run: ridge, "
                                  "percentile bands and change per step (Alt+5)"));
    m_graph = new GraphView(this);
    addTab(m_graph, tr("Graph"));
    setTabToolTip(GraphTab, tr("The model's layers or ops and their connections, linked to their "
                               "weights (Alt+6)"));
    m_analysis = new AnalysisView(this);
    addTab(m_analysis, tr("Analysis"));
    setTabToolTip(AnalysisTab, tr("Spectra of the selected weight matrix: singular values, "
                                  "the eigenvalue density with its power-law fit and the "
                                  "Marchenko-Pastur edge (Alt+7)"));
    setDocumentMode(true);
}

void TensorInspector::setOverviewHtml(const QString &html)
{
    const int scroll = m_overview->verticalScrollBar()->value();
    const bool same = m_overview->documentTitle() == html.left(64);
    m_overview->setHtml(html);
    m_overview->setDocumentTitle(html.left(64));
    if (same) // a refresh of the same page (statistics arrived): keep the reading position
        m_overview->verticalScrollBar()->setValue(scroll);
}

QString TensorInspector::overviewHtml() const
{
    return m_overview->toHtml();
}

void TensorInspector::setHistogramTensors(const QList<TensorRef> &tensors, const QString &note,
                                          const QString &title)
{
    m_tensors = tensors;
    m_title = title;
    m_reports.clear();
    m_histogram->setTitle({});
    if (tensors.isEmpty())
        m_histogram->setMessage(note);
    else
        m_histogram->setMessage(tr("Computing histogram…"));
}

void TensorInspector::addReport(const TensorRef &t, const TensorReport &report)
{
    if (!m_tensors.contains(t))
        return;
    m_reports.insert(t, report);
    updatePlot();
}

bool TensorInspector::allReportsArrived() const
{
    return !m_tensors.isEmpty() && m_reports.size() == m_tensors.size();
}

void TensorInspector::updatePlot()
{
    const QStringList labels = shortLabels(m_tensors);
    QList<HistogramSeries> series;
    QStringList errors;
    for (int i = 0; i < m_tensors.size(); ++i) {
        auto it = m_reports.constFind(m_tensors[i]);
        if (it == m_reports.cend())
            continue;
        if (!it->error.isEmpty()) {
            errors << QStringLiteral("%1: %2").arg(labels[i], it->error);
            continue;
        }
        if (!it->reduced)
            continue;
        const auto &st = it->stats;
        series << HistogramSeries{labels[i], st.histogram, st.nan, st.inf, st.count,
                                  st.mean,   st.std,       st.min, st.max};
    }
    if (!series.isEmpty()) {
        m_histogram->setSeries(series);
        QString title = m_title;
        if (title.isEmpty())
            title = m_tensors.size() == 1 ? m_tensors.first().info().name
                                          : tr("%1 tensors").arg(m_tensors.size());
        // Tensors that could not be read are counted, not silently left out of the overlay;
        // selecting one shows its error.
        if (!errors.isEmpty())
            title += tr(" (%n unreadable)", nullptr, int(errors.size()));
        m_histogram->setTitle(title);
    } else if (!errors.isEmpty())
        m_histogram->setMessage(errors.join(QLatin1Char('\n')));
    else if (allReportsArrived())
        m_histogram->setMessage(tr("No numeric values to plot"));
}

QStringList TensorInspector::shortLabels(const QList<TensorRef> &tensors)
{
    QList<QStringList> parts;
    for (const auto &t : tensors)
        parts << t.info().name.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    // Grow the suffix until the labels differ (or the names run out).
    for (int depth = 1; depth <= 8; ++depth) {
        QStringList labels;
        for (const auto &p : parts)
            labels << p.mid(std::max<qsizetype>(0, p.size() - depth)).join(QLatin1Char('/'));
        const QSet<QString> unique(labels.begin(), labels.end());
        if (unique.size() == labels.size() || depth == 8)
            return labels;
    }
    return {};
}

} // namespace wl
