#pragma once

#include "core/result.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

namespace wl::savedmodel
{

// What saved_model.pb (or .pbtxt) says, as JSON for `ls --json` and text for people.
struct Document {
    qint64 schemaVersion = 0;
    QJsonArray metaGraphs; // one object per MetaGraphDef
    QString text;          // tags, versions, signatures
    // Checkpoint key -> readable path / trainable flag, from the object graph (TF2) or the
    // variable collections (TF1).
    QHash<QString, QString> pathByKey;
    QHash<QString, bool> trainableByKey;
};

// Reads a binary saved_model.pb or a text saved_model.pbtxt (by extension).
Result<Document> readDocument(const QString &path);

// fingerprint.pb: the hashes as 16-digit hex strings.
Result<QJsonObject> readFingerprint(const QString &path);

// keras_metadata.pb: one object per saved Keras object (node_path, identifier, class_name...).
Result<QJsonArray> readKerasMetadata(const QString &path);

// Files under a folder, recursively: [{"path": relative, "size": bytes}], sorted by path.
QJsonArray listFiles(const QString &dir);

} // namespace wl::savedmodel
