#pragma once

#include "core/result.h"

#include <QString>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

namespace wl
{

// A read-only memory map of a whole file: metadata files (indexes, headers, protobufs), and
// archives whose members are read in place, so only the pages read are loaded.
class MappedFile
{
public:
    static Result<std::shared_ptr<const MappedFile>> open(const QString &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const std::uint8_t *data() const { return m_data; }
    std::size_t size() const { return m_size; }
    std::span<const std::uint8_t> bytes() const { return {m_data, m_size}; }
    const QString &path() const { return m_path; }

private:
    MappedFile() = default;
    QString m_path;
    const std::uint8_t *m_data = nullptr;
    std::size_t m_size = 0;
    void *m_map = nullptr;
};

// Receives consecutive pieces of a byte range; return false to stop early.
using ChunkSink = std::function<bool(const std::uint8_t *data, std::size_t size)>;

// Streams byte ranges of files through one page-aligned mmap window of about `window` bytes at a
// time, so resident memory stays bounded. The last file stays open and its window mapped, so a
// range that the window already holds (the next small tensor) costs no system call: mapping
// and unmapping per tensor serialises threads on the process's memory map and interrupts the
// other cores to flush their TLBs. Pieces end on multiples of `align` bytes (the element size).
// Fails if the file is shorter than the range. One per thread.
class RangeStreamer
{
public:
    RangeStreamer() = default;
    ~RangeStreamer();
    RangeStreamer(const RangeStreamer &) = delete;
    RangeStreamer &operator=(const RangeStreamer &) = delete;

    Status stream(const QString &path, std::int64_t offset, std::int64_t size, std::size_t window,
                  std::size_t align, const ChunkSink &sink);

private:
    Status openFile(const QString &path);
    void unmap();

    QString m_path;
    int m_fd = -1;
    std::int64_t m_fileSize = 0;
    void *m_map = nullptr;
    std::int64_t m_mapStart = 0; // file offset of m_map
    std::int64_t m_mapLen = 0;
};

// One range through a RangeStreamer of its own.
Status streamFileRange(const QString &path, std::int64_t offset, std::int64_t size,
                       std::size_t window, std::size_t align, const ChunkSink &sink);

// Reads up to n bytes at offset into a QByteArray (small reads: headers, footers).
Result<QByteArray> readFileBytes(const QString &path, std::int64_t offset, std::int64_t n);

} // namespace wl
