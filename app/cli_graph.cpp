#include "cli_graph.h"
#include "clioutput.h"
#include "commandspec.h"

#include "core/plural.h"
#include "graph/modelgraph.h"
#include "jobs/jobcontext.h"

namespace wl::cli
{

int graphCommand(const QStringList &args)
{
    CommandLine cl(QStringLiteral("graph"));
    if (auto stop = cl.parse(args))
        return *stop;
    if (cl.positional().size() != 1)
        return cl.fail(QStringLiteral("takes one PATH"));
    const bool json = cl.isSet(QStringLiteral("json"));
    const bool dot = cl.isSet(QStringLiteral("dot"));
    if (json && dot)
        return cl.fail(QStringLiteral("--json and --dot exclude each other"));
    auto graphs = graph::loadGraphs(cl.positional().first(), JobContext::none());
    if (!graphs) {
        err() << "weightlens: " << graphs.error().message() << "\n";
        return 1;
    }
    for (const auto &g : *graphs) {
        if (dot) {
            out() << g.dot();
            continue;
        }
        if (json) {
            for (int i = 0; i < int(g.nodes.size()); ++i) {
                auto o = g.nodeJson(i);
                o.insert("graph", g.title);
                printJson(o);
            }
            for (const auto &e : g.edges) {
                auto o = g.edgeJson(e);
                o.insert("graph", g.title);
                printJson(o);
            }
            continue;
        }
        int attached = 0;
        for (const auto &n : g.nodes)
            attached += n.attachedTo >= 0;
        out() << g.title << ": " << counted(g.nodes.size(), "node") << ", "
              << counted(g.edges.size(), "edge") << ", " << counted(g.groups().size(), "group");
        if (attached)
            out() << " (" << attached << " variables and read ops drawn with their users)";
        out() << "\n";
        // Top-level nodes and groups, as the collapsed view shows them.
        const auto v = graph::collapse(g, {});
        for (const auto &item : v.items) {
            if (item.group) {
                out() << "  " << item.id << "/ (" << counted(item.memberCount, "node") << ")\n";
                continue;
            }
            const auto &n = g.nodes[std::size_t(item.node)];
            out() << "  " << n.name << " (" << n.type << ")";
            if (!n.outputShape.isEmpty())
                out() << " " << n.outputShape;
            if (n.params)
                out() << " " << n.params << " params";
            if (!n.tensors.isEmpty())
                out() << " [" << n.tensors.join(QStringLiteral(", ")) << "]";
            out() << "\n";
        }
    }
    return 0;
}

} // namespace wl::cli
