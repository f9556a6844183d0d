// A TF bundle .index on arbitrary bytes: the SSTable (footer, block handles, checksums, prefix
// compressed keys), then every entry: slice keys decoded, BundleEntryProto values parsed.
#include "formats/tfbundle.h"
#include "memfile.h"
#include "proto/tensor_bundle.pb.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    auto table = wl::tfbundle::SsTable::open(fuzzInputPath(data, size));
    if (!table.ok())
        return 0;
    QByteArray firstKey;
    bool first = true;
    (void)(*table)->forEach([&](QByteArrayView key, QByteArrayView value) -> wl::Status {
        if (first)
            firstKey = key.toByteArray();
        first = false;
        (void)wl::tfbundle::printableKey(key);
        if (wl::tfbundle::isSliceKey(key))
            (void)wl::tfbundle::decodeSliceKey(key);
        wl::tf::BundleEntryProto entry;
        (void)entry.ParseFromArray(value.data(), int(value.size()));
        return wl::Ok{};
    });
    if (!first)
        (void)(*table)->get(firstKey);
    return 0;
}
