#include "kerasarchivereader.h"
#include "kerash5reader.h"
#include "numpyreader.h"
#include "onnxreader.h"
#include "pytorchreader.h"
#include "readerregistry.h"
#include "safetensorsreader.h"
#include "savedmodelreader.h"
#include "shardedreader.h"
#include "tfbundlereader.h"

namespace wl
{

// One line per format. Registration is explicit: a static library drops self-registration.
void registerBuiltinReaders(ReaderRegistry &registry)
{
    registry.add(std::make_unique<TfBundleReader>());
    registry.add(std::make_unique<SavedModelReader>());
    registry.add(std::make_unique<KerasH5Reader>());
    registry.add(std::make_unique<KerasArchiveReader>());
    registry.add(std::make_unique<SafetensorsReader>());
    registry.add(std::make_unique<PyTorchReader>());
    registry.add(std::make_unique<NumpyReader>());
    registry.add(std::make_unique<ShardedReader>());
    registry.add(std::make_unique<OnnxReader>());
}

} // namespace wl
