#pragma once

#include "core/result.h"

#include <QString>
#include <functional>

class QFileDevice;

namespace wl
{

// Writes `path` through a temporary file in the same folder, fsyncs it and renames it into
// place, so readers never see a half-written file and an existing file is never modified in
// place. Refuses to replace an existing file unless `overwrite` is set.
Status writeFileAtomically(const QString &path, const std::function<Status(QFileDevice &)> &body,
                           bool overwrite = false);

// Writes `bytes` as writeFileAtomically does, then reads the file back and checks that it
// holds exactly those bytes.
Status writeBytesAtomically(const QString &path, const QByteArray &bytes, bool overwrite = false);

} // namespace wl
