// The restricted pickle VM on arbitrary bytes: every input loads or fails with an error.
#include "io/pickle.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Small limits so that the fuzzer reaches them quickly.
    wl::pickle::Limits limits;
    limits.maxMemo = 1000;
    limits.maxValues = 100000;
    limits.maxString = 1 << 16;
    wl::pickle::Unpickler u(QStringLiteral("fuzz.pkl"), limits);
    std::size_t consumed = 0;
    std::span<const std::uint8_t> bytes(data, size);
    // Legacy files chain pickles: load until the bytes end or one fails.
    while (!bytes.empty()) {
        auto r = u.load(bytes, 0, &consumed);
        if (!r.ok() || consumed == 0)
            break;
        bytes = bytes.subspan(consumed);
    }
    return 0;
}
