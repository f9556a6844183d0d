#include "demo.h"

#include "atomicfile.h"
#include "demotrainer.h"
#include "eventwriter.h"
#include "kerash5writer.h"
#include "proto/trackable_object_graph.pb.h"
#include "statefile.h"
#include "tfbundlewriter.h"

#include <QDateTime>
#include <QDir>
#include <QLocale>
#include <QRandomGenerator>

#include <cmath>
#include <vector>

namespace wl
{
namespace
{

constexpr float kLearningRates[] = {1e-2f, 3e-3f};
const char *const kLayerNames[] = {"dense", "dense_1", "dense_2"};

QByteArray floats(const std::vector<float> &v)
{
    return QByteArray(reinterpret_cast<const char *>(v.data()), qsizetype(v.size() * 4));
}

template <class T> QByteArray bytesOf(const T &x)
{
    return QByteArray(reinterpret_cast<const char *>(&x), sizeof x);
}

// Python's repr of a float, which Keras uses in its JSON and CSVLogger uses in its cells.
QString pyFloat(double v)
{
    QString s = QString::number(v, 'g', QLocale::FloatingPointShortest);
    if (!s.contains(QLatin1Char('.')) && !s.contains(QLatin1Char('e')))
        s += QLatin1String(".0");
    return s;
}

QString runName(float lr)
{
    return QStringLiteral("spirals-adam-lr%1").arg(QString::number(double(lr)));
}

// Layer configs as Keras 2.7 writes them (key order and spacing of Python's json.dumps).
QString inputConfig()
{
    return QStringLiteral(
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 2], "
        "\"dtype\": \"float32\", \"sparse\": false, \"ragged\": false, \"name\": "
        "\"dense_input\"}}");
}

QString denseConfig(int layer)
{
    const bool last = layer == 2;
    return QStringLiteral(
               "{\"class_name\": \"Dense\", \"config\": {\"name\": \"%1\", \"trainable\": true, "
               "\"dtype\": \"float32\", \"units\": %2, \"activation\": \"%3\", \"use_bias\": "
               "true, \"kernel_initializer\": {\"class_name\": \"GlorotUniform\", \"config\": "
               "{\"seed\": null}}, \"bias_initializer\": {\"class_name\": \"Zeros\", \"config\": "
               "{}}, \"kernel_regularizer\": null, \"bias_regularizer\": null, "
               "\"activity_regularizer\": null, \"kernel_constraint\": null, "
               "\"bias_constraint\": null}}")
        .arg(QLatin1String(kLayerNames[layer]))
        .arg(last ? demo::kClasses : demo::kHidden)
        .arg(last ? QLatin1String("softmax") : QLatin1String("relu"));
}

QByteArray modelConfig()
{
    QString s =
        QStringLiteral("{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\", "
                       "\"layers\": [") +
        inputConfig();
    for (int l = 0; l < 3; ++l)
        s += QLatin1String(", ") + denseConfig(l);
    return (s + QLatin1String("]}}")).toUtf8();
}

QByteArray trainingConfig(float lr)
{
    return QStringLiteral(
               "{\"loss\": \"sparse_categorical_crossentropy\", \"metrics\": [[{\"class_name\": "
               "\"MeanMetricWrapper\", \"config\": {\"name\": \"accuracy\", \"dtype\": "
               "\"float32\", \"fn\": \"sparse_categorical_accuracy\"}}]], \"weighted_metrics\": "
               "null, \"loss_weights\": null, \"optimizer_config\": {\"class_name\": \"Adam\", "
               "\"config\": {\"name\": \"Adam\", \"learning_rate\": %1, \"decay\": 0.0, "
               "\"beta_1\": %2, \"beta_2\": %3, \"epsilon\": 1e-07, \"amsgrad\": false}}}")
        .arg(pyFloat(double(lr)), pyFloat(double(0.9f)), pyFloat(double(0.999f)))
        .toUtf8();
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

QString configKey(const QString &path)
{
    return path + QLatin1String("/.ATTRIBUTES/OBJECT_CONFIG_JSON");
}

QString layerPath(int layer)
{
    return QStringLiteral("model/layer_with_weights-%1").arg(layer);
}

const char *const kOptimizerScalars[] = {"iter", "beta_1", "beta_2", "decay", "learning_rate"};

// The object graph of tf.train.Checkpoint(model=model, optimizer=optimizer) for a Keras 2
// Sequential model and Adam (formats-tensorflow.md 2.1-2.4): the model tracks each layer as
// `layer-N` and, when it has weights, `layer_with_weights-M` first; the optimizer tracks its
// iteration count and hyperparameters and lists the m/v slots of every variable.
std::string objectGraph()
{
    tf::TrackableObjectGraph g;
    auto addNode = [&g]() {
        g.add_nodes();
        return g.nodes_size() - 1;
    };
    auto link = [&g](int parent, int child, const QString &name) {
        auto *c = g.mutable_nodes(parent)->add_children();
        c->set_node_id(child);
        c->set_local_name(name.toStdString());
    };
    auto attribute = [&g](int node, const char *name, const QString &key) {
        auto *a = g.mutable_nodes(node)->add_attributes();
        a->set_name(name);
        a->set_checkpoint_key(key.toStdString());
    };
    const int root = addNode();
    const int model = addNode();
    const int optimizer = addNode();
    link(root, model, QStringLiteral("model"));
    link(root, optimizer, QStringLiteral("optimizer"));
    attribute(model, "OBJECT_CONFIG_JSON", configKey(QStringLiteral("model")));
    const int input = addNode();
    link(model, input, QStringLiteral("layer-0"));
    attribute(input, "OBJECT_CONFIG_JSON", configKey(QStringLiteral("model/layer-0")));
    std::vector<int> variables;
    for (int l = 0; l < 3; ++l) {
        const int node = addNode();
        link(model, node, QStringLiteral("layer_with_weights-%1").arg(l));
        link(model, node, QStringLiteral("layer-%1").arg(l + 1));
        attribute(node, "OBJECT_CONFIG_JSON", configKey(layerPath(l)));
        for (const char *w : {"kernel", "bias"}) {
            const int v = addNode();
            link(node, v, QString::fromLatin1(w));
            attribute(v, "VARIABLE_VALUE", variableKey(layerPath(l) + '/' + QLatin1String(w)));
            variables.push_back(v);
        }
    }
    for (const char *scalar : kOptimizerScalars) {
        const int n = addNode();
        link(optimizer, n, QString::fromLatin1(scalar));
        attribute(n, "VARIABLE_VALUE",
                  variableKey(QStringLiteral("optimizer/") + QLatin1String(scalar)));
    }
    for (int i = 0; i < int(variables.size()); ++i) {
        const QString path =
            layerPath(i / 2) + (i % 2 ? QLatin1String("/bias") : QLatin1String("/kernel"));
        for (const char *slot : {"m", "v"}) {
            const int n = addNode();
            attribute(n, "VARIABLE_VALUE", slotKey(path, QString::fromLatin1(slot)));
            auto *ref = g.mutable_nodes(optimizer)->add_slot_variables();
            ref->set_original_variable_node_id(variables[std::size_t(i)]);
            ref->set_slot_name(slot);
            ref->set_slot_variable_node_id(n);
        }
    }
    const int counter = addNode();
    link(root, counter, QStringLiteral("save_counter"));
    attribute(counter, "VARIABLE_VALUE", variableKey(QStringLiteral("save_counter")));
    return g.SerializeAsString();
}

Shape shapeOf(const demo::DenseParams<float> &d, bool kernel)
{
    return kernel ? Shape{{d.in, d.out}} : Shape{{d.out}};
}

// One snapshot of training, as the callbacks see it at the end of an epoch.
struct Snapshot {
    demo::EpochLogs logs;
    demo::Mlp<float> net;
    demo::AdamState adam;
    double wallTime = 0;
};

Status writeCheckpoint(const QString &prefix, const Snapshot &s, std::int64_t saveCounter)
{
    TfBundleWriter w(prefix);
    auto add = [&](const QString &key, const Shape &shape, const std::vector<float> &v) {
        return w.add(key, DType::Float32, shape, floats(v));
    };
    if (auto st = w.addStrings(configKey(QStringLiteral("model")), Shape{}, {modelConfig()});
        !st.ok())
        return st;
    if (auto st = w.addStrings(configKey(QStringLiteral("model/layer-0")), Shape{},
                               {inputConfig().toUtf8()});
        !st.ok())
        return st;
    for (int l = 0; l < 3; ++l) {
        const auto &d = s.net.layers[std::size_t(l)];
        if (auto st = w.addStrings(configKey(layerPath(l)), Shape{}, {denseConfig(l).toUtf8()});
            !st.ok())
            return st;
        for (const bool kernel : {true, false}) {
            const QString path =
                layerPath(l) + (kernel ? QLatin1String("/kernel") : QLatin1String("/bias"));
            const auto pick = [&](const demo::Mlp<float> &m) -> const std::vector<float> & {
                return kernel ? m.layers[std::size_t(l)].kernel : m.layers[std::size_t(l)].bias;
            };
            const std::pair<QString, const demo::Mlp<float> *> values[] = {
                {variableKey(path), &s.net},
                {slotKey(path, QStringLiteral("m")), &s.adam.m},
                {slotKey(path, QStringLiteral("v")), &s.adam.v}};
            for (const auto &[key, from] : values)
                if (auto st = add(key, shapeOf(d, kernel), pick(*from)); !st.ok())
                    return st;
        }
    }
    const float scalars[] = {s.adam.beta1, s.adam.beta2, 0.0f, s.adam.learningRate};
    if (auto st = w.add(variableKey(QStringLiteral("optimizer/iter")), DType::Int64, Shape{},
                        bytesOf(s.adam.iterations));
        !st.ok())
        return st;
    for (int i = 0; i < 4; ++i)
        if (auto st = w.add(
                variableKey(QStringLiteral("optimizer/") + QLatin1String(kOptimizerScalars[i + 1])),
                DType::Float32, Shape{}, bytesOf(scalars[i]));
            !st.ok())
            return st;
    if (auto st = w.add(variableKey(QStringLiteral("save_counter")), DType::Int64, Shape{},
                        bytesOf(saveCounter));
        !st.ok())
        return st;
    const std::string g = objectGraph();
    if (auto st = w.addStrings(QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH"), Shape{},
                               {QByteArray(g.data(), qsizetype(g.size()))});
        !st.ok())
        return st;
    return w.finish();
}

// Keras 2 names: "dense/kernel:0" for the model, "Adam/dense/kernel/m:0" for the optimizer,
// whose weights are the iteration count, then every m, then every v.
KerasH5Model bestModel(const Snapshot &s)
{
    KerasH5Model model;
    model.modelConfig = modelConfig();
    model.trainingConfig = trainingConfig(s.adam.learningRate);
    KerasH5Weight iter{QStringLiteral("Adam/iter:0"), Shape{}, bytesOf(s.adam.iterations),
                       DType::Int64};
    model.optimizerWeights.push_back(iter);
    for (const char *slot : {"m", "v"})
        for (int l = 0; l < 3; ++l) {
            const auto &state = QLatin1String(slot) == QLatin1String("m") ? s.adam.m : s.adam.v;
            const auto &d = state.layers[std::size_t(l)];
            const QString base = QStringLiteral("Adam/%1/").arg(QLatin1String(kLayerNames[l]));
            model.optimizerWeights.push_back(
                {base + QStringLiteral("kernel/%1:0").arg(QLatin1String(slot)), shapeOf(d, true),
                 floats(d.kernel)});
            model.optimizerWeights.push_back(
                {base + QStringLiteral("bias/%1:0").arg(QLatin1String(slot)), shapeOf(d, false),
                 floats(d.bias)});
        }
    for (int l = 0; l < 3; ++l) {
        const auto &d = s.net.layers[std::size_t(l)];
        const QString name = QLatin1String(kLayerNames[l]);
        model.layers.push_back(
            {name,
             {{name + QLatin1String("/kernel:0"), shapeOf(d, true), floats(d.kernel)},
              {name + QLatin1String("/bias:0"), shapeOf(d, false), floats(d.bias)}}});
    }
    return model;
}

Status writeRun(const QString &run, const demo::SpiralData &data, float lr,
                const DemoOptions &options, double start)
{
    const QString trainDir = QDir(run).filePath(QStringLiteral("train"));
    const QString validationDir = QDir(run).filePath(QStringLiteral("validation"));
    for (const auto &d : {trainDir, validationDir})
        if (!QDir().mkpath(d))
            return makeError(LoadError::Code::WriteFailed, d, {}, {}, {},
                             QStringLiteral("cannot create the folder"));
    // TF2 names event files events.out.tfevents.<seconds>.<host>.<pid>.<counter>.v2.
    const auto eventName = [&](int counter) {
        return QStringLiteral("events.out.tfevents.%1.weightlens-demo.1.%2.v2")
            .arg(qint64(start))
            .arg(counter);
    };
    EventFileWriter train(QDir(trainDir).filePath(eventName(0)), start);
    EventFileWriter validation(QDir(validationDir).filePath(eventName(1)), start);
    // write_graph=True: the model's JSON (model.to_json()) when training begins.
    train.addString(QStringLiteral("keras"), 0, start,
                    modelConfig().chopped(1) +
                        R"(, "keras_version": "2.7.0", "backend": "tensorflow"})",
                    "graph_keras_model", "1");
    QByteArray csv = "epoch,accuracy,loss,val_accuracy,val_loss\r\n";
    std::vector<Snapshot> saved; // every CheckpointManager save, oldest first
    Snapshot best;
    bool haveBest = false;
    demo::TrainOptions to;
    to.learningRate = lr;
    to.epochs = options.epochs;
    to.seed = options.seed;
    demo::train(
        data, to,
        [&](const demo::EpochLogs &logs, const demo::Mlp<float> &net, const demo::AdamState &adam) {
            // Half a second per epoch of wall time, so that the curves have a time axis.
            const double wall = start + 0.5 * (logs.epoch + 1);
            const int epoch = logs.epoch;
            train.addScalar(QStringLiteral("epoch_loss"), epoch, wall, float(logs.loss));
            train.addScalar(QStringLiteral("epoch_accuracy"), epoch, wall, float(logs.accuracy));
            validation.addScalar(QStringLiteral("evaluation_loss_vs_iterations"), adam.iterations,
                                 wall, float(logs.valLoss));
            validation.addScalar(QStringLiteral("evaluation_accuracy_vs_iterations"),
                                 adam.iterations, wall, float(logs.valAccuracy));
            validation.addScalar(QStringLiteral("epoch_loss"), epoch, wall, float(logs.valLoss));
            validation.addScalar(QStringLiteral("epoch_accuracy"), epoch, wall,
                                 float(logs.valAccuracy));
            if (options.histogramEvery > 0 && epoch % options.histogramEvery == 0)
                for (int l = 0; l < 3; ++l) {
                    const auto &d = net.layers[std::size_t(l)];
                    const QString name = QLatin1String(kLayerNames[l]);
                    train.addHistogram(name + QLatin1String("/kernel_0"), epoch, wall, d.kernel);
                    train.addHistogram(name + QLatin1String("/bias_0"), epoch, wall, d.bias);
                }
            // CSVLogger writes the float32 metrics as Python floats.
            csv +=
                QStringLiteral("%1,%2,%3,%4,%5\r\n")
                    .arg(epoch)
                    .arg(pyFloat(double(float(logs.accuracy))), pyFloat(double(float(logs.loss))),
                         pyFloat(double(float(logs.valAccuracy))),
                         pyFloat(double(float(logs.valLoss))))
                    .toUtf8();
            Snapshot s{logs, net, adam, wall};
            // ModelCheckpoint(monitor='val_loss', save_best_only=True) saves on a strict
            // improvement.
            if (!haveBest || float(logs.valLoss) < float(best.logs.valLoss)) {
                best = s;
                haveBest = true;
            }
            if (options.checkpointEvery > 0 && (epoch + 1) % options.checkpointEvery == 0)
                saved.push_back(std::move(s));
            return true;
        });
    // CheckpointManager deletes all but the newest max_to_keep checkpoints after each save;
    // only those are written, under the numbers the save counter gave them.
    const std::size_t keep = options.maxToKeep > 0 ? std::size_t(options.maxToKeep) : saved.size();
    const std::size_t first = saved.size() > keep ? saved.size() - keep : 0;
    CheckpointStateText state;
    for (std::size_t i = first; i < saved.size(); ++i) {
        const QString name = QStringLiteral("ckpt-%1").arg(i + 1);
        if (auto st = writeCheckpoint(QDir(run).filePath(name), saved[i], std::int64_t(i + 1));
            !st.ok())
            return st;
        state.all << name;
        state.timestamps << saved[i].wallTime;
        state.latest = name;
    }
    if (!state.latest.isEmpty()) {
        state.lastPreserved = start;
        if (auto st = writeBytesAtomically(QDir(run).filePath(QStringLiteral("checkpoint")),
                                           formatCheckpointState(state));
            !st.ok())
            return st;
    }
    for (auto *events : {&train, &validation})
        if (auto st = events->finish(); !st.ok())
            return st;
    if (auto st = writeBytesAtomically(QDir(run).filePath(QStringLiteral("training_log.csv")), csv);
        !st.ok())
        return st;
    if (haveBest)
        if (auto st =
                writeKerasH5(QDir(run).filePath(QStringLiteral("best_model.h5")), bestModel(best));
            !st.ok())
            return st;
    return Ok{};
}

} // namespace

QStringList demoRunNames()
{
    QStringList names;
    for (float lr : kLearningRates)
        names << runName(lr);
    return names;
}

Result<QStringList> writeDemo(const QString &dir, const DemoOptions &options)
{
    // Training takes milliseconds here; the logs tell of half a second an epoch (see
    // writeRun), ending now.
    const double start =
        options.startTime > 0
            ? options.startTime
            : double(QDateTime::currentMSecsSinceEpoch()) / 1000.0 - 0.5 * options.epochs;
    QStringList runs;
    for (float lr : kLearningRates) {
        const QString run = QDir(dir).filePath(runName(lr));
        if (QFileInfo::exists(run))
            return makeError(LoadError::Code::WriteFailed, run, {}, QStringLiteral("a new folder"),
                             QStringLiteral("an existing one"));
        runs << run;
    }
    const demo::SpiralData data = demo::makeSpirals(options.seed);
    for (int i = 0; i < runs.size(); ++i) {
        // Each run is written into a hidden sibling and renamed into place when complete, so
        // that a failed or interrupted write leaves nothing under the run's name.
        const QFileInfo target(runs[i]);
        const QString partial = target.dir().filePath(
            QStringLiteral(".%1.partial-%2")
                .arg(target.fileName())
                .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0')));
        if (!QDir().mkpath(partial))
            return makeError(LoadError::Code::WriteFailed, partial, {}, {}, {},
                             QStringLiteral("cannot create the folder"));
        auto st = writeRun(partial, data, kLearningRates[i], options, start);
        if (st.ok() && !QDir().rename(partial, runs[i]))
            st = makeError(LoadError::Code::WriteFailed, runs[i], {}, {}, {},
                           QStringLiteral("cannot rename the finished run into place"));
        if (!st.ok()) {
            QDir(partial).removeRecursively();
            return st.error();
        }
    }
    return runs;
}

} // namespace wl
