#pragma once

#include "core/checkpointindex.h"

#include <QDir>
#include <QFileInfo>
#include <QList>
#include <QStringList>

namespace wl
{

// Checkpoints of several folders (runs in sub-folders) share names: each is named by its folder
// relative to the folders' common ancestor, the run node the tree shows it under.
inline QStringList checkpointNames(const QList<const CheckpointIndex *> &checkpoints)
{
    QStringList dirs;
    for (const CheckpointIndex *idx : checkpoints)
        dirs << QFileInfo(idx->path).path();
    QStringList common = dirs.value(0).split(QLatin1Char('/'));
    for (const QString &dir : dirs) {
        const QStringList parts = dir.split(QLatin1Char('/'));
        qsizetype n = 0;
        while (n < common.size() && n < parts.size() && common[n] == parts[n])
            ++n;
        common.resize(n);
    }
    // Absolute paths with only the root in common join to "", which QDir would take for ".".
    const QString joined = common.join(QLatin1Char('/'));
    const QDir base(joined.isEmpty() && dirs.value(0).startsWith(QLatin1Char('/'))
                        ? QStringLiteral("/")
                        : joined);
    QStringList names;
    for (qsizetype i = 0; i < checkpoints.size(); ++i) {
        const QString rel = base.relativeFilePath(dirs[i]);
        const QString &name = checkpoints[i]->displayName;
        names << (rel.isEmpty() || rel == QLatin1String(".") ? name
                                                             : rel + QLatin1Char('/') + name);
    }
    return names;
}

} // namespace wl
