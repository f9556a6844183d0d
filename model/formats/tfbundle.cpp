#include "tfbundle.h"

#include "core/plural.h"
#include "io/crc32c.h"

#include <QtEndian>
#include <google/protobuf/io/coded_stream.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace wl::tfbundle
{

const char kTableMagic[8] = {'\x57', '\xfb', '\x80', '\x8b', '\x24', '\x75', '\x47', '\xdb'};

bool hasTableMagic(QByteArrayView tail)
{
    return tail.size() >= 8 && std::memcmp(tail.data() + tail.size() - 8, kTableMagic, 8) == 0;
}

namespace
{

constexpr std::size_t kFooterSize = 48;
constexpr std::size_t kBlockTrailer = 5;

// Serves LevelDB reads straight from a memory map; short reads at the end, never past it.
class MappedSource : public leveldb::RandomAccessFile
{
public:
    explicit MappedSource(std::shared_ptr<const MappedFile> file) : m_file(std::move(file)) {}
    leveldb::Status Read(std::uint64_t offset, std::size_t n, leveldb::Slice *result,
                         char *) const override
    {
        const std::size_t size = m_file->size();
        if (offset > size)
            return leveldb::Status::IOError("read past the end of the file");
        n = std::min<std::uint64_t>(n, size - offset);
        *result = leveldb::Slice(reinterpret_cast<const char *>(m_file->data()) + offset, n);
        return leveldb::Status::OK();
    }

private:
    std::shared_ptr<const MappedFile> m_file;
};

// Over bytes at hand, protobuf's decoder; StreamedVarint below is for bytes arriving in pieces,
// across which the library cannot resume.
bool readVarint(const std::uint8_t *&p, const std::uint8_t *end, std::uint64_t &v)
{
    google::protobuf::io::CodedInputStream in(p, int(std::min<std::ptrdiff_t>(end - p, 10)));
    if (!in.ReadVarint64(&v))
        return false;
    p += in.CurrentPosition();
    return true;
}

// LevelDB allocates a buffer of a block handle's size before it reads; the footer is not
// checksummed, so its two handles are checked against the file size first.
QString checkFooter(const MappedFile &f)
{
    const std::uint8_t *p = f.data() + f.size() - kFooterSize;
    const std::uint8_t *end = p + kFooterSize - 8;
    const char *names[2] = {"metaindex", "index"};
    for (const char *name : names) {
        std::uint64_t off = 0, size = 0;
        if (!readVarint(p, end, off) || !readVarint(p, end, size))
            return QStringLiteral("footer %1 handle is not two varints").arg(QLatin1String(name));
        if (off > f.size() || size > f.size() - off || size + kBlockTrailer > f.size() - off)
            return QStringLiteral("footer %1 handle [%2, +%3] lies outside the %4-byte file")
                .arg(QLatin1String(name))
                .arg(off)
                .arg(size)
                .arg(f.size());
    }
    return {};
}

LoadError levelDbError(const QString &path, const QString &what, const leveldb::Status &st)
{
    return makeError(st.IsCorruption() ? LoadError::Code::Corrupt : LoadError::Code::Unreadable,
                     path, {}, what, {}, QString::fromStdString(st.ToString()));
}

} // namespace

SsTable::~SsTable()
{
    m_table.reset(); // before the source it reads from
}

Result<std::shared_ptr<const SsTable>> SsTable::open(const QString &path)
{
    auto mapped = MappedFile::open(path);
    if (!mapped.ok())
        return mapped.error();
    auto file = mapped.value();
    if (file->size() == 0)
        return makeError(LoadError::Code::Empty, path, {}, QStringLiteral("an SSTable"),
                         QStringLiteral("an empty file"));
    if (file->size() < kFooterSize)
        return makeError(LoadError::Code::Truncated, path, {},
                         QStringLiteral("at least a 48-byte SSTable footer"),
                         counted(file->size(), "byte"));
    if (!hasTableMagic(
            QByteArrayView(reinterpret_cast<const char *>(file->data()), qsizetype(file->size()))))
        return makeError(
            LoadError::Code::Corrupt, path, QStringLiteral("offset %1").arg(file->size() - 8),
            QStringLiteral("SSTable magic 57 fb 80 8b 24 75 47 db"),
            QString::fromLatin1(
                QByteArray(reinterpret_cast<const char *>(file->data()) + file->size() - 8, 8)
                    .toHex(' ')));
    if (const QString bad = checkFooter(*file); !bad.isEmpty())
        return makeError(LoadError::Code::Corrupt, path,
                         QStringLiteral("offset %1").arg(file->size() - kFooterSize),
                         QStringLiteral("a valid SSTable footer"), bad);

    std::shared_ptr<SsTable> t(new SsTable);
    t->m_path = path;
    t->m_file = file;
    t->m_source = std::make_unique<MappedSource>(file);
    leveldb::Options options;
    options.paranoid_checks = true; // verifies the index block's checksum on open
    leveldb::Table *table = nullptr;
    leveldb::Status st;
    try {
        st = leveldb::Table::Open(options, t->m_source.get(), file->size(), &table);
    } catch (const std::bad_alloc &) {
        return makeError(LoadError::Code::Corrupt, path, {}, QStringLiteral("an SSTable"), {},
                         QStringLiteral("a block handle names an impossible size"));
    }
    if (!st.ok())
        return levelDbError(path, QStringLiteral("a readable SSTable index block"), st);
    t->m_table.reset(table);
    return std::shared_ptr<const SsTable>(std::move(t));
}

Status SsTable::forEach(const Visitor &visit) const
{
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    try {
        std::unique_ptr<leveldb::Iterator> it(m_table->NewIterator(ro));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            const auto k = it->key();
            const auto v = it->value();
            auto st = visit(QByteArrayView(k.data(), qsizetype(k.size())),
                            QByteArrayView(v.data(), qsizetype(v.size())));
            if (!st.ok())
                return st;
        }
        if (!it->status().ok())
            return levelDbError(m_path, QStringLiteral("readable SSTable data blocks"),
                                it->status());
    } catch (const std::bad_alloc &) {
        return makeError(LoadError::Code::Corrupt, m_path, {}, QStringLiteral("an SSTable"), {},
                         QStringLiteral("a block handle names an impossible size"));
    }
    return Ok{};
}

Result<QByteArray> SsTable::get(QByteArrayView key) const
{
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    try {
        std::unique_ptr<leveldb::Iterator> it(m_table->NewIterator(ro));
        it->Seek(leveldb::Slice(key.data(), std::size_t(key.size())));
        if (it->Valid() && it->key() == leveldb::Slice(key.data(), std::size_t(key.size()))) {
            const auto v = it->value();
            return QByteArray(v.data(), qsizetype(v.size()));
        }
        if (!it->status().ok())
            return levelDbError(m_path, QStringLiteral("readable SSTable data blocks"),
                                it->status());
    } catch (const std::bad_alloc &) {
        return makeError(LoadError::Code::Corrupt, m_path, {}, QStringLiteral("an SSTable"), {},
                         QStringLiteral("a block handle names an impossible size"));
    }
    return makeError(LoadError::Code::Corrupt, m_path, printableKey(key),
                     QStringLiteral("an entry with this key"), QStringLiteral("none"));
}

// ---- OrderedCode (formats-tensorflow.md 1.5) ----

namespace
{

struct Cursor {
    const std::uint8_t *p;
    const std::uint8_t *end;
    std::size_t left() const { return std::size_t(end - p); }
};

bool readNumIncreasing(Cursor &c, std::uint64_t &v)
{
    if (!c.left())
        return false;
    const std::size_t n = *c.p++;
    if (n > 8 || c.left() < n)
        return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v = (v << 8) | *c.p++;
    return true;
}

bool readString(Cursor &c, QByteArray &out)
{
    out.clear();
    while (c.left() >= 2) {
        const std::uint8_t b = *c.p++;
        if (b == 0x00) {
            const std::uint8_t next = *c.p++;
            if (next == 0x01)
                return true;
            if (next != 0xff)
                return false;
            out.append('\0');
        } else if (b == 0xff) {
            if (*c.p++ != 0x00)
                return false;
            out.append('\xff');
        } else {
            out.append(char(b));
        }
    }
    return false;
}

// The length is the number of leading one bits of the (sign-normalised) header, which may
// spill into the second byte for 9 and 10 bytes.
bool readSignedNumIncreasing(Cursor &c, std::int64_t &v)
{
    if (!c.left())
        return false;
    const bool negative = !(c.p[0] & 0x80);
    const std::uint8_t flip = negative ? 0xff : 0x00;
    auto byte = [&](std::size_t i) { return std::uint8_t(c.p[i] ^ flip); };
    std::size_t len = 0;
    const std::uint8_t first = byte(0);
    if (first != 0xff) {
        while (len < 8 && (first & (0x80 >> len)))
            ++len;
    } else {
        if (c.left() < 2)
            return false;
        const std::uint8_t second = byte(1);
        if (second < 0x80)
            len = 8;
        else if (second < 0xc0)
            len = 9;
        else if (second == 0xc0 && c.left() >= 3 && byte(2) < 0x80)
            len = 10;
        else
            return false;
    }
    if (len == 0 || c.left() < len)
        return false;
    // Header bits occupy the first `len` bits (the tenth length adds no extra bit of value).
    std::uint8_t buf[10] = {};
    for (std::size_t i = 0; i < len; ++i)
        buf[i] = byte(i);
    std::size_t headerBits = len == 10 ? 10 : len + 1; // ones then a zero
    for (std::size_t bit = 0; bit < headerBits; ++bit)
        buf[bit / 8] &= std::uint8_t(~(0x80 >> (bit % 8)));
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < len; ++i)
        x = (x << 8) | buf[i];
    c.p += len;
    const std::int64_t mag = std::int64_t(x);
    v = negative ? ~mag : mag;
    return true;
}

} // namespace

std::optional<std::int64_t> decodeSignedNum(QByteArrayView bytes)
{
    Cursor c{reinterpret_cast<const std::uint8_t *>(bytes.data()),
             reinterpret_cast<const std::uint8_t *>(bytes.data()) + bytes.size()};
    std::int64_t v = 0;
    if (!readSignedNumIncreasing(c, v) || c.left())
        return std::nullopt;
    return v;
}

bool isSliceKey(QByteArrayView key)
{
    return !key.isEmpty() && key[0] == '\0';
}

std::optional<SliceKey> decodeSliceKey(QByteArrayView key)
{
    Cursor c{reinterpret_cast<const std::uint8_t *>(key.data()),
             reinterpret_cast<const std::uint8_t *>(key.data()) + key.size()};
    std::uint64_t zero = 1, rank = 0;
    SliceKey out;
    if (!readNumIncreasing(c, zero) || zero != 0 || !readString(c, out.name) ||
        !readNumIncreasing(c, rank) || rank > 64)
        return std::nullopt;
    for (std::uint64_t d = 0; d < rank; ++d) {
        std::int64_t s = 0, l = 0;
        if (!readSignedNumIncreasing(c, s) || !readSignedNumIncreasing(c, l) || s < 0 || l < -1)
            return std::nullopt;
        out.start.push_back(s);
        out.length.push_back(l);
    }
    if (c.left())
        return std::nullopt;
    return out;
}

QString printableKey(QByteArrayView key)
{
    for (char ch : key)
        if (std::uint8_t(ch) < 0x20 || std::uint8_t(ch) >= 0x7f)
            return QStringLiteral("key 0x") + QString::fromLatin1(key.toByteArray().toHex());
    return QStringLiteral("key \"%1\"").arg(QString::fromUtf8(key));
}

// ---- DT_STRING layout (formats-tensorflow.md 1.4) ----

std::optional<StringLayout> parseStringLayout(QByteArrayView stored, std::int64_t elements)
{
    if (elements < 0 || elements > stored.size())
        return std::nullopt;
    StringLayout out;
    const auto *p = reinterpret_cast<const std::uint8_t *>(stored.data());
    const auto *end = p + stored.size();
    out.lengths.reserve(std::size_t(elements));
    for (std::int64_t i = 0; i < elements; ++i) {
        std::uint64_t len = 0;
        if (!readVarint(p, end, len))
            return std::nullopt;
        out.lengths.push_back(len);
    }
    if (end - p < 4)
        return std::nullopt;
    out.dataStart = std::size_t(p - reinterpret_cast<const std::uint8_t *>(stored.data())) + 4;
    return out;
}

// ---- DT_STRING and DT_VARIANT checksums, streamed (formats-tensorflow.md 1.4) ----

bool StreamedVarint::add(std::uint8_t b, bool &bad)
{
    if (shift > 63) {
        bad = true;
        return false;
    }
    value |= std::uint64_t(b & 0x7f) << shift;
    shift += 7;
    return !(b & 0x80);
}

bool StreamedChecksum::take(const std::uint8_t *&p, std::size_t &n)
{
    const int k = int(std::min<std::size_t>(n, std::size_t(4 - have)));
    std::memcpy(bytes + have, p, std::size_t(k));
    p += k;
    n -= std::size_t(k);
    have += k;
    return have == 4;
}

std::uint32_t StreamedChecksum::value() const
{
    return qFromLittleEndian<std::uint32_t>(bytes);
}

namespace
{

// Extends crc over as much of [p, p + n) as `left` still expects.
void takeBytes(std::uint32_t &crc, std::uint64_t &left, const std::uint8_t *&p, std::size_t &n)
{
    const std::size_t k = std::size_t(std::min<std::uint64_t>(n, left));
    crc = crc32cExtend(crc, p, k);
    p += k;
    n -= k;
    left -= k;
}

// Checks a stored checksum against the CRC so far, then extends the CRC over it.
bool checkStored(std::uint32_t &crc, const StreamedChecksum &stored)
{
    const bool ok = stored.value() == crc32cMask(crc);
    crc = crc32cExtend(crc, stored.bytes, 4);
    return ok;
}

} // namespace

void StringChecker::add(const std::uint8_t *p, std::size_t n)
{
    bool bad = false;
    while (n > 0 && m_sound && !bad) {
        switch (m_part) {
        case Part::Lengths: {
            --n;
            if (!m_length.add(*p++, bad))
                break;
            const std::uint64_t len = m_length.value;
            if (len > 0xffffffffu) {
                const std::uint64_t le = qToLittleEndian(len);
                m_crc = crc32cExtend(m_crc, &le, 8);
            } else {
                const std::uint32_t le = qToLittleEndian(std::uint32_t(len));
                m_crc = crc32cExtend(m_crc, &le, 4);
            }
            m_bytesLeft += len;
            m_length = {};
            if (--m_left == 0)
                m_part = Part::LengthCrc;
            break;
        }
        case Part::LengthCrc:
            if (m_stored.take(p, n)) {
                m_sound = checkStored(m_crc, m_stored);
                m_part = Part::Bytes;
            }
            break;
        case Part::Bytes:
            if (m_bytesLeft == 0) { // bytes after the last string
                m_sound = false;
                break;
            }
            takeBytes(m_crc, m_bytesLeft, p, n);
            break;
        }
    }
    m_sound = m_sound && !bad;
}

bool StringChecker::matches(std::uint32_t maskedCrc) const
{
    return m_sound && m_part == Part::Bytes && m_bytesLeft == 0 && crc32cMask(m_crc) == maskedCrc;
}

void VariantChecker::add(const std::uint8_t *p, std::size_t n)
{
    bool bad = false;
    while (n > 0 && m_sound && !bad) {
        switch (m_part) {
        case Part::Length: {
            if (m_left == 0) { // bytes after the last element
                m_sound = false;
                break;
            }
            --n;
            if (!m_length.add(*p++, bad))
                break;
            const std::uint64_t le = qToLittleEndian(m_length.value);
            m_crc = crc32cExtend(m_crc, &le, 8);
            m_bytesLeft = m_length.value;
            m_length = {};
            m_part = m_bytesLeft > 0 ? Part::Bytes : Part::Checksum;
            break;
        }
        case Part::Bytes:
            takeBytes(m_crc, m_bytesLeft, p, n);
            if (m_bytesLeft == 0)
                m_part = Part::Checksum;
            break;
        case Part::Checksum:
            if (m_stored.take(p, n)) {
                m_sound = checkStored(m_crc, m_stored);
                m_stored = {};
                --m_left;
                m_part = Part::Length;
            }
            break;
        }
    }
    m_sound = m_sound && !bad;
}

bool VariantChecker::matches(std::uint32_t maskedCrc) const
{
    return m_sound && m_left == 0 && m_part == Part::Length && m_length.shift == 0 &&
           crc32cMask(m_crc) == maskedCrc;
}

} // namespace wl::tfbundle
