#include "clipboardtext.h"

#include "stats/tensorstats.h"
#include "valuestablemodel.h"

#include <QStringList>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace wl::clipboardtext
{
namespace
{

struct Rect {
    int top = 0, left = 0, bottom = -1, right = -1;
    bool empty() const { return bottom < top || right < left; }
};

Rect bounds(const QModelIndexList &cells)
{
    if (cells.isEmpty())
        return {};
    Rect r{cells.first().row(), cells.first().column(), cells.first().row(),
           cells.first().column()};
    for (const auto &c : cells) {
        r.top = std::min(r.top, c.row());
        r.bottom = std::max(r.bottom, c.row());
        r.left = std::min(r.left, c.column());
        r.right = std::max(r.right, c.column());
    }
    return r;
}

QString shortest(double v)
{
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    return QString::fromLatin1(buf, int(end - buf));
}

QString number(double v, bool numpy)
{
    if (std::isnan(v))
        return numpy ? QStringLiteral("np.nan") : QStringLiteral("nan");
    if (std::isinf(v))
        return QLatin1String(v < 0 ? "-" : "") +
               (numpy ? QStringLiteral("np.inf") : QStringLiteral("inf"));
    return shortest(v);
}

} // namespace

QString valuesTsv(const ValuesTableModel &model, const QModelIndexList &cells)
{
    const Rect r = bounds(cells);
    QStringList lines;
    for (int row = r.top; !r.empty() && row <= r.bottom; ++row) {
        QStringList values;
        for (int col = r.left; col <= r.right; ++col)
            values << number(model.valueAt(row, col), false);
        lines << values.join(QLatin1Char('\t'));
    }
    return lines.isEmpty() ? QString() : lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString valuesNumpy(const ValuesTableModel &model, const QModelIndexList &cells,
                    const QString &dtype)
{
    const Rect r = bounds(cells);
    if (r.empty())
        return {};
    QStringList rows;
    for (int row = r.top; row <= r.bottom; ++row) {
        QStringList values;
        for (int col = r.left; col <= r.right; ++col)
            values << number(model.valueAt(row, col), true);
        rows << QLatin1Char('[') + values.join(QStringLiteral(", ")) + QLatin1Char(']');
    }
    QString text = QStringLiteral("np.array([") + rows.join(QStringLiteral(",\n          ")) +
                   QLatin1Char(']');
    // bfloat16 is not a NumPy type; its values are exact in float32.
    const QString np = dtype == QLatin1String("bfloat16") ? QStringLiteral("float32") : dtype;
    if (!np.isEmpty() && np != QLatin1String("string"))
        text += QStringLiteral(", dtype=np.") + np;
    return text + QStringLiteral(")\n");
}

QString statistics(const QString &name, const TensorStats &s)
{
    const auto opt = [](const std::optional<double> &v) {
        return v ? number(*v, false) : QStringLiteral("-");
    };
    QStringList lines{QStringLiteral("tensor\t") + name,
                      QStringLiteral("count\t%1").arg(s.count),
                      QStringLiteral("min\t") + opt(s.min),
                      QStringLiteral("max\t") + opt(s.max),
                      QStringLiteral("mean\t") + opt(s.mean),
                      QStringLiteral("std\t") + opt(s.std),
                      QStringLiteral("l2\t") + number(s.l2, false),
                      QStringLiteral("zeros\t%1").arg(s.zeros),
                      QStringLiteral("nan\t%1").arg(s.nan),
                      QStringLiteral("inf\t%1").arg(s.inf)};
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace wl::clipboardtext
