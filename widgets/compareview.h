#pragma once

#include "compare/comparesession.h"

#include <QWidget>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

namespace wl
{

class CompareModel;
class HeatmapView;
class HistogramPlot;

// Two checkpoints side by side: every matched tensor with its metrics (sortable by each, the
// most changed first, filterable), the tensors on one side only and the mismatches; for the
// selected pair, A and B's histograms on shared bins, the histogram of A − B and, for a 2-D
// tensor, a heatmap of A − B. All reading and arithmetic runs off the GUI thread.
class CompareView : public QWidget
{
    Q_OBJECT
public:
    CompareView(std::shared_ptr<const Checkpoint> a, std::shared_ptr<const Checkpoint> b,
                QWidget *parent = nullptr);
    ~CompareView() override;

    CompareSession *session() const { return m_session; }
    CompareModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    QTableView *table() const { return m_table; }
    HistogramPlot *histogram() const { return m_hist; }
    HistogramPlot *diffHistogram() const { return m_diffHist; }
    HeatmapView *heatmap() const { return m_heatmap; }
    QLineEdit *filterEdit() const { return m_filter; }
    QLabel *summary() const { return m_summary; }
    QComboBox *rowsCombo() const { return m_layers; } // Tensors or Layers
    QProgressBar *progressBar() const { return m_progress; }

    // Selects the row of the tensor with this readable name or key in A or B.
    bool selectTensor(const QString &nameOrKey);

    static constexpr int kBins = 64;
    static constexpr qint64 kMaxDetailElements = 4'000'000;

signals:
    // The comparison has its metrics (or was cancelled).
    void comparisonFinished();
    void detailShown();

private:
    void onFinished(const QVector<TensorDiff> &diffs);
    void onCurrentRowChanged();
    void showDetail(int ta, int tb, const PairDetail &d);
    void showTableMenu(const QPoint &pos);

    CompareSession *m_session = nullptr;
    CompareModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_table = nullptr;
    QLineEdit *m_filter = nullptr;
    QComboBox *m_layers = nullptr;
    QLabel *m_summary = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    HistogramPlot *m_hist = nullptr;
    HistogramPlot *m_diffHist = nullptr;
    HeatmapView *m_heatmap = nullptr;
    QLabel *m_detailNote = nullptr;
};

} // namespace wl
