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
// One OrderedCode SignedNumIncreasing value that fills `bytes` exactly.
std::optional<std::int64_t> decodeSignedNum(QByteArrayView bytes);
std::optional<SliceKey> decodeSliceKey(QByteArrayView key);

// Readable form of a binary key for messages.
QString printableKey(QByteArrayView key);

// Element lengths of a DT_STRING tensor's stored bytes and where the string bytes start.
struct StringLayout {
    std::vector<std::uint64_t> lengths;
    std::size_t dataStart = 0; // after the lengths and their 4-byte checksum
};
// Parses the varint lengths from the first bytes of a stored DT_STRING tensor and skips the
// length checksum (StringChecker checks it); nullopt when they are incomplete or malformed.
std::optional<StringLayout> parseStringLayout(QByteArrayView stored, std::int64_t elements);

// Reads a varint64 and a stored 4-byte checksum a byte at a time, for the checkers below.
struct StreamedVarint {
    std::uint64_t value = 0;
    int shift = 0;
    // True when b completes the value; `bad` is set by a varint longer than 64 bits.
    bool add(std::uint8_t b, bool &bad);
};
struct StreamedChecksum {
    std::uint8_t bytes[4] = {};
    int have = 0;
    // Takes what it still needs from [p, p + n); true when the four bytes are in.
    bool take(const std::uint8_t *&p, std::size_t &n);
    std::uint32_t value() const;
};

// Check a DT_STRING or DT_VARIANT tensor's stored bytes as they stream past
// (formats-tensorflow.md 1.4); matches() is true when every part is complete and sound, nothing
// follows, and the entry's masked CRC-32C equals `maskedCrc`.
// DT_STRING: the varint64 lengths, a masked CRC of the lengths as LE uint32 (uint64 past 2^32),
// then the string bytes; the entry CRC runs over the lengths, the stored CRC and the bytes.
class StringChecker
{
public:
    explicit StringChecker(std::int64_t elements)
        : m_left(elements), m_sound(elements >= 0),
          m_part(elements > 0 ? Part::Lengths : Part::LengthCrc)
    {
    }
    void add(const std::uint8_t *p, std::size_t n);
    bool matches(std::uint32_t maskedCrc) const;

private:
    enum class Part { Lengths, LengthCrc, Bytes };
    std::int64_t m_left;
    bool m_sound;
    Part m_part;
    StreamedVarint m_length;
    StreamedChecksum m_stored;
    std::uint64_t m_bytesLeft = 0;
    std::uint32_t m_crc = 0;
};

// DT_VARIANT: per element a varint64 length, the serialized VariantTensorDataProto and a masked
// running CRC over the lengths as LE uint64, the element bytes and the earlier stored checksums.
class VariantChecker
{
public:
    explicit VariantChecker(std::int64_t elements) : m_left(elements), m_sound(elements >= 0) {}
    void add(const std::uint8_t *p, std::size_t n);
    bool matches(std::uint32_t maskedCrc) const;

private:
    enum class Part { Length, Bytes, Checksum };
    Part m_part = Part::Length;
    std::int64_t m_left;
    bool m_sound;
    StreamedVarint m_length;
    StreamedChecksum m_stored;
    std::uint64_t m_bytesLeft = 0;
    std::uint32_t m_crc = 0;
};

} // namespace wl::tfbundle
