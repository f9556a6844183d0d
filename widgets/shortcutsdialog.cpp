#include "shortcutsdialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QScrollBar>
#include <QSet>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace wl
{
namespace
{

QString plain(QString text)
{
    text.remove(QLatin1Char('&'));
    text.remove(QChar(0x2026)); // the ellipsis of "Open File…"
    return text.trimmed();
}

QString keys(const QAction *a)
{
    QStringList k;
    for (const QKeySequence &s : a->shortcuts())
        k << s.toString(QKeySequence::NativeText);
    return k.join(QStringLiteral(", "));
}

void collectMenu(const QMenu *menu, const QString &path, QList<QPair<QString, QString>> &out,
                 QSet<const QAction *> &seen)
{
    for (const QAction *a : menu->actions()) {
        seen.insert(a);
        if (a->menu()) {
            collectMenu(a->menu(), path + plain(a->text()) + QStringLiteral(" › "), out, seen);
            continue;
        }
        if (!a->isSeparator() && !a->shortcuts().isEmpty())
            out.append({path + plain(a->text()), keys(a)});
    }
}

} // namespace

QList<QPair<QString, QString>> shortcutList(const QWidget *root)
{
    QList<QPair<QString, QString>> out;
    QSet<const QAction *> seen;
    if (const auto *bar = root->findChild<QMenuBar *>())
        for (const QAction *top : bar->actions())
            if (top->menu())
                collectMenu(top->menu(), plain(top->text()) + QStringLiteral(" › "), out, seen);
    // Actions of single views: named by the view's accessible name.
    for (const QWidget *w : root->findChildren<QWidget *>()) {
        if (qobject_cast<const QMenu *>(w))
            continue;
        for (const QAction *a : w->actions()) {
            if (seen.contains(a) || a->shortcuts().isEmpty())
                continue;
            seen.insert(a);
            const QString where = w->accessibleName().isEmpty()
                                      ? QString()
                                      : w->accessibleName() + QStringLiteral(" › ");
            out.append({where + plain(a->text()), keys(a)});
        }
    }
    return out;
}

ShortcutsDialog::ShortcutsDialog(const QWidget *root, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Keyboard Shortcuts"));
    auto *table = new QTreeWidget(this);
    table->setAccessibleName(tr("Keyboard shortcuts"));
    table->setHeaderLabels({tr("Action"), tr("Shortcut")});
    table->setRootIsDecorated(false);
    table->setAlternatingRowColors(true);
    for (const auto &[action, keys] : shortcutList(root))
        new QTreeWidgetItem(table, {action, keys});
    // Room between the longest action and its keys, which otherwise touch.
    table->resizeColumnToContents(0);
    table->setColumnWidth(0, table->columnWidth(0) + 3 * fontMetrics().averageCharWidth());
    table->resizeColumnToContents(1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(table);
    layout->addWidget(buttons);
    // Every row without scrolling or a blank half, up to a height that fits a small screen.
    const int rows = table->topLevelItemCount();
    const int content = table->header()->sizeHint().height() +
                        rows * (rows ? table->sizeHintForRow(0) : 0) + 2 * table->frameWidth() +
                        table->horizontalScrollBar()->sizeHint().height();
    const int width = table->columnWidth(0) + table->columnWidth(1) + 2 * table->frameWidth();
    const int chrome = sizeHint().height() - table->sizeHint().height();
    resize(std::max(width + 2 * layout->contentsMargins().left(), 420),
           std::clamp(content + chrome, 240, 720));
}

} // namespace wl
