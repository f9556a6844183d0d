#include "tfobjectgraph.h"

#include "proto/trackable_object_graph.pb.h"
#include "tfprotoscan.h"

#include <QJsonArray>
#include <QSet>
#include <algorithm>
#include <deque>
#include <vector>

namespace wl
{
namespace
{

using Graph = tf::TrackableObjectGraph;

const QString kAttributes = QStringLiteral("/.ATTRIBUTES/");
const QString kVariableValue = QStringLiteral("VARIABLE_VALUE");

LoadError badId(const QString &file, int node, const QString &what, int id, int count)
{
    return makeError(LoadError::Code::Corrupt, file,
                     QStringLiteral("object graph node %1").arg(node),
                     QStringLiteral("%1 in 0..%2").arg(what).arg(count - 1), QString::number(id));
}

// Breadth-first from `start` over children; marks every reached node. Ids were validated.
template <class Visit> void walk(const Graph &g, int start, std::vector<char> &seen, Visit visit)
{
    std::deque<int> queue{start};
    seen[std::size_t(start)] = 1;
    while (!queue.empty()) {
        const int n = queue.front();
        queue.pop_front();
        for (const auto &child : g.nodes(n).children()) {
            const int c = child.node_id();
            if (seen[std::size_t(c)])
                continue;
            seen[std::size_t(c)] = 1;
            visit(n, c, child);
            queue.push_back(c);
        }
    }
}

// A list node (a ListWrapper): children named "0", "1", ... in order.
bool isList(const Graph &g, int n)
{
    const auto &children = g.nodes(n).children();
    for (int i = 0; i < children.size(); ++i)
        if (children[i].local_name() != std::to_string(i))
            return false;
    return !children.empty();
}

// The child `name` of node n when it is a list, else -1.
int listChild(const Graph &g, int n, const char *name)
{
    for (const auto &c : g.nodes(n).children())
        if (c.local_name() == name)
            return isList(g, c.node_id()) ? c.node_id() : -1;
    return -1;
}

// "_momentums" -> "momentum", "_velocities" -> "velocity", "_velocity_hats" -> "velocity_hat".
QString slotKindName(QString list)
{
    while (list.startsWith(QLatin1Char('_')))
        list.remove(0, 1);
    if (list.endsWith(QLatin1String("ies")))
        return list.chopped(3) + QLatin1Char('y');
    return list.endsWith(QLatin1Char('s')) ? list.chopped(1) : list;
}

} // namespace

QString escapeCheckpointKeyPart(const QString &name)
{
    QString s = name;
    s.replace(QLatin1Char('.'), QStringLiteral(".."));
    s.replace(QLatin1Char('/'), QStringLiteral(".S"));
    return s;
}

Result<ObjectGraphInfo> parseObjectGraph(QByteArrayView serializedGraph, const QString &file)
{
    Graph g;
    if (!g.ParseFromArray(serializedGraph.data(), int(serializedGraph.size()))) {
        const QString why = describeProtoDamage(serializedGraph, {{1, 2}});
        return makeError(LoadError::Code::Corrupt, file,
                         QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH"),
                         QStringLiteral("a serialized TrackableObjectGraph"),
                         QStringLiteral("bytes that do not parse"),
                         why.isEmpty() ? QStringLiteral("a nested message is malformed") : why);
    }
    const int count = g.nodes_size();
    if (count == 0)
        return makeError(LoadError::Code::Corrupt, file,
                         QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH"),
                         QStringLiteral("at least the root node"), QStringLiteral("no nodes"));

    // Validate every reference first so the walks below can index freely.
    for (int n = 0; n < count; ++n) {
        const auto &node = g.nodes(n);
        for (const auto &c : node.children())
            if (c.node_id() < 0 || c.node_id() >= count)
                return badId(file, n, QStringLiteral("child '%1' id").arg(str(c.local_name())),
                             c.node_id(), count);
        for (const auto &s : node.slot_variables()) {
            if (s.original_variable_node_id() < 0 || s.original_variable_node_id() >= count)
                return badId(
                    file, n,
                    QStringLiteral("slot '%1' original_variable_node_id").arg(str(s.slot_name())),
                    s.original_variable_node_id(), count);
            if (s.slot_variable_node_id() < 0 || s.slot_variable_node_id() >= count)
                return badId(
                    file, n,
                    QStringLiteral("slot '%1' slot_variable_node_id").arg(str(s.slot_name())),
                    s.slot_variable_node_id(), count);
        }
    }

    const auto size = std::size_t(count);
    std::vector<QString> path(size), escaped(size);
    std::vector<int> parentOf(size, -1);
    std::vector<char> reached(size, 0);
    walk(g, 0, reached, [&](int parent, int child, const tf::ObjectReference &ref) {
        const QString name = str(ref.local_name());
        const auto p = std::size_t(parent), c = std::size_t(child);
        parentOf[c] = parent;
        path[c] = parent == 0 ? name : path[p] + QLatin1Char('/') + name;
        escaped[c] = (parent == 0 ? QString() : escaped[p] + QLatin1Char('/')) +
                     escapeCheckpointKeyPart(name);
    });

    // Optimizers: nodes that own slot variables or a `_variables` list, with everything below.
    std::vector<char> underOptimizer(size, 0);
    QJsonArray optimizers;
    for (int n = 0; n < count; ++n) {
        if (g.nodes(n).slot_variables_size() == 0 && listChild(g, n, "_variables") < 0)
            continue;
        optimizers.append(path[std::size_t(n)]);
        if (!underOptimizer[std::size_t(n)])
            walk(g, n, underOptimizer, [](int, int, const tf::ObjectReference &) {});
    }

    struct SlotRef {
        int optimizer = -1, variable = -1;
        QString name;
        bool byOrder = false;
    };
    std::vector<SlotRef> slotOf(size);
    ObjectGraphInfo info;
    info.nodeCount = count;
    for (int n = 0; n < count; ++n)
        for (const auto &s : g.nodes(n).slot_variables()) {
            slotOf[std::size_t(s.slot_variable_node_id())] = {n, s.original_variable_node_id(),
                                                              str(s.slot_name())};
            ++info.slotLinks;
        }
    // Keras >= 2.11 and Keras 3 optimizers list their slots per kind (`_momentums`,
    // `_velocities`) in the order of the variables they train: the optimizer's own
    // `_trainable_variables` (Keras 3) or its owner's `trainable_variables` (Keras 2).
    for (int n = 0; n < count; ++n) {
        const int all = listChild(g, n, "_variables");
        if (all < 0 || g.nodes(n).slot_variables_size() > 0)
            continue;
        int trained = listChild(g, n, "_trainable_variables");
        if (trained >= 0) // the model's variables, not the optimizer's
            for (const auto &v : g.nodes(trained).children())
                underOptimizer[std::size_t(v.node_id())] = 0;
        else if (parentOf[std::size_t(n)] >= 0)
            trained = listChild(g, parentOf[std::size_t(n)], "trainable_variables");
        if (trained < 0)
            continue;
        const auto &vars = g.nodes(trained).children();
        QSet<int> owned;
        for (const auto &c : g.nodes(all).children())
            owned.insert(c.node_id());
        for (const auto &kind : g.nodes(n).children()) {
            const int list = kind.node_id();
            if (list == all || list == trained || !isList(g, list))
                continue;
            const auto &members = g.nodes(list).children();
            if (members.size() != vars.size() ||
                !std::all_of(members.begin(), members.end(), [&](const tf::ObjectReference &r) {
                    return owned.contains(r.node_id()) && r.node_id() != n;
                }))
                continue;
            const QString name = slotKindName(str(kind.local_name()));
            for (int i = 0; i < members.size(); ++i) {
                auto &ref = slotOf[std::size_t(members[i].node_id())];
                if (ref.optimizer >= 0)
                    continue;
                ref = {n, vars[i].node_id(), name, true};
                ++info.slotLinks;
                ++info.orderedLinks;
            }
        }
    }

    QJsonArray mismatches;
    int variableValues = 0, unreachable = 0;
    for (int n = 0; n < count; ++n) {
        const auto &node = g.nodes(n);
        const auto ni = std::size_t(n);
        const SlotRef &slot = slotOf[ni];
        if (!reached[ni] && slot.optimizer < 0 && node.attributes_size() > 0)
            ++unreachable;
        for (const auto &a : node.attributes()) {
            ObjectGraphEntry e;
            e.key = str(a.checkpoint_key());
            const QString attr = str(a.name());
            QString expectedKey;
            if (attr != kVariableValue) {
                e.role = TensorRole::Metadata;
                e.path = e.key;
                if (reached[ni])
                    expectedKey = escaped[ni] + kAttributes + escapeCheckpointKeyPart(attr);
            } else {
                ++variableValues;
                if (slot.optimizer >= 0 && !slot.byOrder) {
                    e.role = TensorRole::OptimizerSlot;
                    e.slotName = slot.name;
                    e.optimizerPath = path[std::size_t(slot.optimizer)];
                    e.slotOf = path[std::size_t(slot.variable)];
                    e.path = e.key.endsWith(kAttributes + kVariableValue)
                                 ? e.key.chopped(kAttributes.size() + kVariableValue.size())
                                 : e.key;
                    expectedKey = escaped[std::size_t(slot.variable)] +
                                  QStringLiteral("/.OPTIMIZER_SLOT/") +
                                  escaped[std::size_t(slot.optimizer)] + QLatin1Char('/') +
                                  escapeCheckpointKeyPart(slot.name) + kAttributes + kVariableValue;
                } else if (reached[ni]) {
                    e.path = path[ni];
                    expectedKey = escaped[ni] + kAttributes + kVariableValue;
                    if (slot.byOrder) {
                        e.role = TensorRole::OptimizerSlot;
                        e.slotName = slot.name;
                        e.optimizerPath = path[std::size_t(slot.optimizer)];
                        e.slotOf = path[std::size_t(slot.variable)];
                        e.linkedByOrder = true;
                    } else if (e.path == QLatin1String("save_counter"))
                        e.role = TensorRole::Metadata;
                    else if (underOptimizer[ni])
                        e.role = TensorRole::Optimizer;
                } else {
                    // Not reachable by children nor a slot: the key is all we know.
                    e.path = e.key.endsWith(kAttributes + kVariableValue)
                                 ? e.key.chopped(kAttributes.size() + kVariableValue.size())
                                 : e.key;
                }
            }
            if (!expectedKey.isEmpty() && expectedKey != e.key)
                mismatches.append(QJsonObject{{QStringLiteral("key"), e.key},
                                              {QStringLiteral("expected"), expectedKey}});
            if (!info.byKey.contains(e.key))
                info.byKey.insert(e.key, e);
        }
    }

    info.summary = QJsonObject{
        {QStringLiteral("nodes"), count},
        {QStringLiteral("variable_values"), variableValues},
        {QStringLiteral("slot_links"), info.slotLinks},
        {QStringLiteral("slot_links_by_order"), info.orderedLinks},
        {QStringLiteral("optimizers"), optimizers},
        {QStringLiteral("unreachable_nodes_with_attributes"), unreachable},
        {QStringLiteral("key_mismatches"), mismatches},
    };
    return info;
}

} // namespace wl
