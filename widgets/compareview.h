#pragma once

#include "compare/comparesession.h"

#include <QPointer>
#include <QWidget>
#include <atomic>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSortFilterProxyModel;
class QTableView;
class QThread;
class QToolButton;

namespace wl
{

class CompareModel;
class RestoreChoices;
class RestoreDialog;
class HeatmapView;
class HistogramPlot;

// Two checkpoints side by side: every matched tensor with its metrics (sortable by each, the
// most changed first, filterable), the tensors on one side only and the mismatches; for the
// selected pair, A and B's histograms on shared bins, the histogram of A − B and, for a 2-D
// tensor, a heatmap of A − B. Pairs can be chosen (undoably) and A's values restored into a
// copy of B after a dry-run summary. All reading, arithmetic and writing runs off the GUI
// thread.
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
    RestoreChoices *choices() const { return m_choices; }
    QToolButton *restoreButton() const { return m_restore; }
    // The run A and B belong to: shows Whole Run, which asks for its run-changes heatmap.
    void setRun(const QVector<std::shared_ptr<const Checkpoint>> &run, const QString &title);
    QToolButton *wholeRunButton() const { return m_wholeRun; }

    // The dry run of restoring the chosen pairs; on Restore, startRestore with its settings.
    RestoreDialog *openRestoreDialog();
    // The dry run open now, if any.
    RestoreDialog *dryRun() const;
    // Writes B with the chosen pairs' values from A: to `out` (B's format), or with intoRun as
    // the next checkpoint of the TF run folder `out`. Ends in restoreFinished.
    void startRestore(const QString &out, bool intoRun, bool withSlots);
    bool isRestoring() const { return m_restoreThread != nullptr; }
    // Chooses every choosable pair whose name in A or B matches the glob (fnmatch rules).
    int chooseMatching(const QString &glob);
    // "Restore Into…" from the tree: once the names are matched, chooses the pairs of these
    // tensors of A as one undoable step and shows the dry run, noting those without a partner.
    // Ends in treeRestoreReady.
    void restoreTensorsOfA(const QVector<int> &tensors);

    // Selects the row of the tensor with this readable name or key in A or B.
    bool selectTensor(const QString &nameOrKey);

    static constexpr int kBins = 64;
    static constexpr qint64 kMaxDetailElements = 4'000'000;

signals:
    // The comparison has its metrics (or was cancelled).
    void comparisonFinished();
    void detailShown();
    void restoreFinished(bool ok, const QString &message);
    // restoreTensorsOfA's choice is made; with shown, its dry run is open (dryRun()).
    void treeRestoreReady(bool shown);
    void runChangesRequested(const QVector<std::shared_ptr<const wl::Checkpoint>> &run,
                             const QString &title);

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
    RestoreChoices *m_choices = nullptr;
    QToolButton *m_restore = nullptr;
    QToolButton *m_wholeRun = nullptr;
    QVector<std::shared_ptr<const Checkpoint>> m_run;
    QString m_runTitle;
    QPointer<RestoreDialog> m_dryRun;
    QThread *m_restoreThread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_restoreCancel;
};

} // namespace wl
