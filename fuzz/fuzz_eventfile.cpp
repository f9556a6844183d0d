// TensorBoard event-file framing (length, masked CRC-32C of length and data) and the Event
// protos inside, on arbitrary bytes: read from the start, then resumed as a live file would be.
#include "events/eventfile.h"
#include "memfile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    wl::events::EventFileCursor cursor;
    cursor.path = fuzzInputPath(data, size);
    wl::events::SeriesSet out;
    wl::Problems problems;
    (void)wl::events::readEvents(cursor, out, problems);
    if (cursor.offset < 0 || cursor.offset > qint64(size))
        __builtin_trap(); // the cursor must stay inside the bytes it read
    (void)wl::events::readEvents(cursor, out, problems, false);
    return 0;
}
