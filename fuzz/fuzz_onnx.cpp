// The ONNX reader's open (protobuf ModelProto, initializers, typed fields) on arbitrary bytes.
#include "formats/onnxreader.h"
#include "memfile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const wl::Source source = wl::Source::fromPath(fuzzInputPath(data, size));
    wl::JobContext job;
    (void)wl::OnnxReader().open(source, job);
    return 0;
}
