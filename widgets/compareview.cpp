#include "compareview.h"

#include "heatmapview.h"
#include "histogramplot.h"
#include "itemmodels/comparemodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
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
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
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
    auto *top = new QHBoxLayout;
    top->addWidget(m_layers);
    top->addWidget(m_filter, 1);
    top->addWidget(m_progress);
    top->addWidget(m_cancel);
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
    connect(m_cancel, &QToolButton::clicked, m_session, &CompareSession::cancel);
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

CompareView::~CompareView() = default;

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
    if (a.shape.dims != b.shape.dims || !dtypeIsNumeric(a.dtype) || !dtypeIsNumeric(b.dtype)) {
        const QString why =
            a.shape.dims != b.shape.dims
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
            act->setEnabled(tb.shape.dims == ta.shape.dims);
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

} // namespace wl
