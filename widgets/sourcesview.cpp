#include "sourcesview.h"

#include "icons.h"
#include "itemmodels/checkpointtreemodel.h"
#include "itemmodels/tensorfilterproxy.h"
#include "overviewhtml.h"
#include "themecolors.h"

#include <QAction>
#include <QClipboard>
#include <QComboBox>
#include <QDropEvent>
#include <QFontMetrics>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIdentityProxyModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QSet>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>
#include <iterator>

namespace wl
{

static QModelIndex toSource(const QAbstractItemModel *view, const QModelIndex &i);

namespace
{

// Adds icons from IconNameRole so the core model stays free of QtGui.
class IconProxy : public QIdentityProxyModel
{
public:
    using QIdentityProxyModel::QIdentityProxyModel;
    QVariant data(const QModelIndex &index, int role) const override
    {
        if (role == Qt::DecorationRole && index.column() == CheckpointTreeModel::NameColumn) {
            const QIcon icon = icons::forName(
                QIdentityProxyModel::data(index, CheckpointTreeModel::IconNameRole).toString());
            if (!icon.isNull())
                return icon;
        }
        return QIdentityProxyModel::data(index, role);
    }
};

const TensorRole kRoles[] = {TensorRole::Variable, TensorRole::OptimizerSlot, TensorRole::Optimizer,
                             TensorRole::Metadata};

} // namespace

SourcesView::SourcesView(CheckpointTreeModel *model, QWidget *parent)
    : QWidget(parent), m_model(model)
{
    m_proxy = new TensorFilterProxy(this);
    m_proxy->setSourceModel(model);
    auto *icons = new IconProxy(this);
    icons->setSourceModel(m_proxy);

    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter tensors by name or key (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(tr("Shows tensors whose readable name or raw key matches"));
    m_syntax = new QComboBox(this);
    m_syntax->addItems({tr("Substring"), tr("Glob"), tr("Regex")});
    m_syntax->setToolTip(tr("How the filter text is matched: plain text anywhere, a glob "
                            "pattern over the whole name (*, ?, [set]), or a regular expression"));
    m_filters = new QToolButton(this);
    m_filters->setText(tr("Types"));
    m_filters->setToolTip(tr("Show only some dtypes or roles (weights, optimizer state, "
                             "metadata)"));
    m_filters->setPopupMode(QToolButton::InstantPopup);
    m_filterMenu = new QMenu(m_filters);
    m_filters->setMenu(m_filterMenu);
    m_raw = new QToolButton(this);
    m_raw->setText(tr("Raw keys"));
    m_raw->setCheckable(true);
    m_raw->setToolTip(tr("Show the keys exactly as stored instead of readable names"));

    auto *bar = new QHBoxLayout;
    bar->setSpacing(4);
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_syntax);
    bar->addWidget(m_filters);
    bar->addWidget(m_raw);

    m_tree = new QTreeView(this);
    m_tree->setModel(icons);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(-1, Qt::AscendingOrder);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setAllColumnsShowFocus(true);
    m_tree->setTextElideMode(Qt::ElideMiddle);
    m_tree->setAccessibleName(tr("Checkpoint tree"));
    m_tree->setDragEnabled(true); // a tensor drags out as its key
    m_tree->setDragDropMode(QAbstractItemView::DragOnly);
    // Checkpoint dropped on checkpoint: compare them (handled here, the view only drags).
    m_tree->viewport()->setAcceptDrops(true);
    m_tree->viewport()->installEventFilter(this);
    auto *copyKeys = new QAction(tr("&Copy Key"), m_tree);
    copyKeys->setShortcut(QKeySequence::Copy);
    copyKeys->setShortcutContext(Qt::WidgetShortcut);
    connect(copyKeys, &QAction::triggered, this, [this] {
        QModelIndexList rows = m_tree->selectionModel()->selectedRows();
        std::sort(rows.begin(), rows.end());
        QModelIndexList sources;
        for (const auto &r : rows)
            sources << toSource(m_tree->model(), r);
        if (auto *data = m_model->mimeData(sources)) {
            QGuiApplication::clipboard()->setText(data->text());
            delete data;
        }
    });
    m_tree->addAction(copyKeys);
    m_restoreAction = new QAction(tr("Restore &Into…"), this);
    m_restoreAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_restoreAction->setToolTip(tr("Write the selected tensors' values into another checkpoint "
                                   "(a copy of it, in its format), after a dry run"));
    m_restoreAction->setStatusTip(m_restoreAction->toolTip());
    m_restoreAction->setEnabled(false);
    connect(m_restoreAction, &QAction::triggered, this, [this] {
        const auto tensors = restorableSelection();
        if (!tensors.isEmpty())
            emit restoreRequested(tensors);
    });
    connect(this, &SourcesView::selectionChanged, m_restoreAction,
            [this] { m_restoreAction->setEnabled(selectionCheckpoint() != nullptr); });
    auto *header = m_tree->header();
    header->setStretchLastSection(false);
    header->setSectionsMovable(true);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    int widths[] = {250, 84, 64, 80, 76, 88, 88, 88, 88, 88, 96, 88};
    static_assert(std::size(widths) == std::size_t(CheckpointTreeModel::ColumnCount));
    // Counts reach hundreds of billions in a big run; the column must show them whole.
    const QFontMetrics fm(m_tree->font());
    widths[CheckpointTreeModel::ParamsColumn] =
        std::max(widths[CheckpointTreeModel::ParamsColumn],
                 fm.horizontalAdvance(QStringLiteral("888,888,888,888")) + 16);
    // Statistics print with six significant digits; elided in the middle they would still
    // look like numbers.
    for (int c = CheckpointTreeModel::MeanColumn; c <= CheckpointTreeModel::MaxColumn; ++c)
        widths[c] = std::max(widths[c], fm.horizontalAdvance(QStringLiteral("-8.88888e-88")) + 16);
    for (int c = 0; c < CheckpointTreeModel::ColumnCount; ++c)
        header->resizeSection(c, widths[c]);
    for (int c = CheckpointTreeModel::AlphaColumn; c <= CheckpointTreeModel::StableRankColumn; ++c)
        header->setSectionHidden(c, true);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    header->setToolTip(tr("Right-click to choose the columns shown"));
    connect(header, &QWidget::customContextMenuRequested, this, &SourcesView::showHeaderMenu);

    m_matches = new QLabel(this);
    m_matches->setStyleSheet(QStringLiteral("color: palette(mid);"));
    m_matches->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(bar);
    layout->addWidget(m_matches);
    layout->addWidget(m_tree, 1);

    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_tree, &QWidget::customContextMenuRequested, this, &SourcesView::showContextMenu);
    connect(m_filter, &QLineEdit::textChanged, this, &SourcesView::applyPattern);
    connect(m_syntax, &QComboBox::currentIndexChanged, this, &SourcesView::applyPattern);
    connect(m_filterMenu, &QMenu::aboutToShow, this, &SourcesView::fillFilterMenu);
    connect(m_raw, &QToolButton::toggled, this, &SourcesView::setShowRawKeys);
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &SourcesView::selectionChanged);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &SourcesView::selectionChanged);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(model, signal, this, &SourcesView::updateMatchCount);
    connect(model, &QAbstractItemModel::modelReset, this, &SourcesView::updateMatchCount);
    // New sources open expanded one level so their checkpoints show at once.
    connect(icons, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &parent, int first, int last) {
                if (parent.isValid())
                    return;
                for (int r = first; r <= last; ++r) {
                    const QModelIndex i = m_tree->model()->index(r, 0);
                    m_tree->expand(i);
                    if (m_tree->model()->rowCount(i) == 1)
                        m_tree->expand(m_tree->model()->index(0, 0, i));
                }
            });
}

static QModelIndex toSource(const QAbstractItemModel *view, const QModelIndex &i)
{
    auto *icons = static_cast<const QIdentityProxyModel *>(view);
    auto *proxy = static_cast<const QSortFilterProxyModel *>(icons->sourceModel());
    return proxy->mapToSource(icons->mapToSource(i));
}

QModelIndexList SourcesView::selectedRows() const
{
    QModelIndexList out;
    for (const auto &i : m_tree->selectionModel()->selectedRows())
        out << toSource(m_tree->model(), i);
    return out;
}

QModelIndex SourcesView::currentRow() const
{
    const QModelIndex cur = m_tree->selectionModel()->currentIndex();
    return cur.isValid() ? toSource(m_tree->model(), cur.siblingAtColumn(0)) : QModelIndex();
}

QList<TensorRef> SourcesView::selectedTensors() const
{
    QList<TensorRef> out;
    QSet<TensorRef> seen;
    for (const auto &row : selectedRows()) {
        for (const auto &t : m_model->tensorsUnder(row)) {
            if (!seen.contains(t)) {
                seen.insert(t);
                out << t;
            }
        }
    }
    return out;
}

QList<std::shared_ptr<const Checkpoint>> SourcesView::selectedCheckpoints() const
{
    QList<std::shared_ptr<const Checkpoint>> out;
    for (const auto &row : selectedRows()) {
        const auto kind = m_model->nodeKind(row);
        if (kind != CheckpointTreeModel::NodeKind::Checkpoint &&
            kind != CheckpointTreeModel::NodeKind::Source)
            continue;
        auto cp = m_model->checkpointAt(row);
        if (cp && !out.contains(cp))
            out << cp;
    }
    return out;
}

QList<TensorRef> SourcesView::restorableSelection() const
{
    return selectionCheckpoint() ? selectedTensors() : QList<TensorRef>();
}

std::shared_ptr<const Checkpoint> SourcesView::selectionCheckpoint() const
{
    std::shared_ptr<const Checkpoint> one;
    for (const auto &row : selectedRows()) {
        auto cp = m_model->checkpointAt(row);
        if (!cp || (one && cp != one))
            return {};
        one = cp;
    }
    return one;
}

QList<std::shared_ptr<const Checkpoint>> SourcesView::allCheckpoints() const
{
    QList<std::shared_ptr<const Checkpoint>> out;
    for (int s = 0; s < m_model->rowCount(); ++s)
        out << m_model->sourceCheckpoints(m_model->index(s, 0));
    return out;
}

QModelIndex SourcesView::viewIndex(const QModelIndex &sourceIndex) const
{
    auto *icons = static_cast<QIdentityProxyModel *>(m_tree->model());
    return icons->mapFromSource(m_proxy->mapFromSource(sourceIndex));
}

void SourcesView::select(const QModelIndex &sourceIndex)
{
    const QModelIndex i = viewIndex(sourceIndex);
    if (!i.isValid())
        return;
    for (QModelIndex p = i.parent(); p.isValid(); p = p.parent())
        m_tree->expand(p);
    m_tree->selectionModel()->setCurrentIndex(i, QItemSelectionModel::ClearAndSelect |
                                                     QItemSelectionModel::Rows);
    m_tree->scrollTo(i);
}

void SourcesView::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

void SourcesView::setShowRawKeys(bool raw)
{
    if (m_raw->isChecked() != raw)
        m_raw->setChecked(raw);
    if (m_model->showRawKeys() == raw)
        return;
    m_model->setShowRawKeys(raw);
    emit showRawKeysChanged(raw);
}

void SourcesView::applyPattern()
{
    const auto syntax = TensorFilterProxy::PatternSyntax(m_syntax->currentIndex());
    m_proxy->setPattern(m_filter->text(), syntax);
    if (m_proxy->isPatternValid()) {
        m_filter->setStyleSheet({});
        m_filter->setToolTip(tr("Shows tensors whose readable name or raw key matches"));
    } else {
        m_filter->setStyleSheet(QStringLiteral("QLineEdit { background: %1; }")
                                    .arg(theme::errorBackground(palette()).name()));
        m_filter->setToolTip(tr("Invalid pattern: %1").arg(m_proxy->patternError()));
    }
    if (!m_filter->text().isEmpty())
        m_tree->expandAll();
    updateMatchCount();
}

void SourcesView::updateMatchCount()
{
    m_matches->setVisible(m_proxy->isFiltering());
    if (!m_proxy->isFiltering())
        return;
    const int total = m_proxy->totalTensors();
    m_matches->setText(tr("%1 of %2 match")
                           .arg(overview::formatCount(m_proxy->matchingTensors()),
                                overview::formatCount(total, tr("tensor"), tr("tensors"))));
}

void SourcesView::fillFilterMenu()
{
    m_filterMenu->clear();
    const QStringList dtypes = m_model->dtypesPresent();
    const QStringList activeDTypes = m_proxy->dtypeFilter();
    m_filterMenu->addSection(tr("Data types"));
    for (const auto &d : std::as_const(dtypes)) {
        auto *a = m_filterMenu->addAction(d);
        a->setCheckable(true);
        a->setChecked(activeDTypes.contains(d));
        connect(a, &QAction::toggled, this, [this, d](bool on) {
            QStringList f = m_proxy->dtypeFilter();
            on ? f.append(d) : (void)f.removeAll(d);
            m_proxy->setDTypeFilter(f);
            updateFilterButton();
            updateMatchCount();
        });
    }
    m_filterMenu->addSection(tr("Roles"));
    const QList<TensorRole> activeRoles = m_proxy->roleFilter();
    for (TensorRole role : kRoles) {
        auto *a = m_filterMenu->addAction(icons::forName(roleName(role)), roleName(role));
        a->setCheckable(true);
        a->setChecked(activeRoles.contains(role));
        connect(a, &QAction::toggled, this, [this, role](bool on) {
            QList<TensorRole> f = m_proxy->roleFilter();
            on ? f.append(role) : (void)f.removeAll(role);
            m_proxy->setRoleFilter(f);
            updateFilterButton();
            updateMatchCount();
        });
    }
    m_filterMenu->addSeparator();
    m_filterMenu->addAction(tr("Show all types"), this, [this] {
        m_proxy->setDTypeFilter({});
        m_proxy->setRoleFilter({});
        updateFilterButton();
        updateMatchCount();
    });
}

SourcesView::CheckpointDrop SourcesView::checkpointDrop(const QMimeData *mime,
                                                        const QPoint &viewportPos) const
{
    const QByteArray fmt(CheckpointTreeModel::kCheckpointMime);
    if (!mime || !mime->hasFormat(QString::fromLatin1(fmt)))
        return {};
    const auto dragged =
        m_model->checkpointByKey(QString::fromUtf8(mime->data(QString::fromLatin1(fmt))));
    const QModelIndex at = m_tree->indexAt(viewportPos);
    if (!dragged || !at.isValid())
        return {};
    const QModelIndex src = toSource(m_tree->model(), at.siblingAtColumn(0));
    const auto kind = m_model->nodeKind(src);
    if (kind != CheckpointTreeModel::NodeKind::Checkpoint &&
        kind != CheckpointTreeModel::NodeKind::Source)
        return {};
    const auto target = m_model->checkpointAt(src);
    if (!target || target == dragged)
        return {};
    return {dragged, target};
}

bool SourcesView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_tree->viewport()) {
        switch (event->type()) {
        case QEvent::DragEnter:
        case QEvent::DragMove: {
            auto *e = static_cast<QDropEvent *>(event);
            if (!e->mimeData()->hasFormat(
                    QString::fromLatin1(CheckpointTreeModel::kCheckpointMime)))
                break;
            // The enter is taken even over the dragged node itself (where every drag starts),
            // so moves follow; each move then says whether the node under it takes the drop.
            if (event->type() == QEvent::DragEnter ||
                checkpointDrop(e->mimeData(), e->position().toPoint()).a)
                e->acceptProposedAction();
            else
                e->ignore();
            return true;
        }
        case QEvent::Drop: {
            auto *e = static_cast<QDropEvent *>(event);
            const auto drop = checkpointDrop(e->mimeData(), e->position().toPoint());
            if (drop.a) {
                e->acceptProposedAction();
                emit compareRequested(drop.a, drop.b);
                return true;
            }
            break;
        }
        default:
            break;
        }
    }
    return QWidget::eventFilter(watched, event);
}

QVector<std::shared_ptr<const Checkpoint>> SourcesView::runAt(const QModelIndex &index) const
{
    // The checkpoints right below this node (a source, run folder or Checkpoints node), or a
    // source's checkpoints when they sit under a Checkpoints node beside its logs.
    QVector<std::shared_ptr<const Checkpoint>> run;
    for (int r = 0; r < m_model->rowCount(index); ++r) {
        const QModelIndex child = m_model->index(r, 0, index);
        if (m_model->nodeKind(child) == CheckpointTreeModel::NodeKind::Checkpoint)
            if (auto cp = m_model->checkpointAt(child))
                run << cp;
    }
    if (run.isEmpty() && m_model->nodeKind(index) == CheckpointTreeModel::NodeKind::Source)
        for (const auto &cp : m_model->sourceCheckpoints(index))
            run << cp;
    return run;
}

void SourcesView::showContextMenu(const QPoint &pos)
{
    const QModelIndex at = m_tree->indexAt(pos);
    if (!at.isValid())
        return;
    const QModelIndex src = toSource(m_tree->model(), at.siblingAtColumn(0));
    QMenu menu(this);
    const TensorRef t = m_model->tensorAt(src);
    if (t.isValid()) {
        menu.addAction(tr("Copy Key"), this,
                       [t] { QGuiApplication::clipboard()->setText(t.info().key); });
        menu.addAction(tr("Copy Name"), this,
                       [t] { QGuiApplication::clipboard()->setText(t.info().name); });
        if (m_overTimeCheck && m_overTimeCheck(t)) {
            menu.addSeparator();
            menu.addAction(tr("Show Over Time"), this, [this, t] { emit overTimeRequested(t); });
        }
    } else {
        menu.addAction(tr("Expand All Below"), this,
                       [this, at] { m_tree->expandRecursively(at.siblingAtColumn(0)); });
        menu.addAction(tr("Collapse"), this,
                       [this, at] { m_tree->collapse(at.siblingAtColumn(0)); });
    }
    const auto run = t.isValid() ? QVector<std::shared_ptr<const Checkpoint>>() : runAt(src);
    if (run.size() >= 2) {
        menu.addSeparator();
        const QString title = src.data().toString();
        menu.addAction(tr("Show Changes Over Run"), this,
                       [this, run, title] { emit runChangesRequested(run, title); });
        auto *analysisAction =
            menu.addAction(tr("Show Analysis Over Run"), this,
                           [this, run, title] { emit runAnalysisRequested(run, title); });
        analysisAction->setToolTip(tr("Alpha and spectral norm of every weight matrix at each "
                                      "checkpoint of the run"));
    }
    if (m_restoreAction->isEnabled()) {
        menu.addSeparator();
        menu.addAction(m_restoreAction);
    }
    const auto checkpoints = selectedCheckpoints();
    if (checkpoints.size() == 2) {
        menu.addSeparator();
        menu.addAction(tr("Compare"), this, [this, checkpoints] {
            emit compareRequested(checkpoints[0], checkpoints[1]);
        });
    }
    menu.addSeparator();
    menu.addAction(tr("Close Source"), this, &SourcesView::closeRequested);
    menu.exec(m_tree->viewport()->mapToGlobal(pos));
}

void SourcesView::updateFilterButton()
{
    const int n = int(m_proxy->dtypeFilter().size() + m_proxy->roleFilter().size());
    m_filters->setText(n ? tr("Types (%1)").arg(n) : tr("Types"));
}

bool SourcesView::analysisColumnsShown() const
{
    for (int c = CheckpointTreeModel::AlphaColumn; c <= CheckpointTreeModel::StableRankColumn; ++c)
        if (!m_tree->header()->isSectionHidden(c))
            return true;
    return false;
}

void SourcesView::setColumnShown(int column, bool shown)
{
    if (column <= CheckpointTreeModel::NameColumn || column >= CheckpointTreeModel::ColumnCount)
        return;
    const bool before = analysisColumnsShown();
    m_tree->header()->setSectionHidden(column, !shown);
    if (shown && CheckpointTreeModel::isAnalysisColumn(column) && !before)
        emit analysisColumnsRequested();
}

void SourcesView::showHeaderMenu(const QPoint &pos)
{
    QMenu menu(this);
    for (int c = CheckpointTreeModel::ShapeColumn; c < CheckpointTreeModel::ColumnCount; ++c) {
        if (c == CheckpointTreeModel::AlphaColumn)
            menu.addSection(tr("Layer analysis"));
        auto *a = menu.addAction(m_model->headerData(c, Qt::Horizontal).toString());
        a->setCheckable(true);
        a->setChecked(!m_tree->header()->isSectionHidden(c));
        if (CheckpointTreeModel::isAnalysisColumn(c))
            a->setToolTip(tr("Computed in the background for every weight matrix, as "
                             "`weightlens analyze` does; a gated recurrent kernel shows its gate "
                             "of the largest spectral norm"));
        connect(a, &QAction::toggled, this, [this, c](bool on) { setColumnShown(c, on); });
    }
    menu.setToolTipsVisible(true);
    menu.exec(m_tree->header()->mapToGlobal(pos));
}

} // namespace wl
