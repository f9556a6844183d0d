#pragma once

#include "itemmodels/tensorref.h"
#include "stats/statsengine.h"

#include <QHash>
#include <QTabWidget>

class QTextBrowser;

namespace wl
{

class AnalysisView;
class CurvesPanel;
class GraphView;
class HistogramPlot;
class OverTimeView;
class ValuesView;

// The centre of the window: Overview (metadata, statistics, structure), Histogram (overlaid
// when several tensors are chosen), Values (table and heatmap of a 2-D slice) and Curves (the
// training logs of the selected run).
class TensorInspector : public QTabWidget
{
    Q_OBJECT
public:
    enum Tab {
        OverviewTab,
        HistogramTab,
        ValuesTab,
        CurvesTab,
        OverTimeTab,
        GraphTab,
        AnalysisTab
    };

    explicit TensorInspector(QWidget *parent = nullptr);

    void setOverviewHtml(const QString &html);
    QString overviewHtml() const;

    // The tensors the histogram shows; their reports arrive through addReport. An empty list
    // shows `note` instead.
    void setHistogramTensors(const QList<TensorRef> &tensors, const QString &note = {},
                             const QString &title = {});
    const QList<TensorRef> &histogramTensors() const { return m_tensors; }
    // Ignored unless the tensor is one of histogramTensors().
    void addReport(const TensorRef &t, const TensorReport &report);
    bool allReportsArrived() const;

    HistogramPlot *histogram() const { return m_histogram; }
    ValuesView *values() const { return m_values; }
    CurvesPanel *curves() const { return m_curves; }
    // The selected variable across the checkpoints of its run (the last tab).
    OverTimeView *overTime() const { return m_overTime; }
    QTextBrowser *overview() const { return m_overview; }
    // The model's architecture, linked to the tree's tensors.
    GraphView *graph() const { return m_graph; }
    // Spectra of the selected weight matrix (Alt+7).
    AnalysisView *analysis() const { return m_analysis; }

    // Short legend labels: the last path components that tell the tensors apart.
    static QStringList shortLabels(const QList<TensorRef> &tensors);

private:
    void updatePlot();

    QTextBrowser *m_overview = nullptr;
    HistogramPlot *m_histogram = nullptr;
    ValuesView *m_values = nullptr;
    CurvesPanel *m_curves = nullptr;
    OverTimeView *m_overTime = nullptr;
    GraphView *m_graph = nullptr;
    AnalysisView *m_analysis = nullptr;
    QList<TensorRef> m_tensors;
    QString m_title;
    QHash<TensorRef, TensorReport> m_reports;
};

} // namespace wl
