#pragma once

// Low-level pieces of TensorFlow tensor bundles: SSTable access through LevelDB, OrderedCode
// slice keys and the DT_STRING data layout (formats-tensorflow.md 1.1, 1.4, 1.5).

#include "core/result.h"
#include "io/mappedfile.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace leveldb
{
class Table;
class RandomAccessFile;
} // namespace leveldb

namespace wl::tfbundle
{

// The 8 magic bytes at the end of every SSTable.
extern const char kTableMagic[8];
bool hasTableMagic(QByteArrayView tail);

// An SSTable (`.index` or a legacy V1 file) opened with checksum verification. Immutable
// after open, so concurrent lookups are safe.
class SsTable
{
public:
    static Result<std::shared_ptr<const SsTable>> open(const QString &path);
    ~SsTable();

    // Visits every entry in key order; stops at the first error the visitor returns.
    using Visitor = std::function<Status(QByteArrayView key, QByteArrayView value)>;
    Status forEach(const Visitor &visit) const;
    // The value stored under exactly `key`.
    Result<QByteArray> get(QByteArrayView key) const;
    const QString &path() const { return m_path; }

private:
    SsTable() = default;
    QString m_path;
    std::shared_ptr<const MappedFile> m_file;
    std::unique_ptr<leveldb::RandomAccessFile> m_source;
    std::unique_ptr<leveldb::Table> m_table;
};

// A decoded slice key: NumIncreasing(0) String(name) NumIncreasing(rank) {start length}*.
// A length of -1 means the whole dimension.
struct SliceKey {
    QByteArray name;
    std::vector<std::int64_t> start;
    std::vector<std::int64_t> length;
};
bool isSliceKey(QByteArrayView key);
std::optional<SliceKey> decodeSliceKey(QByteArrayView key);

// Readable form of a binary key for messages.
QString printableKey(QByteArrayView key);

// Element lengths of a DT_STRING tensor's stored bytes and where the string bytes start.
struct StringLayout {
    std::vector<std::uint64_t> lengths;
    std::uint32_t maskedLengthCrc = 0;
    std::size_t dataStart = 0;
};
// Parses the varint lengths and the masked length CRC from the first bytes of a stored
// DT_STRING tensor; nullopt when they are incomplete or malformed.
std::optional<StringLayout> parseStringLayout(QByteArrayView stored, std::int64_t elements);
// The CRC-32C state after the lengths, as TensorFlow computes it (lengths as LE integers).
std::uint32_t stringLengthsCrc(const std::vector<std::uint64_t> &lengths);

} // namespace wl::tfbundle
