#include "tensorfilterproxy.h"

#include "checkpointtreemodel.h"

namespace wl
{

TensorFilterProxy::TensorFilterProxy(QObject *parent) : QSortFilterProxyModel(parent) {}
void TensorFilterProxy::setSourceModel(QAbstractItemModel *model)
{
    QSortFilterProxyModel::setSourceModel(model);
}
void TensorFilterProxy::setPattern(const QString &, PatternSyntax) {}
void TensorFilterProxy::setDTypeFilter(const QStringList &) {}
void TensorFilterProxy::setRoleFilter(const QList<TensorRole> &) {}
bool TensorFilterProxy::isFiltering() const
{
    return false;
}
bool TensorFilterProxy::filterAcceptsRow(int, const QModelIndex &) const
{
    return true;
}

} // namespace wl
