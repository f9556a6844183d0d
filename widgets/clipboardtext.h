#pragma once

#include <QModelIndexList>
#include <QString>

namespace wl
{

class ValuesTableModel;
struct TensorStats;

// Text a user copies out of WeightLens: values round-trip exactly (shortest form that reads
// back as the same double), so a pasted selection equals the tensor.
namespace clipboardtext
{

// The rectangle spanned by the selected cells, one line per row, tab between values: what a
// spreadsheet pastes as a block.
QString valuesTsv(const ValuesTableModel &model, const QModelIndexList &cells);
// The same rectangle as a NumPy literal: np.array([[...], ...], dtype=np.float32).
QString valuesNumpy(const ValuesTableModel &model, const QModelIndexList &cells,
                    const QString &dtype);
// A tensor's statistics as "name<TAB>value" lines (count, min, max, mean, std, l2, zeros, nan,
// inf), for pasting into a table.
QString statistics(const QString &name, const TensorStats &s);

} // namespace clipboardtext
} // namespace wl
