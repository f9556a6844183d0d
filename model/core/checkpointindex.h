#pragma once

#include "problem.h"
#include "result.h"
#include "tensorinfo.h"

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QVector>

#include <vector>

namespace wl
{

struct StorageOverlap {
    std::int64_t bytes = 0;
    std::int64_t values = 0;
};
// Per tensor, the bytes and values that earlier tensors of the list viewing the same storage
// already cover: totals leave them out, so tied weights and views count once.
std::vector<StorageOverlap> storageOverlaps(const QList<const TensorInfo *> &tensors);

// Everything an open reads about one checkpoint: metadata only, never tensor payloads.
struct CheckpointIndex {
    QString path;        // what identifies it on disk: prefix, file, or directory
    QString displayName; // short name: "ckpt-9", "model.h5"
    QString readerId;    // "tf-bundle", "keras-h5", ...
    QString formatName;  // "TensorFlow checkpoint (V2 bundle)"
    QString subtype;     // e.g. "object-based", "name-based (TF1 Saver)"
    QVector<TensorInfo> tensors;
    QList<QPair<QString, QString>> metadata; // shown in the Overview, printed by `ls`
    QJsonObject summary; // format-specific structure: layer table, signatures, object graph
    QString summaryText; // the same for people: printed by `ls`, shown in the Overview
    Problems problems;
    std::optional<std::int64_t> step; // training step or save counter when known
    // From the `checkpoint` state file of its own folder: the newest it names, and when it was
    // saved (seconds since the epoch).
    bool latest = false;
    std::optional<double> savedAt;

    int indexOfKey(const QString &key) const;
    // Bytes and values of all tensors, a storage several of them view counted once.
    std::int64_t totalBytes() const;
    std::int64_t totalValues() const;
    // storageOverlaps() of all tensors.
    std::vector<StorageOverlap> overlaps() const;
    // The keys of the other tensors viewing tensor i's storage.
    QStringList aliasesOf(int i) const;
    // The same for people: the first `shown` keys, then how many more; empty when none.
    QString aliasesText(int i, int shown = 8) const;
    // savedAt in local time ("2025-06-10 12:37:52"); empty when unknown.
    QString savedAtText() const;
};

// A tensor's read error as a message naming its file and the tensor once each, whichever of
// them the reader's error already gives (an HDF5 error is at the dataset's path, a bundle's at a
// shard offset).
QString tensorError(LoadError e, const CheckpointIndex &index, const TensorInfo &t);

} // namespace wl
