#include "atomicfile.h"

#include <QFileInfo>
#include <QSaveFile>

namespace wl
{

Status writeFileAtomically(const QString &path, const std::function<Status(QFileDevice &)> &body,
                           bool overwrite)
{
    if (!overwrite && QFileInfo::exists(path))
        return makeError(LoadError::Code::WriteFailed, path, {}, QStringLiteral("a new file"),
                         QStringLiteral("an existing file"));
    // QSaveFile writes a temporary sibling, fsyncs on commit and renames over the target.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(LoadError::Code::WriteFailed, path, {}, {}, {}, file.errorString());
    auto st = body(file);
    if (!st.ok()) {
        file.cancelWriting();
        return st;
    }
    if (!file.commit())
        return makeError(LoadError::Code::WriteFailed, path, {}, {}, {}, file.errorString());
    return Ok{};
}

} // namespace wl
