#pragma once

#include "formats/reader.h"
#include "itemmodels/tensorref.h"
#include "stats/statsengine.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QStringList>

class QStackedWidget;
class QWidget;

namespace wl
{

namespace graph
{
struct ModelGraph;
} // namespace graph

namespace events
{
class LogWatcher;
struct RunLogs;
} // namespace events

class CheckpointTreeModel;
class DropFilter;
class GraphColouring;
class JobRunner;
class ProblemsPanel;
class SourcesView;
class TensorInspector;
class WorkStatus;

// Everything behind the main window except menus and settings: the open sources, the views
// over them and the background work that feeds the views. Views never parse or compute;
// all file work and statistics go through the JobRunner.
class Workbench : public QObject
{
    Q_OBJECT
public:
    explicit Workbench(QWidget *parentWidget);
    ~Workbench() override;

    SourcesView *sources() const { return m_sources; }
    TensorInspector *inspector() const { return m_inspector; }
    ProblemsPanel *problems() const { return m_problems; }
    WorkStatus *workStatus() const { return m_status; }
    // The empty state ("drop a checkpoint here") until something is open, then the inspector.
    QWidget *centre() const;
    CheckpointTreeModel *model() const { return m_model; }
    JobRunner *runner() const { return m_runner; }

    // Opens in the background; each success adds a source, each failure a row in Problems, and
    // once nothing is pending, one errorOccurred for all the failures; largeOpenRefused instead
    // when a member would inflate past the limit and !allowLarge.
    // Opening a path that is already open replaces it.
    void openPaths(const QStringList &paths, bool allowLarge = false);
    // The selected tensor's statistics as "name<TAB>value" lines; empty until they are computed.
    QString selectedStatisticsText() const;
    // Adds an opened source as if the runner had just delivered it.
    void addOpened(const OpenResult &result);
    QStringList openSourcePaths() const;
    // The open sources as they were opened, parallel to openSourcePaths().
    const QList<OpenResult> &openSources() const { return m_opened; }
    // Each of these checkpoints as a source of its own, from the open source that holds it;
    // those no open source holds are left out.
    QList<OpenResult>
    openedCheckpoints(const QList<std::shared_ptr<const Checkpoint>> &checkpoints) const;
    void closeSelected();
    void closeAll();
    void reload();
    int pendingOpens() const { return m_pendingOpens; }

    // Accepts file and folder drops on w and opens them.
    void installDropTarget(QWidget *w);

    // Selects the first tensor whose raw key or readable name equals text, else the first
    // layer or group of that readable path (now or, if nothing matches yet, when a source
    // that has it opens, when `later`).
    bool selectTensor(const QString &keyOrName, bool later = true);

    // The checkpoints of the run (opened source) that holds t's checkpoint.
    std::vector<std::shared_ptr<const Checkpoint>> runOf(const TensorRef &t) const;
    // Whether t's run holds t's variable in two or more checkpoints.
    bool hasOverTime(const TensorRef &t) const;
    // Selects t and shows it in the Over Time tab.
    void showOverTime(const TensorRef &t);
    // The open checkpoint whose weights the graph of source `path` names: the one the graph
    // was saved with, else the newest that holds its first weight.
    std::shared_ptr<const Checkpoint> checkpointOfGraph(const QString &path,
                                                        const graph::ModelGraph &g) const;

    static constexpr int kMaxOverlay = 12;
    static constexpr qint64 kMaxValues = 4'000'000;

signals:
    void errorOccurred(const QString &message);
    // Opening `path` needs permission to write a large temporary file; `message` says how large.
    // Reopen with openPaths({path}, true) if the user agrees.
    void largeOpenRefused(const QString &path, const QString &message);
    void sourceOpened(const QString &path);
    void summaryChanged(const QString &text);
    void sourcesChanged();

private:
    int histogramBins(const QList<TensorRef> &tensors) const;
    void onOpened(const OpenResult &result);
    void onOpenFailed(const QString &path, const LoadError &error);
    void finishBatchIfDone();
    void onSelectionChanged();
    void onStats(const TensorRef &t, const TensorReport &report);
    void requestValuesIfVisible();
    void requestOverTimeIfVisible();
    void requestAnalysisIfVisible();
    void refreshProblems();
    // Shows the logs at or around a node in Curves; `show` also brings the tab forward.
    void showCurvesFor(const QModelIndex &index, bool show);
    // Watches the logs of an opened run folder while it is open, so a training run's curves grow.
    void watchLogs(const OpenResult &result);
    // Reads the model graph of an opened source in the background for the Graph tab.
    void loadGraphs(const QString &path);
    // Starts the Graph tab's colouring by `stat` (a graph::NodeStat) for the graph it shows.
    void colourGraph(int stat);
    // A watched run opened again for checkpoints that appeared: merged into its source in place.
    bool mergeRefreshed(int source, const OpenResult &result);
    void onLogsUpdated(const QString &path, const std::shared_ptr<const events::RunLogs> &logs);
    void updateSummary();
    void sourcesAltered();
    int sourceRowOf(QModelIndex index) const;

    QWidget *m_parent = nullptr;
    JobRunner *m_runner = nullptr;
    CheckpointTreeModel *m_model = nullptr;
    SourcesView *m_sources = nullptr;
    TensorInspector *m_inspector = nullptr;
    ProblemsPanel *m_problems = nullptr;
    WorkStatus *m_status = nullptr;
    QStackedWidget *m_centre = nullptr;
    DropFilter *m_drops = nullptr;
    GraphColouring *m_colouring = nullptr;
    QList<OpenResult> m_opened;                      // parallel to the model's top-level rows
    QHash<QString, events::LogWatcher *> m_watchers; // by source path
    QHash<QString, QSet<QString>> m_checkpointFiles; // by source path: seen appearing
    QSet<QString> m_refreshing; // source paths opened again for their new checkpoints
    TensorRef m_single;         // the one selected tensor, if exactly one
    TensorRef m_valuesFor;      // what the Values tab shows or waits for
    TensorRef m_overTimeFor;    // what the Over Time tab shows or waits for
    TensorRef m_analysisFor;    // what the Analysis tab shows or waits for
    // The copies it reads: selecting the same variable in another checkpoint reads nothing again.
    std::vector<std::pair<const Checkpoint *, int>> m_overTimeCopies;
    QString m_pendingSelect;
    int m_pendingOpens = 0;
    int m_batchPaths = 0;        // paths asked for since nothing was pending
    QStringList m_batchFailures; // their messages, reported once the batch is done
};

} // namespace wl
