#include "core/checkpointindex.h"
#include "modelgraph.h"

#include <QJsonArray>

namespace wl::graph
{
namespace
{

// Where a layer (or a nested model) takes its inputs and gives its outputs.
struct Ports {
    QList<int> in, out;
};

// Layer names a call of inbound_nodes refers to. Keras 2 writes [name, node, tensor, kwargs]
// lists; Keras 3 writes {"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}
// anywhere in args and kwargs.
void referencedLayers(const QJsonValue &v, QStringList &out)
{
    if (v.isArray()) {
        const auto a = v.toArray();
        if (a.size() >= 3 && a.at(0).isString() && a.at(1).isDouble()) {
            out << a.at(0).toString();
            if (a.size() >= 4)
                referencedLayers(a.at(3), out);
            return;
        }
        for (const auto &e : a)
            referencedLayers(e, out);
    } else if (v.isObject()) {
        const auto o = v.toObject();
        const auto history = o.value("config").toObject().value("keras_history").toArray();
        if (o.value("class_name").toString() == QLatin1String("__keras_tensor__") &&
            !history.isEmpty()) {
            out << history.at(0).toString();
            return;
        }
        for (auto it = o.begin(); it != o.end(); ++it)
            referencedLayers(*it, out);
    }
}

// input_layers / output_layers: [[name, 0, 0], ...] or, for one tensor, [name, 0, 0].
QStringList endpointNames(const QJsonValue &v)
{
    QStringList names;
    referencedLayers(v, names);
    return names;
}

QJsonArray layersOf(const QJsonValue &config)
{
    return config.isArray() ? config.toArray() : config.toObject().value("layers").toArray();
}

class Builder
{
public:
    Builder(ModelGraph &g, const QHash<QString, QJsonObject> &table) : m_g(g), m_table(table) {}

    Ports addModel(const QString &className, const QJsonValue &config, const QString &group)
    {
        const QJsonArray layers = layersOf(config);
        QHash<QString, Ports> ports;
        QList<QPair<QString, QJsonValue>> inbound; // layer name, its inbound_nodes
        QStringList order;
        bool anyInbound = false;
        for (const auto &v : layers) {
            const auto entry = v.toObject();
            const auto cfg = entry.value("config").toObject();
            const QString name = cfg.value("name").toString(entry.value("name").toString());
            const QString cls = entry.value("class_name").toString();
            const QString id = group.isEmpty() ? name : group + QLatin1Char('/') + name;
            Ports p;
            if (cfg.value("layers").isArray()) {
                p = addModel(cls, cfg, id);
            } else {
                Node n;
                n.id = id;
                n.name = name;
                n.type = cls;
                n.group = group;
                // The layer table lists the outermost model's layers by name.
                if (group.isEmpty() && m_table.contains(name)) {
                    const auto row = m_table.value(name);
                    n.outputShape = row.value("output_shape").toString();
                    n.params = std::int64_t(row.value("params").toDouble());
                }
                const int i = m_g.indexOf(id) >= 0 ? m_g.indexOf(id) : m_g.addNode(n);
                p.in = p.out = {i};
            }
            ports.insert(name, p);
            order << name;
            const auto nodes = entry.value("inbound_nodes");
            if (nodes.isArray() && !nodes.toArray().isEmpty())
                anyInbound = true;
            inbound << qMakePair(name, nodes);
        }
        const bool sequential = className == QLatin1String("Sequential") || !anyInbound;
        if (sequential) {
            for (int i = 1; i < order.size(); ++i)
                connect(ports.value(order[i - 1]), ports.value(order[i]));
        } else {
            // Every call of a shared layer adds its own inbound connections.
            for (const auto &[name, nodes] : inbound) {
                QStringList refs;
                referencedLayers(nodes, refs);
                for (const auto &r : refs)
                    if (ports.contains(r))
                        connect(ports.value(r), ports.value(name));
            }
        }
        Ports model;
        const auto cfg = config.toObject();
        const QStringList ins = endpointNames(cfg.value("input_layers"));
        const QStringList outs = endpointNames(cfg.value("output_layers"));
        for (const auto &n : ins)
            model.in << ports.value(n).in;
        for (const auto &n : outs)
            model.out << ports.value(n).out;
        if (model.in.isEmpty() && !order.isEmpty())
            model.in = ports.value(order.first()).in;
        if (model.out.isEmpty() && !order.isEmpty())
            model.out = ports.value(order.last()).out;
        return model;
    }

private:
    void connect(const Ports &from, const Ports &to)
    {
        for (int a : from.out)
            for (int b : to.in)
                m_g.addEdge(a, b);
    }

    ModelGraph &m_g;
    const QHash<QString, QJsonObject> &m_table;
};

} // namespace

Result<ModelGraph> fromKerasConfig(const QJsonObject &config, const QString &file,
                                   const CheckpointIndex *index)
{
    const QString cls = config.value("class_name").toString();
    const auto cfg = config.value("config");
    if (cls.isEmpty() || !(cfg.isArray() || cfg.toObject().value("layers").isArray()))
        return makeError(LoadError::Code::Unsupported, file, QStringLiteral("model config"),
                         QStringLiteral("a model config with a list of layers"),
                         cls.isEmpty() ? QStringLiteral("no class_name")
                                       : QStringLiteral("class %1 without layers").arg(cls));
    ModelGraph g;
    g.source = file;
    g.kind = QStringLiteral("keras");
    g.title = cfg.toObject().value("name").toString(cls);
    QHash<QString, QJsonObject> table;
    if (index)
        for (const auto &v : index->summary.value("layers").toArray())
            table.insert(v.toObject().value("name").toString(), v.toObject());
    Builder(g, table).addModel(cls, cfg, {});
    if (index) {
        // A weight belongs to the node whose id is the longest prefix of its readable name
        // ("dense/kernel", "inner_model/dense/kernel").
        for (const auto &t : index->tensors) {
            if (t.role != TensorRole::Variable)
                continue;
            QString prefix = t.name;
            while (true) {
                const int slash = prefix.lastIndexOf(QLatin1Char('/'));
                if (slash <= 0)
                    break;
                prefix.truncate(slash);
                const int i = g.indexOf(prefix);
                if (i >= 0) {
                    g.nodes[std::size_t(i)].tensors << t.key;
                    break;
                }
            }
        }
    }
    return g;
}

} // namespace wl::graph
