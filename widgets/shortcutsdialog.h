#pragma once

#include <QDialog>
#include <QList>
#include <QPair>

namespace wl
{

// Every action under `root` that has a shortcut, as (where › action, keys) in menu order: the
// menus' actions first, then those bound to a single view (the table's Copy...).
QList<QPair<QString, QString>> shortcutList(const QWidget *root);

// Help > Keyboard Shortcuts: the list above in a table.
class ShortcutsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ShortcutsDialog(const QWidget *root, QWidget *parent = nullptr);
};

} // namespace wl
