#pragma once

#include "core/tensorinfo.h"
#include "tensorref.h"

#include <QHash>
#include <QList>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QStringList>
#include <vector>

namespace wl
{

class Checkpoint;
class CheckpointTreeModel;

// Filters a CheckpointTreeModel's tensors by name or raw key, dtype and role; groups stay
// visible while something below them matches. Sorts by CheckpointTreeModel::SortRole.
class TensorFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    enum class PatternSyntax { Substring, Glob, Regex };

    explicit TensorFilterProxy(QObject *parent = nullptr);

    void setSourceModel(QAbstractItemModel *model) override;

    // Case-insensitive. Substring and Regex match anywhere; Glob is the command line's globMatch
    // ('*' crosses '/') on the whole readable name or raw key. An invalid regex matches nothing.
    void setPattern(const QString &pattern, PatternSyntax syntax = PatternSyntax::Substring);
    QString pattern() const { return m_pattern; }
    PatternSyntax patternSyntax() const { return m_syntax; }
    bool isPatternValid() const { return m_valid; }
    QString patternError() const { return m_error; }

    // Empty = all.
    void setDTypeFilter(const QStringList &dtypes);
    void setRoleFilter(const QList<TensorRole> &roles);
    QStringList dtypeFilter() const { return m_dtypes; }
    QList<TensorRole> roleFilter() const { return m_roles; }

    bool isFiltering() const;
    // Tensors that pass the filter (all when none is set), and all tensors of the model.
    int matchingTensors() const;
    int totalTensors() const;

    // With a filter on, the parameter and byte totals of sources, checkpoints and groups count
    // only the tensors that are visible below them.
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    struct Totals {
        std::int64_t params = 0;
        std::int64_t bytes = 0;
    };
    bool matches(const TensorRef &ref) const;
    Totals visibleTotals(const QModelIndex &index) const;
    void filterChanged();

    struct Lowered {
        QString name;
        QString key;
    };
    const Lowered &lowered(const Checkpoint *c, int tensor) const;
    void dropCache();

    CheckpointTreeModel *m_tree = nullptr;
    QString m_pattern;
    QString m_lowerPattern;
    PatternSyntax m_syntax = PatternSyntax::Substring;
    QRegularExpression m_regex;
    bool m_valid = true;
    QString m_error;
    QStringList m_dtypes;
    QList<TensorRole> m_roles;
    mutable QHash<const Checkpoint *, std::vector<Lowered>> m_lowered;
    mutable QHash<quintptr, Totals> m_totals; // by source node, for the filter as it stands
};

} // namespace wl
