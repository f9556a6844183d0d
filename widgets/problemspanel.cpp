#include "problemspanel.h"

#include <QApplication>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QStackedLayout>
#include <QStyle>
#include <QTreeWidget>

namespace wl
{
namespace
{

QIcon severityIcon(Problem::Severity s)
{
    auto *style = QApplication::style();
    switch (s) {
    case Problem::Severity::Info:
        return style->standardIcon(QStyle::SP_MessageBoxInformation);
    case Problem::Severity::Warning:
        return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case Problem::Severity::Error:
        return style->standardIcon(QStyle::SP_MessageBoxCritical);
    }
    return {};
}

QString severityName(Problem::Severity s)
{
    switch (s) {
    case Problem::Severity::Info:
        return QObject::tr("Info");
    case Problem::Severity::Warning:
        return QObject::tr("Warning");
    case Problem::Severity::Error:
        return QObject::tr("Error");
    }
    return {};
}

} // namespace

ProblemsPanel::ProblemsPanel(QWidget *parent) : QWidget(parent)
{
    m_list = new QTreeWidget(this);
    m_list->setRootIsDecorated(false);
    m_list->setAlternatingRowColors(true);
    m_list->setUniformRowHeights(true);
    m_list->setHeaderLabels({tr("Severity"), tr("Message"), tr("File"), tr("Where")});
    m_list->header()->resizeSection(0, 100);
    m_list->header()->resizeSection(1, 520);
    m_list->header()->resizeSection(2, 220);
    m_list->header()->setStretchLastSection(true);
    connect(m_list, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        emit problemActivated(item->data(2, Qt::UserRole).toString(), item->text(3));
    });
    m_empty = new QLabel(tr("No problems found in the open files"), this);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto *layout = new QStackedLayout(this);
    layout->addWidget(m_empty);
    layout->addWidget(m_list);
    rebuild();
}

void ProblemsPanel::setProblems(const Problems &problems)
{
    m_problems = problems;
    rebuild();
}

void ProblemsPanel::addError(const Problem &error)
{
    m_errors.prepend(error);
    rebuild();
}

void ProblemsPanel::clearErrors()
{
    m_errors.clear();
    rebuild();
}

QSize ProblemsPanel::minimumSizeHint() const
{
    // Room for every row up to kShownRows, so that a splitter cannot leave most of a short list
    // below its fold; longer lists scroll.
    const int rows = std::min(count(), kShownRows);
    if (rows == 0)
        return QWidget::minimumSizeHint();
    const int row = std::max(m_list->sizeHintForRow(0), fontMetrics().height());
    const int height = m_list->header()->sizeHint().height() + rows * row +
                       m_list->horizontalScrollBar()->sizeHint().height() +
                       2 * m_list->frameWidth();
    return {QWidget::minimumSizeHint().width(), height};
}

int ProblemsPanel::count() const
{
    return int(m_problems.size() + m_errors.size());
}

void ProblemsPanel::rebuild()
{
    m_list->clear();
    QList<QTreeWidgetItem *> items;
    for (const Problems *list : {&m_errors, &m_problems}) {
        for (const auto &p : *list) {
            auto *item = new QTreeWidgetItem;
            item->setIcon(0, severityIcon(p.severity));
            item->setText(0, severityName(p.severity));
            item->setText(1, p.text);
            item->setText(2, QFileInfo(p.file).fileName());
            item->setText(3, p.where);
            item->setToolTip(1, p.toString());
            item->setToolTip(2, p.file);
            item->setData(2, Qt::UserRole, p.file);
            items << item;
        }
    }
    m_list->addTopLevelItems(items);
    static_cast<QStackedLayout *>(layout())->setCurrentWidget(
        items.isEmpty() ? static_cast<QWidget *>(m_empty) : m_list);
    updateGeometry();
    emit countChanged(count());
}

} // namespace wl
