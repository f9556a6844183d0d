#pragma once

#include "formats/checkpoint.h"

#include <QHashFunctions>
#include <QMetaType>
#include <memory>

namespace wl
{

// One tensor of an open checkpoint. Holding the checkpoint keeps its index alive while a
// background job or a view still refers to it.
struct TensorRef {
    std::shared_ptr<const Checkpoint> checkpoint;
    int index = -1;

    bool isValid() const
    {
        return checkpoint && index >= 0 && index < checkpoint->index().tensors.size();
    }
    const TensorInfo &info() const { return checkpoint->tensor(index); }
    bool operator==(const TensorRef &o) const
    {
        return checkpoint == o.checkpoint && index == o.index;
    }
    bool operator!=(const TensorRef &o) const { return !(*this == o); }
};

inline size_t qHash(const TensorRef &t, size_t seed = 0)
{
    return qHashMulti(seed, t.checkpoint.get(), t.index);
}

} // namespace wl

Q_DECLARE_METATYPE(wl::TensorRef)
