// The zip walk on arbitrary bytes: list the members (central directory, local headers, data
// offsets checked against the archive) and inflate the small ones with their CRC checked.
#include "io/zipmember.h"
#include "memfile.h"

#include <cstddef>
#include <cstdint>
#include <quazip.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QString path = fuzzInputPath(data, size);
    QuaZip zip(path);
    if (!zip.open(QuaZip::mdUnzip))
        return 0;
    auto members = wl::listZipMembers(zip, path, 1000);
    if (!members.ok())
        return 0;
    wl::JobContext job;
    int inflated = 0;
    for (const auto &m : *members) {
        if (m.dataOffset < 0 || m.dataOffset > qint64(size))
            __builtin_trap(); // listZipMembers promises offsets inside the archive
        // Small members only: a large declared size costs time, not coverage.
        if (m.uncompressedSize > (1u << 20) || ++inflated > 4)
            continue;
        auto r = wl::InflatedMember::inflate(m, job);
        if (r.ok() && (*r)->size() != m.uncompressedSize)
            __builtin_trap();
    }
    return 0;
}
