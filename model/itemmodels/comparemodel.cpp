#include "comparemodel.h"

#include <cmath>

namespace wl
{

CompareModel::CompareModel(QObject *parent) : QAbstractTableModel(parent) {}

void CompareModel::setComparison(std::shared_ptr<const Checkpoint> a,
                                 std::shared_ptr<const Checkpoint> b, const NameMatching &matching)
{
    beginResetModel();
    m_a = std::move(a);
    m_b = std::move(b);
    m_matching = matching;
    m_diffs.clear();
    m_layers.clear();
    m_ready = false;
    rebuildRows();
    endResetModel();
}

void CompareModel::rebuildRows()
{
    m_rows.clear();
    if (m_showLayers) {
        for (int g = 0; g < m_layers.size(); ++g)
            m_rows.append({RowKind::Layer, -1, -1, g});
        return;
    }
    for (int i = 0; i < m_matching.pairs.size(); ++i)
        m_rows.append({RowKind::Pair, m_matching.pairs[i].a, m_matching.pairs[i].b, i});
    for (int i : m_matching.onlyA)
        m_rows.append({RowKind::OnlyA, i, -1, -1});
    for (int j : m_matching.onlyB)
        m_rows.append({RowKind::OnlyB, -1, j, -1});
}

void CompareModel::setDiffs(const QVector<TensorDiff> &diffs)
{
    m_diffs = diffs;
    m_ready = diffs.size() == m_matching.pairs.size();
    if (m_showLayers) {
        beginResetModel();
        m_layers = m_ready && m_a ? diffByLayer(m_a->index(), m_diffs) : QVector<GroupDiff>();
        rebuildRows();
        endResetModel();
        return;
    }
    m_layers = m_ready && m_a ? diffByLayer(m_a->index(), m_diffs) : QVector<GroupDiff>();
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void CompareModel::setShowLayers(bool layers)
{
    if (layers == m_showLayers)
        return;
    beginResetModel();
    m_showLayers = layers;
    rebuildRows();
    endResetModel();
}

void CompareModel::clear()
{
    beginResetModel();
    m_a.reset();
    m_b.reset();
    m_matching = {};
    m_diffs.clear();
    m_layers.clear();
    m_rows.clear();
    m_ready = false;
    endResetModel();
}

const TensorDiff *CompareModel::diffAt(int row) const
{
    if (m_rows.value(row).kind != RowKind::Pair)
        return nullptr;
    const int d = m_rows.value(row).diff;
    return m_ready && d >= 0 && d < m_diffs.size() ? &m_diffs[d] : nullptr;
}

int CompareModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CompareModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString CompareModel::status(const Row &r) const
{
    switch (r.kind) {
    case RowKind::OnlyA:
        return tr("only in A");
    case RowKind::OnlyB:
        return tr("only in B");
    case RowKind::Layer:
        return m_layers[r.diff].sums.identical ? tr("identical") : tr("changed");
    case RowKind::Pair:
        break;
    }
    const TensorMatch &m = m_matching.pairs[r.diff];
    if (m.shapeMismatch)
        return tr("shape differs");
    if (m.dtypeMismatch)
        return tr("dtype differs");
    const TensorDiff *d = m_ready ? &m_diffs[r.diff] : nullptr;
    if (!d)
        return tr("comparing…");
    if (!d->error.isEmpty())
        return d->error == QLatin1String("cancelled") ? tr("cancelled") : tr("error");
    return d->sums.identical ? tr("identical") : tr("changed");
}

QVariant CompareModel::metric(const Row &r, int column) const
{
    if (r.kind == RowKind::OnlyA || r.kind == RowKind::OnlyB || !m_ready)
        return {};
    if (r.kind == RowKind::Pair && !m_diffs[r.diff].computed)
        return {};
    const DiffSums &s = r.kind == RowKind::Layer ? m_layers[r.diff].sums : m_diffs[r.diff].sums;
    std::optional<double> v;
    switch (column) {
    case MaxAbsColumn:
        v = s.maxAbs;
        break;
    case MeanAbsColumn:
        v = s.meanAbs();
        break;
    case RelL2Column:
        v = s.relL2();
        break;
    case CosineColumn:
        v = s.cosine();
        break;
    case ChangedColumn:
        v = s.changedFraction();
        break;
    default:
        break;
    }
    return v ? QVariant(*v) : QVariant();
}

QVariant CompareModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &r = m_rows[index.row()];
    const TensorInfo *ta = r.a >= 0 ? &m_a->tensor(r.a) : nullptr;
    const TensorInfo *tb = r.b >= 0 ? &m_b->tensor(r.b) : nullptr;
    auto readable = [](const TensorInfo *t) {
        return !t ? QString() : t->name.isEmpty() ? t->key : t->name;
    };
    const int c = index.column();
    if (r.kind == RowKind::Layer && (role == Qt::DisplayRole || role == SortRole)) {
        const GroupDiff &g = m_layers[r.diff];
        if (c == NameColumn)
            return g.name.isEmpty() ? tr("(top level)") : g.name;
        if (c == ShapeColumn)
            return role == SortRole ? QVariant(g.tensors)
                                    : QVariant(g.tensors == 1 ? tr("1 tensor")
                                                              : tr("%1 tensors").arg(g.tensors));
        if (c == PartnerColumn || c == MatchColumn)
            return QString();
    }
    if (role == Qt::DisplayRole || role == SortRole) {
        switch (c) {
        case NameColumn:
            return readable(ta ? ta : tb);
        case PartnerColumn:
            return ta && tb && readable(ta) != readable(tb) ? readable(tb) : QString();
        case ShapeColumn:
            if (r.kind == RowKind::Pair && m_matching.pairs[r.diff].transposed())
                return ta->shape.toString() + QStringLiteral(" ~ ") + tb->shape.toString();
            if (ta && tb && ta->shape.dims != tb->shape.dims)
                return ta->shape.toString() + QStringLiteral(" ≠ ") + tb->shape.toString();
            return (ta ? ta : tb)->shape.toString();
        case StatusColumn:
            return status(r);
        case MatchColumn:
            if (r.kind != RowKind::Pair)
                return QString();
            return matchHowName(m_matching.pairs[r.diff].how) +
                   (m_matching.pairs[r.diff].transposed() ? tr(", transposed") : QString());
        default:
            break;
        }
        const QVariant v = metric(r, c);
        if (role == SortRole) // rows without a number sort below every number, either way
            return v.isValid() ? v : QVariant(-INFINITY);
        if (!v.isValid())
            return {};
        if (c == ChangedColumn)
            return QString::number(100 * v.toDouble(), 'f', 1) + QLatin1Char('%');
        return QString::number(v.toDouble(), 'g', 4);
    }
    if (role == Qt::TextAlignmentRole && c >= MaxAbsColumn && c <= ChangedColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (r.kind == RowKind::Pair && m_ready && !m_diffs[r.diff].error.isEmpty())
            return m_diffs[r.diff].error;
        QString tip;
        if (ta)
            tip += tr("A: %1 (%2 %3)").arg(ta->key, ta->dtypeText(), ta->shape.toString());
        if (tb)
            tip += (tip.isEmpty() ? QString() : QStringLiteral("\n")) +
                   tr("B: %1 (%2 %3)").arg(tb->key, tb->dtypeText(), tb->shape.toString());
        if (r.kind == RowKind::Pair && m_matching.pairs[r.diff].transposed())
            tip += tr("\nB is stored in the other layout (Keras kernel, inputs first, against "
                      "PyTorch weight, outputs first) and is compared with its axes reordered.");
        return tip;
    }
    return {};
}

QVariant CompareModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Tensor");
    case PartnerColumn:
        return tr("Name in B");
    case ShapeColumn:
        return tr("Shape");
    case MaxAbsColumn:
        return tr("Max |A−B|");
    case MeanAbsColumn:
        return tr("Mean |A−B|");
    case RelL2Column:
        return tr("‖A−B‖/‖A‖");
    case CosineColumn:
        return tr("Cosine");
    case ChangedColumn:
        return tr("Changed");
    case StatusColumn:
        return tr("Status");
    case MatchColumn:
        return tr("Matched by");
    }
    return {};
}

} // namespace wl
