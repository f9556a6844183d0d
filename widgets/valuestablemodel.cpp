#include "valuestablemodel.h"

#include <QBrush>
#include <QColor>
#include <QFontDatabase>
#include <algorithm>
#include <cmath>

namespace wl
{

ValuesTableModel::ValuesTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void ValuesTableModel::setValues(QVector<double> values, std::vector<std::int64_t> dims,
                                 bool integral)
{
    beginResetModel();
    m_values = std::move(values);
    m_dims = std::move(dims);
    m_integral = integral;
    m_strides.assign(m_dims.size(), 1);
    for (int d = int(m_dims.size()) - 2; d >= 0; --d)
        m_strides[d] = m_strides[d + 1] * std::max<std::int64_t>(1, m_dims[d + 1]);
    m_fixed.assign(m_dims.size(), 0);
    const int rank = int(m_dims.size());
    m_rowDim = rank >= 2 ? rank - 2 : 0;
    m_colDim = rank >= 2 ? rank - 1 : -1;
    m_maxAbs = 0;
    for (double v : std::as_const(m_values))
        if (std::isfinite(v))
            m_maxAbs = std::max(m_maxAbs, std::abs(v));
    endResetModel();
}

void ValuesTableModel::clear()
{
    setValues({}, {}, false);
}

void ValuesTableModel::setSlice(int rowDim, int colDim, std::vector<std::int64_t> fixed)
{
    const int rank = int(m_dims.size());
    beginResetModel();
    if (rank >= 2 && rowDim >= 0 && colDim >= 0 && rowDim < rank && colDim < rank &&
        rowDim != colDim) {
        m_rowDim = rowDim;
        m_colDim = colDim;
    }
    fixed.resize(m_dims.size(), 0);
    for (int d = 0; d < rank; ++d)
        fixed[d] = std::clamp<std::int64_t>(fixed[d], 0, std::max<std::int64_t>(0, m_dims[d] - 1));
    m_fixed = std::move(fixed);
    endResetModel();
}

std::int64_t ValuesTableModel::offset(int row, int column) const
{
    const int rank = int(m_dims.size());
    if (rank == 0)
        return 0;
    std::int64_t off = 0;
    for (int d = 0; d < rank; ++d) {
        std::int64_t i = m_fixed[d];
        if (d == m_rowDim)
            i = row;
        else if (d == m_colDim)
            i = column;
        off += i * m_strides[d];
    }
    return off;
}

double ValuesTableModel::valueAt(int row, int column) const
{
    const auto off = offset(row, column);
    return off >= 0 && off < m_values.size() ? m_values[off] : std::nan("");
}

QVector<double> ValuesTableModel::slice() const
{
    QVector<double> out;
    const int rows = rowCount(), cols = columnCount();
    out.reserve(qsizetype(rows) * cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            out << valueAt(r, c);
    return out;
}

int ValuesTableModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || m_values.isEmpty())
        return 0;
    if (m_dims.empty())
        return 1;
    return int(std::min<std::int64_t>(m_dims[m_rowDim], INT_MAX));
}

int ValuesTableModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid() || m_values.isEmpty())
        return 0;
    if (m_colDim < 0)
        return 1;
    return int(std::min<std::int64_t>(m_dims[m_colDim], INT_MAX));
}

QString ValuesTableModel::format(double v, bool integral)
{
    if (std::isnan(v))
        return QStringLiteral("nan");
    if (std::isinf(v))
        return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    if (integral)
        return QString::number(v, 'f', 0);
    return QString::number(v, 'g', 6);
}

QVariant ValuesTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const double v = valueAt(index.row(), index.column());
    switch (role) {
    case Qt::DisplayRole:
        return format(v, m_integral);
    case Qt::EditRole:
        return v;
    case Qt::ToolTipRole:
        return QString::number(v, 'g', 17);
    case Qt::TextAlignmentRole:
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::FontRole:
        return QFontDatabase::systemFont(QFontDatabase::FixedFont);
    case Qt::BackgroundRole: {
        if (!std::isfinite(v))
            return QBrush(QColor(255, 220, 120));
        if (m_maxAbs <= 0 || v == 0)
            return {};
        // A faint diverging tint: blue below zero, red above, like the heatmap.
        const int alpha = int(70 * std::min(1.0, std::abs(v) / m_maxAbs));
        return QBrush(v < 0 ? QColor(40, 90, 200, alpha) : QColor(210, 50, 40, alpha));
    }
    default:
        return {};
    }
}

QVariant ValuesTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    return QString::number(section);
}

} // namespace wl
