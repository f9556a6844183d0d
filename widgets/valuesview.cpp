#include "valuesview.h"

#include "clipboardtext.h"
#include "heatmapview.h"
#include "valuestablemodel.h"

#include <QAction>
#include <QButtonGroup>
#include <QClipboard>
#include <QComboBox>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace wl
{

ValuesView::ValuesView(QWidget *parent) : QWidget(parent)
{
    m_model = new ValuesTableModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    const QFontMetrics fm(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_table->horizontalHeader()->setDefaultSectionSize(
        fm.horizontalAdvance(QStringLiteral("-0.000123456")) + 16);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->setWordWrap(false);
    m_table->setAccessibleName(tr("Tensor values"));
    // Copying is bound to the table: Ctrl+C elsewhere keeps its own meaning.
    auto *copy = new QAction(tr("&Copy"), m_table);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    connect(copy, &QAction::triggered, this, [this] {
        const QString text =
            clipboardtext::valuesTsv(*m_model, m_table->selectionModel()->selectedIndexes());
        if (!text.isEmpty())
            QGuiApplication::clipboard()->setText(text);
    });
    auto *copyNumpy = new QAction(tr("Copy as &NumPy Array"), m_table);
    copyNumpy->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    copyNumpy->setShortcutContext(Qt::WidgetShortcut);
    connect(copyNumpy, &QAction::triggered, this, [this] {
        const QString text = clipboardtext::valuesNumpy(
            *m_model, m_table->selectionModel()->selectedIndexes(),
            m_tensor.isValid() ? m_tensor.info().dtypeText() : QString());
        if (!text.isEmpty())
            QGuiApplication::clipboard()->setText(text);
    });
    m_table->addActions({copy, copyNumpy});
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_heatmap = new HeatmapView(this);
    m_note = new QLabel(this);
    m_note->setAlignment(Qt::AlignCenter);
    m_note->setWordWrap(true);
    m_note->setStyleSheet(QStringLiteral("color: palette(mid); font-size: 11pt;"));

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_note);
    m_stack->addWidget(m_table);
    m_stack->addWidget(m_heatmap);

    m_rowLabel = new QLabel(tr("Rows:"), this);
    m_rowDim = new QComboBox(this);
    m_rowDim->setToolTip(tr("The dimension that runs down the rows"));
    m_colLabel = new QLabel(tr("Columns:"), this);
    m_colDim = new QComboBox(this);
    m_colDim->setToolTip(tr("The dimension that runs across the columns"));
    m_fixedLayout = new QHBoxLayout;
    m_fixedLayout->setSpacing(4);

    m_tableButton = new QToolButton(this);
    m_tableButton->setText(tr("Table"));
    m_heatmapButton = new QToolButton(this);
    m_heatmapButton->setText(tr("Heatmap"));
    m_heatmapButton->setToolTip(tr("The slice as colours: blue below zero, red above"));
    auto *group = new QButtonGroup(this);
    for (auto *b : {m_tableButton, m_heatmapButton}) {
        b->setCheckable(true);
        b->setAutoRaise(true);
        group->addButton(b);
    }
    m_tableButton->setChecked(true);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_rowLabel);
    bar->addWidget(m_rowDim);
    bar->addWidget(m_colLabel);
    bar->addWidget(m_colDim);
    bar->addLayout(m_fixedLayout);
    bar->addStretch(1);
    bar->addWidget(m_tableButton);
    bar->addWidget(m_heatmapButton);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(m_stack, 1);

    connect(m_rowDim, &QComboBox::currentIndexChanged, this, [this] { applySlice(); });
    connect(m_colDim, &QComboBox::currentIndexChanged, this, [this] { applySlice(); });
    connect(m_heatmapButton, &QToolButton::toggled, this, &ValuesView::setHeatmapVisible);
    setMessage(tr("Select a tensor to see its values"));
}

void ValuesView::setPending(const TensorRef &t)
{
    m_tensor = t;
    setMessage(tr("Reading %1…").arg(t.info().name));
    m_tensor = t;
}

void ValuesView::setMessage(const QString &text)
{
    m_tensor = {};
    m_model->clear();
    m_heatmap->clear();
    m_note->setText(text);
    m_stack->setCurrentWidget(m_note);
    rebuildControls();
}

void ValuesView::setValues(const TensorRef &t, const QVector<double> &values)
{
    m_tensor = t;
    const auto &info = t.info();
    const bool integral = !dtypeIsFloat(info.dtype);
    m_model->setValues(values, info.shape.dims, integral);
    rebuildControls();
    applySlice();
    m_stack->setCurrentWidget(m_heatmapButton->isChecked() ? static_cast<QWidget *>(m_heatmap)
                                                           : m_table);
}

void ValuesView::rebuildControls()
{
    m_updating = true;
    qDeleteAll(m_fixed);
    m_fixed.clear();
    m_rowDim->clear();
    m_colDim->clear();
    const auto &dims = m_model->dims();
    const int rank = int(dims.size());
    for (int d = 0; d < rank; ++d) {
        const QString label = tr("dim %1 (%2)").arg(d).arg(dims[d]);
        m_rowDim->addItem(label);
        m_colDim->addItem(label);
        auto *spin = new QSpinBox(this);
        spin->setRange(
            0, int(std::max<std::int64_t>(0, std::min<std::int64_t>(dims[d] - 1, INT_MAX))));
        spin->setPrefix(tr("dim %1 = ").arg(d));
        spin->setToolTip(
            tr("Index of dimension %1 (size %2) shown in this slice").arg(d).arg(dims[d]));
        m_fixedLayout->addWidget(spin);
        connect(spin, &QSpinBox::valueChanged, this, [this] { applySlice(); });
        m_fixed << spin;
    }
    if (rank >= 2) {
        m_rowDim->setCurrentIndex(rank - 2);
        m_colDim->setCurrentIndex(rank - 1);
    }
    const bool twoD = rank >= 2;
    for (auto *w : std::initializer_list<QWidget *>{m_rowLabel, m_rowDim, m_colLabel, m_colDim})
        w->setVisible(twoD);
    m_updating = false;
}

void ValuesView::applySlice()
{
    if (m_updating || m_tensor.checkpoint == nullptr || m_model->dims().empty())
        return;
    int rowDim = m_rowDim->currentIndex(), colDim = m_colDim->currentIndex();
    if (m_model->dims().size() >= 2 && rowDim == colDim) {
        // Keep the two choices apart: move the other combo off the clash.
        const int rank = int(m_model->dims().size());
        colDim = (rowDim + 1) % rank;
        m_updating = true;
        m_colDim->setCurrentIndex(colDim);
        m_updating = false;
    }
    std::vector<std::int64_t> fixed;
    for (int d = 0; d < m_fixed.size(); ++d) {
        fixed.push_back(m_fixed[d]->value());
        m_fixed[d]->setVisible(m_model->dims().size() > 2 && d != rowDim && d != colDim);
    }
    m_model->setSlice(rowDim, colDim, fixed);
    if (m_heatmapButton->isChecked()) {
        m_heatmap->setSlice(m_model->slice(), m_model->rowCount(), m_model->columnCount(),
                            m_tensor.info().name);
    }
}

void ValuesView::setSliceDims(int rowDim, int colDim)
{
    m_updating = true;
    m_rowDim->setCurrentIndex(rowDim);
    m_colDim->setCurrentIndex(colDim);
    m_updating = false;
    applySlice();
}

void ValuesView::setFixedIndex(int dim, qint64 index)
{
    if (dim >= 0 && dim < m_fixed.size())
        m_fixed[dim]->setValue(int(index));
}

void ValuesView::setHeatmapVisible(bool on)
{
    if (m_heatmapButton->isChecked() != on)
        m_heatmapButton->setChecked(on);
    if (!on)
        m_tableButton->setChecked(true);
    if (m_model->rowCount() == 0)
        return;
    if (on)
        m_heatmap->setSlice(m_model->slice(), m_model->rowCount(), m_model->columnCount(),
                            m_tensor.info().name);
    m_stack->setCurrentWidget(on ? static_cast<QWidget *>(m_heatmap) : m_table);
}

} // namespace wl
