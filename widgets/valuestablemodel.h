#pragma once

#include <QAbstractTableModel>
#include <QVector>
#include <cstdint>
#include <vector>

namespace wl
{

// A 2-D slice of a tensor's elements (C order, as doubles): rows run along one dimension,
// columns along another, every other dimension is held at a fixed index.
class ValuesTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    explicit ValuesTableModel(QObject *parent = nullptr);

    void setValues(QVector<double> values, std::vector<std::int64_t> dims, bool integral);
    void clear();
    // rowDim/colDim index `dims`; fixed holds one index per dimension (entries for the row
    // and column dimensions are ignored). Out-of-range values are clamped.
    void setSlice(int rowDim, int colDim, std::vector<std::int64_t> fixed);

    const std::vector<std::int64_t> &dims() const { return m_dims; }
    int rowDim() const { return m_rowDim; }
    int colDim() const { return m_colDim; }
    const std::vector<std::int64_t> &fixed() const { return m_fixed; }
    double valueAt(int row, int column) const;
    // The current slice, row-major.
    QVector<double> slice() const;
    double maxAbs() const { return m_maxAbs; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    static QString format(double v, bool integral);

private:
    std::int64_t offset(int row, int column) const;

    QVector<double> m_values;
    std::vector<std::int64_t> m_dims;
    std::vector<std::int64_t> m_strides;
    std::vector<std::int64_t> m_fixed;
    int m_rowDim = 0;
    int m_colDim = 1;
    bool m_integral = false;
    double m_maxAbs = 0;
};

} // namespace wl
