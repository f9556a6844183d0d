#pragma once

// The product's pickle writer builds the tests' torch.save files too.
#include "io/picklewriter.h"

namespace wl::test
{
using wl::PickleWriter;
} // namespace wl::test
