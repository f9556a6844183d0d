// The HDF5 open path in process: an image in memory through the project's checking driver,
// then the walk, attributes and dataset headers a Keras reader asks for. libhdf5 has known
// crashes on malicious files (why the app parses HDF5 in an isolated reader process); a
// finding here inside libhdf5 is recorded, not chased.
#include "io/hdf5file.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    auto file = wl::h5::File::openImage(data, size, nullptr, QStringLiteral("fuzz.h5"));
    if (!file.ok())
        return 0;
    auto nodes = (*file)->walk();
    if (!nodes.ok())
        return 0;
    int visited = 0;
    for (const auto &n : *nodes) {
        if (++visited > 64)
            break;
        auto names = (*file)->attributeNames(n.path);
        if (names.ok())
            for (const auto &a : *names)
                (void)(*file)->attribute(n.path, a);
        if (!n.isGroup)
            (void)(*file)->dataset(n.path);
    }
    return 0;
}
