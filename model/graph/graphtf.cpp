#include "core/plural.h"
#include "formats/tfmetagraph.h"
#include "formats/tfobjectgraph.h"
#include "formats/tfprotoscan.h"
#include "modelgraph.h"
#include "proto/meta_graph.pb.h"

#include <google/protobuf/unknown_field_set.h>

#include <QHash>
#include <deque>

namespace wl::graph
{
namespace
{

bool isVariableOp(const QString &op)
{
    return op == QLatin1String("VariableV2") || op == QLatin1String("Variable") ||
           op == QLatin1String("VarHandleOp");
}

// Ops that touch a variable for bookkeeping (initialise, save, update) rather than use it.
bool isBookkeeping(const QString &op)
{
    return op.startsWith(QLatin1String("Assign")) || op.startsWith(QLatin1String("Save")) ||
           op.startsWith(QLatin1String("Restore")) || op.startsWith(QLatin1String("Apply")) ||
           op.startsWith(QLatin1String("ResourceApply")) ||
           op.startsWith(QLatin1String("ResourceSparseApply")) ||
           op.startsWith(QLatin1String("SparseApply")) ||
           op == QLatin1String("IsVariableInitialized") ||
           op == QLatin1String("VarIsInitializedOp") || op == QLatin1String("NoOp") ||
           op == QLatin1String("DestroyResourceOp");
}

// "scope/op:1" or "^scope/op" to "scope/op"; in a function, "op:output:0" to "op".
QString producerOf(const std::string &input)
{
    QString s = str(input);
    if (s.startsWith(QLatin1Char('^')))
        s.remove(0, 1);
    const int colon = s.indexOf(QLatin1Char(':'));
    return colon < 0 ? s : s.left(colon);
}

// Adds one NodeDef list (the graph, or a function's body) under `prefix`.
void addNodes(ModelGraph &g, const google::protobuf::RepeatedPtrField<tf::NodeDef> &defs,
              const QString &prefix, const QHash<QString, QString> &keyByVariable)
{
    const int first = int(g.nodes.size());
    QHash<QString, int> local;
    for (const auto &d : defs) {
        Node n;
        const QString name = str(d.name());
        n.id = prefix + name;
        const int slash = n.id.lastIndexOf(QLatin1Char('/'));
        n.group = slash < 0 ? QString() : n.id.left(slash);
        n.name = n.id.mid(slash + 1);
        n.type = str(d.op());
        if (isVariableOp(n.type))
            n.tensors << keyByVariable.value(name, name);
        // Two nodes of one name would be a broken graph; keep the first.
        if (g.indexOf(n.id) >= 0)
            continue;
        local.insert(name, g.addNode(std::move(n)));
    }
    QHash<int, QList<int>> consumers;
    for (const auto &d : defs) {
        const int to = local.value(str(d.name()), -1);
        if (to < 0)
            continue;
        for (const auto &in : d.input()) {
            const int from = local.value(producerOf(in), -1);
            if (from < 0)
                continue; // a function argument, or a name not in the graph
            consumers[from] << to;
            if (!in.empty() && in[0] != '^')
                g.addEdge(from, to);
        }
    }
    // A variable and its read ops are drawn as part of the first op that uses the value.
    for (int i = first; i < int(g.nodes.size()); ++i) {
        if (!isVariableOp(g.nodes[std::size_t(i)].type))
            continue;
        QList<int> reads, users;
        for (int c : consumers.value(i)) {
            const auto &cn = g.nodes[std::size_t(c)];
            const bool read =
                cn.type == QLatin1String("ReadVariableOp") ||
                (cn.type == QLatin1String("Identity") && cn.name == QLatin1String("read"));
            if (read)
                reads << c;
            else if (!isBookkeeping(cn.type))
                users << c;
        }
        // The value's readers first; backprop and training ops only when nothing else reads it.
        QList<int> candidates;
        for (int r : reads)
            for (int c : consumers.value(r))
                if (!isBookkeeping(g.nodes[std::size_t(c)].type) && !reads.contains(c))
                    candidates << c;
        candidates << users;
        int user = -1;
        for (const bool allowTraining : {false, true}) {
            for (int u : candidates) {
                const auto &un = g.nodes[std::size_t(u)];
                if (un.attachedTo >= 0 || isVariableOp(un.type))
                    continue;
                if (!allowTraining && (un.id.startsWith(prefix + QLatin1String("gradients/")) ||
                                       un.id.contains(QLatin1String("/gradients/"))))
                    continue;
                user = u;
                break;
            }
            if (user >= 0)
                break;
        }
        if (user < 0)
            continue; // stays a node of its own, carrying its key
        auto &v = g.nodes[std::size_t(i)];
        g.nodes[std::size_t(user)].tensors << v.tensors;
        v.attachedTo = user;
        for (int r : reads)
            if (g.nodes[std::size_t(r)].attachedTo < 0)
                g.nodes[std::size_t(r)].attachedTo = user;
    }
}

// OpDef.name (field 1): the proto here keeps the signature as unknown fields.
QString functionName(const tf::FunctionDef &fn, int index)
{
    const auto &sig = fn.signature();
    const auto &fields = sig.GetReflection()->GetUnknownFields(sig);
    for (int i = 0; i < fields.field_count(); ++i) {
        const auto &f = fields.field(i);
        if (f.number() == 1 && f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
            return str(f.length_delimited()).replace(QLatin1Char('/'), QLatin1Char('_'));
    }
    return QStringLiteral("function_%1").arg(index);
}

// A SavedModel's resource variables by name ("dense/kernel"), to the checkpoint key of their
// object ("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"): the path of children names
// from the root of its object graph, escaped as keys escape it; an optimizer slot's key is below
// its variable's ("…/.OPTIMIZER_SLOT/optimizer/m/…").
QHash<QString, QString> objectKeysOfVariables(const tf::SavedObjectGraph &og)
{
    QHash<QString, QString> out;
    const int count = og.nodes_size();
    if (count == 0)
        return out;
    std::vector<QString> path(static_cast<std::size_t>(count));
    std::vector<char> seen(std::size_t(count), 0);
    std::deque<int> queue{0};
    seen[0] = 1;
    while (!queue.empty()) {
        const int n = queue.front();
        queue.pop_front();
        for (const auto &c : og.nodes(n).children()) {
            const int child = c.node_id();
            if (child < 0 || child >= count || seen[std::size_t(child)])
                continue;
            seen[std::size_t(child)] = 1;
            const QString part = escapeCheckpointKeyPart(str(c.local_name()));
            path[std::size_t(child)] =
                n == 0 ? part : path[std::size_t(n)] + QLatin1Char('/') + part;
            queue.push_back(child);
        }
    }
    // Optimizer slots: reached through their optimizer, keyed below their variable.
    std::vector<QString> slotKey(static_cast<std::size_t>(count));
    for (int n = 0; n < count; ++n)
        for (const auto &s : og.nodes(n).slot_variables()) {
            const int var = s.original_variable_node_id(), slot = s.slot_variable_node_id();
            if (var < 0 || var >= count || slot < 0 || slot >= count || !seen[std::size_t(var)] ||
                !seen[std::size_t(n)])
                continue;
            slotKey[std::size_t(slot)] = path[std::size_t(var)] +
                                         QStringLiteral("/.OPTIMIZER_SLOT/") +
                                         path[std::size_t(n)] + QLatin1Char('/') +
                                         escapeCheckpointKeyPart(str(s.slot_name()));
        }
    for (int n = 1; n < count; ++n) {
        const auto &obj = og.nodes(n);
        if (obj.kind_case() != tf::SavedObject::kVariable)
            continue;
        if (!seen[std::size_t(n)] && slotKey[std::size_t(n)].isEmpty())
            continue;
        if (!seen[std::size_t(n)])
            path[std::size_t(n)] = slotKey[std::size_t(n)];
        QString name = str(obj.variable().name());
        if (name.endsWith(QLatin1String(":0")))
            name.chop(2);
        if (!name.isEmpty() && !out.contains(name))
            out.insert(name, path[std::size_t(n)] + QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE"));
    }
    return out;
}

} // namespace

ModelGraph fromMetaGraph(const tf::MetaGraphDef &mg, const QString &file, const QString &title)
{
    ModelGraph g;
    g.source = file;
    g.kind = QStringLiteral("graphdef");
    g.title = title;
    QHash<QString, QString> keyByVariable;
    for (const auto &v : summarizeMetaGraph(mg).variables)
        keyByVariable.insert(v.key, v.checkpointKey);
    // A SavedModel's variables are stored under their object's key.
    keyByVariable.insert(objectKeysOfVariables(mg.object_graph_def()));
    g.nodes.reserve(std::size_t(mg.graph_def().node_size()));
    addNodes(g, mg.graph_def().node(), {}, keyByVariable);
    // Functions (tf.function bodies, while loops) each become a group of their own.
    int k = 0;
    for (const auto &fn : mg.graph_def().library().function()) {
        addNodes(g, fn.node_def(), QStringLiteral("(functions)/%1/").arg(functionName(fn, k)), {});
        ++k;
    }
    // An op named like a scope ("Reshape" beside "Reshape/shape") goes into that scope, so that
    // collapsed it is one item, as TensorBoard draws it.
    const QStringList groups = g.groups();
    const QSet<QString> groupSet(groups.begin(), groups.end());
    for (auto &n : g.nodes)
        if (groupSet.contains(n.id))
            n.group = n.id;
    return g;
}

Result<ModelGraph> fromMetaGraphBytes(const QByteArray &bytes, const QString &file)
{
    const QString why =
        describeProtoDamage(bytes, {{1, 2}, {2, 2}, {3, 2}, {4, 2}, {5, 2}, {6, 2}, {7, 2}});
    tf::MetaGraphDef mg;
    if (!why.isEmpty() || !mg.ParseFromArray(bytes.constData(), int(bytes.size())))
        return makeError(LoadError::Code::Corrupt, file, {},
                         QStringLiteral("a binary MetaGraphDef"),
                         QStringLiteral("bytes that do not parse"),
                         why.isEmpty() ? QStringLiteral("a nested message is malformed") : why);
    return fromMetaGraph(mg, file, QFileInfo(file).fileName());
}

} // namespace wl::graph
