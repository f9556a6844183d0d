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

// Streams [offset, offset+size) of a file through page-aligned mmap windows of at most
// `window` bytes, each unmapped after use, so resident memory stays bounded. Pieces end on
// multiples of `align` bytes (the element size). Fails if the file is shorter than the range.
Status streamFileRange(const QString &path, std::int64_t offset, std::int64_t size,
                       std::size_t window, std::size_t align, const ChunkSink &sink);

// Reads up to n bytes at offset into a QByteArray (small reads: headers, footers).
Result<QByteArray> readFileBytes(const QString &path, std::int64_t offset, std::int64_t n);

} // namespace wl
