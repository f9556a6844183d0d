#pragma once

#include "core/dtype.h"
#include "core/result.h"
#include "core/shape.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace wl
{
namespace tf
{
class MetaGraphDef;
class TensorShapeProto;
} // namespace tf

// A variable named by a MetaGraph's collections (TF1) or its VarHandleOp nodes (TF2).
struct MetaGraphVariable {
    QString key; // the variable name without ":0"
    // The key the Saver stores it under: for a part of a partitioned variable
    // ("kernel/part_0") the whole variable's name, else `key`.
    QString checkpointKey;
    bool trainable = false;
    DType dtype = DType::Invalid;
    int sourceDType = -1; // TensorFlow DataType code, -1 when no node carries it
    Shape shape;
};

struct MetaGraphInfo {
    QString tensorflowVersion;
    QStringList tags;
    int graphNodes = 0;
    int libraryFunctionNodes = 0;
    QStringList collections; // sorted names
    QList<MetaGraphVariable> variables;
    QJsonObject summary;
};

// Trainable flags by checkpoint key; a partitioned variable is trainable when a part is.
QHash<QString, bool> trainableByCheckpointKey(const MetaGraphInfo &info);

// Reads a binary `.meta` file (MetaGraphDef).
Result<MetaGraphInfo> readMetaGraphFile(const QString &path);

// The facts WeightLens shows about a MetaGraphDef; shared with the SavedModel reader.
MetaGraphInfo summarizeMetaGraph(const tf::MetaGraphDef &metaGraph);

// TensorShapeProto to Shape: unknown rank and -1 dimensions stay distinct.
Shape shapeFromProto(const tf::TensorShapeProto &shape);

} // namespace wl
