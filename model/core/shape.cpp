#include "shape.h"

#include <QStringList>

namespace wl
{

bool Shape::isFullyKnown() const
{
    if (unknownRank)
        return false;
    for (auto d : dims)
        if (d < 0)
            return false;
    return true;
}

std::optional<std::int64_t> Shape::numElements() const
{
    if (!isFullyKnown())
        return std::nullopt;
    std::int64_t n = 1;
    for (auto d : dims) {
        if (__builtin_mul_overflow(n, d, &n))
            return std::nullopt;
    }
    return n;
}

QString Shape::toString() const
{
    if (unknownRank)
        return QStringLiteral("<unknown rank>");
    QStringList parts;
    for (auto d : dims)
        parts << (d < 0 ? QStringLiteral("?") : QString::number(d));
    return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
}

} // namespace wl
