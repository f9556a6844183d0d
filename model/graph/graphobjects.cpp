#include "core/checkpointindex.h"
#include "formats/checkpoint.h"
#include "formats/tfbundle.h"
#include "formats/tfbundleopen.h"
#include "formats/tfobjectgraph.h"
#include "formats/tfprotoscan.h"
#include "jobs/jobcontext.h"
#include "modelgraph.h"
#include "proto/trackable_object_graph.pb.h"

#include <deque>

namespace wl::graph
{
namespace
{

constexpr std::int64_t kMaxObjectGraphBytes = std::int64_t(1) << 30;

const QString kObjectRoot = QStringLiteral("(root)");

Result<ModelGraph> fromObjectGraph(QByteArrayView serialized, const QString &file,
                                   const QString &title)
{
    // Validates the references and names the keys as the tree does.
    auto info = parseObjectGraph(serialized, file);
    if (!info)
        return info.error();
    tf::TrackableObjectGraph og;
    og.ParseFromArray(serialized.data(), int(serialized.size()));
    const int count = og.nodes_size();
    ModelGraph g;
    g.source = file;
    g.kind = QStringLiteral("objects");
    g.title = title;
    // Breadth-first from the root: an object's id is the first path that reaches it.
    std::vector<QString> path(static_cast<std::size_t>(count));
    std::vector<int> nodeOf(std::size_t(count), -1);
    std::deque<int> queue{0};
    path[0] = kObjectRoot;
    std::vector<std::pair<int, int>> links; // object ids: parent, child
    std::vector<char> seen(std::size_t(count), 0);
    seen[0] = 1;
    while (!queue.empty()) {
        const int n = queue.front();
        queue.pop_front();
        for (const auto &c : og.nodes(n).children()) {
            const int child = c.node_id();
            links.emplace_back(n, child);
            if (seen[std::size_t(child)])
                continue;
            seen[std::size_t(child)] = 1;
            const QString name = str(c.local_name());
            path[std::size_t(child)] =
                n == 0 ? name : path[std::size_t(n)] + QLatin1Char('/') + name;
            queue.push_back(child);
        }
    }
    // Slot variables hang off their optimizer, named as their keys name them.
    for (int n = 0; n < count; ++n)
        for (const auto &s : og.nodes(n).slot_variables()) {
            const int slot = s.slot_variable_node_id();
            links.emplace_back(n, slot);
            if (seen[std::size_t(slot)])
                continue;
            seen[std::size_t(slot)] = 1;
            path[std::size_t(slot)] = path[std::size_t(s.original_variable_node_id())] +
                                      QStringLiteral("/.OPTIMIZER_SLOT/") + path[std::size_t(n)] +
                                      QLatin1Char('/') + str(s.slot_name());
        }
    for (int n = 0; n < count; ++n) {
        const auto &obj = og.nodes(n);
        Node node;
        node.id =
            seen[std::size_t(n)] ? path[std::size_t(n)] : QStringLiteral("(unreachable)/%1").arg(n);
        node.name = node.id.mid(node.id.lastIndexOf(QLatin1Char('/')) + 1);
        bool variable = false;
        for (const auto &a : obj.attributes()) {
            node.tensors << str(a.checkpoint_key());
            variable = variable || a.name() == "VARIABLE_VALUE";
        }
        bool list = obj.children_size() > 0;
        for (int i = 0; i < obj.children_size() && list; ++i)
            list = obj.children(i).local_name() == std::to_string(i);
        if (n == 0)
            node.type = QStringLiteral("root");
        else if (variable && node.id.contains(QLatin1String("/.OPTIMIZER_SLOT/")))
            node.type = QStringLiteral("slot variable");
        else if (variable)
            node.type = QStringLiteral("variable");
        else if (obj.slot_variables_size() > 0)
            node.type = QStringLiteral("optimizer");
        else if (list)
            node.type = QStringLiteral("list");
        else
            node.type = QStringLiteral("object");
        // Drawn as a tree; a second path to an object is an edge, not a second node.
        if (g.indexOf(node.id) >= 0)
            node.id += QStringLiteral(" #%1").arg(n);
        nodeOf[std::size_t(n)] = g.addNode(std::move(node));
    }
    for (const auto &[from, to] : links)
        g.addEdge(nodeOf[std::size_t(from)], nodeOf[std::size_t(to)]);
    // Objects below an object collapse into it, as ops into their name scope.
    for (auto &n : g.nodes) {
        const int slash = n.id.lastIndexOf(QLatin1Char('/'));
        n.group = slash < 0 ? QString() : n.id.left(slash);
    }
    const QStringList groups = g.groups();
    const QSet<QString> groupSet(groups.begin(), groups.end());
    for (auto &n : g.nodes)
        if (groupSet.contains(n.id))
            n.group = n.id;
    return g;
}

} // namespace

Result<ModelGraph> objectGraphOf(const Checkpoint &checkpoint)
{
    const int i = checkpoint.index().indexOfKey(tfopen::kObjectGraphKey);
    if (i < 0)
        return makeError(LoadError::Code::Unsupported, checkpoint.index().path, {},
                         QStringLiteral("an object-based checkpoint (TF2, SavedModel)"),
                         QStringLiteral("no object graph"));
    const auto &t = checkpoint.tensor(i);
    // A DT_STRING scalar as stored: its varint length and checksum, then the bytes.
    auto stored = checkpoint.readTensor(i, kMaxObjectGraphBytes);
    if (!stored)
        return stored.error();
    const auto layout = tfbundle::parseStringLayout(*stored, 1);
    if (!layout || layout->lengths.size() != 1 ||
        layout->dataStart + layout->lengths[0] > std::uint64_t(stored->size()))
        return makeError(
            LoadError::Code::Corrupt, t.location.file, t.key,
            QStringLiteral("a DT_STRING scalar (varint length, 4-byte CRC, bytes)"),
            QStringLiteral("%1 bytes that do not fit that layout").arg(stored->size()));
    const QByteArrayView bytes(stored->constData() + layout->dataStart,
                               qsizetype(layout->lengths[0]));
    return fromObjectGraph(bytes, t.location.file,
                           checkpoint.index().displayName + QStringLiteral(": objects"));
}

} // namespace wl::graph
