#pragma once

#include <QByteArrayView>
#include <QString>
#include <map>
#include <string>

namespace wl
{

// Protobuf strings hold UTF-8.
inline QString str(const std::string &s)
{
    return QString::fromStdString(s);
}

// Explains why protobuf bytes did not parse: walks the top-level fields and names the first
// field whose wire type differs from `expectedWireTypes` (field number -> wire type), a
// varint that is over-long, or a length that runs past the end. Fields not in the map are
// skipped by their wire type. Empty when the top level looks well formed.
QString describeProtoDamage(QByteArrayView bytes, const std::map<int, int> &expectedWireTypes);

} // namespace wl
