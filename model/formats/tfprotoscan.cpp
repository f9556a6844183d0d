#include "tfprotoscan.h"

#include <cstdint>
#include <optional>

namespace wl
{
namespace
{

struct Cursor {
    const std::uint8_t *p;
    std::size_t size;
    std::size_t pos = 0;

    std::optional<std::uint64_t> varint()
    {
        std::uint64_t v = 0;
        for (int i = 0; i < 10; ++i) {
            if (pos >= size)
                return std::nullopt;
            const std::uint8_t b = p[pos++];
            v |= std::uint64_t(b & 0x7f) << (7 * i);
            if (!(b & 0x80))
                return v;
        }
        return std::nullopt; // more than 10 bytes: not a varint
    }
};

QString wireName(int t)
{
    switch (t) {
    case 0:
        return QStringLiteral("varint");
    case 1:
        return QStringLiteral("fixed64");
    case 2:
        return QStringLiteral("length-delimited");
    case 3:
        return QStringLiteral("start group");
    case 4:
        return QStringLiteral("end group");
    case 5:
        return QStringLiteral("fixed32");
    default:
        return QStringLiteral("invalid wire type %1").arg(t);
    }
}

} // namespace

QString describeProtoDamage(QByteArrayView bytes, const std::map<int, int> &expectedWireTypes)
{
    Cursor c{reinterpret_cast<const std::uint8_t *>(bytes.data()), std::size_t(bytes.size())};
    while (c.pos < c.size) {
        const std::size_t at = c.pos;
        const auto key = c.varint();
        if (!key)
            return QStringLiteral("offset %1: field key is not a valid varint (truncated or "
                                  "over-long)")
                .arg(at);
        const int field = int(*key >> 3);
        const int wire = int(*key & 7);
        if (field == 0)
            return QStringLiteral("offset %1: field number 0 is not allowed").arg(at);
        const auto it = expectedWireTypes.find(field);
        if (it != expectedWireTypes.end() && it->second != wire)
            return QStringLiteral("offset %1: field %2 should be %3, found %4")
                .arg(at)
                .arg(field)
                .arg(wireName(it->second), wireName(wire));
        switch (wire) {
        case 0:
            if (!c.varint())
                return QStringLiteral("offset %1: field %2 varint is truncated or over-long")
                    .arg(at)
                    .arg(field);
            break;
        case 1:
        case 5: {
            const std::size_t n = wire == 1 ? 8 : 4;
            if (c.size - c.pos < n)
                return QStringLiteral("offset %1: field %2 needs %3 bytes, only %4 left")
                    .arg(at)
                    .arg(field)
                    .arg(n)
                    .arg(c.size - c.pos);
            c.pos += n;
            break;
        }
        case 2: {
            const auto len = c.varint();
            if (!len)
                return QStringLiteral("offset %1: field %2 length is truncated or over-long")
                    .arg(at)
                    .arg(field);
            if (*len > c.size - c.pos)
                return QStringLiteral("offset %1: field %2 is %3 bytes long but only %4 bytes "
                                      "remain (truncated)")
                    .arg(at)
                    .arg(field)
                    .arg(*len)
                    .arg(c.size - c.pos);
            c.pos += std::size_t(*len);
            break;
        }
        default:
            return QStringLiteral("offset %1: field %2 has %3")
                .arg(at)
                .arg(field)
                .arg(wireName(wire));
        }
    }
    return {};
}

} // namespace wl
