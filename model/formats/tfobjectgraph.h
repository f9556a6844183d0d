#pragma once

#include "core/result.h"
#include "core/tensorinfo.h"

#include <QByteArrayView>
#include <QHash>
#include <QJsonObject>
#include <QString>

namespace wl
{

// What the object graph says about one checkpoint key.
struct ObjectGraphEntry {
    QString key;  // checkpoint_key, exactly as stored
    QString path; // readable path ("actor/hidden1/kernel"); the key itself for metadata
    TensorRole role = TensorRole::Variable;
    QString slotName, optimizerPath, slotOf; // optimizer slots only
    // Linked by the optimizer's variable lists (Keras >= 2.11 and Keras 3 optimizers keep
    // `_variables`, `_momentums`, ... instead of slot_variables).
    bool linkedByOrder = false;
};

struct ObjectGraphInfo {
    int nodeCount = 0;
    int slotLinks = 0;    // all links, of both kinds below
    int orderedLinks = 0; // of which through an optimizer's variable lists
    QHash<QString, ObjectGraphEntry> byKey;
    QJsonObject summary; // counts, optimizer paths, key/path mismatches
};

// Decodes a serialized TrackableObjectGraph (the `_CHECKPOINTABLE_OBJECT_GRAPH` value) and
// derives readable paths and roles for its checkpoint keys. `file` names the source in errors.
Result<ObjectGraphInfo> parseObjectGraph(QByteArrayView serializedGraph, const QString &file);

// escape(s) of the checkpoint key rules: '.' -> "..", then '/' -> ".S".
QString escapeCheckpointKeyPart(const QString &name);

} // namespace wl
