// The .npy header parser on arbitrary bytes.
#include "io/npyheader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    auto r = wl::parseNpyHeader(bytes, QStringLiteral("fuzz.npy"), {});
    if (r.ok() && r->dataOffset > qint64(size))
        __builtin_trap(); // the data must start inside the header it was parsed from
    return 0;
}
