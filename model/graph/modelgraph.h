#pragma once

#include "core/result.h"

#include <QHash>
#include <QJsonObject>
#include <QSet>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <vector>

namespace wl
{
struct CheckpointIndex;
class Checkpoint;
class JobContext;
} // namespace wl

namespace wl::graph
{

// One layer (Keras) or op (GraphDef).
struct Node {
    QString id;   // unique: "dense", "outer/inner/dense", "dnn/hiddenlayer_0/MatMul"
    QString name; // the layer's name, or the op's last name segment
    QString type; // layer class or op type
    QString outputShape;
    std::int64_t params = 0;
    QStringList tensors; // checkpoint keys of its weights
    QString group;       // enclosing group path ("" at the top)
    // A variable or its read op drawn as part of the op using it: that op's index, else -1.
    int attachedTo = -1;
};

struct Edge {
    int from = 0;
    int to = 0;
    bool operator==(const Edge &) const = default;
};

struct ModelGraph {
    QString source; // the file it came from
    QString title;  // model name or "saved_model.pb: serve"
    QString kind;   // "keras" or "graphdef"
    std::vector<Node> nodes;
    std::vector<Edge> edges;

    int indexOf(const QString &id) const { return m_byId.value(id, -1); }
    // Adds a node (its id must be new) and returns its index.
    int addNode(Node n);
    // Adds an edge once; self-edges are dropped.
    void addEdge(int from, int to);
    // Every group path with its ancestors, sorted.
    QStringList groups() const;

    QJsonObject nodeJson(int i) const;
    QJsonObject edgeJson(const Edge &e) const;
    QString dot() const;

private:
    QHash<QString, int> m_byId;
    QSet<std::uint64_t> m_edgeSet;
};

// What is drawn with some groups expanded: nodes outside collapsed groups, and one item for each
// outermost collapsed group; attached nodes are not drawn.
struct VisibleGraph {
    struct Item {
        QString id; // node id, or the group path
        QString label;
        QString type; // op/layer type, or "group"
        bool group = false;
        int node = -1;       // index into nodes when not a group
        int memberCount = 0; // nodes inside a group
    };
    std::vector<Item> items;
    std::vector<Edge> edges; // between items
    int itemOfNode(int node) const
    {
        return node >= 0 && node < int(m_itemOfNode.size()) ? m_itemOfNode[std::size_t(node)] : -1;
    }
    std::vector<int> m_itemOfNode;
};
VisibleGraph collapse(const ModelGraph &g, const QSet<QString> &expanded);

// A Keras model config (model_config / config.json); `layerTable` is the checkpoint's summary
// "layers" array for output shapes and parameter counts, `index` names the weights.
Result<ModelGraph> fromKerasConfig(const QJsonObject &config, const QString &file,
                                   const CheckpointIndex *index);

// A serialized MetaGraphDef (a .meta file, or one of a SavedModel): its GraphDef and function
// library.
Result<ModelGraph> fromMetaGraphBytes(const QByteArray &bytes, const QString &file);

// The graphs at a path: a Keras .h5/.keras, a SavedModel folder or saved_model.pb, a .meta.
Result<std::vector<ModelGraph>> loadGraphs(const QString &path, const JobContext &job);

// The object graph of an object-based TF checkpoint (TF2, a SavedModel's variables), kind
// "objects": every trackable object a node named by its path of children names from the root
// (the root "(root)"), an edge to each child, each variable holding its attributes' checkpoint
// keys; a slot variable hangs off its optimizer, named like its key.
Result<ModelGraph> objectGraphOf(const Checkpoint &checkpoint);

} // namespace wl::graph
