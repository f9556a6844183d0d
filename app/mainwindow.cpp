#include "mainwindow.h"

#include "analysisview.h"
#include "compareview.h"
#include "core/plural.h"
#include "formats/readerregistry.h"
#include "graphview.h"
#include "histogramplot.h"
#include "icons.h"
#include "itemmodels/checkpointtreemodel.h"
#include "jobs/jobrunner.h"
#include "overtimeview.h"
#include "problemspanel.h"
#include "reportdialog.h"
#include "restoretarget.h"
#include "runanalysisview.h"
#include "runchangesview.h"
#include "shortcutsdialog.h"
#include "sourcesview.h"
#include "tensorinspector.h"
#include "valuesview.h"
#include "workbench.h"
#include "workstatus.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace wl
{
MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(tr("WeightLens"));
    setWindowIcon(icons::application());
    m_bench = new Workbench(this);

    m_hsplit = new QSplitter(Qt::Horizontal, this);
    m_hsplit->addWidget(m_bench->sources());
    m_hsplit->addWidget(m_bench->centre());
    m_hsplit->setStretchFactor(0, 1);
    m_hsplit->setStretchFactor(1, 1);
    m_hsplit->setChildrenCollapsible(false);

    auto *problemsBox = new QWidget(this);
    auto *title = new QLabel(tr("Problems"), problemsBox);
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);
    auto *pl = new QVBoxLayout(problemsBox);
    pl->setContentsMargins(4, 2, 4, 0);
    pl->setSpacing(2);
    pl->addWidget(title);
    pl->addWidget(m_bench->problems(), 1);
    connect(m_bench->problems(), &ProblemsPanel::countChanged, title,
            [title](int n) { title->setText(n ? tr("Problems (%1)").arg(n) : tr("Problems")); });

    m_vsplit = new QSplitter(Qt::Vertical, this);
    m_vsplit->addWidget(m_hsplit);
    m_vsplit->addWidget(problemsBox);
    m_vsplit->setStretchFactor(0, 1);
    m_vsplit->setStretchFactor(1, 0);
    setCentralWidget(m_vsplit);

    m_summary = new QLabel(tr("Ready"), this);
    statusBar()->addWidget(m_summary, 1);
    statusBar()->addPermanentWidget(m_bench->workStatus());
    connect(m_bench, &Workbench::summaryChanged, m_summary, &QLabel::setText);
    connect(m_bench, &Workbench::errorOccurred, this, &MainWindow::showError);
    connect(m_bench, &Workbench::largeOpenRefused, this, &MainWindow::askToOpenLarge);
    connect(m_bench, &Workbench::sourceOpened, this, &MainWindow::addRecent);
    connect(m_bench, &Workbench::sourcesChanged, this, [this] {
        const QStringList paths = m_bench->openSourcePaths();
        setWindowTitle(paths.isEmpty()
                           ? tr("WeightLens")
                           : tr("%1 — WeightLens")
                                 .arg(paths.size() == 1 ? QFileInfo(paths.first()).fileName()
                                                        : tr("%1 sources").arg(paths.size())));
    });
    m_bench->installDropTarget(this);
    connect(m_bench->sources(), &SourcesView::compareRequested, this, &MainWindow::openCompare);
    connect(m_bench->sources(), &SourcesView::runChangesRequested, this,
            &MainWindow::openRunChanges);
    connect(m_bench->sources(), &SourcesView::runAnalysisRequested, this,
            &MainWindow::openRunAnalysis);
    connect(m_bench->sources(), &SourcesView::restoreRequested, this, &MainWindow::restoreInto);

    createMenus();
    // Large enough for the tree's Name to Mean columns, small enough for the screen it opens on.
    const QSize avail = screen() ? screen()->availableSize() : QSize(1360, 860);
    resize(std::min(1360, avail.width() * 9 / 10), std::min(860, avail.height() * 9 / 10));
    m_hsplit->setSizes({width() * 53 / 100, width() * 47 / 100});
    m_vsplit->setSizes({height() - 120, 90});
    restoreSettings();
}

void MainWindow::createMenus()
{
    auto *file = menuBar()->addMenu(tr("&File"));
    auto *open = file->addAction(tr("&Open File…"), this, &MainWindow::openFileDialog);
    open->setShortcut(QKeySequence::Open);
    open->setToolTip(tr("Open checkpoint files (any format WeightLens reads)"));
    auto *openDir = file->addAction(tr("Open &Folder…"), this, &MainWindow::openFolderDialog);
    openDir->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_recent = file->addMenu(tr("Open &Recent"));
    connect(m_recent, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
    file->addSeparator();
    auto *reload = file->addAction(tr("Re&load"), m_bench, &Workbench::reload);
    reload->setShortcut(QKeySequence::Refresh);
    auto *close = file->addAction(tr("&Close"), m_bench, &Workbench::closeSelected);
    close->setShortcut(QKeySequence::Close);
    close->setToolTip(tr("Close the selected sources"));
    file->addAction(tr("Close &All"), m_bench, &Workbench::closeAll);
    file->addSeparator();
    auto *report = file->addAction(tr("&Export Report…"), this, &MainWindow::exportReport);
    report->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    report->setToolTip(tr("Write a report to share (HTML, PDF, Markdown or JSON) of the "
                          "selection, its run, a comparison or everything open"));
    file->addSeparator();
    auto *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto *edit = menuBar()->addMenu(tr("&Edit"));
    auto *find =
        edit->addAction(tr("&Filter Tensors"), m_bench->sources(), &SourcesView::focusFilter);
    find->setShortcut(QKeySequence::Find);
    auto *compare =
        edit->addAction(tr("Compare Chec&kpoints"), this, &MainWindow::compareCheckpoints);
    compare->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    compare->setToolTip(tr("Compare the two selected checkpoints tensor by tensor"));
    edit->addAction(m_bench->sources()->restoreAction());
    auto *copyStats = edit->addAction(tr("Copy &Statistics"), this, [this] {
        const QString text = m_bench->selectedStatisticsText();
        if (text.isEmpty())
            statusBar()->showMessage(tr("Select one tensor whose statistics are computed"), 6000);
        else
            QGuiApplication::clipboard()->setText(text);
    });
    copyStats->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_C));
    auto *cancel =
        edit->addAction(tr("&Cancel Background Work"), m_bench->runner(), &JobRunner::cancelAll);
    cancel->setShortcut(Qt::Key_Escape);

    auto *view = menuBar()->addMenu(tr("&View"));
    auto *raw = view->addAction(tr("Show &Raw Keys"));
    raw->setCheckable(true);
    raw->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    connect(raw, &QAction::toggled, m_bench->sources(), &SourcesView::setShowRawKeys);
    connect(m_bench->sources(), &SourcesView::showRawKeysChanged, raw, &QAction::setChecked);
    view->addSeparator();
    const QStringList tabs{tr("&Overview"), tr("&Histogram"), tr("&Values"), tr("&Curves")};
    for (int i = 0; i < tabs.size(); ++i) {
        auto *a =
            view->addAction(tabs[i], this, [this, i] { m_bench->inspector()->setCurrentIndex(i); });
        a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
    }
    auto *overTime = view->addAction(tr("Over &Time"), this, [this] {
        m_bench->inspector()->setCurrentWidget(m_bench->inspector()->overTime());
    });
    overTime->setShortcut(QKeySequence(Qt::ALT | Qt::Key_5));
    overTime->setToolTip(tr("The selected variable across the checkpoints of its run"));
    auto *graphTab = view->addAction(tr("&Graph"), this, [this] {
        m_bench->inspector()->setCurrentWidget(m_bench->inspector()->graph());
    });
    graphTab->setShortcut(QKeySequence(Qt::ALT | Qt::Key_6));
    graphTab->setToolTip(tr("The model's architecture, linked to its weights"));
    auto *analysisTab = view->addAction(tr("&Analysis"), this, [this] {
        m_bench->inspector()->setCurrentWidget(m_bench->inspector()->analysis());
    });
    analysisTab->setShortcut(QKeySequence(Qt::ALT | Qt::Key_7));
    analysisTab->setToolTip(tr("Spectra of the selected weight matrix"));
    view->addSeparator();
    auto *logScale = view->addAction(tr("Log Counts in Histogram"));
    logScale->setCheckable(true);
    logScale->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(logScale, &QAction::toggled, m_bench->inspector()->histogram(),
            &HistogramPlot::setLogScale);
    connect(m_bench->inspector()->histogram(), &HistogramPlot::logScaleChanged, logScale,
            &QAction::setChecked);
    auto *expand =
        view->addAction(tr("&Expand All"), m_bench->sources()->tree(), &QTreeView::expandAll);
    expand->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    view->addAction(tr("C&ollapse All"), m_bench->sources()->tree(), &QTreeView::collapseAll);

    auto *help = menuBar()->addMenu(tr("&Help"));
    auto *keys = help->addAction(tr("&Keyboard Shortcuts"), this,
                                 [this] { ShortcutsDialog(this, this).exec(); });
    keys->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About WeightLens"), this, [this] {
        QStringList formats;
        for (const auto &r : ReaderRegistry::builtin().readers())
            formats << r->displayName();
        QMessageBox::about(
            this, tr("About WeightLens"),
            tr("<h3>WeightLens %1</h3><p>Look inside model checkpoints: every weight in a "
               "tree, statistics, histograms and values.</p><p>Formats: %2</p>")
                .arg(QApplication::applicationVersion(),
                     formats.isEmpty() ? tr("none") : formats.join(QStringLiteral(", "))));
    });
}

void MainWindow::openPaths(const QStringList &paths)
{
    QStringList files;
    for (const auto &p : paths)
        files << QFileInfo(p).absoluteFilePath();
    m_bench->openPaths(files);
    // Hidden aids for scripted screenshots and demos.
    const QString select = qEnvironmentVariable("WEIGHTLENS_SELECT");
    if (!select.isEmpty())
        m_bench->selectTensor(select);
    bool ok = false;
    const int tab = qEnvironmentVariableIntValue("WEIGHTLENS_TAB", &ok);
    if (ok)
        m_bench->inspector()->setCurrentIndex(std::min(tab, int(TensorInspector::ValuesTab)));
    if (ok && tab == 3) // the Values tab as a heatmap
        m_bench->inspector()->values()->setHeatmapVisible(true);
    // WEIGHTLENS_DIALOG=shortcuts: Help > Keyboard Shortcuts, open beside the window.
    if (qEnvironmentVariable("WEIGHTLENS_DIALOG") == QLatin1String("shortcuts")) {
        auto *keys = new ShortcutsDialog(this, this);
        keys->setAttribute(Qt::WA_DeleteOnClose);
        keys->show();
    }
    // WEIGHTLENS_DIALOG=report: File > Export Report once the paths are open.
    if (qEnvironmentVariable("WEIGHTLENS_DIALOG") == QLatin1String("report") && !paths.isEmpty()) {
        auto conn = std::make_shared<QMetaObject::Connection>();
        *conn = connect(m_bench, &Workbench::sourceOpened, this, [this, conn] {
            if (m_bench->pendingOpens() > 0)
                return;
            disconnect(*conn);
            exportReport();
        });
    }
    // WEIGHTLENS_DIALOG=restore: Edit > Restore Into… on the selection once the paths are open.
    if (qEnvironmentVariable("WEIGHTLENS_DIALOG") == QLatin1String("restore") && !paths.isEmpty()) {
        auto conn = std::make_shared<QMetaObject::Connection>();
        *conn = connect(m_bench, &Workbench::sourceOpened, this, [this, conn] {
            if (m_bench->pendingOpens() > 0)
                return;
            disconnect(*conn);
            QTimer::singleShot(0, m_bench->sources()->restoreAction(), &QAction::trigger);
        });
    }
    // WEIGHTLENS_OVERTIME=ridge or band: the Over Time tab in that mode.
    const QString overTime = qEnvironmentVariable("WEIGHTLENS_OVERTIME");
    if (!overTime.isEmpty()) {
        m_bench->inspector()->overTime()->setMode(overTime == QLatin1String("band")
                                                      ? OverTimeView::Mode::Band
                                                      : OverTimeView::Mode::Ridge);
        m_bench->inspector()->setCurrentWidget(m_bench->inspector()->overTime());
    }
    // WEIGHTLENS_GRAPH_COLOUR=mean-abs, l2 or change: the Graph tab, its nodes coloured so.
    const QString colour = qEnvironmentVariable("WEIGHTLENS_GRAPH_COLOUR");
    if (!colour.isEmpty()) {
        auto *graphView = m_bench->inspector()->graph();
        graphView->setColourStat(colour == QLatin1String("l2")       ? graph::NodeStat::L2
                                 : colour == QLatin1String("change") ? graph::NodeStat::RelChange
                                                                     : graph::NodeStat::MeanAbs);
        m_bench->inspector()->setCurrentWidget(graphView);
    }
    // WEIGHTLENS_COMPARE=1 (or =layers, one row per layer): compare the first two checkpoints
    // once they are open.
    if (qEnvironmentVariableIsSet("WEIGHTLENS_COMPARE")) {
        auto conn = std::make_shared<QMetaObject::Connection>();
        *conn = connect(m_bench, &Workbench::sourcesChanged, this, [this, conn] {
            if (m_bench->pendingOpens() > 0)
                return;
            QList<std::shared_ptr<const Checkpoint>> all;
            auto *model = m_bench->model();
            for (int s = 0; s < model->rowCount() && all.size() < 2; ++s) {
                const QModelIndex src = model->index(s, 0);
                if (auto cp = model->checkpointAt(src)) {
                    all << cp;
                    continue;
                }
                for (int c = 0; c < model->rowCount(src) && all.size() < 2; ++c)
                    if (auto cp = model->checkpointAt(model->index(c, 0, src)))
                        all << cp;
            }
            if (all.size() == 2) {
                disconnect(*conn);
                openCompare(all[0], all[1]);
            }
        });
    }
    // WEIGHTLENS_RUN_CHANGES=1: the first source's run changes once it is open.
    if (qEnvironmentVariableIsSet("WEIGHTLENS_RUN_CHANGES")) {
        auto conn = std::make_shared<QMetaObject::Connection>();
        *conn = connect(m_bench, &Workbench::sourcesChanged, this, [this, conn] {
            const QModelIndex first = m_bench->model()->index(0, 0);
            const auto run = m_bench->sources()->runAt(first);
            if (m_bench->pendingOpens() > 0 || run.size() < 2)
                return;
            disconnect(*conn);
            openRunChanges(run, first.data().toString());
        });
    }
}

void MainWindow::exportReport()
{
    // Every scope reports from what the window has open: nothing is opened a second time.
    const QStringList open = m_bench->openSourcePaths();
    const auto &opened = m_bench->openSources();
    const auto selected = m_bench->sources()->selectedCheckpoints();
    const auto selectedOpen = m_bench->openedCheckpoints(selected);
    QList<ReportScope> scopes;
    auto nameOf = [](const std::shared_ptr<const Checkpoint> &c) { return c->index().displayName; };
    if (selected.size() == 2 && selectedOpen.size() == 2)
        scopes << ReportScope{
            tr("Comparison of %1 and %2").arg(nameOf(selected[0]), nameOf(selected[1])),
            {selected[0]->index().path, selected[1]->index().path},
            selected[0]->index().path,
            selected[1]->index().path,
            selectedOpen,
            selectedOpen[0],
            selectedOpen[1]};
    if (!selected.isEmpty()) {
        QStringList paths, names;
        for (const auto &c : selected) {
            paths << c->index().path;
            names << nameOf(c);
        }
        scopes << ReportScope{tr("Selected: %1").arg(names.join(QStringLiteral(", "))),
                              paths,
                              {},
                              {},
                              selectedOpen,
                              {},
                              {}};
        // The opened source (run folder) that holds the first selected checkpoint.
        const QString first = selected.first()->index().path;
        for (int i = 0; i < open.size(); ++i) {
            const QString &p = open[i];
            if (p != first && (first.startsWith(p + QLatin1Char('/')) || first == p)) {
                scopes << ReportScope{
                    tr("Run: %1").arg(QFileInfo(p).fileName()), {p}, {}, {}, {opened[i]}, {}, {}};
                break;
            }
        }
    }
    if (!open.isEmpty())
        scopes << ReportScope{tr("Everything open (%1)").arg(counted(open.size(), "source")),
                              open,
                              {},
                              {},
                              opened,
                              {},
                              {}};
    QSettings settings;
    const QString file = settings
                             .value(QStringLiteral("report/file"),
                                    QDir::home().filePath(QStringLiteral("weightlens-report.html")))
                             .toString();
    auto *dialog = new ReportDialog(scopes, file, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ReportDialog::exported, this,
            [this](bool ok, const QString &path, const QString &message) {
                if (ok)
                    QSettings().setValue(QStringLiteral("report/file"), path);
                statusBar()->showMessage(message, 10000);
            });
    dialog->show();
    // WEIGHTLENS_REPORT_FILE=PATH: export there at once, for scripted screenshots.
    const QString scripted = qEnvironmentVariable("WEIGHTLENS_REPORT_FILE");
    if (!scripted.isEmpty()) {
        dialog->fileEdit()->setText(scripted);
        dialog->startExport();
    }
}

void MainWindow::compareCheckpoints()
{
    const auto selected = m_bench->sources()->selectedCheckpoints();
    if (selected.size() != 2) {
        statusBar()->showMessage(
            tr("Select two checkpoints to compare (Ctrl+click the second); %1 selected")
                .arg(selected.size()),
            8000);
        return;
    }
    openCompare(selected[0], selected[1]);
}

CompareView *MainWindow::openCompare(std::shared_ptr<const Checkpoint> a,
                                     std::shared_ptr<const Checkpoint> b)
{
    // Its own window, so the tree stays at hand for the next comparison.
    // Both in one run: the compare view offers that run's changes.
    auto *model = m_bench->model();
    const QModelIndex at = model->indexOfCheckpoint(a.get());
    QModelIndex runNode = at.parent();
    auto run = m_bench->sources()->runAt(runNode);
    if (!run.contains(b)) {
        for (runNode = at; runNode.parent().isValid();)
            runNode = runNode.parent();
        run = m_bench->sources()->runAt(runNode);
    }
    const QString runTitle = runNode.data().toString();
    auto *view = new CompareView(std::move(a), std::move(b), this);
    if (run.contains(view->session()->b()))
        view->setRun(run, runTitle);
    connect(view, &CompareView::runChangesRequested, this, &MainWindow::openRunChanges);
    view->setWindowFlag(Qt::Window);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->show();
    if (qEnvironmentVariable("WEIGHTLENS_COMPARE") == QLatin1String("layers"))
        view->rowsCombo()->setCurrentIndex(1);
    const QString select = qEnvironmentVariable("WEIGHTLENS_COMPARE_SELECT");
    if (!select.isEmpty())
        connect(view, &CompareView::comparisonFinished, view,
                [view, select] { view->selectTensor(select); });
    // WEIGHTLENS_COMPARE_RESTORE=GLOB: choose the pairs matching GLOB and show the dry run.
    const QString restore = qEnvironmentVariable("WEIGHTLENS_COMPARE_RESTORE");
    if (!restore.isEmpty())
        connect(view, &CompareView::comparisonFinished, view, [view, restore] {
            if (view->chooseMatching(restore) > 0)
                view->openRestoreDialog();
        });
    return view;
}

void MainWindow::restoreInto(const QList<TensorRef> &tensors)
{
    if (tensors.isEmpty())
        return;
    const auto from = tensors.first().checkpoint;
    QVector<int> chosen;
    for (const auto &t : tensors)
        chosen << t.index;
    RestoreTargetDialog pick(*from, int(chosen.size()), m_bench->sources()->allCheckpoints(), this);
    // WEIGHTLENS_RESTORE_TARGET=TEXT: the first target whose entry holds TEXT, without asking.
    const QString scripted = qEnvironmentVariable("WEIGHTLENS_RESTORE_TARGET");
    for (int r = 0; r < pick.list()->count() && !scripted.isEmpty(); ++r)
        if (pick.list()->item(r)->text().contains(scripted)) {
            pick.list()->setCurrentRow(r);
            break;
        }
    if (!pick.target() && pick.exec() != QDialog::Accepted)
        return;
    if (auto into = pick.target()) {
        openCompare(from, into)->restoreTensorsOfA(chosen);
        return;
    }
    // A file not open yet: opened into the tree first, then restored into once it is there.
    const QString file = QFileInfo(pick.filePath()).absoluteFilePath();
    auto conn = std::make_shared<QMetaObject::Connection>();
    auto failed = std::make_shared<QMetaObject::Connection>();
    *failed = connect(m_bench, &Workbench::errorOccurred, this, [conn, failed] {
        disconnect(*conn);
        disconnect(*failed);
    });
    *conn = connect(m_bench, &Workbench::sourceOpened, this,
                    [this, conn, failed, file, from, chosen](const QString &path) {
                        if (QFileInfo(path).absoluteFilePath() != file)
                            return;
                        disconnect(*conn);
                        disconnect(*failed);
                        const int i = m_bench->openSourcePaths().indexOf(path);
                        const auto &opened = m_bench->openSources()[i].checkpoints;
                        if (opened.size() == 1 && opened.front().get() != from.get()) {
                            openCompare(from, opened.front())->restoreTensorsOfA(chosen);
                        } else {
                            statusBar()->showMessage(
                                tr("%1 holds %2; select the tensors again and choose one of "
                                   "them")
                                    .arg(QFileInfo(path).fileName(),
                                         counted(qint64(opened.size()), "checkpoint")),
                                10000);
                        }
                    });
    m_bench->openPaths({file});
}

void MainWindow::openRunAnalysis(const QVector<std::shared_ptr<const Checkpoint>> &run,
                                 const QString &title)
{
    auto *view = new RunAnalysisView(run, title, this);
    view->setWindowFlag(Qt::Window);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->show();
    view->start();
}

void MainWindow::openRunChanges(const QVector<std::shared_ptr<const Checkpoint>> &run,
                                const QString &title)
{
    auto *view = new RunChangesView(run, title, this);
    view->setWindowFlag(Qt::Window);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->show();
    view->start();
}

void MainWindow::openFileDialog()
{
    const QStringList patterns = ReaderRegistry::builtin().filePatterns();
    QStringList filters;
    if (!patterns.isEmpty())
        filters << tr("Checkpoints (%1)").arg(patterns.join(QLatin1Char(' ')));
    filters << tr("All files (*)");
    const QStringList paths = QFileDialog::getOpenFileNames(
        this, tr("Open checkpoint files"), settings::lastFolder(QStringLiteral("open-file")),
        filters.join(QStringLiteral(";;")));
    if (!paths.isEmpty())
        settings::setLastFolder(QStringLiteral("open-file"), paths.first());
    m_bench->openPaths(paths);
}

void MainWindow::openFolderDialog()
{
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Open a run or checkpoint folder"),
                                          settings::lastFolder(QStringLiteral("open-folder")));
    if (dir.isEmpty())
        return;
    // The folder above: the next run folder is most likely a sibling of this one.
    settings::setLastFolder(QStringLiteral("open-folder"), QFileInfo(dir).absolutePath());
    m_bench->openPaths({dir});
}

void MainWindow::addRecent(const QString &path)
{
    m_recentFiles.add(path);
    QSettings s;
    m_recentFiles.save(s);
}

void MainWindow::fillRecentMenu()
{
    m_recent->clear();
    bool missing = false;
    for (const auto &p : m_recentFiles.paths()) {
        auto *a = m_recent->addAction(QFileInfo(p).fileName(), this,
                                      [this, p] { m_bench->openPaths({p}); });
        // Greyed, not hidden: the entry may come back (a drive mounted again).
        const bool exists = QFileInfo::exists(p);
        a->setEnabled(exists);
        a->setToolTip(exists ? p : tr("%1 (not found)").arg(p));
        a->setStatusTip(a->toolTip());
        missing = missing || !exists;
    }
    if (m_recentFiles.paths().isEmpty()) {
        m_recent->addAction(tr("No recent files"))->setEnabled(false);
        return;
    }
    m_recent->setToolTipsVisible(true);
    m_recent->addSeparator();
    auto *prune = m_recent->addAction(tr("Remove &Missing Entries"), this, [this] {
        m_recentFiles.removeMissing();
        QSettings s;
        m_recentFiles.save(s);
    });
    prune->setEnabled(missing);
    m_recent->addAction(tr("&Clear List"), this, [this] {
        m_recentFiles.clear();
        QSettings s;
        m_recentFiles.save(s);
    });
}

void MainWindow::showError(const QString &message)
{
    // No dialog: paths that failed at start must not stand between the user and those that
    // opened. Each reason is a row of the Problems panel; the status bar says so.
    statusBar()->showMessage(message.contains(QLatin1String("Problems"))
                                 ? message
                                 : tr("%1 — see Problems").arg(message),
                             30000);
    if (const QList<int> sizes = m_vsplit->sizes(); sizes.value(1) == 0)
        m_vsplit->setSizes({std::max(0, sizes.value(0) - 120), 120}); // dragged shut: reopened
}

void MainWindow::askToOpenLarge(const QString &path, const QString &message)
{
    const auto answer = QMessageBox::question(
        this, tr("Open a large archive member?"),
        tr("%1.\n\nReading it writes a temporary file of that size. Open it anyway?").arg(message),
        QMessageBox::Open | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer == QMessageBox::Open)
        m_bench->openPaths({path}, true);
    else
        statusBar()->showMessage(tr("Not opened: %1").arg(message), 10000);
}

void MainWindow::restoreSettings()
{
    QSettings s;
    // Geometry and splitter states that do not parse leave the defaults set above.
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    m_hsplit->restoreState(s.value(QStringLiteral("window/hsplit")).toByteArray());
    m_vsplit->restoreState(s.value(QStringLiteral("window/vsplit")).toByteArray());
    settings::restoreViews(s, *m_bench);
    m_recentFiles.load(s);
}

void MainWindow::saveSettings()
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/hsplit"), m_hsplit->saveState());
    s.setValue(QStringLiteral("window/vsplit"), m_vsplit->saveState());
    settings::saveViews(s, *m_bench);
}

void MainWindow::openHandedOver(const QStringList &paths)
{
    openPaths(paths);
    if (isMinimized())
        showNormal();
    raise();
    activateWindow();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    m_bench->runner()->cancelAll();
    QMainWindow::closeEvent(event);
}

} // namespace wl
