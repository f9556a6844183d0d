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

} // namespace wl
