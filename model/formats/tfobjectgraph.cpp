#include "tfobjectgraph.h"

#include "proto/trackable_object_graph.pb.h"
#include "tfprotoscan.h"

#include <QJsonArray>
#include <deque>
#include <vector>

namespace wl
{
namespace
{

using Graph = tf::TrackableObjectGraph;

const QString kAttributes = QStringLiteral("/.ATTRIBUTES/");
const QString kVariableValue = QStringLiteral("VARIABLE_VALUE");

QString str(const std::string &s)
{
    return QString::fromStdString(s);
}

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
    std::vector<char> reached(size, 0);
    walk(g, 0, reached, [&](int parent, int child, const tf::ObjectReference &ref) {
        const QString name = str(ref.local_name());
        const auto p = std::size_t(parent), c = std::size_t(child);
        path[c] = parent == 0 ? name : path[p] + QLatin1Char('/') + name;
        escaped[c] = (parent == 0 ? QString() : escaped[p] + QLatin1Char('/')) +
                     escapeCheckpointKeyPart(name);
    });

    // Optimizers: nodes that own slot variables, with everything below them.
    std::vector<char> underOptimizer(size, 0);
    QJsonArray optimizers;
    for (int n = 0; n < count; ++n) {
        if (g.nodes(n).slot_variables_size() == 0)
            continue;
        optimizers.append(path[std::size_t(n)]);
        if (!underOptimizer[std::size_t(n)])
            walk(g, n, underOptimizer, [](int, int, const tf::ObjectReference &) {});
    }

    struct SlotRef {
        int optimizer = -1, variable = -1;
        QString name;
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
                if (slot.optimizer >= 0) {
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
                    if (e.path == QLatin1String("save_counter"))
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
        {QStringLiteral("optimizers"), optimizers},
        {QStringLiteral("unreachable_nodes_with_attributes"), unreachable},
        {QStringLiteral("key_mismatches"), mismatches},
    };
    return info;
}

} // namespace wl
