#include "tensorfilterproxy.h"

#include "checkpointtreemodel.h"
#include "core/glob.h"

#include <QLocale>
#include <algorithm>

namespace wl
{

TensorFilterProxy::TensorFilterProxy(QObject *parent) : QSortFilterProxyModel(parent)
{
    setRecursiveFilteringEnabled(true);
    setAutoAcceptChildRows(true);
    setSortRole(CheckpointTreeModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void TensorFilterProxy::setSourceModel(QAbstractItemModel *model)
{
    if (sourceModel())
        disconnect(sourceModel(), nullptr, this, nullptr);
    dropCache();
    m_tree = qobject_cast<CheckpointTreeModel *>(model);
    QSortFilterProxyModel::setSourceModel(model);
    if (model) {
        // Cached strings are keyed by checkpoint address; forget them when one can go away.
        connect(model, &QAbstractItemModel::modelReset, this, &TensorFilterProxy::dropCache);
        connect(model, &QAbstractItemModel::rowsRemoved, this, &TensorFilterProxy::dropCache);
        connect(model, &QAbstractItemModel::rowsInserted, this, [this] { m_totals.clear(); });
        connect(model, &QAbstractItemModel::layoutChanged, this, [this] { m_totals.clear(); });
    }
}

void TensorFilterProxy::dropCache()
{
    m_lowered.clear();
    m_totals.clear();
}

void TensorFilterProxy::filterChanged()
{
    m_totals.clear();
    invalidateFilter();
}

void TensorFilterProxy::setPattern(const QString &pattern, PatternSyntax syntax)
{
    if (pattern == m_pattern && syntax == m_syntax)
        return;
    m_pattern = pattern;
    m_syntax = syntax;
    m_lowerPattern = pattern.toLower();
    m_valid = true;
    m_error.clear();
    m_regex = QRegularExpression();
    if (syntax == PatternSyntax::Regex && !pattern.isEmpty()) {
        m_regex = QRegularExpression(pattern, QRegularExpression::CaseInsensitiveOption);
        m_valid = m_regex.isValid();
        if (!m_valid)
            m_error = m_regex.errorString();
        else
            m_regex.optimize();
    }
    filterChanged();
}

void TensorFilterProxy::setDTypeFilter(const QStringList &dtypes)
{
    if (dtypes == m_dtypes)
        return;
    m_dtypes = dtypes;
    filterChanged();
}

void TensorFilterProxy::setRoleFilter(const QList<TensorRole> &roles)
{
    if (roles == m_roles)
        return;
    m_roles = roles;
    filterChanged();
}

bool TensorFilterProxy::isFiltering() const
{
    return !m_pattern.isEmpty() || !m_dtypes.isEmpty() || !m_roles.isEmpty();
}

const TensorFilterProxy::Lowered &TensorFilterProxy::lowered(const Checkpoint *c, int tensor) const
{
    auto it = m_lowered.find(c);
    if (it == m_lowered.end()) {
        const auto &ts = c->index().tensors;
        std::vector<Lowered> v(std::size_t(ts.size()));
        for (qsizetype i = 0; i < ts.size(); ++i)
            v[std::size_t(i)] = {ts[i].name.toLower(), ts[i].key.toLower()};
        it = m_lowered.insert(c, std::move(v));
    }
    return (*it)[std::size_t(tensor)];
}

bool TensorFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!isFiltering())
        return true;
    // Only tensors match; groups stay visible through recursive filtering.
    return m_tree && matches(m_tree->tensorAt(m_tree->index(sourceRow, 0, sourceParent)));
}

bool TensorFilterProxy::matches(const TensorRef &ref) const
{
    if (!ref.isValid() || !m_valid)
        return false;
    const TensorInfo &t = ref.info();
    if (!m_roles.isEmpty() && !m_roles.contains(t.role))
        return false;
    if (!m_dtypes.isEmpty() && !m_dtypes.contains(t.dtypeText()))
        return false;
    if (m_pattern.isEmpty())
        return true;
    if (m_syntax != PatternSyntax::Regex) {
        const Lowered &l = lowered(ref.checkpoint.get(), ref.index);
        if (m_syntax == PatternSyntax::Glob) // the command line's globs, on lowered text
            return globMatch(m_lowerPattern, l.name) || globMatch(m_lowerPattern, l.key);
        return l.name.contains(m_lowerPattern) || l.key.contains(m_lowerPattern);
    }
    return m_regex.match(t.name).hasMatch() || m_regex.match(t.key).hasMatch();
}

int TensorFilterProxy::totalTensors() const
{
    return m_tree ? int(m_tree->tensorsUnder({}).size()) : 0;
}

int TensorFilterProxy::matchingTensors() const
{
    if (!m_tree)
        return 0;
    const auto all = m_tree->tensorsUnder({});
    if (!isFiltering())
        return int(all.size());
    return int(
        std::count_if(all.begin(), all.end(), [this](const TensorRef &t) { return matches(t); }));
}

TensorFilterProxy::Totals TensorFilterProxy::visibleTotals(const QModelIndex &index) const
{
    const QModelIndex source = mapToSource(index.siblingAtColumn(0));
    if (m_tree->nodeKind(source) == CheckpointTreeModel::NodeKind::Tensor) {
        auto value = [&](int column) {
            return source.siblingAtColumn(column).data(CheckpointTreeModel::SortRole).toLongLong();
        };
        return {value(CheckpointTreeModel::ParamsColumn), value(CheckpointTreeModel::BytesColumn)};
    }
    if (auto it = m_totals.constFind(source.internalId()); it != m_totals.constEnd())
        return *it;
    Totals sum;
    const QModelIndex first = index.siblingAtColumn(0);
    for (int r = 0; r < rowCount(first); ++r) {
        const Totals t = visibleTotals(this->index(r, 0, first));
        sum.params += t.params;
        sum.bytes += t.bytes;
    }
    m_totals.insert(source.internalId(), sum);
    return sum;
}

QVariant TensorFilterProxy::data(const QModelIndex &index, int role) const
{
    const int column = index.column();
    if (!m_tree || !isFiltering() ||
        (role != Qt::DisplayRole && role != Qt::ToolTipRole &&
         role != CheckpointTreeModel::SortRole) ||
        (column != CheckpointTreeModel::ParamsColumn && column != CheckpointTreeModel::BytesColumn))
        return QSortFilterProxyModel::data(index, role);
    if (m_tree->nodeKind(mapToSource(index)) == CheckpointTreeModel::NodeKind::Tensor)
        return QSortFilterProxyModel::data(index, role);
    const Totals t = visibleTotals(index);
    const std::int64_t v = column == CheckpointTreeModel::ParamsColumn ? t.params : t.bytes;
    if (role == CheckpointTreeModel::SortRole)
        return qlonglong(v);
    if (role == Qt::ToolTipRole)
        return tr("Total of the tensors that match the filter");
    // Formatted as CheckpointTreeModel formats its own totals.
    return column == CheckpointTreeModel::ParamsColumn ? QLocale().toString(qlonglong(v))
                                                       : QLocale().formattedDataSize(v);
}

} // namespace wl
