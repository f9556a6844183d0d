#pragma once

#include "compare/diffengine.h"

#include <QAbstractTableModel>
#include <memory>

namespace wl
{

// The rows of a comparison: each matched pair (its metrics once computed), each tensor found
// on one side only, each pair whose shape or dtype differ. Numbers sort through SortRole.
class CompareModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        PartnerColumn, // B's name, when it differs from A's
        ShapeColumn,
        MaxAbsColumn,
        MeanAbsColumn,
        RelL2Column,
        CosineColumn,
        ChangedColumn,
        StatusColumn, // identical, changed, only in A/B, shape or dtype mismatch, error
        MatchColumn,  // how the pair was found
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1 };
    enum class RowKind { Pair, OnlyA, OnlyB, Layer };
    struct Row {
        RowKind kind = RowKind::Pair;
        int a = -1;
        int b = -1;
        int diff = -1; // index into diffs(), for pairs; into layers() for layers
    };

    explicit CompareModel(QObject *parent = nullptr);

    void setComparison(std::shared_ptr<const Checkpoint> a, std::shared_ptr<const Checkpoint> b,
                       const NameMatching &matching);
    // Metrics of the pairs, in the matching's pair order.
    void setDiffs(const QVector<TensorDiff> &diffs);
    void clear();
    // One row per layer (A's readable name without its last segment) with the sums of its
    // compared tensors, instead of one per tensor; the layers are known once metrics are.
    void setShowLayers(bool layers);
    bool showLayers() const { return m_showLayers; }
    const QVector<GroupDiff> &layers() const { return m_layers; }

    const Row &rowAt(int row) const { return m_rows[row]; }
    const TensorDiff *diffAt(int row) const;
    const QVector<TensorDiff> &diffs() const { return m_diffs; }
    const NameMatching &matching() const { return m_matching; }
    const Checkpoint *checkpointA() const { return m_a.get(); }
    const Checkpoint *checkpointB() const { return m_b.get(); }
    bool metricsReady() const { return m_ready; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    void rebuildRows();
    QString status(const Row &r) const;
    QVariant metric(const Row &r, int column) const;

    std::shared_ptr<const Checkpoint> m_a;
    std::shared_ptr<const Checkpoint> m_b;
    NameMatching m_matching;
    QVector<TensorDiff> m_diffs;
    QVector<Row> m_rows;
    QVector<GroupDiff> m_layers;
    bool m_ready = false;
    bool m_showLayers = false;
};

} // namespace wl
