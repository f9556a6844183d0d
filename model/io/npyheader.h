#pragma once

#include "core/dtype.h"
#include "core/result.h"

#include <QByteArrayView>
#include <QString>
#include <cstdint>
#include <vector>

namespace wl
{

// What an .npy header says (formats-keras-pytorch.md section 6).
struct NpyHeader {
    int major = 0, minor = 0;
    QString descr; // "<f4"; a structured dtype is given as its text
    bool fortranOrder = false;
    std::vector<std::int64_t> shape;
    std::int64_t dataOffset = 0; // from the start of the .npy bytes
    DType dtype = DType::Unknown;
    bool bigEndian = false;
    bool object = false; // `|O`: pickled objects, never unpickled
};

// Parses the magic, version and header literal of `bytes` (at least the header's length);
// errors name `file`, `where` and the offset.
Result<NpyHeader> parseNpyHeader(QByteArrayView bytes, const QString &file, const QString &where);

} // namespace wl
