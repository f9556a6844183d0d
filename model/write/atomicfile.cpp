#include "atomicfile.h"

#include <QFile>
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

Status writeBytesAtomically(const QString &path, const QByteArray &bytes, bool overwrite)
{
    auto st = writeFileAtomically(
        path,
        [&](QFileDevice &f) -> Status {
            if (f.write(bytes) != bytes.size())
                return makeError(LoadError::Code::WriteFailed, path, {}, {}, {}, f.errorString());
            return Ok{};
        },
        overwrite);
    if (!st.ok())
        return st;
    QFile back(path);
    if (!back.open(QIODevice::ReadOnly) || back.readAll() != bytes)
        return makeError(LoadError::Code::WriteFailed, path, {}, {}, {},
                         QStringLiteral("the written file reads back different"));
    return Ok{};
}

} // namespace wl
