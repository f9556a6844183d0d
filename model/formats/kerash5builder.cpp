#include "kerash5builder.h"

#include <algorithm>

namespace wl::keras::detail
{

Result<QStringList> Builder::childGroups(const QString &root) const
{
    QStringList groups;
    if (!m_file.isGroup(root))
        return groups;
    auto kids = m_file.children(root);
    if (!kids)
        return kids.error();
    for (const auto &k : *kids)
        if (m_file.isGroup(join(root, k)))
            groups << k;
    std::sort(groups.begin(), groups.end(), naturalLess);
    return groups;
}

QString join(const QString &a, const QString &b)
{
    return a.isEmpty() ? b : a + QLatin1Char('/') + b;
}

QString stripZero(QString w)
{
    if (w.endsWith(QLatin1String(":0")))
        w.chop(2);
    return w;
}

// "dense_1/kernel:0" under layer dense_1 -> "kernel"; "seq/dense_6/kernel" -> "kernel".
QString shortWeight(const QString &layer, const QString &weight)
{
    QString w = stripZero(weight);
    const QString prefix = layer + QLatin1Char('/');
    if (w.startsWith(prefix))
        return w.mid(prefix.size());
    const int inner = w.indexOf(QLatin1Char('/') + prefix);
    if (inner >= 0)
        return w.mid(inner + prefix.size() + 1);
    return w;
}

Status Builder::legacy(bool full, const std::optional<ModelConfig> &config)
{
    auto &facts = out.facts;
    const QString root = full ? QStringLiteral("model_weights") : QString();
    QHash<QString, ConfigLayer> byName;
    if (config)
        for (const auto &l : config->layers)
            byName.insert(l.name, l);
    auto names = m_file.stringList(root, QStringLiteral("layer_names"));
    if (!names)
        return names.error();
    QStringList layerNames;
    if (*names) {
        layerNames = **names;
        facts.order = QStringLiteral("layer_names");
    } else if (m_file.isGroup(root)) {
        auto groups = childGroups(root);
        if (!groups)
            return groups.error();
        layerNames = *groups;
        facts.order = QStringLiteral("group names (no layer_names attribute)");
        problem(root.isEmpty() ? QStringLiteral("/") : root,
                QStringLiteral("no layer_names attribute; layers taken from the groups"));
    } else if (full) {
        problem(QStringLiteral("/model_weights"), QStringLiteral("no model_weights group"));
    }
    for (const auto &ln : layerNames) {
        LayerRow row;
        row.name = ln;
        const auto cl = byName.value(ln);
        row.className = cl.className.isEmpty() ? QStringLiteral("—") : cl.className;
        row.outputShape = shapeText(cl.output);
        const QString g = join(root, ln);
        if (!m_file.isGroup(g)) {
            problem(g, QStringLiteral("layer listed in layer_names has no group"));
            facts.layers.push_back(row);
            continue;
        }
        row.group = g;
        auto wn = m_file.stringList(g, QStringLiteral("weight_names"));
        QStringList weights;
        if (!wn) {
            problem(wn.error());
        } else if (*wn) {
            weights = **wn;
        } else {
            for (const auto &p : datasetsUnder(g))
                weights << p.mid(g.size() + 1);
        }
        for (const auto &w : weights) {
            const QString shortName = shortWeight(ln, w);
            const bool nonTrainable = !cl.trainable ||
                                      shortName.endsWith(QLatin1String("moving_mean")) ||
                                      shortName.endsWith(QLatin1String("moving_variance"));
            // A weight named as its layer (a converted file's "save_counter") is not doubled.
            const QString readable = shortName == ln ? ln : ln + QLatin1Char('/') + shortName;
            auto n = add(join(g, w), readable, TensorRole::Variable, !nonTrainable);
            if (!n)
                return n.error();
            if (*n < 0)
                continue;
            row.params += *n;
            row.nonTrainable += nonTrainable ? *n : 0;
            const QString stripped = stripZero(w);
            varByPath.insert(stripped, readable);
            varByPath.insert(QString(stripped).replace(QLatin1Char('/'), QLatin1Char('_')),
                             readable);
        }
        facts.layers.push_back(row);
    }
    const QString opt = QStringLiteral("optimizer_weights");
    if (m_file.isGroup(opt)) {
        auto wn = m_file.stringList(opt, QStringLiteral("weight_names"));
        if (!wn)
            problem(wn.error());
        QStringList weights;
        if (wn && *wn)
            weights = **wn;
        else
            for (const auto &p : datasetsUnder(opt))
                weights << p.mid(opt.size() + 1);
        for (const auto &w : weights) {
            auto st = addOptimizer(join(opt, w), w);
            if (!st)
                return st;
        }
    }
    return leftovers(TensorRole::Variable);
}

Status Builder::leftovers(TensorRole role)
{
    for (const auto &node : nodes) {
        if (node.isGroup || seen.contains(node.path))
            continue;
        const bool opt = node.path.startsWith(QLatin1String("optimizer_weights/"));
        if (opt) {
            auto st = addOptimizer(node.path, node.path.mid(18));
            if (!st)
                return st;
            continue;
        }
        auto n = add(node.path, node.path, role);
        if (!n)
            return n.error();
    }
    return Ok{};
}

} // namespace wl::keras::detail
