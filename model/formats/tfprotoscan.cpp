#include "tfprotoscan.h"

#include "core/plural.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace wl
{
namespace
{

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
    // A CodedInputStream takes at most 2 GiB; damage is looked for in those.
    const int size = int(std::min<qsizetype>(bytes.size(), std::numeric_limits<int>::max()));
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t *>(bytes.data()),
                                              size);
    auto left = [&] { return size - in.CurrentPosition(); };
    while (left() > 0) {
        const int at = in.CurrentPosition();
        std::uint64_t key = 0;
        if (!in.ReadVarint64(&key))
            return QStringLiteral("offset %1: field key is not a valid varint (truncated or "
                                  "over-long)")
                .arg(at);
        const int field = int(key >> 3);
        const int wire = int(key & 7);
        if (field == 0)
            return QStringLiteral("offset %1: field number 0 is not allowed").arg(at);
        const auto it = expectedWireTypes.find(field);
        if (it != expectedWireTypes.end() && it->second != wire)
            return QStringLiteral("offset %1: field %2 should be %3, found %4")
                .arg(at)
                .arg(field)
                .arg(wireName(it->second), wireName(wire));
        std::uint64_t value = 0;
        switch (wire) {
        case 0:
            if (!in.ReadVarint64(&value))
                return QStringLiteral("offset %1: field %2 varint is truncated or over-long")
                    .arg(at)
                    .arg(field);
            break;
        case 1:
        case 5: {
            const int n = wire == 1 ? 8 : 4;
            if (left() < n)
                return QStringLiteral("offset %1: field %2 needs %3 bytes, only %4 left")
                    .arg(at)
                    .arg(field)
                    .arg(n)
                    .arg(left());
            in.Skip(n);
            break;
        }
        case 2:
            if (!in.ReadVarint64(&value))
                return QStringLiteral("offset %1: field %2 length is truncated or over-long")
                    .arg(at)
                    .arg(field);
            if (value > std::uint64_t(left()))
                return QStringLiteral("offset %1: field %2 is %3 long but only %4 %5 (truncated)")
                    .arg(at)
                    .arg(field)
                    .arg(counted(qint64(value), "byte"), counted(left(), "byte"),
                         QLatin1String(left() == 1 ? "remains" : "remain"));
            in.Skip(int(value));
            break;
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
