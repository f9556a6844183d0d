#include "compareview.h"

#include "core/glob.h"
#include "heatmapview.h"
#include "histogramplot.h"
#include "itemmodels/comparemodel.h"
#include "restorechoices.h"
#include "restoredialog.h"
#include "write/restore.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPointer>
#include <QProgressBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QThread>
#include <QTimer>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

namespace wl
{
namespace
{

QString nameOf(const Checkpoint &c)
{
    return c.index().displayName.isEmpty() ? c.index().path : c.index().displayName;
}

QString number(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'g', 4) : QStringLiteral("–");
}

} // namespace

CompareView::CompareView(std::shared_ptr<const Checkpoint> a, std::shared_ptr<const Checkpoint> b,
                         QWidget *parent)
    : QWidget(parent)
{
    setWindowTitle(tr("Compare %1 ↔ %2 — WeightLens").arg(nameOf(*a), nameOf(*b)));
    m_session = new CompareSession(a, b, this);
    m_model = new CompareModel(this);
    m_choices = new RestoreChoices(m_model, this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_choices);
    m_proxy->setSortRole(CompareModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    auto *heading = new QLabel(this);
    heading->setTextFormat(Qt::PlainText);
    heading->setText(tr("A: %1\nB: %2").arg(a->index().path, b->index().path));
    heading->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary = new QLabel(tr("Matching names…"), this);
    m_summary->setWordWrap(true);
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter tensors (substring of name, status or match)"));
    m_filter->setClearButtonEnabled(true);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(220);
    m_progress->setTextVisible(false);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop comparing (Esc)"));
    m_cancel->setShortcut(Qt::Key_Escape);

    m_table = new QTableView(this);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->sortByColumn(CompareModel::RelL2Column, Qt::DescendingOrder);

    m_hist = new HistogramPlot(this);
    m_hist->setMessage(tr("Select a tensor to see A and B"));
    m_diffHist = new HistogramPlot(this);
    m_diffHist->setMessage(tr("Select a tensor to see A − B"));
    m_heatmap = new HeatmapView(this);
    m_detailNote = new QLabel(this);
    m_detailNote->setWordWrap(true);

    m_layers = new QComboBox(this);
    m_layers->addItems({tr("Tensors"), tr("Layers")});
    m_layers->setToolTip(tr("One row per tensor, or per layer with its tensors' sums"));
    // Choosing for a restore: undoable until written, from the view's own keys.
    auto *undo = m_choices->undoStack()->createUndoAction(this, tr("Undo"));
    undo->setShortcut(QKeySequence::Undo);
    auto *redo = m_choices->undoStack()->createRedoAction(this, tr("Redo"));
    redo->setShortcut(QKeySequence::Redo);
    for (auto *act : {undo, redo}) {
        act->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(act);
    }
    auto *undoButton = new QToolButton(this);
    undoButton->setDefaultAction(undo);
    auto *redoButton = new QToolButton(this);
    redoButton->setDefaultAction(redo);
    m_restore = new QToolButton(this);
    m_restore->setText(tr("Restore into B…"));
    m_restore->setToolTip(tr("Write a copy of B with the checked tensors' values from A, after "
                             "a summary of what will be written"));
    m_restore->setEnabled(false);
    m_wholeRun = new QToolButton(this);
    m_wholeRun->setText(tr("Whole Run…"));
    m_wholeRun->setToolTip(tr("Every weight's change from each checkpoint of this run to the "
                              "next, as a heatmap"));
    m_wholeRun->hide(); // until setRun names a run holding both checkpoints
    connect(m_wholeRun, &QToolButton::clicked, this,
            [this] { emit runChangesRequested(m_run, m_runTitle); });
    auto *top = new QHBoxLayout;
    top->addWidget(m_layers);
    top->addWidget(m_filter, 1);
    top->addWidget(m_progress);
    top->addWidget(m_cancel);
    top->addWidget(undoButton);
    top->addWidget(redoButton);
    top->addWidget(m_restore);
    top->addWidget(m_wholeRun);
    auto *plots = new QSplitter(Qt::Horizontal, this);
    plots->addWidget(m_hist);
    plots->addWidget(m_diffHist);
    plots->addWidget(m_heatmap);
    plots->setChildrenCollapsible(false);
    for (int i = 0; i < 3; ++i)
        plots->setStretchFactor(i, 1);
    // Equal thirds once laid out; the plots' size hints would leave the heatmap a sliver.
    QTimer::singleShot(0, plots, [plots] {
        const int w = plots->width() / 3;
        plots->setSizes({w, w, w});
    });
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(plots);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(heading);
    layout->addWidget(m_summary);
    layout->addLayout(top);
    layout->addWidget(split, 1);
    layout->addWidget(m_detailNote);

    connect(m_filter, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_cancel, &QToolButton::clicked, this, [this] {
        if (m_restoreCancel)
            *m_restoreCancel = true;
        else
            m_session->cancel();
    });
    connect(m_restore, &QToolButton::clicked, this, &CompareView::openRestoreDialog);
    connect(m_choices, &RestoreChoices::chosenChanged, this, [this] {
        const auto n = m_choices->chosen().size();
        m_restore->setEnabled(n > 0 && !isRestoring());
        m_restore->setText(n > 0 ? tr("Restore %n into B…", nullptr, int(n))
                                 : tr("Restore into B…"));
    });
    connect(m_layers, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_model->setShowLayers(i == 1);
        m_proxy->sort(m_proxy->sortColumn(), m_table->horizontalHeader()->sortIndicatorOrder());
    });
    connect(m_session, &CompareSession::matched, this, [this](const NameMatching &m) {
        m_model->setComparison(m_session->a(), m_session->b(), m);
        m_summary->setText(tr("%1 matched, %2 only in A, %3 only in B; comparing…")
                               .arg(m.pairs.size())
                               .arg(m.onlyA.size())
                               .arg(m.onlyB.size()));
        m_table->resizeColumnToContents(CompareModel::NameColumn);
    });
    connect(m_session, &CompareSession::progress, this,
            [this](double f) { m_progress->setValue(int(f * 1000)); });
    connect(m_session, &CompareSession::runningChanged, this, [this](bool running) {
        m_progress->setVisible(running);
        m_cancel->setVisible(running);
    });
    connect(m_session, &CompareSession::finished, this, &CompareView::onFinished);
    connect(m_session, &CompareSession::detailReady, this, &CompareView::showDetail);
    connect(m_session, &CompareSession::detailFailed, this, [this](int, int, const QString &why) {
        m_hist->setMessage(why);
        m_diffHist->setMessage(why);
        m_heatmap->clear();
        emit detailShown();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &CompareView::onCurrentRowChanged);
    connect(m_table, &QWidget::customContextMenuRequested, this, &CompareView::showTableMenu);

    resize(1300, 860);
    m_session->start();
}

void CompareView::setRun(const QVector<std::shared_ptr<const Checkpoint>> &run,
                         const QString &title)
{
    m_run = run;
    m_runTitle = title;
    m_wholeRun->setVisible(run.size() >= 2);
}

CompareView::~CompareView()
{
    // A restore in flight stops at its next tensor and removes what it wrote.
    if (m_restoreThread) {
        *m_restoreCancel = true;
        m_restoreThread->wait();
        delete m_restoreThread;
    }
}

void CompareView::onFinished(const QVector<TensorDiff> &diffs)
{
    m_model->setDiffs(diffs);
    m_progress->setValue(1000);
    m_proxy->sort(m_proxy->sortColumn(), m_table->horizontalHeader()->sortIndicatorOrder());
    for (int c = CompareModel::ShapeColumn; c < CompareModel::ColumnCount; ++c)
        m_table->resizeColumnToContents(c);
    const auto &m = m_model->matching();
    // The weights' total: optimizer counters and slots would drown it.
    QVector<TensorDiff> weights;
    for (const auto &d : diffs)
        if (const auto &t = m_session->a()->tensor(d.match.a);
            t.role == TensorRole::Variable && dtypeIsFloat(t.dtype))
            weights << d;
    const GroupDiff total = diffTotal(weights.isEmpty() ? diffs : weights);
    int changed = 0, errors = 0, mismatches = 0;
    for (const auto &d : diffs) {
        mismatches += !d.match.comparable();
        errors += !d.error.isEmpty();
        changed += d.error.isEmpty() && d.match.comparable() && !d.sums.identical;
    }
    QString text = tr("%1 matched (%2 changed), %3 only in A, %4 only in B, %5 mismatched. "
                      "%9: ‖A−B‖/‖A‖ %6, max |A−B| %7, %8% of elements changed.")
                       .arg(m.pairs.size())
                       .arg(changed)
                       .arg(m.onlyA.size())
                       .arg(m.onlyB.size())
                       .arg(mismatches)
                       .arg(number(total.sums.relL2()), number(total.sums.maxAbs))
                       .arg(QString::number(100 * total.sums.changedFraction(), 'f', 1))
                       .arg(weights.isEmpty() ? tr("All compared") : tr("Weights"));
    if (errors)
        text += tr(" %1 could not be compared (see the row's tooltip).").arg(errors);
    m_summary->setText(text);
    if (!m_table->currentIndex().isValid() && m_proxy->rowCount() > 0)
        m_table->selectRow(0);
    else
        onCurrentRowChanged();
    emit comparisonFinished();
}

void CompareView::onCurrentRowChanged()
{
    const QModelIndex cur = m_proxy->mapToSource(m_table->currentIndex());
    if (!cur.isValid())
        return;
    const auto &row = m_model->rowAt(cur.row());
    m_heatmap->clear();
    if (row.kind != CompareModel::RowKind::Pair) {
        const QString why = row.kind == CompareModel::RowKind::OnlyA   ? tr("Only in A")
                            : row.kind == CompareModel::RowKind::OnlyB ? tr("Only in B")
                                                                       : tr("Select a tensor");
        m_hist->setMessage(why);
        m_diffHist->setMessage(why);
        m_detailNote->clear();
        emit detailShown();
        return;
    }
    const auto &a = m_session->a()->tensor(row.a);
    const auto &b = m_session->b()->tensor(row.b);
    const bool sameShape = a.shape.dims == b.shape.dims || !layoutAxes(a, b).empty();
    if (!sameShape || !dtypeIsNumeric(a.dtype) || !dtypeIsNumeric(b.dtype)) {
        const QString why =
            !sameShape
                ? tr("Shapes differ: %1 against %2").arg(a.shape.toString(), b.shape.toString())
                : tr("Not numeric tensors");
        m_hist->setMessage(why);
        m_diffHist->setMessage(why);
        emit detailShown();
        return;
    }
    m_hist->setMessage(tr("Reading…"));
    m_diffHist->setMessage(tr("Reading…"));
    m_session->requestDetail(row.a, row.b, kBins, kMaxDetailElements);
}

void CompareView::showDetail(int ta, int tb, const PairDetail &d)
{
    const auto &a = m_session->a()->tensor(ta);
    const QString name = a.name.isEmpty() ? a.key : a.name;
    HistogramSeries sa{tr("A: %1").arg(nameOf(*m_session->a())), d.histA};
    HistogramSeries sb{tr("B: %1").arg(nameOf(*m_session->b())), d.histB};
    sa.nan = d.nonFiniteA;
    sb.nan = d.nonFiniteB;
    sa.count = sb.count = a.numElements();
    m_hist->setSeries({sa, sb});
    m_hist->setTitle(tr("%1: A and B").arg(name));
    HistogramSeries sd{tr("A − B"), d.histDiff};
    sd.count = a.numElements();
    m_diffHist->setSeries({sd});
    m_diffHist->setTitle(tr("%1: A − B").arg(name));
    if (d.rows > 0)
        m_heatmap->setSlice(d.diff2d, d.rows, d.cols, tr("%1: A − B").arg(name));
    const QString partner = m_session->b()->tensor(tb).name;
    m_detailNote->setText(d.rows > 0 ? QString() : tr("No heatmap: %1 is not 2-D").arg(name));
    if (partner != a.name)
        m_detailNote->setText(m_detailNote->text() + tr("  (B's tensor: %1)").arg(partner));
    emit detailShown();
}

void CompareView::showTableMenu(const QPoint &pos)
{
    const QModelIndex at = m_proxy->mapToSource(m_table->indexAt(pos));
    if (!at.isValid())
        return;
    const auto row = m_model->rowAt(at.row());
    QMenu menu(this);
    if (row.kind == CompareModel::RowKind::Pair) {
        if (m_choices->choosable(at.row())) {
            const bool on = m_choices->isChosen({row.a, row.b});
            menu.addAction(
                on ? tr("Leave Out of Restore") : tr("Choose for Restore"), this, [this, at, on] {
                    m_choices->setData(m_choices->index(at.row(), 0),
                                       on ? Qt::Unchecked : Qt::Checked, Qt::CheckStateRole);
                });
        }
        menu.addAction(tr("Choose All Shown for Restore"), this, [this] {
            QVector<RestoreChoices::Pair> pairs;
            for (int r = 0; r < m_proxy->rowCount(); ++r) {
                const int src = m_proxy->mapToSource(m_proxy->index(r, 0)).row();
                if (m_choices->choosable(src))
                    pairs << m_choices->pairAt(src);
            }
            m_choices->choose(pairs, true, tr("Choose %n tensors", nullptr, int(pairs.size())));
        });
        menu.addSeparator();
        menu.addAction(tr("Unpair"), this, [this, row] { m_session->setMatch(row.a, -1); });
    } else if (row.kind == CompareModel::RowKind::OnlyA) {
        // Pair with a tensor of B that has no partner, of the same shape first.
        auto *pairWith = menu.addMenu(tr("Pair With"));
        const auto &ta = m_session->a()->tensor(row.a);
        for (int j : m_model->matching().onlyB) {
            const auto &tb = m_session->b()->tensor(j);
            auto *act =
                pairWith->addAction(QStringLiteral("%1  %2").arg(
                                        tb.name.isEmpty() ? tb.key : tb.name, tb.shape.toString()),
                                    this, [this, row, j] { m_session->setMatch(row.a, j); });
            act->setEnabled(tb.shape.dims == ta.shape.dims || !layoutAxes(ta, tb).empty());
        }
        pairWith->setEnabled(!pairWith->isEmpty());
    }
    if (!menu.isEmpty())
        menu.exec(m_table->viewport()->mapToGlobal(pos));
}

bool CompareView::selectTensor(const QString &nameOrKey)
{
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        const auto &row = m_model->rowAt(m_proxy->mapToSource(m_proxy->index(r, 0)).row());
        for (const auto &[cp, t] : {std::pair{m_session->a(), row.a}, {m_session->b(), row.b}}) {
            if (t < 0)
                continue;
            const auto &info = cp->tensor(t);
            if (info.name == nameOrKey || info.key == nameOrKey) {
                m_table->selectRow(r);
                m_table->scrollTo(m_proxy->index(r, 0));
                return true;
            }
        }
    }
    return false;
}

int CompareView::chooseMatching(const QString &glob)
{
    QVector<RestoreChoices::Pair> pairs;
    for (int r = 0; r < m_choices->rowCount(); ++r) {
        if (!m_choices->choosable(r))
            continue;
        const auto p = m_choices->pairAt(r);
        const auto &a = m_session->a()->tensor(p.first);
        const auto &b = m_session->b()->tensor(p.second);
        if (globMatch(glob, a.name) || globMatch(glob, a.key) || globMatch(glob, b.name) ||
            globMatch(glob, b.key))
            pairs << p;
    }
    m_choices->choose(pairs, true, tr("Choose %1").arg(glob));
    return int(pairs.size());
}

void CompareView::restoreTensorsOfA(const QVector<int> &tensors)
{
    auto choose = [this, tensors] {
        const QSet<int> wanted(tensors.begin(), tensors.end());
        QVector<RestoreChoices::Pair> pairs;
        QSet<int> paired;
        for (int r = 0; r < m_choices->rowCount(); ++r) {
            if (!m_choices->choosable(r))
                continue;
            const auto p = m_choices->pairAt(r);
            if (wanted.contains(p.first)) {
                pairs << p;
                paired.insert(p.first);
            }
        }
        QStringList left;
        for (int t : tensors)
            if (!paired.contains(t)) {
                const auto &info = m_session->a()->tensor(t);
                left << (info.name.isEmpty() ? info.key : info.name);
            }
        m_choices->choose(pairs, true,
                          tr("Choose %n tensors from the tree", nullptr, int(pairs.size())));
        RestoreDialog *dialog = pairs.isEmpty() ? nullptr : openRestoreDialog();
        const QString leftOut =
            left.isEmpty()
                ? QString()
                : tr("%n of the selected tensors have no numeric partner of the same shape in "
                     "B and are left out: %1",
                     nullptr, int(left.size()))
                      .arg(left.size() > 6
                               ? left.mid(0, 6).join(QStringLiteral(", ")) + QStringLiteral(", …")
                               : left.join(QStringLiteral(", ")));
        if (dialog)
            dialog->setNote(leftOut);
        else
            m_summary->setText(tr("Nothing to restore: %1").arg(leftOut));
        emit treeRestoreReady(dialog != nullptr);
    };
    if (m_model->checkpointA())
        choose();
    else // the matching's own handler ran first: the model has its rows
        connect(m_session, &CompareSession::matched, this, choose, Qt::SingleShotConnection);
}

RestoreDialog *CompareView::dryRun() const
{
    return m_dryRun.data();
}

RestoreDialog *CompareView::openRestoreDialog()
{
    const auto chosen = m_choices->chosen();
    if (chosen.isEmpty() || isRestoring())
        return nullptr;
    auto *dialog = new RestoreDialog(*m_session->a(), *m_session->b(), chosen, this);
    m_dryRun = dialog;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        startRestore(dialog->intoRun() ? dialog->runDir() : dialog->outPath(), dialog->intoRun(),
                     dialog->withSlots());
    });
    dialog->open();
    return dialog;
}

void CompareView::startRestore(const QString &out, bool intoRun, bool withSlots)
{
    if (isRestoring())
        return;
    RestoreRequest request;
    request.pairs = m_choices->chosen();
    request.withSlots = withSlots;
    m_restoreCancel = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_restoreCancel;
    auto a = m_session->a();
    auto b = m_session->b();
    QPointer<CompareView> self(this);
    m_restore->setEnabled(false);
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_cancel->setVisible(true);
    m_summary->setText(tr("Restoring %n tensors into B…", nullptr, int(request.pairs.size())));
    m_restoreThread = QThread::create([=] {
        const JobContext job(cancel.get(), [self](double f, const QString &) {
            QMetaObject::invokeMethod(self, [self, f] {
                if (self)
                    self->m_progress->setValue(int(f * 1000));
            });
        });
        auto r = intoRun ? restoreIntoRun(*a, out, request, job)
                         : restoreTensors(*a, *b, out, request, job);
        QMetaObject::invokeMethod(self, [self, r] {
            if (!self)
                return;
            self->m_restoreThread->wait();
            self->m_restoreThread->deleteLater();
            self->m_restoreThread = nullptr;
            self->m_restoreCancel.reset();
            self->m_progress->setVisible(false);
            self->m_cancel->setVisible(false);
            QString message;
            if (r.ok()) {
                message = tr("Wrote %1: %n tensors restored from A, the rest of B kept; read "
                             "back and verified. Log: %2",
                             nullptr, int(r->restored.size()))
                              .arg(r->prefix, r->logPath);
                if (!r->statePath.isEmpty())
                    message += tr(" The run's checkpoint state file now names it.");
                // Written: the choices are done with and no longer undoable.
                self->m_choices->reset();
            } else {
                message = tr("Nothing written: %1").arg(r.error().message());
                self->m_restore->setEnabled(!self->m_choices->chosen().isEmpty());
            }
            self->m_summary->setText(message);
            emit self->restoreFinished(r.ok(), message);
        });
    });
    m_restoreThread->start();
}

} // namespace wl
