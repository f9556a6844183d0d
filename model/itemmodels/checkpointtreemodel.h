#pragma once

#include "analysis/spectral.h"
#include "events/runlogs.h"
#include "formats/reader.h"
#include "stats/statsengine.h"
#include "stats/tensorstats.h"
#include "tensorref.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QList>
#include <memory>
#include <vector>

namespace wl
{

// One run of a source's training logs; valid while its source is open (the logs are shared).
struct LogRunRef {
    std::shared_ptr<const events::RunLogs> logs;
    int run = -1;
    bool isValid() const { return logs && run >= 0 && std::size_t(run) < logs->runs.size(); }
    const events::LogRun &get() const { return logs->runs[std::size_t(run)]; }
    bool operator==(const LogRunRef &o) const { return logs == o.logs && run == o.run; }
};

// Sources -> (runs ->) checkpoints -> module hierarchy -> tensors, with per-node totals and
// statistics columns that fill in as background statistics arrive. Built eagerly from plain
// nodes (no per-node QObject) so 100,000 tensors build quickly. A source with training logs holds
// two nodes, Checkpoints (the run as above) and Logs (its log runs; train/, validation/ and eval/
// runs under their group's node).
class CheckpointTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        ShapeColumn,
        DTypeColumn,
        ParamsColumn,
        BytesColumn,
        MeanColumn,
        StdColumn,
        MinColumn,
        MaxColumn,
        // Layer analysis of weight matrices (analysis/spectral.h); hidden unless chosen.
        AlphaColumn,
        SpectralNormColumn,
        StableRankColumn,
        ColumnCount
    };
    enum Role {
        NodeKindRole = Qt::UserRole + 1, // int(NodeKind)
        TensorRoleRole,                  // int(TensorRole); tensors only
        DTypeNameRole,                   // "float32"; tensors only
        RawKeyRole,                      // stored key; tensors only
        ReadableNameRole,                // full readable name; tensors only
        SortRole,                        // numbers for numeric columns, natural key for names
        IconNameRole,     // "source", "checkpoint", "group", "variable", "optimizer_slot",
                          // "optimizer", "metadata", "logs", "logrun"
        ProblemCountRole, // problems of this node and everything below it
    };
    // Logs: the Logs node and log groups below it; LogRun: one run's event files or CSV log.
    enum class NodeKind { Source, Checkpoint, Group, Tensor, Logs, LogRun };

    explicit CheckpointTreeModel(QObject *parent = nullptr);
    ~CheckpointTreeModel() override;

    // A file, a checkpoint, or a run folder with its checkpoints; appended as a top-level row.
    void addSource(const OpenResult &opened);
    void removeSource(int row);
    // Replaces a source's logs with a later snapshot of them (a watched run): rows keep their
    // place when the runs are the same ones, and the Logs node is rebuilt when runs were added.
    void updateLogs(const std::shared_ptr<const events::RunLogs> &from,
                    std::shared_ptr<const events::RunLogs> to);
    // The source at `row` opened again (a watched run that gained or lost checkpoints): the
    // checkpoints it no longer holds leave, new ones join their run node where the reader puts
    // them, and "(latest)" moves, all as inserted and removed rows, so views keep expansion,
    // selection and scroll position. Kept checkpoints keep their objects (and statistics).
    // False, changing nothing, when the source shows its one checkpoint inline.
    bool refreshCheckpoints(int row, const OpenResult &refreshed);
    // What tells checkpoints of a run apart across reads: the file or prefix.
    static QString checkpointKey(const Checkpoint &checkpoint);
    void clear();
    int sourceCount() const;

    // Hierarchy from readable names (default) or from raw keys, both split on '/'.
    void setShowRawKeys(bool raw);
    bool showRawKeys() const { return m_raw; }

    // Fills mean/std/min/max of that tensor's row (dataChanged for those cells only).
    void setStats(const TensorRef &t, const TensorStats &s);
    void setStatsBatch(const QList<QPair<TensorRef, TensorStats>> &batch);
    // JobRunner::statsBatchReady / statsReady results; reports without statistics are skipped.
    void setReports(const QList<QPair<TensorRef, TensorReport>> &batch);
    void setReport(const TensorRef &t, const TensorReport &r);
    // Fills the analysis columns (JobRunner::analysisBatchReady): per tensor its matrices, one
    // or a recurrent kernel's gates; a gated kernel shows its gate of the largest spectral norm,
    // its tooltip every gate.
    void setAnalyses(const QList<QPair<TensorRef, QVector<analysis::LayerAnalysis>>> &batch);
    static bool isAnalysisColumn(int column)
    {
        return column >= AlphaColumn && column <= StableRankColumn;
    }

    // Distinct dtype names of every tensor in the model, sorted (for a dtype filter).
    QStringList dtypesPresent() const;

    TensorRef tensorAt(const QModelIndex &index) const;
    // Tensors drag out as text: their stored keys, one a line. A checkpoint drags out as its
    // checkpointKey under kCheckpointMime (and as text), to be dropped on another to compare.
    static constexpr const char *kCheckpointMime = "application/x-weightlens-checkpoint";
    std::shared_ptr<const Checkpoint> checkpointByKey(const QString &key) const;
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QModelIndexList &indexes) const override;
    // The tensors at and below a node (a layer or group: all its tensors), in tree order.
    QList<TensorRef> tensorsUnder(const QModelIndex &index) const;
    QModelIndex indexOf(const TensorRef &t, int column = NameColumn) const;
    // The checkpoint a node belongs to; for a source with a single checkpoint, that one.
    std::shared_ptr<const Checkpoint> checkpointAt(const QModelIndex &index) const;
    // The index of a checkpoint's node, invalid when not in the model.
    QModelIndex indexOfCheckpoint(const Checkpoint *checkpoint) const;
    NodeKind nodeKind(const QModelIndex &index) const;
    // The log runs at and below a Logs or LogRun node; for a source (or anything in it) with
    // no log node at or above it, every log run of the source.
    QList<LogRunRef> logRunsAt(const QModelIndex &index) const;
    // The checkpoints of the source a node belongs to, in the source's order.
    QList<std::shared_ptr<const Checkpoint>> sourceCheckpoints(const QModelIndex &index) const;
    // The node of a log run, invalid when not in the model.
    QModelIndex indexOfLogRun(const LogRunRef &run) const;
    // Problems of a source, checkpoint or tensor; files inside the opened folder named from it.
    Problems problemsOf(const QModelIndex &index) const;
    // The same, one per line.
    QString problemsText(const QModelIndex &index) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;

    struct Node;
    struct CellStats;
    struct CellAnalysis;
    struct CheckpointData;
    struct SourceData;

private:
    Node *nodeAt(const QModelIndex &index) const;
    void buildSource(SourceData &src, Node *srcNode);
    void buildCheckpoint(CheckpointData &cp, Node *cpNode);
    void buildLogs(SourceData &src, Node *srcNode);
    void rebuildAll();
    static QString labelOf(const Checkpoint &c, std::size_t checkpoints);
    static std::unique_ptr<CheckpointData>
    makeCheckpointData(const std::shared_ptr<const Checkpoint> &c, const OpenResult &opened);
    QModelIndex indexOfNode(const Node *n) const;
    void addToAncestors(Node *from, std::int64_t params, std::int64_t bytes, int problems);
    void insertChild(Node *parent, int row, std::unique_ptr<Node> child);
    void removeChild(Node *parent, int row);
    CheckpointData *dataFor(const Checkpoint *c) const;
    QVariant tensorData(const Node *n, int column, int role) const;
    // Rows of one parent changed by a batch, as a range per parent, so one dataChanged each.
    using TouchedRows = QHash<Node *, QPair<int, int>>;
    static void touch(TouchedRows &touched, const Node *n);
    void emitTouched(const TouchedRows &touched, int firstColumn, int lastColumn);

    std::unique_ptr<Node> m_root;
    std::vector<std::unique_ptr<SourceData>> m_sources; // parallel to m_root's children
    QHash<const Checkpoint *, CheckpointData *> m_byCheckpoint;
    bool m_raw = false;
};

// "dense_2" sorts before "dense_10": digit runs are zero-padded, letters lower-cased.
QString naturalSortKey(const QString &s);

} // namespace wl
