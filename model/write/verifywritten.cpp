#include "verifywritten.h"

#include "formats/readerregistry.h"
#include "stats/statsengine.h"

#include <QFile>

namespace wl
{

Status verifyWritten(const QString &path, const QHash<QString, QByteArray> &expected,
                     const JobContext &job)
{
    job.progress(0.85, QStringLiteral("verifying"));
    auto opened = ReaderRegistry::builtin().open(path);
    if (!opened.ok())
        return opened.error();
    if (opened->checkpoints.size() != 1)
        return makeError(LoadError::Code::WriteFailed, path, {},
                         QStringLiteral("one checkpoint read back"),
                         QString::number(opened->checkpoints.size()));
    const auto &written = *opened->checkpoints.front();
    // A header our own reader finds fault with (offsets, sizes, names) is not a valid result.
    for (const auto &p : written.index().problems)
        if (p.severity != Problem::Severity::Info)
            return makeError(LoadError::Code::WriteFailed, path, p.where,
                             QStringLiteral("a file that reads back without problems"), p.text);
    StatsRequest hash;
    hash.hash = true;
    const auto reports = computeStats(written, allTensors(written.index()), hash, job);
    if (reports.size() != expected.size())
        return makeError(LoadError::Code::WriteFailed, path, {},
                         QStringLiteral("%1 tensors read back").arg(expected.size()),
                         QString::number(reports.size()));
    for (const auto &r : reports) {
        const auto &t = written.tensor(r.tensor);
        if (!r.error.isEmpty())
            return makeError(LoadError::Code::WriteFailed, path, t.key,
                             QStringLiteral("a readable tensor"), r.error);
        if (r.checksum == ChecksumState::Mismatch || r.sha256 != expected.value(t.key))
            return makeError(
                LoadError::Code::WriteFailed, path, t.key,
                QStringLiteral("sha256 %1").arg(QString::fromLatin1(expected.value(t.key).toHex())),
                QStringLiteral("sha256 %1").arg(QString::fromLatin1(r.sha256.toHex())));
    }
    return Ok{};
}

Result<QHash<QString, QByteArray>> keepIfVerified(const QString &path, const Status &write,
                                                  const QHash<QString, QByteArray> &written,
                                                  const JobContext &job)
{
    if (!write.ok())
        return write.error();
    if (auto verified = verifyWritten(path, written, job); !verified.ok()) {
        QFile::remove(path);
        return verified.error();
    }
    return written;
}

} // namespace wl
