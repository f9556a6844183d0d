#include "workbench.h"

#include "analysisview.h"
#include "clipboardtext.h"

#include "curvespanel.h"
#include "dropfilter.h"
#include "emptystate.h"
#include "events/logwatcher.h"
#include "graph/modelgraph.h"
#include "graphcolouring.h"
#include "graphview.h"
#include "histogramplot.h"
#include "itemmodels/checkpointtreemodel.h"
#include "jobs/jobrunner.h"
#include "overtimeview.h"
#include "overviewhtml.h"
#include "problemspanel.h"
#include "sourcesview.h"
#include "tensorinspector.h"
#include "uimeasure.h"
#include "valuesview.h"
#include "workstatus.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QSet>
#include <QStackedWidget>
#include <QtConcurrent>

namespace wl
{

Workbench::Workbench(QWidget *parentWidget) : QObject(parentWidget), m_parent(parentWidget)
{
    m_runner = new JobRunner(this);
    m_model = new CheckpointTreeModel(this);
    m_sources = new SourcesView(m_model, parentWidget);
    m_inspector = new TensorInspector(parentWidget);
    m_problems = new ProblemsPanel(parentWidget);
    m_status = new WorkStatus(m_runner, parentWidget);
    m_centre = new QStackedWidget(parentWidget);
    m_centre->addWidget(new EmptyState(m_centre));
    m_centre->addWidget(m_inspector);
    m_inspector->setOverviewHtml(overview::emptyPage());

    connect(m_runner, &JobRunner::opened, this,
            [this](quint64, const OpenResult &r) { onOpened(r); });
    connect(m_runner, &JobRunner::openFailed, this,
            [this](quint64, const QString &path, const LoadError &e) { onOpenFailed(path, e); });
    connect(m_runner, &JobRunner::statsReady, this, &Workbench::onStats);
    connect(m_runner, &JobRunner::statsBatchReady, m_model, &CheckpointTreeModel::setReports);
    connect(m_runner, &JobRunner::analysisBatchReady, m_model, &CheckpointTreeModel::setAnalyses);
    connect(m_sources, &SourcesView::analysisColumnsRequested, this, [this] {
        for (const auto &opened : std::as_const(m_opened))
            for (const auto &cp : opened.checkpoints)
                m_runner->requestBackgroundAnalysis(cp);
    });
    connect(m_runner, &JobRunner::valuesReady, this,
            [this](const TensorRef &t, const QVector<double> &v) {
                if (t == m_valuesFor)
                    m_inspector->values()->setValues(t, v);
            });
    connect(m_runner, &JobRunner::valuesFailed, this,
            [this](const TensorRef &t, const QString &reason) {
                if (t == m_valuesFor)
                    m_inspector->values()->setMessage(reason);
            });
    connect(m_sources, &SourcesView::selectionChanged, this, &Workbench::onSelectionChanged);
    if (UiMeasure::enabled())
        new UiMeasure(this);
    connect(m_problems, &ProblemsPanel::problemActivated, this,
            [this](const QString &, const QString &where) {
                if (!where.isEmpty())
                    selectTensor(where, false);
            });
    connect(m_sources, &SourcesView::closeRequested, this, &Workbench::closeSelected);
    connect(m_sources, &SourcesView::showRawKeysChanged, this, &Workbench::onSelectionChanged);
    connect(m_inspector->graph(), &GraphView::nodeSelected, this,
            [this](const QString &path) { selectTensor(path, false); });
    m_colouring = new GraphColouring(m_runner, this);
    connect(m_inspector->graph(), &GraphView::colourRequested, this, &Workbench::colourGraph);
    connect(m_colouring, &GraphColouring::sumsReady, m_inspector->graph(),
            &GraphView::addWeightSums);
    connect(m_colouring, &GraphColouring::progress, m_inspector->graph(),
            &GraphView::setColourNote);
    connect(m_inspector, &QTabWidget::currentChanged, this, &Workbench::requestValuesIfVisible);
    connect(m_inspector, &QTabWidget::currentChanged, this, &Workbench::requestOverTimeIfVisible);
    connect(m_inspector, &QTabWidget::currentChanged, this, &Workbench::requestAnalysisIfVisible);
    connect(m_runner, &JobRunner::analysisReady, this,
            [this](const TensorRef &t, const LayerAnalyses &a) {
                if (t == m_analysisFor)
                    m_inspector->analysis()->setAnalyses(t, a);
            });
    connect(m_runner, &JobRunner::analysisFailed, this,
            [this](const TensorRef &t, const QString &reason) {
                if (t == m_analysisFor)
                    m_inspector->analysis()->setMessage(reason);
            });
    connect(m_runner, &JobRunner::overTimeReady, this,
            [this](const OverTime &r) { m_inspector->overTime()->setResult(r); });
    connect(m_runner, &JobRunner::overTimeFailed, this, [this](const QString &reason) {
        m_overTimeFor = {}; // shown again, it is asked for again
        m_overTimeCopies.clear();
        m_inspector->overTime()->setMessage(reason);
    });
    connect(m_inspector->overTime(), &OverTimeView::cancelRequested, m_runner,
            [this] { m_runner->cancelOverTime(); });
    connect(m_inspector->overTime(), &OverTimeView::logHistogramRequested, m_runner,
            [this](const std::shared_ptr<const events::Series> &series) {
                m_runner->requestOverTime(series, 60);
            });
    m_sources->setOverTimeCheck([this](const TensorRef &t) { return hasOverTime(t); });
    connect(m_sources, &SourcesView::overTimeRequested, this, &Workbench::showOverTime);
    connect(m_inspector->histogram(), &HistogramPlot::binsChanged, this,
            &Workbench::onSelectionChanged);
    connect(m_inspector->curves(), &CurvesPanel::checkpointClicked, this,
            [this](const Checkpoint *cp) {
                const QModelIndex i = m_model->indexOfCheckpoint(cp);
                if (i.isValid())
                    m_sources->select(i);
            });
}

void Workbench::watchLogs(const OpenResult &result)
{
    delete m_watchers.take(result.path);
    const bool folder = QFileInfo(result.path).isDir();
    const bool hasLogs = result.logs && !result.logs->runs.empty();
    if (!hasLogs && !folder)
        return;
    auto *watcher = new events::LogWatcher(hasLogs ? result.logs : nullptr, this);
    m_watchers.insert(result.path, watcher);
    connect(watcher, &events::LogWatcher::updated, this,
            [this, path = result.path](const std::shared_ptr<const events::RunLogs> &logs) {
                onLogsUpdated(path, logs);
            });
    if (!folder)
        return;
    // Files that made the folder reopen count as known even when the reader leaves them out,
    // or they would make it reopen again and again.
    QSet<QString> &seen = m_checkpointFiles[result.path];
    watcher->watchCheckpoints(result.path,
                              result.consumedFiles + QStringList(seen.begin(), seen.end()));
    connect(watcher, &events::LogWatcher::checkpointsAppeared, this,
            [this, path = result.path](const QStringList &files) {
                for (const auto &f : files)
                    m_checkpointFiles[path].insert(f);
                // The reader opens the folder again in the background, now with the new
                // checkpoint, which then joins the source's tree in place.
                m_refreshing.insert(QFileInfo(path).absoluteFilePath());
                openPaths({path});
            });
}

bool Workbench::mergeRefreshed(int source, const OpenResult &result)
{
    if (!m_model->refreshCheckpoints(source, result))
        return false;
    OpenResult &opened = m_opened[source];
    // The checkpoints read before stay the same objects: the selection, statistics and the
    // Over Time inputs refer to them.
    QHash<QString, std::shared_ptr<Checkpoint>> before;
    for (const auto &cp : opened.checkpoints)
        before.insert(CheckpointTreeModel::checkpointKey(*cp), cp);
    std::vector<std::shared_ptr<Checkpoint>> now;
    for (const auto &cp : result.checkpoints) {
        const auto kept = before.take(CheckpointTreeModel::checkpointKey(*cp));
        now.push_back(kept ? kept : cp);
        if (!kept) {
            m_runner->requestBackgroundStats(cp);
            if (m_sources->analysisColumnsShown())
                m_runner->requestBackgroundAnalysis(cp);
        }
    }
    for (const auto &gone : std::as_const(before))
        m_runner->cancelBackgroundStats(gone.get());
    const auto logs = opened.logs; // the watcher's snapshot, newer than the reader's
    opened = result;
    opened.checkpoints = std::move(now);
    opened.logs = logs;

    // Curve markers and Over Time take the new checkpoints in.
    const QModelIndex srcIndex = m_model->index(source, 0);
    auto *curves = m_inspector->curves();
    if (!curves->runs().isEmpty() && curves->runs().first().logs == logs)
        curves->setRuns(curves->runs(), m_model->sourceCheckpoints(srcIndex), true);
    m_overTimeFor = {};
    requestOverTimeIfVisible();
    refreshProblems();
    updateSummary();
    return true;
}

void Workbench::onLogsUpdated(const QString &path,
                              const std::shared_ptr<const events::RunLogs> &logs)
{
    for (auto &opened : m_opened) {
        if (opened.path != path)
            continue;
        const auto old = opened.logs;
        opened.logs = logs;
        m_model->updateLogs(old, logs);
        auto *curves = m_inspector->curves();
        if (!curves->runs().isEmpty() && curves->runs().first().logs == old) {
            // The same runs with their new points; runs that appeared join a view of all runs.
            QList<LogRunRef> runs;
            for (const auto &r : curves->runs())
                runs.push_back({logs, r.run});
            if (curves->runs().size() == qsizetype(old->runs.size()))
                for (int r = int(old->runs.size()); r < int(logs->runs.size()); ++r)
                    runs.push_back({logs, r});
            curves->setRuns(runs, curves->checkpoints(), true);
        }
        refreshProblems();
        return;
    }
}

void Workbench::showCurvesFor(const QModelIndex &index, bool show)
{
    auto *curves = m_inspector->curves();
    const QList<LogRunRef> runs = m_model->logRunsAt(index);
    // Selecting a checkpoint from its marker keeps the runs in view; another source's logs, or
    // a log node, replace them.
    const bool sameSource = !runs.isEmpty() && !curves->runs().isEmpty() &&
                            runs.first().logs == curves->runs().first().logs;
    if (runs.isEmpty() || (sameSource && !show))
        return;
    curves->setRuns(runs, m_model->sourceCheckpoints(index));
    if (show)
        m_inspector->setCurrentIndex(TensorInspector::CurvesTab);
}

int Workbench::histogramBins(const QList<TensorRef> &tensors) const
{
    std::int64_t most = 0;
    for (const auto &t : tensors)
        most = std::max(most, t.info().numElements());
    return m_inspector->histogram()->binsFor(most);
}

Workbench::~Workbench()
{
    m_runner->cancelAll();
}

QWidget *Workbench::centre() const
{
    return m_centre;
}

void Workbench::openPaths(const QStringList &paths, bool allowLarge)
{
    if (paths.isEmpty())
        return;
    m_pendingOpens += int(paths.size());
    m_batchPaths += int(paths.size());
    m_runner->openPaths(paths, allowLarge);
    emit summaryChanged(
        tr("Opening %1…")
            .arg(paths.size() == 1 ? paths.first() : tr("%1 paths").arg(paths.size())));
}

void Workbench::addOpened(const OpenResult &result)
{
    onOpened(result);
}

void Workbench::onOpened(const OpenResult &result)
{
    m_pendingOpens = std::max(0, m_pendingOpens - 1);
    const QString path = QFileInfo(result.path).absoluteFilePath();
    const bool refresh = m_refreshing.remove(path);
    for (int i = 0; i < m_opened.size(); ++i) {
        if (QFileInfo(m_opened[i].path).absoluteFilePath() == path) {
            if (refresh && mergeRefreshed(i, result)) {
                finishBatchIfDone();
                return;
            }
            for (const auto &cp : m_opened[i].checkpoints)
                m_runner->cancelBackgroundStats(cp.get());
            m_model->removeSource(i);
            m_opened.removeAt(i);
            break;
        }
    }
    m_opened << result;
    m_model->addSource(result);
    watchLogs(result);
    loadGraphs(result.path);
    for (const auto &cp : result.checkpoints) {
        m_runner->requestBackgroundStats(cp);
        if (m_sources->analysisColumnsShown())
            m_runner->requestBackgroundAnalysis(cp);
    }
    sourcesAltered();
    emit sourceOpened(result.path);
    if (!m_pendingSelect.isEmpty() && selectTensor(m_pendingSelect))
        m_pendingSelect.clear();
    else if (m_sources->selectedRows().isEmpty())
        m_sources->select(m_model->index(m_model->rowCount() - 1, 0));
    finishBatchIfDone();
}

void Workbench::onOpenFailed(const QString &path, const LoadError &error)
{
    m_pendingOpens = std::max(0, m_pendingOpens - 1);
    m_refreshing.remove(QFileInfo(path).absoluteFilePath());
    if (error.code == LoadError::Code::Cancelled) {
        finishBatchIfDone();
        return;
    }
    if (error.code == LoadError::Code::TooLarge) {
        // The refused path leaves the batch: a yes, even from inside the signal, opens it
        // again and counts it again.
        m_batchPaths = std::max(0, m_batchPaths - 1);
        emit largeOpenRefused(path, error.message());
        updateSummary();
        finishBatchIfDone();
        return;
    }
    QString message = error.message();
    if (!message.contains(QFileInfo(path).fileName()))
        message = path + QLatin1String(": ") + message;
    m_problems->addError(problemFrom(error, path, Problem::Severity::Error));
    m_batchFailures << message;
    updateSummary();
    finishBatchIfDone();
}

void Workbench::finishBatchIfDone()
{
    if (m_pendingOpens > 0)
        return;
    // One message for everything opened together: the details are rows in Problems.
    const int failed = int(m_batchFailures.size()), total = std::max(m_batchPaths, failed);
    if (failed == 1 && total == 1)
        emit errorOccurred(m_batchFailures.first());
    else if (failed > 0)
        emit errorOccurred(
            tr("%1 of %2 paths could not be read: see Problems").arg(failed).arg(total));
    m_batchFailures.clear();
    m_batchPaths = 0;
}

QStringList Workbench::openSourcePaths() const
{
    QStringList out;
    for (const auto &r : m_opened)
        out << r.path;
    return out;
}

QList<OpenResult>
Workbench::openedCheckpoints(const QList<std::shared_ptr<const Checkpoint>> &checkpoints) const
{
    QList<OpenResult> out;
    for (const auto &c : checkpoints)
        for (const auto &src : m_opened) {
            const auto it = std::find_if(src.checkpoints.begin(), src.checkpoints.end(),
                                         [&](const auto &o) { return o.get() == c.get(); });
            if (it == src.checkpoints.end())
                continue;
            OpenResult one;
            one.path = c->index().path;
            one.kind = QStringLiteral("checkpoint");
            one.readerId = src.readerId;
            one.checkpoints = {*it};
            out << one;
            break;
        }
    return out;
}

int Workbench::sourceRowOf(QModelIndex index) const
{
    if (!index.isValid())
        return -1;
    while (index.parent().isValid())
        index = index.parent();
    return index.row();
}

void Workbench::closeSelected()
{
    QList<int> rows;
    for (const auto &i : m_sources->selectedRows()) {
        const int r = sourceRowOf(i);
        if (r >= 0 && !rows.contains(r))
            rows << r;
    }
    if (rows.isEmpty() && m_model->rowCount() == 1)
        rows << 0;
    std::sort(rows.begin(), rows.end(), std::greater<>());
    for (int r : rows) {
        for (const auto &cp : m_opened[r].checkpoints)
            m_runner->cancelBackgroundStats(cp.get());
        m_model->removeSource(r);
        m_opened.removeAt(r);
    }
    sourcesAltered();
}

void Workbench::closeAll()
{
    m_runner->cancelAll();
    m_model->clear();
    m_opened.clear();
    m_problems->clearErrors();
    sourcesAltered();
}

void Workbench::reload()
{
    const QStringList paths = openSourcePaths();
    m_problems->clearErrors();
    openPaths(paths);
}

void Workbench::sourcesAltered()
{
    m_overTimeCopies.clear(); // a closed checkpoint's address may be reused
    // A closed source's logs are no longer watched.
    for (auto it = m_watchers.begin(); it != m_watchers.end();) {
        if (std::none_of(m_opened.begin(), m_opened.end(),
                         [&](const OpenResult &r) { return r.path == it.key(); })) {
            delete it.value();
            m_checkpointFiles.remove(it.key());
            it = m_watchers.erase(it);
        } else {
            ++it;
        }
    }
    // Graphs of a closed source go with it.
    for (const auto &path : m_inspector->graph()->graphPaths())
        if (!openSourcePaths().contains(path))
            m_inspector->graph()->removeGraphs(path);
    // Curves of a closed source go with it.
    auto *curves = m_inspector->curves();
    if (!curves->runs().isEmpty() &&
        std::none_of(m_opened.begin(), m_opened.end(),
                     [&](const OpenResult &r) { return r.logs == curves->runs().first().logs; }))
        curves->setRuns({});
    m_centre->setCurrentIndex(m_opened.isEmpty() ? 0 : 1);
    refreshProblems();
    onSelectionChanged();
    emit sourcesChanged();
}

void Workbench::refreshProblems()
{
    Problems all;
    QSet<QString> seen;
    auto add = [&](const Problem &p) {
        const QString k = p.toString();
        if (!seen.contains(k)) {
            seen.insert(k);
            all << p;
        }
    };
    for (const auto &r : std::as_const(m_opened)) {
        for (const auto &p : r.problems)
            add(p);
        for (const auto &cp : r.checkpoints)
            for (const auto &p : cp->index().problems)
                add(p);
        if (r.logs)
            for (const auto &run : r.logs->runs)
                for (const auto &p : run.problems)
                    add(p);
    }
    m_problems->setProblems(all);
}

void Workbench::onSelectionChanged()
{
    const QModelIndexList rows = m_sources->selectedRows();
    const QList<TensorRef> tensors = m_sources->selectedTensors();
    QStringList keys;
    for (const auto &t : tensors)
        keys << t.info().key;
    m_inspector->graph()->highlightTensors(keys);
    m_single = {};
    QList<TensorRef> plotted;
    for (const auto &t : tensors)
        if (dtypeIsNumeric(t.info().dtype) && plotted.size() < kMaxOverlay)
            plotted << t;
    // Statistics are cached per bin count: a lookup asks for what the request below asks.
    auto bins = [&] { return plotted.isEmpty() ? 0 : histogramBins(plotted); };

    if (rows.isEmpty()) {
        m_inspector->setOverviewHtml(overview::emptyPage());
        m_inspector->setHistogramTensors({}, tr("Select a tensor or a layer"));
    } else if (rows.size() == 1) {
        const QModelIndex i = rows.first();
        const Problems problems = m_model->problemsOf(i);
        const auto kind = m_model->nodeKind(i);
        showCurvesFor(i, kind == CheckpointTreeModel::NodeKind::Logs ||
                             kind == CheckpointTreeModel::NodeKind::LogRun);
        QString title;
        switch (m_model->nodeKind(i)) {
        case CheckpointTreeModel::NodeKind::Source:
            m_inspector->setOverviewHtml(overview::sourcePage(m_opened.value(i.row()), problems));
            plotted.clear();
            break;
        case CheckpointTreeModel::NodeKind::Checkpoint:
            if (const auto cp = m_model->checkpointAt(i))
                m_inspector->setOverviewHtml(overview::checkpointPage(cp->index(), problems));
            plotted.clear();
            break;
        case CheckpointTreeModel::NodeKind::Group: {
            QString name = m_model->data(i, CheckpointTreeModel::ReadableNameRole).toString();
            if (name.isEmpty())
                name = m_model->data(i).toString();
            m_inspector->setOverviewHtml(overview::groupPage(name, tensors));
            title = tensors.size() > plotted.size()
                        ? tr("%1: first %2 of %3 tensors")
                              .arg(name)
                              .arg(plotted.size())
                              .arg(tensors.size())
                        : tr("%1: %2").arg(name, overview::formatCount(plotted.size(), tr("tensor"),
                                                                       tr("tensors")));
            break;
        }
        case CheckpointTreeModel::NodeKind::Logs:
        case CheckpointTreeModel::NodeKind::LogRun:
            m_inspector->setOverviewHtml(
                overview::logsPage(m_model->data(i).toString(), m_model->logRunsAt(i), problems));
            plotted.clear();
            break;
        case CheckpointTreeModel::NodeKind::Tensor:
            m_single = m_model->tensorAt(i);
            m_inspector->setOverviewHtml(
                overview::tensorPage(m_single, m_runner->cachedStats(m_single, bins()), problems));
            break;
        }
        m_inspector->setHistogramTensors(
            plotted,
            tensors.isEmpty() || !plotted.isEmpty() || m_single.isValid()
                ? tr("Not a numeric tensor")
                : tr("Select a layer or tensors to see their histograms"),
            title);
    } else {
        m_inspector->setOverviewHtml(
            overview::groupPage(tr("%1 selected tensors").arg(tensors.size()), tensors));
        m_inspector->setHistogramTensors(
            plotted, tr("No numeric tensors selected"),
            tr("%1 of %2 selected tensors").arg(plotted.size()).arg(tensors.size()));
    }
    // A new request supersedes the last: stale results are not delivered. A single tensor that
    // is not plotted (strings) is still read, for its overview: checksum, or the read error.
    QList<TensorRef> requested = plotted;
    if (m_single.isValid() && !plotted.contains(m_single))
        requested << m_single;
    m_runner->requestStats(requested, bins());
    requestValuesIfVisible();
    requestOverTimeIfVisible();
    requestAnalysisIfVisible();
    updateSummary();
}

void Workbench::onStats(const TensorRef &t, const TensorReport &report)
{
    if (report.reduced)
        m_model->setStats(t, report.stats);
    m_inspector->addReport(t, report);
    if (t == m_single) {
        const QModelIndex i = m_model->indexOf(t);
        m_inspector->setOverviewHtml(overview::tensorPage(t, report, m_model->problemsOf(i)));
    }
}

void Workbench::requestValuesIfVisible()
{
    auto *values = m_inspector->values();
    if (!m_single.isValid()) {
        m_valuesFor = {};
        values->setMessage(tr("Select one tensor to see its values"));
        return;
    }
    if (m_inspector->currentIndex() != TensorInspector::ValuesTab || m_valuesFor == m_single)
        return;
    m_valuesFor = m_single;
    const auto &info = m_single.info();
    if (!dtypeIsNumeric(info.dtype)) {
        values->setMessage(
            tr("%1 holds %2 values, which have no numeric view").arg(info.name, info.dtypeText()));
        return;
    }
    if (info.numElements() > kMaxValues) {
        values->setMessage(tr("%1 has %2 values; the table shows tensors of up to %3")
                               .arg(info.name, overview::formatCount(info.numElements()),
                                    overview::formatCount(kMaxValues)));
        return;
    }
    values->setPending(m_single);
    m_runner->requestValues(m_single, kMaxValues);
}

void Workbench::requestAnalysisIfVisible()
{
    auto *view = m_inspector->analysis();
    if (!m_single.isValid()) {
        m_analysisFor = {};
        view->setMessage(tr("Select one weight matrix to see its spectrum"));
        return;
    }
    if (m_inspector->currentIndex() != TensorInspector::AnalysisTab || m_analysisFor == m_single)
        return;
    m_analysisFor = m_single;
    view->setMessage(tr("Computing the spectrum of %1…").arg(m_single.info().name));
    m_runner->requestAnalysis(m_single);
}

std::vector<std::shared_ptr<const Checkpoint>> Workbench::runOf(const TensorRef &t) const
{
    for (const auto &r : m_opened) {
        if (std::none_of(r.checkpoints.begin(), r.checkpoints.end(),
                         [&](const auto &cp) { return cp == t.checkpoint; }))
            continue;
        // Run folders side by side in one source (logs/lr-0.01, logs/lr-0.003) are runs of
        // their own: their steps would interleave. Folders of one checkpoint each
        // (checkpoint-500/, checkpoint-1000/) make one run together.
        const QString folder = QFileInfo(t.checkpoint->index().path).absolutePath();
        std::vector<std::shared_ptr<const Checkpoint>> same;
        for (const auto &cp : r.checkpoints)
            if (QFileInfo(cp->index().path).absolutePath() == folder)
                same.push_back(cp);
        if (same.size() >= 2)
            return same;
        return {r.checkpoints.begin(), r.checkpoints.end()};
    }
    return {};
}

bool Workbench::hasOverTime(const TensorRef &t) const
{
    if (!t.isValid() || !dtypeIsNumeric(t.info().dtype))
        return false;
    int copies = 0;
    for (const auto &cp : runOf(t))
        if (cp->index().indexOfKey(t.info().key) >= 0 && ++copies >= 2)
            return true;
    return false;
}

void Workbench::showOverTime(const TensorRef &t)
{
    m_sources->select(m_model->indexOf(t));
    m_inspector->setCurrentWidget(m_inspector->overTime());
}

void Workbench::requestOverTimeIfVisible()
{
    auto *view = m_inspector->overTime();
    if (m_inspector->currentWidget() != view)
        return;
    if (!m_single.isValid()) {
        m_overTimeFor = {};
        m_overTimeCopies.clear();
        m_runner->cancelOverTime(false);
        // A node with logs: their histogram tags.
        const QModelIndexList rows = m_sources->selectedRows();
        if (rows.size() == 1 && view->setLogHistograms(m_model->logRunsAt(rows.first())))
            return;
        view->setMessage(tr("Select one variable of a run with two or more checkpoints, or "
                            "logs with histograms"));
        return;
    }
    if (m_overTimeFor == m_single)
        return;
    m_overTimeFor = m_single;
    view->setLogHistograms({});
    const TensorInfo &info = m_single.info();
    if (!dtypeIsNumeric(info.dtype)) {
        m_overTimeCopies.clear();
        m_runner->cancelOverTime(false);
        view->setMessage(
            tr("%1 holds %2 values, which have no histogram").arg(info.name, info.dtypeText()));
        return;
    }
    QStringList notes;
    const auto inputs = variableAcrossCheckpoints(runOf(m_single), info, &notes);
    std::vector<std::pair<const Checkpoint *, int>> copies;
    for (const auto &in : inputs)
        copies.emplace_back(in.checkpoint.get(), in.tensor);
    if (copies == m_overTimeCopies)
        return; // shown or on its way
    m_overTimeCopies = copies;
    if (inputs.size() < 2) {
        m_runner->cancelOverTime(false);
        view->setMessage(tr("%1 is in one checkpoint only; Over Time needs a run that holds it "
                            "in two or more")
                             .arg(info.name));
        return;
    }
    OverTimeRequest request;
    request.bins = std::clamp(m_inspector->histogram()->binsFor(info.numElements()), 16, 80);
    view->setMessage(tr("Reading %1 in %2 checkpoints…").arg(info.name).arg(inputs.size()), true);
    m_runner->requestOverTime(inputs, request, notes);
}

void Workbench::updateSummary()
{
    const QList<TensorRef> sel = m_sources->selectedTensors();
    std::int64_t params = 0, bytes = 0;
    QList<const TensorInfo *> infos;
    for (const auto &t : sel) {
        params += t.info().numElements();
        const int size = dtypeSize(t.info().dtype);
        bytes += size > 0 ? t.info().numElements() * size : t.info().location.size;
        infos << &t.info();
    }
    for (const auto &o : storageOverlaps(infos)) {
        params -= o.values;
        bytes -= o.bytes;
    }
    if (!sel.isEmpty()) {
        emit summaryChanged(tr("Selection: %1, %2, %3")
                                .arg(overview::formatCount(sel.size(), tr("tensor"), tr("tensors")),
                                     overview::formatCount(params, tr("value"), tr("values")),
                                     overview::formatBytes(bytes)));
        return;
    }
    std::int64_t tensors = 0;
    for (const auto &r : std::as_const(m_opened))
        for (const auto &cp : r.checkpoints) {
            tensors += cp->index().tensors.size();
            bytes += cp->index().totalBytes();
        }
    emit summaryChanged(
        m_opened.isEmpty()
            ? tr("Ready")
            : tr("%1 open: %2, %3")
                  .arg(overview::formatCount(m_opened.size(), tr("source"), tr("sources")),
                       overview::formatCount(tensors, tr("tensor"), tr("tensors")),
                       overview::formatBytes(bytes)));
}

bool Workbench::selectTensor(const QString &keyOrName, bool later)
{
    for (const auto &r : std::as_const(m_opened)) {
        for (const auto &cp : r.checkpoints) {
            const auto &ts = cp->index().tensors;
            for (int i = 0; i < ts.size(); ++i) {
                if (ts[i].key == keyOrName || ts[i].name == keyOrName) {
                    m_sources->select(m_model->indexOf(TensorRef{cp, i}));
                    return true;
                }
            }
        }
    }
    // A layer or group: the ancestor of its first tensor at that depth.
    const QString prefix = keyOrName + QLatin1Char('/');
    for (const auto &r : std::as_const(m_opened)) {
        for (const auto &cp : r.checkpoints) {
            const auto &ts = cp->index().tensors;
            for (int i = 0; i < ts.size(); ++i) {
                if (!ts[i].name.startsWith(prefix))
                    continue;
                QModelIndex index = m_model->indexOf(TensorRef{cp, i});
                const int below = int(ts[i].name.mid(prefix.size()).count(QLatin1Char('/'))) + 1;
                for (int up = 0; up < below && index.isValid(); ++up)
                    index = index.parent();
                if (m_model->nodeKind(index) != CheckpointTreeModel::NodeKind::Group)
                    continue;
                m_sources->select(index);
                return true;
            }
        }
    }
    if (later)
        m_pendingSelect = keyOrName;
    return false;
}

void Workbench::installDropTarget(QWidget *w)
{
    if (!m_drops) {
        m_drops = new DropFilter(this);
        connect(m_drops, &DropFilter::pathsDropped, this,
                [this](const QStringList &paths) { openPaths(paths); });
    }
    m_drops->watch(w);
}

QString Workbench::selectedStatisticsText() const
{
    if (!m_single.isValid())
        return {};
    const auto report = m_runner->cachedStats(m_single, histogramBins({m_single}));
    if (!report || !report->reduced)
        return {};
    return clipboardtext::statistics(m_single.info().name, report->stats);
}

void Workbench::loadGraphs(const QString &path)
{
    // The object graph of the newest checkpoint, when it is object-based (TF2, SavedModel).
    std::shared_ptr<const Checkpoint> latest;
    for (const auto &r : std::as_const(m_opened))
        if (r.path == path)
            for (const auto &cp : r.checkpoints)
                if (!latest || cp->index().displayName == r.latest)
                    latest = cp;
    // Files without an architecture (plain checkpoints, weights-only files) have no graph.
    auto *watcher = new QFutureWatcher<std::vector<graph::ModelGraph>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path] {
        auto graphs = watcher->result();
        watcher->deleteLater();
        if (!graphs.empty())
            m_inspector->graph()->setGraphs(path, std::move(graphs));
    });
    watcher->setFuture(QtConcurrent::run([path, latest] {
        std::vector<graph::ModelGraph> all;
        if (auto ops = graph::loadGraphs(path, JobContext::none()))
            all = std::move(*ops);
        if (latest)
            if (auto objects = graph::objectGraphOf(*latest))
                all.push_back(std::move(*objects));
        return all;
    }));
}

std::shared_ptr<const Checkpoint> Workbench::checkpointOfGraph(const QString &path,
                                                               const graph::ModelGraph &g) const
{
    const int source = openSourcePaths().indexOf(path);
    if (source < 0)
        return {};
    const auto &cps = m_opened[source].checkpoints;
    // A .meta is saved beside the checkpoint of its prefix.
    const QString prefix =
        g.source.endsWith(QLatin1String(".meta")) ? g.source.chopped(5) : QString();
    QString first;
    for (const auto &n : g.nodes)
        if (!n.tensors.isEmpty()) {
            first = n.tensors.first();
            break;
        }
    std::shared_ptr<const Checkpoint> found;
    for (const auto &cp : cps) {
        if (!prefix.isEmpty() &&
            QFileInfo(cp->index().path).absoluteFilePath() == QFileInfo(prefix).absoluteFilePath())
            return cp;
        if (!first.isEmpty() && cp->index().indexOfKey(first) >= 0)
            found = cp;
    }
    return found;
}

void Workbench::colourGraph(int stat)
{
    auto *view = m_inspector->graph();
    const auto *g = view->currentGraph();
    const auto s = graph::NodeStat(stat);
    if (s == graph::NodeStat::None || !g) {
        m_colouring->cancel();
        return;
    }
    auto cp = checkpointOfGraph(view->currentPath(), *g);
    if (!cp) {
        m_colouring->cancel();
        view->setColourNote(tr("no open checkpoint holds this graph's weights"));
        return;
    }
    std::shared_ptr<const Checkpoint> previous;
    if (s == graph::NodeStat::RelChange) {
        const auto run = runOf(TensorRef{cp, 0});
        const auto at = std::find(run.begin(), run.end(), cp);
        if (at != run.end() && at != run.begin())
            previous = *(at - 1);
        if (!previous) {
            m_colouring->cancel();
            view->setColourNote(tr("%1 has no earlier checkpoint in its run to compare with")
                                    .arg(cp->index().displayName));
            return;
        }
    }
    m_colouring->request(s, cp, previous, view->currentTensorKeys());
}

} // namespace wl
