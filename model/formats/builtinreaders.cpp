#include "readerregistry.h"

namespace wl {

// One line per format. Registration is explicit: a static library drops self-registration.
void registerBuiltinReaders(ReaderRegistry &registry)
{
    (void)registry;
}

} // namespace wl
