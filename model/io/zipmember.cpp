#include "zipmember.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
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
    if (m.encrypted)
        return m;
    // Opening the member raw reads its local header; minizip then knows where its bytes start.
    QuaZipFile f(&zip);
    int method = 0, level = 0;
    if (!f.open(QIODevice::ReadOnly, &method, &level, true))
        return makeError(LoadError::Code::Corrupt, archive, name,
                         QStringLiteral("a readable local header"),
                         QStringLiteral("zip error %1").arg(f.getZipError()));
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
                         QStringLiteral("zip error %1").arg(zip.getZipError()));
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
