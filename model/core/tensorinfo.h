#pragma once

#include "dtype.h"
#include "shape.h"

#include <QString>
#include <cstdint>
#include <optional>

namespace wl
{

enum class TensorRole {
    Variable,      // a model weight
    OptimizerSlot, // optimizer state tied to a variable (Adam m/v, momentum)
    Optimizer,     // optimizer scalars (iteration, learning rate)
    Metadata,      // bookkeeping: save_counter, object graph, config JSON
};
QString roleName(TensorRole r);
std::optional<TensorRole> roleFromName(const QString &name);

enum class ChecksumState { None, NotChecked, Ok, Mismatch };

// Where a tensor's bytes live. For Raw storage, [offset, offset+size) of `file` holds the
// elements in C order (byte order per `bigEndian`); other storages are decoded by the reader.
struct TensorLocation {
    enum class Storage { Raw, ReaderDecoded, None };
    Storage storage = Storage::Raw;
    QString file;
    std::int64_t offset = 0;
    std::int64_t size = 0;
    bool bigEndian = false;
    std::optional<std::uint32_t> maskedCrc32c; // TensorFlow bundles
    int shard = 0;
    // The storage the bytes belong to when other tensors may view it too (PyTorch tied weights
    // and views); tensors of one file with the same key share bytes. Empty: the bytes are the
    // tensor's own.
    QString storageKey;
};

struct TensorInfo {
    QString key;  // exactly as stored: bundle key, dataset path, state_dict key
    QString name; // readable path, e.g. "model/layer_with_weights-0/kernel"
    DType dtype = DType::Invalid;
    int sourceDType = -1; // the format's own dtype code, for "unknown dtype N"
    Shape shape;
    TensorRole role = TensorRole::Variable;
    TensorLocation location;
    ChecksumState checksum = ChecksumState::NotChecked;

    // Optimizer slots: the slot name ("m"), the optimizer's path and the variable's name.
    QString slotName;
    QString optimizerPath;
    QString slotOf;
    std::optional<bool> trainable;

    std::int64_t numElements() const { return shape.numElements().value_or(0); }
    QString dtypeText() const;
};

} // namespace wl
