#include "checkpointindex.h"

namespace wl
{

int CheckpointIndex::indexOfKey(const QString &key) const
{
    for (int i = 0; i < tensors.size(); ++i)
        if (tensors[i].key == key)
            return i;
    return -1;
}

std::int64_t CheckpointIndex::totalBytes() const
{
    std::int64_t n = 0;
    for (const auto &t : tensors)
        n += t.location.size;
    return n;
}

} // namespace wl
