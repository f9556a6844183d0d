#include "tensorfilterproxy.h"

#include "checkpointtreemodel.h"
#include "core/glob.h"

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
    }
}

void TensorFilterProxy::dropCache()
{
    m_lowered.clear();
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
    invalidateFilter();
}

void TensorFilterProxy::setDTypeFilter(const QStringList &dtypes)
{
    if (dtypes == m_dtypes)
        return;
    m_dtypes = dtypes;
    invalidateFilter();
}

void TensorFilterProxy::setRoleFilter(const QList<TensorRole> &roles)
{
    if (roles == m_roles)
        return;
    m_roles = roles;
    invalidateFilter();
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
    if (!m_valid || !m_tree)
        return false;
    // Only tensors match; groups stay visible through recursive filtering.
    const QModelIndex idx = m_tree->index(sourceRow, 0, sourceParent);
    const TensorRef ref = m_tree->tensorAt(idx);
    if (!ref.isValid())
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

} // namespace wl
