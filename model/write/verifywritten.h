#pragma once

#include "core/result.h"
#include "jobs/jobcontext.h"

#include <QByteArray>
#include <QHash>
#include <QString>

namespace wl
{

// Reads a written checkpoint back through the registry, as anything opening it would: it must
// open as one checkpoint without problems and hold exactly the keys of `expected`, each with
// that sha256 (of its little-endian C-order elements).
Status verifyWritten(const QString &path, const QHash<QString, QByteArray> &expected,
                     const JobContext &job = JobContext::none());

// What a writer of the single file `path` returns: the failed write's error, or once the file
// verifies (verifyWritten) the digests written; a file that does not read back as written is
// removed, not left under its name.
Result<QHash<QString, QByteArray>> keepIfVerified(const QString &path, const Status &write,
                                                  const QHash<QString, QByteArray> &written,
                                                  const JobContext &job);

} // namespace wl
