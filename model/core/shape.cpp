#include "shape.h"

#include <charconv>
#include <string>

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
    // Digits straight into one buffer: listings call this for every one of thousands of tensors.
    std::string text(1, '[');
    text.reserve(2 + dims.size() * 8);
    char digits[24];
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i)
            text += ", ";
        if (dims[i] < 0) {
            text += '?';
            continue;
        }
        const auto r = std::to_chars(digits, digits + sizeof digits, dims[i]);
        text.append(digits, r.ptr);
    }
    text += ']';
    return QString::fromLatin1(text.data(), qsizetype(text.size()));
}

} // namespace wl
