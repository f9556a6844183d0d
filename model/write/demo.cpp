#include "demo.h"

#include "atomicfile.h"
#include "proto/trackable_object_graph.pb.h"
#include "tfbundlewriter.h"

#include <QDir>
#include <QFileDevice>

#include <cmath>
#include <random>
#include <vector>

namespace wl
{
namespace
{

constexpr int kCheckpoints = 5;
constexpr int kStepsPerCheckpoint = 400;

struct Layer {
    const char *name;
    int in;
    int out;
};
constexpr Layer kLayers[] = {{"dense", 784, 128}, {"dense_1", 128, 64}, {"dense_2", 64, 10}};

QByteArray floats(const std::vector<float> &v)
{
    return QByteArray(reinterpret_cast<const char *>(v.data()), qsizetype(v.size() * 4));
}

QString variableKey(const QString &path)
{
    return path + QLatin1String("/.ATTRIBUTES/VARIABLE_VALUE");
}

QString slotKey(const QString &variable, const QString &slot)
{
    return variable + QLatin1String("/.OPTIMIZER_SLOT/optimizer/") + slot +
           QLatin1String("/.ATTRIBUTES/VARIABLE_VALUE");
}

// Object graph of the demo model: root -> model -> layers -> kernel/bias, root -> optimizer
// (iter, learning_rate, m/v slots), root -> save_counter.
std::string objectGraph(const QStringList &variables)
{
    tf::TrackableObjectGraph g;
    auto addNode = [&g]() { return g.add_nodes(); };
    auto link = [&g](int parent, int child, const QString &name) {
        auto *c = g.mutable_nodes(parent)->add_children();
        c->set_node_id(child);
        c->set_local_name(name.toStdString());
    };
    auto attribute = [&g](int node, const QString &key) {
        auto *a = g.mutable_nodes(node)->add_attributes();
        a->set_name("VARIABLE_VALUE");
        a->set_checkpoint_key(key.toStdString());
    };
    addNode(); // 0 root
    addNode(); // 1 model
    addNode(); // 2 optimizer
    link(0, 1, QStringLiteral("model"));
    link(0, 2, QStringLiteral("optimizer"));
    std::vector<int> variableNodes;
    int layerIndex = 0;
    for (const auto &layer : kLayers) {
        const int node = g.nodes_size();
        addNode();
        link(1, node, QStringLiteral("layer_with_weights-%1").arg(layerIndex++));
        Q_UNUSED(layer);
        for (const char *w : {"kernel", "bias"}) {
            const int v = g.nodes_size();
            addNode();
            link(node, v, QString::fromLatin1(w));
            variableNodes.push_back(v);
        }
    }
    for (int i = 0; i < int(variableNodes.size()); ++i)
        attribute(variableNodes[std::size_t(i)], variableKey(variables[i]));
    for (const char *scalar : {"iter", "learning_rate"}) {
        const int n = g.nodes_size();
        addNode();
        link(2, n, QString::fromLatin1(scalar));
        attribute(n, variableKey(QStringLiteral("optimizer/") + QString::fromLatin1(scalar)));
    }
    for (int i = 0; i < int(variableNodes.size()); ++i) {
        for (const char *slot : {"m", "v"}) {
            const int n = g.nodes_size();
            addNode();
            attribute(n, slotKey(variables[i], QString::fromLatin1(slot)));
            auto *ref = g.mutable_nodes(2)->add_slot_variables();
            ref->set_original_variable_node_id(variableNodes[std::size_t(i)]);
            ref->set_slot_name(slot);
            ref->set_slot_variable_node_id(n);
        }
    }
    const int counter = g.nodes_size();
    addNode();
    link(0, counter, QStringLiteral("save_counter"));
    attribute(counter, variableKey(QStringLiteral("save_counter")));
    return g.SerializeAsString();
}

Status writeCheckpoint(const QString &prefix, int number, std::mt19937 &rng,
                       std::vector<std::vector<float>> &weights)
{
    TfBundleWriter w(prefix);
    QStringList paths;
    int layerIndex = 0;
    for (const auto &layer : kLayers) {
        Q_UNUSED(layer);
        const QString base = QStringLiteral("model/layer_with_weights-%1/").arg(layerIndex++);
        paths << base + QLatin1String("kernel") << base + QLatin1String("bias");
    }
    std::normal_distribution<float> noise(0.0f, 1.0f);
    for (std::size_t i = 0; i < weights.size(); ++i) {
        const auto &layer = kLayers[i / 2];
        const bool kernel = i % 2 == 0;
        auto &v = weights[i];
        // Training drifts the weights and widens their spread a little every save.
        for (auto &x : v)
            x = x * 1.04f + 0.01f * noise(rng);
        const Shape shape = kernel ? Shape{{layer.in, layer.out}} : Shape{{layer.out}};
        if (auto st = w.add(variableKey(paths[int(i)]), DType::Float32, shape, floats(v)); !st.ok())
            return st;
        std::vector<float> m(v.size()), s(v.size());
        for (std::size_t k = 0; k < v.size(); ++k) {
            m[k] = 1e-3f * noise(rng);
            s[k] = 1e-6f * std::abs(noise(rng));
        }
        if (auto st = w.add(slotKey(paths[int(i)], QStringLiteral("m")), DType::Float32, shape,
                            floats(m));
            !st.ok())
            return st;
        if (auto st = w.add(slotKey(paths[int(i)], QStringLiteral("v")), DType::Float32, shape,
                            floats(s));
            !st.ok())
            return st;
    }
    const std::int64_t iter = std::int64_t(number) * kStepsPerCheckpoint;
    const float lr = 1e-3f;
    const std::int64_t counter = number;
    auto bytesOf = [](const auto &x) {
        return QByteArray(reinterpret_cast<const char *>(&x), sizeof x);
    };
    for (auto st : {w.add(variableKey(QStringLiteral("optimizer/iter")), DType::Int64, Shape{},
                          bytesOf(iter)),
                    w.add(variableKey(QStringLiteral("optimizer/learning_rate")), DType::Float32,
                          Shape{}, bytesOf(lr)),
                    w.add(variableKey(QStringLiteral("save_counter")), DType::Int64, Shape{},
                          bytesOf(counter))})
        if (!st.ok())
            return st;
    const std::string graph = objectGraph(paths);
    if (auto st = w.addStrings(QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH"), Shape{},
                               {QByteArray(graph.data(), qsizetype(graph.size()))});
        !st.ok())
        return st;
    return w.finish();
}

} // namespace

Result<QString> writeDemo(const QString &dir)
{
    const QString run = QDir(dir).filePath(QStringLiteral("mnist-mlp-run"));
    if (!QDir().mkpath(run))
        return makeError(LoadError::Code::WriteFailed, run, {}, {}, {},
                         QStringLiteral("cannot create the folder"));
    std::mt19937 rng(2024);
    std::vector<std::vector<float>> weights;
    for (const auto &layer : kLayers) {
        std::normal_distribution<float> init(0.0f, std::sqrt(2.0f / float(layer.in)));
        std::vector<float> kernel(std::size_t(layer.in) * std::size_t(layer.out));
        for (auto &x : kernel)
            x = init(rng);
        weights.push_back(std::move(kernel));
        weights.emplace_back(std::size_t(layer.out), 0.0f);
    }
    QByteArray state;
    for (int n = 1; n <= kCheckpoints; ++n) {
        const QString name = QStringLiteral("ckpt-%1").arg(n);
        if (auto st = writeCheckpoint(QDir(run).filePath(name), n, rng, weights); !st.ok())
            return st.error();
        state += "all_model_checkpoint_paths: \"" + name.toUtf8() + "\"\n";
    }
    state.prepend("model_checkpoint_path: \"ckpt-" + QByteArray::number(kCheckpoints) + "\"\n");
    auto st = writeFileAtomically(
        QDir(run).filePath(QStringLiteral("checkpoint")), [&](QFileDevice &f) -> Status {
            if (f.write(state) != state.size())
                return makeError(LoadError::Code::WriteFailed, f.fileName(), {}, {}, {},
                                 f.errorString());
            return Ok{};
        });
    if (!st.ok())
        return st.error();
    return run;
}

} // namespace wl
