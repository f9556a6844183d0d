#include "zipmember.h"

#include "mappedfile.h"

#include <QtEndian>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <limits>
#include <optional>
#include <quazip.h>
#include <quazipfile.h>
#include <quazipfileinfo.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace wl
{

QString zipErrorText(int code)
{
    switch (code) {
    case UNZ_OPENERROR:
        return QStringLiteral("no end-of-central-directory record (not a zip archive, or one cut "
                              "short)");
    case UNZ_BADZIPFILE:
        return QStringLiteral("no valid end of central directory or member header");
    case UNZ_CRCERROR:
        return QStringLiteral("member data does not match its CRC-32");
    case UNZ_ERRNO:
        return QStringLiteral("read error");
    case UNZ_EOF:
        return QStringLiteral("unexpected end of data");
    case Z_DATA_ERROR:
        return QStringLiteral("corrupt deflate stream");
    default:
        return QStringLiteral("zip error %1").arg(code);
    }
}

namespace
{

constexpr std::size_t kBuffer = std::size_t(1) << 20;
// Past the declared size, inflation goes on only to say how much longer the data is.
constexpr std::uint64_t kCountBeyond = std::uint64_t(64) << 20;

QString sizeText(std::uint64_t bytes)
{
    return QLocale::c().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeIecFormat);
}

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// An unnamed file in the temporary folder: O_TMPFILE where the file system has it, else a
// named one unlinked at once.
int createUnnamedFile(const QString &dir)
{
    const QByteArray d = QFile::encodeName(dir);
    int fd = ::open(d.constData(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    QByteArray name = d + "/weightlens-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0)
        ::unlink(name.constData());
    return fd;
}

struct FileDescriptor {
    explicit FileDescriptor(int f) : fd(f) {}
    ~FileDescriptor()
    {
        if (fd >= 0)
            ::close(fd);
    }
    FileDescriptor(const FileDescriptor &) = delete;
    FileDescriptor &operator=(const FileDescriptor &) = delete;
    int fd = -1;
};

bool allZero(const std::uint8_t *p, std::size_t n)
{
    return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

} // namespace

namespace
{

// The archive's current member, its local header read for the data offset.
Result<ZipMember> currentMember(QuaZip &zip, const QString &archive, const QString &name)
{
    QuaZipFileInfo64 info;
    if (!zip.getCurrentFileInfo(&info))
        return makeError(LoadError::Code::Corrupt, archive, name, QStringLiteral("a member"),
                         QStringLiteral("none"));
    ZipMember m;
    m.archive = archive;
    m.archiveSize = QFileInfo(archive).size();
    m.name = name;
    m.method = info.method;
    m.encrypted = info.flags & 1u;
    m.crc32 = info.crc;
    m.compressedSize = info.compressedSize;
    m.uncompressedSize = info.uncompressedSize;
    unz64_file_pos pos;
    if (unzGetFilePos64(zip.getUnzFile(), &pos) == UNZ_OK)
        m.centralOffset = std::int64_t(pos.pos_in_zip_directory);
    if (m.encrypted)
        return m;
    // Opening the member raw reads its local header; minizip then knows where its bytes start.
    QuaZipFile f(&zip);
    int method = 0, level = 0;
    if (!f.open(QIODevice::ReadOnly, &method, &level, true))
        return makeError(LoadError::Code::Corrupt, archive, name,
                         QStringLiteral("a readable local header"), zipErrorText(f.getZipError()));
    m.dataOffset = std::int64_t(unzGetCurrentFileZStreamPos64(zip.getUnzFile()));
    f.close();
    const auto size = std::uint64_t(m.archiveSize);
    if (m.dataOffset <= 0 || std::uint64_t(m.dataOffset) > size ||
        m.compressedSize > size - std::uint64_t(m.dataOffset))
        return makeError(LoadError::Code::Truncated, archive, name,
                         QStringLiteral("%1 bytes of member data from offset %2")
                             .arg(m.compressedSize)
                             .arg(m.dataOffset),
                         QStringLiteral("an archive of %1 bytes").arg(size));
    return m;
}

} // namespace

Result<std::vector<std::int64_t>> zipCrcFields(const ZipMember &m)
{
    auto bad = [&](const QString &where, const QString &expected) {
        return makeError(LoadError::Code::Corrupt, m.archive, where, expected,
                         QStringLiteral("other bytes"));
    };
    auto u16 = [](const QByteArray &b, int at) {
        return qFromLittleEndian<std::uint16_t>(b.constData() + at);
    };
    auto u32 = [](const QByteArray &b, int at) {
        return qFromLittleEndian<std::uint32_t>(b.constData() + at);
    };
    const QString entryAt = QStringLiteral("offset %1").arg(m.centralOffset);
    auto entry = readFileBytes(m.archive, m.centralOffset, 46);
    if (!entry.ok())
        return entry.error();
    if (m.centralOffset < 0 || entry->size() != 46 || u32(*entry, 0) != 0x02014b50)
        return bad(entryAt, QStringLiteral("the central directory entry of %1").arg(m.name));
    std::int64_t local = u32(*entry, 42);
    if (local == 0xffffffff) {
        // The zip64 extra field holds the sizes that overflowed, then the header offset.
        const int nameLen = u16(*entry, 28), extraLen = u16(*entry, 30);
        auto extra = readFileBytes(m.archive, m.centralOffset + 46 + nameLen, extraLen);
        if (!extra.ok())
            return extra.error();
        local = -1;
        for (int at = 0; at + 4 <= extra->size();) {
            const int id = u16(*extra, at), len = u16(*extra, at + 2);
            if (id == 1) {
                const int skip =
                    8 * ((u32(*entry, 24) == 0xffffffff) + (u32(*entry, 20) == 0xffffffff));
                if (skip + 8 <= len && at + 4 + skip + 8 <= extra->size())
                    local = qFromLittleEndian<qint64>(extra->constData() + at + 4 + skip);
                break;
            }
            at += 4 + len;
        }
        if (local < 0)
            return bad(entryAt, QStringLiteral("a zip64 local header offset for %1").arg(m.name));
    }
    auto header = readFileBytes(m.archive, local, 30);
    if (!header.ok())
        return header.error();
    if (header->size() != 30 || u32(*header, 0) != 0x04034b50)
        return bad(QStringLiteral("offset %1").arg(local),
                   QStringLiteral("the local header of %1").arg(m.name));
    std::vector<std::int64_t> fields{m.centralOffset + 16};
    // With flag bit 3 the local header's CRC stays zero; the descriptor after the data has it.
    if (!(u16(*header, 6) & 0x8)) {
        fields.push_back(local + 14);
    } else {
        const std::int64_t after = m.dataOffset + std::int64_t(m.compressedSize);
        auto d = readFileBytes(m.archive, after, 4);
        if (!d.ok())
            return d.error();
        if (d->size() != 4)
            return bad(QStringLiteral("offset %1").arg(after),
                       QStringLiteral("the data descriptor of %1").arg(m.name));
        fields.push_back(u32(*d, 0) == 0x08074b50 ? after + 4 : after);
    }
    return fields;
}

Result<std::vector<std::pair<std::int64_t, QByteArray>>>
zipCrcPatches(const QString &archive, std::vector<std::pair<std::int64_t, QByteArray>> patches,
              const JobContext &job)
{
    std::sort(patches.begin(), patches.end(),
              [](const auto &x, const auto &y) { return x.first < y.first; });
    QuaZip zip(archive);
    auto members = openZipMembers(zip, archive);
    if (!members.ok())
        return members.error();
    QFile in(archive);
    if (!in.open(QIODevice::ReadOnly))
        return makeError(LoadError::Code::Unreadable, archive, {}, {}, {}, in.errorString());
    // The CRC-32 of the archive's bytes [from, to), continuing `crc`.
    auto crcOfRange = [&](std::uint32_t crc, std::int64_t from,
                          std::int64_t to) -> Result<std::uint32_t> {
        constexpr std::int64_t kPiece = std::int64_t(8) << 20;
        in.seek(from);
        while (from < to) {
            if (job.cancelled())
                return makeError(LoadError::Code::Cancelled, archive, {}, {});
            const QByteArray piece = in.read(std::min(kPiece, to - from));
            if (piece.isEmpty())
                return makeError(LoadError::Code::Truncated, archive,
                                 QStringLiteral("offset %1").arg(from), {}, {}, in.errorString());
            crc = crc32_gzip_refl(crc, reinterpret_cast<const unsigned char *>(piece.constData()),
                                  std::uint64_t(piece.size()));
            from += piece.size();
        }
        return crc;
    };
    std::vector<std::pair<std::int64_t, QByteArray>> out;
    for (const auto &m : *members) {
        const std::int64_t begin = m.dataOffset;
        const std::int64_t end = begin + std::int64_t(m.compressedSize);
        std::uint32_t crc = 0;
        std::int64_t at = begin;
        bool touched = false;
        for (const auto &[offset, bytes] : patches) {
            if (offset < begin || offset + bytes.size() > end)
                continue;
            if (m.method != 0)
                return makeError(LoadError::Code::Unsupported, archive, m.name,
                                 QStringLiteral("a stored member"),
                                 QStringLiteral("compression method %1").arg(m.method));
            touched = true;
            auto before = crcOfRange(crc, at, offset);
            if (!before.ok())
                return before.error();
            crc =
                crc32_gzip_refl(*before, reinterpret_cast<const unsigned char *>(bytes.constData()),
                                std::uint64_t(bytes.size()));
            at = offset + bytes.size();
        }
        if (!touched)
            continue;
        auto all = crcOfRange(crc, at, end);
        if (!all.ok())
            return all.error();
        auto fields = zipCrcFields(m);
        if (!fields.ok())
            return fields.error();
        char le[4];
        qToLittleEndian<std::uint32_t>(*all, le);
        for (const auto f : *fields)
            out.emplace_back(f, QByteArray(le, 4));
    }
    return out;
}

Result<std::vector<ZipMember>> openZipMembers(QuaZip &zip, const QString &archive)
{
    if (!zip.open(QuaZip::mdUnzip))
        return makeError(LoadError::Code::Corrupt, archive, QStringLiteral("central directory"),
                         QStringLiteral("a zip archive"), zipErrorText(zip.getZipError()));
    return listZipMembers(zip, archive);
}

Result<ZipMember> findZipMember(QuaZip &zip, const QString &archive, const QString &name)
{
    if (!zip.setCurrentFile(name, QuaZip::csSensitive))
        return makeError(LoadError::Code::Corrupt, archive, name, QStringLiteral("a member"),
                         QStringLiteral("none"));
    return currentMember(zip, archive, name);
}

Result<std::vector<ZipMember>> listZipMembers(QuaZip &zip, const QString &archive,
                                              std::size_t maxMembers)
{
    std::vector<ZipMember> out;
    for (bool more = zip.goToFirstFile(); more; more = zip.goToNextFile()) {
        if (out.size() >= maxMembers)
            return makeError(
                LoadError::Code::Unsupported, archive, QStringLiteral("central directory"),
                QStringLiteral("at most %1 members").arg(maxMembers), QStringLiteral("more"));
        auto m = currentMember(zip, archive, zip.getCurrentFileName());
        if (!m.ok())
            return m.error();
        out.push_back(std::move(*m));
    }
    if (zip.getZipError() != 0)
        return makeError(LoadError::Code::Corrupt, archive, QStringLiteral("central directory"),
                         QStringLiteral("a readable list of members"),
                         zipErrorText(zip.getZipError()));
    return out;
}

Result<std::shared_ptr<const InflatedMember>> InflatedMember::inflate(const ZipMember &m,
                                                                      const JobContext &job)
{
    auto fail = [&](LoadError::Code code, const QString &expected, const QString &found,
                    const QString &detail = {}) {
        return makeError(code, m.archive, m.name, expected, found, detail);
    };
    if (m.encrypted)
        return fail(LoadError::Code::Unsupported, QStringLiteral("an unencrypted member"),
                    QStringLiteral("encrypted"));
    if (m.method != 0 && m.method != 8)
        return fail(LoadError::Code::Unsupported, QStringLiteral("a stored or deflated member"),
                    QStringLiteral("compression method %1").arg(m.method));
    if (m.method == 0 && m.compressedSize != m.uncompressedSize)
        return fail(LoadError::Code::Corrupt,
                    QStringLiteral("%1 bytes, as declared").arg(m.uncompressedSize),
                    QStringLiteral("%1 bytes stored").arg(m.compressedSize));
    const std::uint64_t declared = m.uncompressedSize;
    const std::uint64_t archiveSize = std::uint64_t(std::max<std::int64_t>(1, m.archiveSize));
    if (!job.allowLarge() && declared > std::uint64_t(kLargeInflateBytes) &&
        declared / std::uint64_t(kLargeInflateRatio) > archiveSize) {
        LoadError e = fail(LoadError::Code::TooLarge, {}, {});
        e.detail = QStringLiteral("%1 in %2 would inflate to %3 (%4x the archive)")
                       .arg(m.name, m.archive, sizeText(declared))
                       .arg(declared / archiveSize);
        return e;
    }
    if (declared > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        return fail(LoadError::Code::Unsupported, QStringLiteral("a member under 8 EiB"),
                    QStringLiteral("%1 bytes").arg(declared));

    const FileDescriptor input(
        ::open(QFile::encodeName(m.archive).constData(), O_RDONLY | O_CLOEXEC));
    const int in = input.fd;
    if (in < 0)
        return makeError(LoadError::Code::Unreadable, m.archive, {}, {}, {}, errnoText());
    std::shared_ptr<InflatedMember> out(new InflatedMember);
    out->m_label = m.archive + QLatin1Char(':') + m.name;
    const QString tempDir = QDir::tempPath();
    out->m_fd = createUnnamedFile(tempDir);
    if (out->m_fd < 0)
        return fail(LoadError::Code::WriteFailed,
                    QStringLiteral("a temporary file in %1").arg(tempDir), errnoText());

    std::vector<std::uint8_t> compressed(kBuffer), output(kBuffer);
    auto state = std::make_unique<inflate_state>();
    isal_inflate_init(state.get());
    state->crc_flag = ISAL_DEFLATE; // raw deflate; the CRC-32 is taken below
    std::uint64_t readIn = 0, produced = 0;
    std::uint32_t crc = 0;
    bool ended = false;
    // Fills `output` with up to `want` bytes and returns how many; 0 at the end of the data,
    // or with `error` set.
    std::optional<LoadError> error;
    auto next = [&](std::size_t want) -> std::size_t {
        if (m.method == 0) {
            const auto n = std::size_t(std::min<std::uint64_t>(want, m.compressedSize - readIn));
            if (n == 0) {
                ended = true;
                return 0;
            }
            if (::pread(in, output.data(), n, off_t(m.dataOffset) + off_t(readIn)) != ssize_t(n)) {
                error = fail(LoadError::Code::Unreadable, {}, {}, errnoText());
                return 0;
            }
            readIn += n;
            return n;
        }
        state->next_out = output.data();
        state->avail_out = std::uint32_t(want);
        while (state->avail_out > 0 && state->block_state != ISAL_BLOCK_FINISH) {
            if (state->avail_in == 0 && readIn < m.compressedSize) {
                const auto n =
                    std::size_t(std::min<std::uint64_t>(kBuffer, m.compressedSize - readIn));
                if (::pread(in, compressed.data(), n, off_t(m.dataOffset) + off_t(readIn)) !=
                    ssize_t(n)) {
                    error = fail(LoadError::Code::Unreadable, {}, {}, errnoText());
                    return 0;
                }
                readIn += n;
                state->next_in = compressed.data();
                state->avail_in = std::uint32_t(n);
            }
            const auto outBefore = state->avail_out;
            const auto inBefore = state->avail_in;
            if (isal_inflate(state.get()) != ISAL_DECOMP_OK) {
                error = fail(LoadError::Code::Corrupt, QStringLiteral("a valid deflate stream"),
                             QStringLiteral("corrupt deflate data after %1 bytes").arg(produced));
                return 0;
            }
            // Without new input, inflate may still flush what it holds; once it stops, that's all.
            if (state->avail_out == outBefore && state->avail_in == inBefore)
                break;
        }
        const std::size_t got = want - state->avail_out;
        if (got == 0 && state->block_state != ISAL_BLOCK_FINISH)
            error = fail(LoadError::Code::Truncated,
                         QStringLiteral("a deflate stream of %1 bytes").arg(declared),
                         QStringLiteral("compressed data that ends after %1 bytes").arg(produced));
        ended = state->block_state == ISAL_BLOCK_FINISH;
        return got;
    };

    while (produced < declared && !ended && !error) {
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, m.archive, m.name, {});
        const auto got = next(std::size_t(std::min<std::uint64_t>(kBuffer, declared - produced)));
        if (got == 0)
            continue;
        crc = crc32_gzip_refl(crc, output.data(), got);
        // Runs of zeros become holes: a bomb of zeros costs no disk.
        const bool written = allZero(output.data(), got)
                                 ? ::lseek(out->m_fd, off_t(got), SEEK_CUR) >= 0
                                 : ::write(out->m_fd, output.data(), got) == ssize_t(got);
        if (!written)
            return fail(LoadError::Code::WriteFailed,
                        QStringLiteral("room for %1 in %2").arg(sizeText(declared), tempDir),
                        errnoText());
        produced += got;
        job.progress(double(produced) / double(declared),
                     QStringLiteral("Inflating %1").arg(m.name));
    }
    // The declared size reached: anything more in the stream is data the headers do not own.
    std::uint64_t beyond = 0;
    while (!error && !ended && produced == declared && beyond <= kCountBeyond)
        beyond += next(kBuffer);
    if (error)
        return *error;
    if (produced != declared || beyond > 0) {
        const QString found = beyond > kCountBeyond
                                  ? QStringLiteral("more than %1 bytes").arg(declared + beyond)
                                  : QStringLiteral("%1 bytes").arg(produced + beyond);
        return fail(beyond > 0 ? LoadError::Code::Corrupt : LoadError::Code::Truncated,
                    QStringLiteral("%1 bytes, as declared").arg(declared),
                    found + QStringLiteral(" inflated"));
    }
    if (crc != m.crc32)
        return fail(LoadError::Code::Corrupt, QStringLiteral("data matching the stored CRC-32"),
                    QStringLiteral("CRC-32 %1 instead of %2")
                        .arg(crc, 8, 16, QLatin1Char('0'))
                        .arg(m.crc32, 8, 16, QLatin1Char('0')));
    if (::ftruncate(out->m_fd, off_t(declared)) != 0)
        return fail(LoadError::Code::WriteFailed,
                    QStringLiteral("room for %1 in %2").arg(sizeText(declared), tempDir),
                    errnoText());
    out->m_size = std::size_t(declared);
    if (out->m_size > 0) {
        void *p = ::mmap(nullptr, out->m_size, PROT_READ, MAP_SHARED, out->m_fd, 0);
        if (p == MAP_FAILED)
            return fail(LoadError::Code::Unreadable, QStringLiteral("a mapped temporary file"),
                        errnoText());
        out->m_data = static_cast<const std::uint8_t *>(p);
    }
    return std::shared_ptr<const InflatedMember>(std::move(out));
}

InflatedMember::~InflatedMember()
{
    if (m_data)
        ::munmap(const_cast<std::uint8_t *>(m_data), m_size);
    if (m_fd >= 0)
        ::close(m_fd);
}

} // namespace wl
