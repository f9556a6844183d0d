#pragma once

#include <QString>
#include <cstdint>
#include <optional>
#include <vector>

namespace wl
{

// A tensor shape; -1 marks an unknown dimension (signatures), unknownRank an unknown rank.
struct Shape {
    std::vector<std::int64_t> dims;
    bool unknownRank = false;

    int rank() const { return int(dims.size()); }
    bool isFullyKnown() const;
    // Product of dims; nullopt when unknown or when it overflows int64.
    std::optional<std::int64_t> numElements() const;
    // "[5, 5, 1, 4]", "[]" for scalars, "<unknown rank>".
    QString toString() const;
    bool operator==(const Shape &) const = default;
};

} // namespace wl
