#pragma once

#include "core/dtype.h"
#include "core/result.h"
#include "core/shape.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <memory>
#include <vector>

class QSaveFile;

namespace wl
{

// Writes a single-shard TensorFlow V2 checkpoint (`P.index` + `P.data-00000-of-00001`) as
// TensorFlow's bundle writer lays it out: tensors in insertion order, masked CRC-32C per
// entry, `.index` an SSTable in key order. Both files go through atomic renames (data first,
// so an `.index` only ever names complete data), and the result is read back and checked.
class TfBundleWriter
{
public:
    explicit TfBundleWriter(QString prefix);
    ~TfBundleWriter();

    // Fixed-size element types: `bytes` holds the little-endian C-order elements.
    Status add(const QString &key, DType dtype, const Shape &shape, QByteArrayView bytes);
    // DT_STRING tensor with the given elements.
    Status addStrings(const QString &key, const Shape &shape, const QList<QByteArray> &elements);
    // A tensor exactly as another bundle stores it (strings included), with that bundle's masked
    // CRC-32C: copied byte for byte, never decoded.
    Status addStored(const QString &key, DType dtype, const Shape &shape, QByteArrayView stored,
                     std::uint32_t maskedCrc);
    Status finish();

private:
    struct Entry {
        QByteArray key;
        QByteArray value; // serialized BundleEntryProto
    };
    Status appendData(const QByteArray &key, int tfDtype, const Shape &shape, QByteArrayView bytes,
                      std::uint32_t maskedCrc);
    QString m_prefix;
    std::unique_ptr<QSaveFile> m_data;
    std::int64_t m_offset = 0;
    std::vector<Entry> m_entries;
    bool m_finished = false;
};

} // namespace wl
