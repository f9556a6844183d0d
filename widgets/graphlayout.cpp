#include "graphlayout.h"

#include <QMutex>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

namespace wl
{
namespace
{

constexpr double kDpi = 72.0; // Graphviz sizes are inches, coordinates points

char *cstr(QByteArray &b)
{
    return b.data();
}

void set(void *obj, const char *name, const QByteArray &value)
{
    QByteArray n(name), v(value);
    agsafeset(obj, cstr(n), cstr(v), const_cast<char *>(""));
}

QString parentOf(const QString &path)
{
    const int slash = path.lastIndexOf(QLatin1Char('/'));
    return slash < 0 ? QString() : path.left(slash);
}

} // namespace

GraphLayout layoutGraph(const graph::ModelGraph &g, const graph::VisibleGraph &v,
                        const std::vector<QSizeF> &itemSizes)
{
    static QMutex mutex; // dot keeps global state
    const QMutexLocker lock(&mutex);
    GraphLayout out;
    GVC_t *gvc = gvContext();
    QByteArray name("g");
    Agraph_t *root = agopen(cstr(name), Agdirected, nullptr);
    // Object graphs are trees, wide at every level: drawn from the left they read as an outline.
    set(root, "rankdir", g.kind == QLatin1String("objects") ? "LR" : "TB");
    set(root, "nodesep", "0.25");
    set(root, "ranksep", "0.4");
    set(root, "splines", "spline");

    // Expanded groups that hold visible items become nested clusters.
    QHash<QString, Agraph_t *> clusters;
    std::function<Agraph_t *(const QString &)> clusterOf = [&](const QString &path) -> Agraph_t * {
        if (path.isEmpty())
            return root;
        if (auto it = clusters.constFind(path); it != clusters.constEnd())
            return *it;
        Agraph_t *parent = clusterOf(parentOf(path));
        QByteArray n = "cluster_" + path.toUtf8();
        Agraph_t *sub = agsubg(parent, cstr(n), 1);
        set(sub, "label", path.mid(path.lastIndexOf(QLatin1Char('/')) + 1).toUtf8());
        set(sub, "margin", "12");
        clusters.insert(path, sub);
        return sub;
    };

    std::vector<Agnode_t *> nodes(v.items.size());
    for (std::size_t i = 0; i < v.items.size(); ++i) {
        const auto &item = v.items[i];
        const QString group =
            item.group ? parentOf(item.id) : g.nodes[std::size_t(item.node)].group;
        Agraph_t *owner = clusterOf(group);
        QByteArray id = QByteArray::number(qulonglong(i));
        Agnode_t *n = agnode(owner, cstr(id), 1);
        set(n, "shape", "box");
        set(n, "fixedsize", "true");
        set(n, "label", "");
        set(n, "width", QByteArray::number(itemSizes[i].width() / kDpi));
        set(n, "height", QByteArray::number(itemSizes[i].height() / kDpi));
        nodes[i] = n;
    }
    std::vector<Agedge_t *> edges(v.edges.size());
    for (std::size_t i = 0; i < v.edges.size(); ++i) {
        QByteArray key = QByteArray::number(qulonglong(i));
        edges[i] = agedge(root, nodes[std::size_t(v.edges[i].from)],
                          nodes[std::size_t(v.edges[i].to)], cstr(key), 1);
    }
    if (gvLayout(gvc, root, "dot") != 0) {
        out.error = QStringLiteral("Graphviz could not lay out the graph");
        agclose(root);
        gvFreeContext(gvc);
        return out;
    }
    const boxf bb = GD_bb(root);
    const double top = bb.UR.y;
    auto flip = [&](pointf p) { return QPointF(p.x, top - p.y); };
    out.bounds = QRectF(QPointF(bb.LL.x, 0), QPointF(bb.UR.x, top - bb.LL.y));
    out.items.resize(v.items.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const QPointF c = flip(ND_coord(nodes[i]));
        const double w = ND_width(nodes[i]) * kDpi, h = ND_height(nodes[i]) * kDpi;
        out.items[i] = QRectF(c.x() - w / 2, c.y() - h / 2, w, h);
    }
    out.edges.resize(edges.size());
    out.arrowTips.resize(edges.size());
    out.arrowFrom.resize(edges.size());
    for (std::size_t i = 0; i < edges.size(); ++i) {
        const splines *spl = ED_spl(edges[i]);
        if (!spl || spl->size == 0 || spl->list[0].size == 0)
            continue;
        const bezier &b = spl->list[0];
        QPainterPath path(flip(b.list[0]));
        for (int k = 1; k + 2 < b.size; k += 3)
            path.cubicTo(flip(b.list[k]), flip(b.list[k + 1]), flip(b.list[k + 2]));
        const QPointF last = flip(b.list[b.size - 1]);
        out.arrowTips[i] = b.eflag ? flip(b.ep) : last;
        out.arrowFrom[i] = last == out.arrowTips[i] && b.size > 1 ? flip(b.list[b.size - 2]) : last;
        if (b.eflag)
            path.lineTo(out.arrowFrom[i]);
        out.edges[i] = path;
    }
    for (auto it = clusters.constBegin(); it != clusters.constEnd(); ++it) {
        const boxf cb = GD_bb(*it);
        out.clusters.insert(it.key(),
                            QRectF(flip(pointf{cb.LL.x, cb.UR.y}), flip(pointf{cb.UR.x, cb.LL.y})));
    }
    gvFreeLayout(gvc, root);
    agclose(root);
    gvFreeContext(gvc);
    return out;
}

} // namespace wl
