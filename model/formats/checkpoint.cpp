#include "checkpoint.h"

#include "core/plural.h"
#include "io/crc32c.h"

#include <algorithm>
#include <vector>

namespace wl
{

Result<ChecksumState> streamRawLocation(const TensorInfo &t, const ChunkSink &sink,
                                        const StreamOptions &options)
{
    const auto &loc = t.location;
    const int item = std::max(1, dtypeSize(t.dtype));
    const bool checkCrc = options.verifyChecksum && loc.maskedCrc32c.has_value();
    const bool swap = loc.bigEndian && item > 1;
    const int swapUnit =
        (t.dtype == DType::Complex64 || t.dtype == DType::Complex128) ? item / 2 : item;
    std::uint32_t crc = 0;
    std::vector<std::uint8_t> swapped;
    auto st =
        streamFileRange(loc.file, loc.offset, loc.size, options.window, std::size_t(item),
                        [&](const std::uint8_t *p, std::size_t n) {
                            if (checkCrc)
                                crc = crc32cExtend(crc, p, n);
                            if (!swap)
                                return sink(p, n);
                            swapped.assign(p, p + n);
                            for (std::size_t i = 0; i + swapUnit <= n; i += swapUnit)
                                std::reverse(swapped.begin() + i, swapped.begin() + i + swapUnit);
                            return sink(swapped.data(), n);
                        });
    if (!st.ok())
        return st.error();
    if (!checkCrc)
        return ChecksumState::None;
    return crc32cMask(crc) == *loc.maskedCrc32c ? ChecksumState::Ok : ChecksumState::Mismatch;
}

Result<ChecksumState> Checkpoint::streamTensor(int i, const ChunkSink &sink,
                                               const StreamOptions &options) const
{
    if (i < 0 || i >= m_index.tensors.size())
        return makeError(LoadError::Code::BadArgument, m_index.path, QString::number(i),
                         QStringLiteral("a tensor index"));
    const auto &t = m_index.tensors[i];
    if (t.location.storage != TensorLocation::Storage::Raw)
        return makeError(LoadError::Code::Unsupported, m_index.path, t.key,
                         QStringLiteral("tensor bytes stored in the file"),
                         QStringLiteral("no stored data"));
    return streamRawLocation(t, sink, options);
}

Result<QByteArray> Checkpoint::readTensor(int i, std::int64_t maxBytes,
                                          ChecksumState *checksum) const
{
    if (i < 0 || i >= m_index.tensors.size())
        return makeError(LoadError::Code::BadArgument, m_index.path, QString::number(i),
                         QStringLiteral("a tensor index"));
    const auto &t = m_index.tensors[i];
    if (t.location.size > maxBytes)
        return makeError(LoadError::Code::Unsupported, m_index.path, t.key,
                         QStringLiteral("at most %1 bytes").arg(maxBytes),
                         counted(t.location.size, "byte"));
    QByteArray out;
    out.reserve(qsizetype(std::max<std::int64_t>(t.location.size, 0)));
    auto r = streamTensor(i, [&](const std::uint8_t *p, std::size_t n) {
        out.append(reinterpret_cast<const char *>(p), qsizetype(n));
        return true;
    });
    if (!r.ok())
        return r.error();
    if (checksum)
        *checksum = r.value();
    return out;
}

void Checkpoint::setStateFileFacts(bool latest, std::optional<double> savedAt)
{
    const bool hadTime = m_index.savedAt.has_value();
    m_index.latest = latest;
    m_index.savedAt = savedAt;
    if (savedAt && !hadTime)
        m_index.metadata.append({QStringLiteral("Saved"), m_index.savedAtText()});
}

} // namespace wl
