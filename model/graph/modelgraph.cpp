#include "modelgraph.h"

#include <QJsonArray>

namespace wl::graph
{

int ModelGraph::addNode(Node n)
{
    const int i = int(nodes.size());
    m_byId.insert(n.id, i);
    nodes.push_back(std::move(n));
    return i;
}

void ModelGraph::addEdge(int from, int to)
{
    if (from == to || from < 0 || to < 0)
        return;
    const auto key = (std::uint64_t(std::uint32_t(from)) << 32) | std::uint32_t(to);
    if (m_edgeSet.contains(key))
        return;
    m_edgeSet.insert(key);
    edges.push_back({from, to});
}

QStringList ModelGraph::groups() const
{
    QSet<QString> all;
    for (const auto &n : nodes) {
        QString g = n.group;
        while (!g.isEmpty() && !all.contains(g)) {
            all.insert(g);
            const int slash = g.lastIndexOf(QLatin1Char('/'));
            g = slash < 0 ? QString() : g.left(slash);
        }
    }
    QStringList out(all.begin(), all.end());
    out.sort();
    return out;
}

QJsonObject ModelGraph::nodeJson(int i) const
{
    const auto &n = nodes[std::size_t(i)];
    QJsonObject o{{"id", n.id},
                  {"name", n.name},
                  {"type", n.type},
                  {"output_shape", n.outputShape.isEmpty() ? QJsonValue() : n.outputShape},
                  {"params", double(n.params)},
                  {"tensors", QJsonArray::fromStringList(n.tensors)},
                  {"group", n.group}};
    if (n.attachedTo >= 0)
        o.insert("attached_to", nodes[std::size_t(n.attachedTo)].id);
    return o;
}

QJsonObject ModelGraph::edgeJson(const Edge &e) const
{
    return {{"from", nodes[std::size_t(e.from)].id}, {"to", nodes[std::size_t(e.to)].id}};
}

namespace
{

QString escaped(const QString &s)
{
    QString q = s;
    q.replace(QLatin1Char('\\'), QLatin1String("\\\\"))
        .replace(QLatin1Char('"'), QLatin1String("\\\""));
    return q;
}

QString quoted(const QString &s)
{
    return QLatin1Char('"') + escaped(s) + QLatin1Char('"');
}

} // namespace

QString ModelGraph::dot() const
{
    // Groups become nested clusters so that Graphviz draws the scopes.
    QHash<QString, QList<int>> byGroup;
    for (int i = 0; i < int(nodes.size()); ++i)
        if (nodes[std::size_t(i)].attachedTo < 0)
            byGroup[nodes[std::size_t(i)].group] << i;
    const QStringList all = groups();
    QHash<QString, QStringList> children;
    for (const auto &g : all) {
        const int slash = g.lastIndexOf(QLatin1Char('/'));
        children[slash < 0 ? QString() : g.left(slash)] << g;
    }
    QString out =
        QStringLiteral("digraph %1 {\n  rankdir=TB;\n  node [shape=box];\n").arg(quoted(title));
    int cluster = 0;
    std::function<void(const QString &, int)> writeGroup = [&](const QString &group, int depth) {
        const QString pad(2 * depth, QLatin1Char(' '));
        for (int i : byGroup.value(group)) {
            const auto &n = nodes[std::size_t(i)];
            // DOT's own line break "\\n" goes between the escaped parts.
            QString label = escaped(n.name) + QStringLiteral("\\n") + escaped(n.type);
            if (!n.outputShape.isEmpty())
                label += QStringLiteral("\\n") + escaped(n.outputShape);
            out += pad + quoted(n.id) + QStringLiteral(" [label=\"") + label +
                   QStringLiteral("\"];\n");
        }
        for (const auto &c : children.value(group)) {
            out += pad + QStringLiteral("subgraph cluster_%1 {\n").arg(cluster++);
            out += pad + QStringLiteral("  label=") + quoted(c.mid(c.lastIndexOf('/') + 1)) +
                   QStringLiteral(";\n");
            writeGroup(c, depth + 1);
            out += pad + QStringLiteral("}\n");
        }
    };
    writeGroup(QString(), 1);
    for (const auto &e : edges) {
        const auto &a = nodes[std::size_t(e.from)], &b = nodes[std::size_t(e.to)];
        if (a.attachedTo < 0 && b.attachedTo < 0)
            out += QStringLiteral("  %1 -> %2;\n").arg(quoted(a.id), quoted(b.id));
    }
    out += QStringLiteral("}\n");
    return out;
}

VisibleGraph collapse(const ModelGraph &g, const QSet<QString> &expanded)
{
    VisibleGraph v;
    v.m_itemOfNode.assign(g.nodes.size(), -1);
    QHash<QString, int> groupItem;
    // The outermost collapsed ancestor of a group path, or "" when all are expanded.
    QHash<QString, QString> collapsedOf;
    auto outermostCollapsed = [&](const QString &group) -> QString {
        auto it = collapsedOf.constFind(group);
        if (it != collapsedOf.constEnd())
            return *it;
        QString found;
        int from = 0;
        while (from <= group.size() && !group.isEmpty()) {
            int slash = group.indexOf(QLatin1Char('/'), from);
            if (slash < 0)
                slash = int(group.size());
            const QString prefix = group.left(slash);
            if (!expanded.contains(prefix)) {
                found = prefix;
                break;
            }
            from = slash + 1;
        }
        collapsedOf.insert(group, found);
        return found;
    };
    for (int i = 0; i < int(g.nodes.size()); ++i) {
        const auto &n = g.nodes[std::size_t(i)];
        if (n.attachedTo >= 0)
            continue;
        const QString c = outermostCollapsed(n.group);
        if (c.isEmpty()) {
            v.m_itemOfNode[std::size_t(i)] = int(v.items.size());
            v.items.push_back({n.id, n.name, n.type, false, i, 0});
            continue;
        }
        auto it = groupItem.find(c);
        if (it == groupItem.end()) {
            it = groupItem.insert(c, int(v.items.size()));
            v.items.push_back({c, c.mid(c.lastIndexOf(QLatin1Char('/')) + 1),
                               QStringLiteral("group"), true, -1, 0});
        }
        v.items[std::size_t(*it)].memberCount++;
        v.m_itemOfNode[std::size_t(i)] = *it;
    }
    // Attached nodes stand for the op that uses them.
    for (int i = 0; i < int(g.nodes.size()); ++i) {
        const int a = g.nodes[std::size_t(i)].attachedTo;
        if (a >= 0)
            v.m_itemOfNode[std::size_t(i)] = v.m_itemOfNode[std::size_t(a)];
    }
    QSet<std::uint64_t> seen;
    for (const auto &e : g.edges) {
        if (g.nodes[std::size_t(e.from)].attachedTo >= 0 ||
            g.nodes[std::size_t(e.to)].attachedTo >= 0)
            continue;
        const int a = v.m_itemOfNode[std::size_t(e.from)], b = v.m_itemOfNode[std::size_t(e.to)];
        if (a < 0 || b < 0 || a == b)
            continue;
        const auto key = (std::uint64_t(std::uint32_t(a)) << 32) | std::uint32_t(b);
        if (seen.contains(key))
            continue;
        seen.insert(key);
        v.edges.push_back({a, b});
    }
    return v;
}

} // namespace wl::graph
