// The safetensors reader's open (header length, JSON header, offsets) on arbitrary bytes.
#include "formats/safetensorsreader.h"
#include "memfile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const wl::Source source = wl::Source::fromPath(fuzzInputPath(data, size));
    wl::JobContext job;
    auto r = wl::SafetensorsReader().open(source, job);
    if (r.ok()) {
        // Every tensor that is marked readable must lie inside the file.
        for (const auto &t : r->checkpoints.front()->index().tensors)
            if (t.location.storage != wl::TensorLocation::Storage::None &&
                (t.location.offset < 8 || t.location.offset + t.location.size > qint64(size)))
                __builtin_trap();
    }
    return 0;
}
