#pragma once

#include "core/result.h"
#include "jobs/jobcontext.h"

#include <QByteArray>
#include <QString>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

class QuaZip;

namespace wl
{

// A zip member as its central directory and local header describe it. Sizes are 64-bit
// throughout (zip64).
struct ZipMember {
    QString archive; // the archive's path
    std::int64_t archiveSize = 0;
    QString name;
    int method = 0; // 0 stored, 8 deflated
    bool encrypted = false;
    std::uint32_t crc32 = 0;
    std::int64_t dataOffset = 0; // first byte of its stored or compressed data in the archive
    std::uint64_t compressedSize = 0;
    std::uint64_t uncompressedSize = 0;
    std::int64_t centralOffset = -1; // its central directory entry
};

// The offsets of the 4-byte CRC-32 fields that describe member m: its central directory
// entry's, and its local header's or, where that defers to one (flag bit 3), its data
// descriptor's. A writer that changes a stored member's bytes rewrites them all.
Result<std::vector<std::int64_t>> zipCrcFields(const ZipMember &m);

// For bytes to be written over parts of an archive's stored members, (offset, bytes) each: the
// 4-byte writes to the CRC-32 fields that make the archive describe its changed members.
Result<std::vector<std::pair<std::int64_t, QByteArray>>>
zipCrcPatches(const QString &archive, std::vector<std::pair<std::int64_t, QByteArray>> patches,
              const JobContext &job);

// The member `name` of an open archive, made current in `zip`. An error names the archive and
// the member when it is missing or its data lies outside the archive.
Result<ZipMember> findZipMember(QuaZip &zip, const QString &archive, const QString &name);

// Every member of an open archive in central-directory order, each with its data offset
// checked against the archive's size. Refuses archives of more than maxMembers.
Result<std::vector<ZipMember>> listZipMembers(QuaZip &zip, const QString &archive,
                                              std::size_t maxMembers = 1'000'000);

// Opens `zip` (made on the archive's path) for reading and lists its members as listZipMembers.
Result<std::vector<ZipMember>> openZipMembers(QuaZip &zip, const QString &archive);

// What a QuaZip / minizip error code means, for error messages.
QString zipErrorText(int code);

// A few kilobytes of deflate can declare terabytes: inflating more than kLargeInflateRatio times
// the archive's size and more than kLargeInflateBytes needs JobContext::allowLarge().
inline constexpr std::int64_t kLargeInflateRatio = 20;
inline constexpr std::int64_t kLargeInflateBytes = std::int64_t(1) << 30;

// A member inflated (or copied, if stored) into an unnamed temporary file in QDir::tempPath()
// and mapped read-only. The file has no name from the start, so it disappears when this
// closes, however the process ends; fd() can be handed to another process.
class InflatedMember
{
public:
    // Streams the member through a small buffer, stopping at its declared size; the inflated
    // size must equal the declared one and the CRC-32 must match. Refused with
    // LoadError::Code::TooLarge above the limit unless job.allowLarge().
    static Result<std::shared_ptr<const InflatedMember>> inflate(const ZipMember &member,
                                                                 const JobContext &job);
    ~InflatedMember();
    InflatedMember(const InflatedMember &) = delete;
    InflatedMember &operator=(const InflatedMember &) = delete;

    const std::uint8_t *data() const { return m_data; }
    std::size_t size() const { return m_size; }
    int fd() const { return m_fd; }
    // "archive:member", for errors.
    const QString &label() const { return m_label; }

private:
    InflatedMember() = default;
    int m_fd = -1;
    const std::uint8_t *m_data = nullptr;
    std::size_t m_size = 0;
    QString m_label;
};

} // namespace wl
