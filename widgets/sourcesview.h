#pragma once

#include "itemmodels/tensorref.h"

#include <QModelIndex>
#include <QWidget>
#include <functional>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QMimeData;
class QToolButton;
class QTreeView;

namespace wl
{

class CheckpointTreeModel;
class TensorFilterProxy;

// The tree of open sources with a filter bar: pattern (substring, glob, regex), dtype and role
// filters, and a switch between readable names and raw keys. Sorts by any column.
class SourcesView : public QWidget
{
    Q_OBJECT
public:
    SourcesView(CheckpointTreeModel *model, QWidget *parent = nullptr);

    CheckpointTreeModel *model() const { return m_model; }
    TensorFilterProxy *proxy() const { return m_proxy; }
    QTreeView *tree() const { return m_tree; }
    QLineEdit *filterEdit() const { return m_filter; }
    QLabel *matchCount() const { return m_matches; }

    // Selected rows and the current row, as indexes of the source model.
    QModelIndexList selectedRows() const;
    QModelIndex currentRow() const;
    // Every tensor at or below the selected rows, without duplicates, in tree order.
    QList<TensorRef> selectedTensors() const;
    // The checkpoints whose rows (or single-checkpoint sources) are selected, in tree order.
    QList<std::shared_ptr<const Checkpoint>> selectedCheckpoints() const;
    // The selected tensors when they all belong to one checkpoint, else none: what "Restore
    // Into…" writes into another checkpoint.
    QList<TensorRef> restorableSelection() const;
    // The one checkpoint every selected row belongs to, else none.
    std::shared_ptr<const Checkpoint> selectionCheckpoint() const;
    // Edit > Restore Into… and the tree's context menu: emits restoreRequested.
    QAction *restoreAction() const { return m_restoreAction; }
    // Every checkpoint open in the tree, in tree order.
    QList<std::shared_ptr<const Checkpoint>> allCheckpoints() const;
    // Whether any analysis column (alpha, spectral norm, stable rank) is shown; they start
    // hidden and are chosen from the header's context menu.
    bool analysisColumnsShown() const;
    void setColumnShown(int column, bool shown);

    void select(const QModelIndex &sourceIndex);
    // The tree's index of a model index (through the filter), invalid when filtered out.
    QModelIndex viewIndex(const QModelIndex &sourceIndex) const;
    void focusFilter();
    void setShowRawKeys(bool raw);
    // Whether a tensor's context menu offers "Show Over Time" (its run has it twice or more).
    void setOverTimeCheck(std::function<bool(const TensorRef &)> check)
    {
        m_overTimeCheck = std::move(check);
    }

    // The checkpoints of the run at a node of the tree model (a source, run folder or its
    // Checkpoints node), in the run's order; empty for other nodes.
    QVector<std::shared_ptr<const Checkpoint>> runAt(const QModelIndex &modelIndex) const;

    // What dropping this data at a point of the tree's viewport compares: the dragged
    // checkpoint (A) and the one under the point (B); empty when it is no checkpoint drop.
    struct CheckpointDrop {
        std::shared_ptr<const Checkpoint> a;
        std::shared_ptr<const Checkpoint> b;
    };
    CheckpointDrop checkpointDrop(const QMimeData *mime, const QPoint &viewportPos) const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

signals:
    void selectionChanged();
    void showRawKeysChanged(bool raw);
    void closeRequested();
    // "Compare" on two selected checkpoints.
    void compareRequested(std::shared_ptr<const wl::Checkpoint> a,
                          std::shared_ptr<const wl::Checkpoint> b);
    // "Show Changes Over Run" on a node holding two or more checkpoints, in the run's order.
    void runChangesRequested(const QVector<std::shared_ptr<const wl::Checkpoint>> &run,
                             const QString &title);
    // "Show Analysis Over Run" on the same nodes: alpha and spectral norm per weight matrix.
    void runAnalysisRequested(const QVector<std::shared_ptr<const wl::Checkpoint>> &run,
                              const QString &title);
    // "Show Over Time" on a tensor that setOverTimeCheck accepts.
    void overTimeRequested(const wl::TensorRef &tensor);
    // "Restore Into…" on tensors of one checkpoint.
    void restoreRequested(const QList<wl::TensorRef> &tensors);
    // An analysis column was shown: its values are to be computed.
    void analysisColumnsRequested();

private:
    void applyPattern();
    void fillFilterMenu();
    void updateFilterButton();
    void updateMatchCount();
    void showContextMenu(const QPoint &pos);
    void showHeaderMenu(const QPoint &pos);

    CheckpointTreeModel *m_model = nullptr;
    TensorFilterProxy *m_proxy = nullptr;
    QTreeView *m_tree = nullptr;
    QLineEdit *m_filter = nullptr;
    QComboBox *m_syntax = nullptr;
    QToolButton *m_filters = nullptr;
    QToolButton *m_raw = nullptr;
    QMenu *m_filterMenu = nullptr;
    QLabel *m_matches = nullptr; // "N of M tensors match", while a filter is on
    QAction *m_restoreAction = nullptr;
    std::function<bool(const TensorRef &)> m_overTimeCheck;
};

} // namespace wl
