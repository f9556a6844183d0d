#include "reader.h"

#include <QFileInfo>

namespace wl
{

OpenResult singleCheckpoint(const QString &path, const QString &readerId,
                            std::shared_ptr<Checkpoint> checkpoint, QStringList consumedFiles)
{
    OpenResult r;
    r.path = path;
    r.kind = QStringLiteral("checkpoint");
    r.readerId = readerId;
    r.consumedFiles = consumedFiles.isEmpty() ? QStringList{QFileInfo(path).absoluteFilePath()}
                                              : std::move(consumedFiles);
    r.latest = checkpoint->index().displayName;
    r.checkpoints.push_back(std::move(checkpoint));
    return r;
}

} // namespace wl
