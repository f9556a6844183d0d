#pragma once

#include <QIcon>
#include <QString>

namespace wl::icons
{

// Tree node icons by CheckpointTreeModel::IconNameRole ("source", "checkpoint", "group",
// "variable", "optimizer_slot", "optimizer", "metadata"); a null icon for unknown names.
QIcon forName(const QString &name);
QIcon application();

} // namespace wl::icons
