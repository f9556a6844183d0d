#include "checkpointtreemodel.h"

namespace wl
{

struct CheckpointTreeModel::Node {
};
struct CheckpointTreeModel::CheckpointData {
};
struct CheckpointTreeModel::SourceData {
};

CheckpointTreeModel::CheckpointTreeModel(QObject *parent) : QAbstractItemModel(parent) {}
CheckpointTreeModel::~CheckpointTreeModel() = default;
void CheckpointTreeModel::addSource(const OpenResult &) {}
void CheckpointTreeModel::removeSource(int) {}
void CheckpointTreeModel::clear() {}
int CheckpointTreeModel::sourceCount() const
{
    return 0;
}
void CheckpointTreeModel::setShowRawKeys(bool raw)
{
    m_raw = raw;
}
void CheckpointTreeModel::setStats(const TensorRef &, const TensorStats &) {}
void CheckpointTreeModel::setStatsBatch(const QList<QPair<TensorRef, TensorStats>> &) {}
TensorRef CheckpointTreeModel::tensorAt(const QModelIndex &) const
{
    return {};
}
QList<TensorRef> CheckpointTreeModel::tensorsUnder(const QModelIndex &) const
{
    return {};
}
QModelIndex CheckpointTreeModel::indexOf(const TensorRef &, int) const
{
    return {};
}
std::shared_ptr<const Checkpoint> CheckpointTreeModel::checkpointAt(const QModelIndex &) const
{
    return {};
}
QModelIndex CheckpointTreeModel::indexOfCheckpoint(const Checkpoint *) const
{
    return {};
}
CheckpointTreeModel::NodeKind CheckpointTreeModel::nodeKind(const QModelIndex &) const
{
    return NodeKind::Group;
}
QString CheckpointTreeModel::problemsText(const QModelIndex &) const
{
    return {};
}
QModelIndex CheckpointTreeModel::index(int, int, const QModelIndex &) const
{
    return {};
}
QModelIndex CheckpointTreeModel::parent(const QModelIndex &) const
{
    return {};
}
int CheckpointTreeModel::rowCount(const QModelIndex &) const
{
    return 0;
}
int CheckpointTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}
QVariant CheckpointTreeModel::data(const QModelIndex &, int) const
{
    return {};
}
QVariant CheckpointTreeModel::headerData(int, Qt::Orientation, int) const
{
    return {};
}
Qt::ItemFlags CheckpointTreeModel::flags(const QModelIndex &) const
{
    return {};
}
bool CheckpointTreeModel::hasChildren(const QModelIndex &) const
{
    return false;
}
QString naturalSortKey(const QString &s)
{
    return s;
}

} // namespace wl
