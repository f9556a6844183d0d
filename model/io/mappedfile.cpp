#include "mappedfile.h"

#include "core/plural.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <numeric>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wl
{
namespace
{

struct Fd {
    int fd = -1;
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

LoadError openError(const QString &path)
{
    int err = errno;
    auto code = err == ENOENT ? LoadError::Code::NotFound : LoadError::Code::Unreadable;
    return makeError(code, path, {}, {}, {}, QString::fromLocal8Bit(std::strerror(err)));
}

std::size_t pageSize()
{
    static const std::size_t p = std::size_t(::sysconf(_SC_PAGESIZE));
    return p;
}

} // namespace

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const QString &path)
{
    Fd f;
    f.fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0)
        return openError(path);
    struct stat st {
    };
    if (::fstat(f.fd, &st) != 0)
        return openError(path);
    if (S_ISDIR(st.st_mode))
        return makeError(LoadError::Code::Unreadable, path, {}, QStringLiteral("a file"),
                         QStringLiteral("a directory"));
    std::shared_ptr<MappedFile> m(new MappedFile);
    m->m_path = path;
    m->m_size = std::size_t(st.st_size);
    if (m->m_size == 0)
        return std::shared_ptr<const MappedFile>(std::move(m));
    void *p = ::mmap(nullptr, m->m_size, PROT_READ, MAP_PRIVATE, f.fd, 0);
    if (p == MAP_FAILED)
        return openError(path);
    m->m_map = p;
    m->m_data = static_cast<const std::uint8_t *>(p);
    return std::shared_ptr<const MappedFile>(std::move(m));
}

MappedFile::~MappedFile()
{
    if (m_map)
        ::munmap(m_map, m_size);
}

RangeStreamer::~RangeStreamer()
{
    unmap();
    if (m_fd >= 0)
        ::close(m_fd);
}

void RangeStreamer::unmap()
{
    if (m_map)
        ::munmap(m_map, std::size_t(m_mapLen));
    m_map = nullptr;
    m_mapLen = 0;
}

Status RangeStreamer::openFile(const QString &path)
{
    if (m_fd >= 0 && path == m_path)
        return Ok{};
    unmap();
    if (m_fd >= 0)
        ::close(m_fd);
    m_path.clear();
    m_fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0)
        return openError(path);
    struct stat st {
    };
    if (::fstat(m_fd, &st) != 0) {
        const auto e = openError(path);
        ::close(m_fd);
        m_fd = -1;
        return e;
    }
    m_path = path;
    m_fileSize = st.st_size;
    return Ok{};
}

Status RangeStreamer::stream(const QString &path, std::int64_t offset, std::int64_t size,
                             std::size_t window, std::size_t align, const ChunkSink &sink)
{
    if (offset < 0 || size < 0)
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("offset %1").arg(offset),
                         QStringLiteral("a non-negative byte range"),
                         QStringLiteral("size %1").arg(size));
    if (size == 0)
        return Ok{};
    if (auto st = openFile(path); !st.ok())
        return st;
    if (offset > m_fileSize || size > m_fileSize - offset)
        return makeError(LoadError::Code::Truncated, path, QStringLiteral("offset %1").arg(offset),
                         counted(size, "byte"), QStringLiteral("file ends at %1").arg(m_fileSize));
    if (align == 0)
        align = 1;
    const std::size_t page = pageSize();
    window = std::max(window, page * 4);
    window -= window % (align * page / std::gcd(align, page));
    if (window == 0)
        window = align * page / std::gcd(align, page);

    std::int64_t done = 0;
    while (done < size) {
        const std::int64_t pos = offset + done;
        const std::int64_t rest = size - done;
        // The mapped window serves if it holds as much of the range as a fresh one would.
        const std::int64_t want = std::min(rest, std::int64_t(window - page));
        if (!m_map || pos < m_mapStart || pos + want > m_mapStart + m_mapLen) {
            unmap();
            const std::int64_t start = pos - pos % std::int64_t(page);
            const std::int64_t len =
                std::min(std::int64_t(pos - start) + std::int64_t(window), m_fileSize - start);
            // No MAP_POPULATE: faults map whole page-cache folios at once, populating walks
            // page by page and took three times as long on a warm 1 GiB file.
            void *p = ::mmap(nullptr, std::size_t(len), PROT_READ, MAP_PRIVATE, m_fd, off_t(start));
            if (p == MAP_FAILED)
                return openError(path);
            ::madvise(p, std::size_t(len), MADV_SEQUENTIAL);
            // Page-cache folios read through this mapping are then 2 MiB, whatever the device's
            // readahead: a warm file is later mapped with one fault per 2 MiB instead of per
            // 64 KiB (1 GiB: about 500 faults instead of 16 000).
            ::madvise(p, std::size_t(len), MADV_HUGEPAGE);
            m_map = p;
            m_mapStart = start;
            m_mapLen = len;
        }
        std::int64_t n = std::min(rest, m_mapStart + m_mapLen - pos);
        if (n < rest)
            n -= n % std::int64_t(align);
        if (n == 0) { // the window ends inside an element: start the next one here
            unmap();
            continue;
        }
        if (!sink(static_cast<const std::uint8_t *>(m_map) + (pos - m_mapStart), std::size_t(n)))
            break;
        done += n;
    }
    return Ok{};
}

Status streamFileRange(const QString &path, std::int64_t offset, std::int64_t size,
                       std::size_t window, std::size_t align, const ChunkSink &sink)
{
    RangeStreamer streamer;
    return streamer.stream(path, offset, size, window, align, sink);
}

Result<QByteArray> readFileBytes(const QString &path, std::int64_t offset, std::int64_t n)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError(f.exists() ? LoadError::Code::Unreadable : LoadError::Code::NotFound, path,
                         {}, {}, {}, f.errorString());
    if (offset < 0)
        offset = std::max<std::int64_t>(0, f.size() + offset);
    if (!f.seek(offset))
        return makeError(LoadError::Code::Truncated, path, QStringLiteral("offset %1").arg(offset),
                         QStringLiteral("readable bytes"), {}, f.errorString());
    return f.read(n);
}

} // namespace wl
