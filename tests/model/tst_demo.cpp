#include "core/checkpointindex.h"
#include "events/runlogs.h"
#include "formats/readerregistry.h"
#include "stats/statsengine.h"
#include "write/demo.h"
#include "write/demotrainer.h"
#include "write/eventwriter.h"

#include "testutil.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <cmath>
#include <cstring>

using namespace wl;

namespace
{

QByteArray tensorBytes(const Checkpoint &cp, const QString &key)
{
    const int i = cp.index().indexOfKey(key);
    if (i < 0)
        return {};
    auto bytes = cp.readTensor(i);
    return bytes.ok() ? *bytes : QByteArray();
}

std::int64_t int64At(const Checkpoint &cp, const QString &key)
{
    const QByteArray b = tensorBytes(cp, key);
    std::int64_t v = -1;
    if (b.size() == 8)
        std::memcpy(&v, b.constData(), 8);
    return v;
}

// Rows of a Keras CSVLogger file, split on commas, header first.
QList<QStringList> csvRows(const QString &path)
{
    QList<QStringList> rows;
    for (const auto &line :
         QString::fromUtf8(test::readFile(path)).split(QStringLiteral("\r\n"), Qt::SkipEmptyParts))
        rows << line.split(QLatin1Char(','));
    return rows;
}

const events::Series *seriesOf(const events::RunLogs &logs, const QString &runName,
                               const QString &tag)
{
    for (const auto &r : logs.runs)
        if (r.name == runName)
            return r.series.find(tag);
    return nullptr;
}

// Batches of 32 in an epoch of the default data set (the last one may be smaller).
std::int64_t stepsPerEpoch()
{
    return (demo::makeSpirals(DemoOptions{}.seed).train.size() + 31) / 32;
}

demo::Mlp<double> toDouble(const demo::Mlp<float> &net)
{
    demo::Mlp<double> d;
    for (const auto &l : net.layers)
        d.layers.push_back({l.in, l.out, std::vector<double>(l.kernel.begin(), l.kernel.end()),
                            std::vector<double>(l.bias.begin(), l.bias.end())});
    return d;
}

} // namespace

class TestDemo : public QObject
{
    Q_OBJECT
private slots:
    // The trainer's back-propagation against central finite differences of its own loss, in
    // double precision, on a tiny batch: every parameter of every layer.
    void gradientsMatchFiniteDifferences()
    {
        const auto data = demo::makeSpirals(3);
        auto net = toDouble(demo::initialMlp(3));
        // Non-zero biases, so that their gradients are not trivially those of a fresh net.
        demo::Rng rng(11);
        for (auto &l : net.layers)
            for (auto &b : l.bias)
                b = 0.2 * (rng.uniform() - 0.5);
        constexpr int kBatch = 5;
        demo::Mlp<double> grads;
        demo::lossAndGradients(net, data.train.x.data(), data.train.y.data(), kBatch, &grads);
        int checked = 0;
        double worst = 0;
        for (std::size_t l = 0; l < net.layers.size(); ++l)
            for (int which = 0; which < 2; ++which) {
                auto &params = which ? net.layers[l].bias : net.layers[l].kernel;
                const auto &analytic = which ? grads.layers[l].bias : grads.layers[l].kernel;
                QCOMPARE(analytic.size(), params.size());
                for (std::size_t i = 0; i < params.size(); ++i) {
                    const double keep = params[i];
                    constexpr double h = 1e-6;
                    params[i] = keep + h;
                    const double up = demo::lossAndGradients<double>(
                        net, data.train.x.data(), data.train.y.data(), kBatch, nullptr);
                    params[i] = keep - h;
                    const double down = demo::lossAndGradients<double>(
                        net, data.train.x.data(), data.train.y.data(), kBatch, nullptr);
                    params[i] = keep;
                    const double numeric = (up - down) / (2 * h);
                    const double err = std::abs(numeric - analytic[i]);
                    worst = std::max(worst, err);
                    QVERIFY2(err <= 1e-7 + 1e-5 * std::abs(numeric),
                             qPrintable(QStringLiteral("layer %1 %2[%3]: analytic %4, numeric %5")
                                            .arg(l)
                                            .arg(which ? "bias" : "kernel")
                                            .arg(i)
                                            .arg(analytic[i])
                                            .arg(numeric)));
                    ++checked;
                }
            }
        QCOMPARE(checked, 2 * 32 + 32 + 32 * 32 + 32 + 32 * 3 + 3);
        QVERIFY(worst > 0); // the comparison saw real differences, not two copies of zero
    }

    // Adam's first step moves every weight by the learning rate against its gradient's sign
    // (bias correction makes m/sqrt(v) = g/|g|); later steps follow Keras 2's update computed
    // here in double precision.
    void adamFollowsKeras()
    {
        auto net = demo::initialMlp(5);
        demo::Mlp<float> grads = net;
        demo::Rng rng(17);
        for (auto &l : grads.layers) {
            for (auto &g : l.kernel)
                g = float(rng.uniform() - 0.5);
            for (auto &g : l.bias)
                g = float(rng.uniform() - 0.5);
        }
        demo::AdamState adam;
        adam.learningRate = 0.01f;
        const auto before = net;
        demo::adamStep(net, grads, adam);
        QCOMPARE(adam.iterations, std::int64_t(1));
        int moved = 0;
        for (std::size_t l = 0; l < net.layers.size(); ++l)
            for (std::size_t i = 0; i < net.layers[l].kernel.size(); ++i) {
                const float g = grads.layers[l].kernel[i];
                const double step = double(net.layers[l].kernel[i]) - before.layers[l].kernel[i];
                if (std::abs(g) < 0.1f) // where epsilon would show
                    continue;
                QVERIFY2(std::abs(step + 0.01 * (g > 0 ? 1 : -1)) < 1e-6,
                         qPrintable(QString::number(step)));
                ++moved;
            }
        QVERIFY(moved > 800);
        // Two more steps with other gradients, against the update written out in double.
        std::vector<double> w(before.layers[1].kernel.begin(), before.layers[1].kernel.end());
        std::vector<double> m(w.size(), 0.0), v(w.size(), 0.0);
        const auto &g1 = grads.layers[1].kernel;
        auto reference = [&](const std::vector<float> &g, int t) {
            const double b1 = 0.9f, b2 = 0.999f, lr = 0.01f, eps = 1e-7f;
            const double lrT = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
            for (std::size_t i = 0; i < w.size(); ++i) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * double(g[i]) * g[i];
                w[i] -= lrT * m[i] / (std::sqrt(v[i]) + eps);
            }
        };
        reference(g1, 1);
        for (int t = 2; t <= 3; ++t) {
            for (auto &l : grads.layers)
                for (auto &g : l.kernel)
                    g = float(rng.uniform() - 0.5);
            demo::adamStep(net, grads, adam);
            reference(grads.layers[1].kernel, t);
        }
        for (std::size_t i = 0; i < w.size(); ++i)
            QVERIFY2(
                std::abs(double(net.layers[1].kernel[i]) - w[i]) < 1e-5,
                qPrintable(
                    QStringLiteral("%1: %2 vs %3").arg(i).arg(net.layers[1].kernel[i]).arg(w[i])));
    }

    // The histogram rows TensorBoard would store: 30 equal-width buckets from min to max, the
    // last closed, counts adding up; all-equal values give one bucket around the value.
    void histogramRowsFollowTensorBoard()
    {
        const std::vector<float> values = {0.0f, 1.0f, 1.0f, 2.0f, 3.0f};
        const auto rows = EventFileWriter::histogramRows(values, 3);
        QCOMPARE(rows.size(), std::size_t(9));
        const std::vector<double> expected = {0, 1, 1, 1, 2, 2, 2, 3, 2};
        QCOMPARE(rows, expected);
        const auto flat = EventFileWriter::histogramRows({0.5f, 0.5f}, 30);
        QCOMPARE(flat, (std::vector<double>{0.0, 1.0, 2.0}));
        QVERIFY(EventFileWriter::histogramRows({}, 30).empty());
    }

    // Both runs read back through every reader: the run folder as a CheckpointManager folder
    // (the kept checkpoints in order, Adam slots linked), the .h5 as a Keras 2 model, the event
    // files and the CSV log as curves; the losses go down, the faster rate further.
    void demoRunsReadBack()
    {
        QTemporaryDir dir;
        auto runs = writeDemo(dir.path());
        QVERIFY2(runs.ok(), runs.ok() ? "" : qPrintable(runs.error().message()));
        QCOMPARE(runs->size(), 2);
        std::vector<double> finalLoss;
        for (const auto &run : runs.value()) {
            auto opened = ReaderRegistry::builtin().open(run);
            QVERIFY2(opened.ok(), opened.ok() ? "" : qPrintable(opened.error().message()));
            // 50 epochs, a save every 5, max_to_keep 5: ckpt-6 .. ckpt-10 remain.
            QCOMPARE(opened->latest, QStringLiteral("ckpt-10"));
            std::vector<const Checkpoint *> ckpts;
            for (const auto &cp : opened->checkpoints)
                if (cp->index().readerId == QLatin1String("tf-bundle"))
                    ckpts.push_back(cp.get());
            QCOMPARE(ckpts.size(), std::size_t(5));
            for (int n = 6; n <= 10; ++n) {
                const auto &cp = *ckpts[std::size_t(n - 6)];
                QCOMPARE(cp.index().displayName, QStringLiteral("ckpt-%1").arg(n));
                QCOMPARE(int64At(cp, QStringLiteral("save_counter/.ATTRIBUTES/VARIABLE_VALUE")),
                         std::int64_t(n));
                // Five epochs of batches of 32 between saves.
                QCOMPARE(int64At(cp, QStringLiteral("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE")),
                         std::int64_t(n) * 5 * stepsPerEpoch());
                int slotCount = 0;
                for (const auto &t : cp.index().tensors)
                    if (t.role == TensorRole::OptimizerSlot) {
                        ++slotCount;
                        QVERIFY(t.slotName == QLatin1String("m") ||
                                t.slotName == QLatin1String("v"));
                        QVERIFY(t.slotOf.startsWith(QLatin1String("model/layer_with_weights-")));
                    }
                QCOMPARE(slotCount, 12);
                const int kernel = cp.index().indexOfKey(
                    QStringLiteral("model/layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
                QVERIFY(kernel >= 0);
                QCOMPARE(cp.tensor(kernel).name,
                         QStringLiteral("model/layer_with_weights-1/kernel"));
                QCOMPARE(cp.tensor(kernel).shape.toString(), QStringLiteral("[32, 32]"));
                for (const auto &r : computeStats(cp, allTensors(cp.index()), StatsRequest{})) {
                    QVERIFY(r.error.isEmpty());
                    QCOMPARE(r.checksum, ChecksumState::Ok);
                }
            }

            auto h5 = ReaderRegistry::builtin().open(run + QStringLiteral("/best_model.h5"));
            QVERIFY2(h5.ok(), h5.ok() ? "" : qPrintable(h5.error().message()));
            QCOMPARE(h5->checkpoints.size(), std::size_t(1));
            const auto &model = h5->checkpoints.front()->index();
            QCOMPARE(model.readerId, QStringLiteral("keras-h5"));
            const int k2 =
                model.indexOfKey(QStringLiteral("model_weights/dense_2/dense_2/kernel:0"));
            QVERIFY(k2 >= 0);
            QCOMPARE(model.tensors[std::size_t(k2)].shape.toString(), QStringLiteral("[32, 3]"));
            QVERIFY(model.indexOfKey(QStringLiteral("optimizer_weights/Adam/dense/kernel/m:0")) >=
                    0);

            auto logs = events::loadLogs(run);
            QVERIFY2(logs.ok(), logs.ok() ? "" : qPrintable(logs.error().message()));
            const auto *trainLoss =
                seriesOf(*logs, QStringLiteral("train"), QStringLiteral("epoch_loss"));
            const auto *valLoss =
                seriesOf(*logs, QStringLiteral("validation"), QStringLiteral("epoch_loss"));
            const auto *kernelHist =
                seriesOf(*logs, QStringLiteral("train"), QStringLiteral("dense/kernel_0"));
            QVERIFY(trainLoss && valLoss && kernelHist);
            const auto *graph = seriesOf(*logs, QStringLiteral("train"), QStringLiteral("keras"));
            QVERIFY(graph);
            QCOMPARE(graph->plugin, QStringLiteral("graph_keras_model"));
            QCOMPARE(graph->otherCount, std::int64_t(1));
            QCOMPARE(trainLoss->plugin, QStringLiteral("scalars"));
            QCOMPARE(trainLoss->scalars.size(), std::size_t(50));
            QCOMPARE(valLoss->scalars.size(), std::size_t(50));
            QCOMPARE(kernelHist->kind, events::SeriesKind::Histogram);
            QCOMPARE(kernelHist->histograms.size(), std::size_t(10)); // epochs 0, 5, .., 45
            for (const auto &h : kernelHist->histograms) {
                double total = 0;
                for (double c : h.counts)
                    total += c;
                QCOMPARE(total, 2.0 * 32.0);
            }
            const double first = trainLoss->scalars.front().value;
            const double last = trainLoss->scalars.back().value;
            QVERIFY2(last < 0.7 * first,
                     qPrintable(QStringLiteral("%1 -> %2").arg(first).arg(last)));
            QVERIFY(valLoss->scalars.back().value < 0.8 * valLoss->scalars.front().value);
            finalLoss.push_back(last);

            // The CSV log holds the same numbers as the event files, one row per epoch.
            const auto rows = csvRows(run + QStringLiteral("/training_log.csv"));
            QCOMPARE(rows.size(), 51);
            QCOMPARE(rows.front(),
                     (QStringList{"epoch", "accuracy", "loss", "val_accuracy", "val_loss"}));
            QCOMPARE(rows.back()[0], QStringLiteral("49"));
            QCOMPARE(float(rows.back()[2].toDouble()), float(last));
            QCOMPARE(float(rows.back()[4].toDouble()), float(valLoss->scalars.back().value));
            const auto *csvLoss = [&]() -> const events::Series * {
                for (const auto &r : logs->runs)
                    if (!r.csvFile.isEmpty())
                        return r.series.find(QStringLiteral("loss"));
                return nullptr;
            }();
            QVERIFY(csvLoss);
            QCOMPARE(csvLoss->scalars.size(), std::size_t(50));
        }
        // lr 0.01 trains faster than lr 0.003: visibly different curves.
        QVERIFY2(finalLoss[0] < 0.6 * finalLoss[1],
                 qPrintable(QStringLiteral("%1 vs %2").arg(finalLoss[0]).arg(finalLoss[1])));
        // A second write into the same folder refuses to overwrite.
        QVERIFY(!writeDemo(dir.path()).ok());
    }

    // ModelCheckpoint(save_best_only) keeps the epoch of the lowest val_loss in the CSV log;
    // with a checkpoint every epoch, the .h5 holds exactly that checkpoint's weights and slots.
    void bestModelIsTheBestEpochsCheckpoint()
    {
        QTemporaryDir dir;
        DemoOptions options;
        options.epochs = 15;
        options.checkpointEvery = 1;
        options.maxToKeep = 0; // keep every checkpoint
        auto runs = writeDemo(dir.path(), options);
        QVERIFY(runs.ok());
        for (const auto &run : runs.value()) {
            const auto rows = csvRows(run + QStringLiteral("/training_log.csv"));
            QCOMPARE(rows.size(), 16);
            int best = -1;
            double bestLoss = 0;
            for (int i = 1; i < rows.size(); ++i) {
                const double v = rows[i][4].toDouble();
                if (best < 0 || v < bestLoss) {
                    best = rows[i][0].toInt();
                    bestLoss = v;
                }
            }
            auto opened =
                ReaderRegistry::builtin().open(run + QStringLiteral("/ckpt-%1").arg(best + 1));
            QVERIFY2(opened.ok(), opened.ok() ? "" : qPrintable(opened.error().message()));
            const auto &cp = *opened->checkpoints.front();
            QCOMPARE(int64At(cp, QStringLiteral("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE")),
                     std::int64_t(best + 1) * stepsPerEpoch());
            auto h5 = ReaderRegistry::builtin().open(run + QStringLiteral("/best_model.h5"));
            QVERIFY(h5.ok());
            const auto &model = *h5->checkpoints.front();
            const char *names[] = {"dense", "dense_1", "dense_2"};
            int compared = 0;
            for (int l = 0; l < 3; ++l)
                for (const char *w : {"kernel", "bias"}) {
                    const QString var =
                        QStringLiteral("model/layer_with_weights-%1/%2").arg(l).arg(w);
                    const QByteArray inCkpt = tensorBytes(cp, var + "/.ATTRIBUTES/VARIABLE_VALUE");
                    const QByteArray inH5 = tensorBytes(
                        model, QStringLiteral("model_weights/%1/%1/%2:0").arg(names[l]).arg(w));
                    QVERIFY(!inCkpt.isEmpty());
                    QCOMPARE(inH5, inCkpt);
                    for (const char *slot : {"m", "v"}) {
                        const QByteArray slotCkpt = tensorBytes(
                            cp, QStringLiteral(
                                    "%1/.OPTIMIZER_SLOT/optimizer/%2/.ATTRIBUTES/VARIABLE_VALUE")
                                    .arg(var, slot));
                        const QByteArray slotH5 =
                            tensorBytes(model, QStringLiteral("optimizer_weights/Adam/%1/%2/%3:0")
                                                   .arg(names[l], w, slot));
                        QVERIFY(!slotCkpt.isEmpty());
                        QCOMPARE(slotH5, slotCkpt);
                    }
                    ++compared;
                }
            QCOMPARE(compared, 6);
            QCOMPARE(int64At(model, QStringLiteral("optimizer_weights/Adam/iter:0")),
                     std::int64_t(best + 1) * stepsPerEpoch());
        }
    }

    // h5py, where it is installed, reads the best-epoch .h5 as Keras would: names from the
    // layer_names and weight_names attributes, the model config as JSON, and datasets whose
    // sums equal those of the run's checkpoint of that epoch.
    void h5pyReadsTheBestModel()
    {
        const QString python =
            QStandardPaths::findExecutable(QStringLiteral("python3"), {QStringLiteral("/usr/bin")});
        if (python.isEmpty() || QProcess::execute(python, {"-c", "import h5py, numpy"}) != 0)
            QSKIP("python3 with h5py and numpy is not installed");
        QTemporaryDir dir;
        DemoOptions options;
        options.epochs = 10;
        options.checkpointEvery = 1;
        options.maxToKeep = 0;
        auto runs = writeDemo(dir.path(), options);
        QVERIFY(runs.ok());
        const char *script = R"(
import h5py, json, sys
import numpy as np
f = h5py.File(sys.argv[1], 'r')
mw = f['model_weights']
out = {'keras_version': f.attrs['keras_version'],
       'class_name': json.loads(f.attrs['model_config'])['class_name'],
       'iter': int(f['optimizer_weights']['Adam/iter:0'][()]),
       'layers': []}
for name in mw.attrs['layer_names']:
    g = mw[name.decode()]
    out['layers'].append({'name': name.decode(), 'weights': [
        {'name': w.decode(), 'shape': list(g[w.decode()].shape),
         'sum': float(np.sum(g[w.decode()][()].astype(np.float64)))}
        for w in g.attrs['weight_names']]})
print(json.dumps(out))
)";
        QProcess p;
        p.start(python, {QStringLiteral("-c"), QString::fromLatin1(script),
                         runs->first() + QStringLiteral("/best_model.h5")});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        QCOMPARE(o.value("keras_version").toString(), QStringLiteral("2.7.0"));
        QCOMPARE(o.value("class_name").toString(), QStringLiteral("Sequential"));
        const auto epochs = o.value("iter").toInteger() / stepsPerEpoch();
        auto ckpt =
            ReaderRegistry::builtin().open(runs->first() + QStringLiteral("/ckpt-%1").arg(epochs));
        QVERIFY(ckpt.ok());
        const auto &cp = *ckpt->checkpoints.front();
        const QJsonArray layers = o.value("layers").toArray();
        QCOMPARE(layers.size(), 3);
        for (int l = 0; l < 3; ++l) {
            const QJsonObject layer = layers[l].toObject();
            QCOMPARE(layer.value("name").toString(),
                     l ? QStringLiteral("dense_%1").arg(l) : QStringLiteral("dense"));
            const QJsonArray weights = layer.value("weights").toArray();
            QCOMPARE(weights.size(), 2);
            for (int k = 0; k < 2; ++k) {
                const QJsonObject w = weights[k].toObject();
                const QString var = QStringLiteral("model/layer_with_weights-%1/%2")
                                        .arg(l)
                                        .arg(k ? "bias" : "kernel");
                QCOMPARE(w.value("name").toString(),
                         layer.value("name").toString() + (k ? "/bias:0" : "/kernel:0"));
                const QByteArray bytes = tensorBytes(cp, var + "/.ATTRIBUTES/VARIABLE_VALUE");
                QVERIFY(!bytes.isEmpty());
                double sum = 0;
                for (qsizetype i = 0; i < bytes.size(); i += 4) {
                    float x;
                    std::memcpy(&x, bytes.constData() + i, 4);
                    sum += x;
                }
                QVERIFY2(std::abs(w.value("sum").toDouble() - sum) <= 1e-9 * (1 + std::abs(sum)),
                         qPrintable(var));
            }
        }
    }

    // One seed, one start time: two writes give the same tensors, logs and event files byte
    // for byte; another seed gives other weights.
    void deterministicForASeed()
    {
        QTemporaryDir a, b, c;
        DemoOptions options;
        options.epochs = 10;
        options.startTime = 1.7e9;
        QVERIFY(writeDemo(a.path(), options).ok());
        QVERIFY(writeDemo(b.path(), options).ok());
        options.seed = 8;
        QVERIFY(writeDemo(c.path(), options).ok());
        const QString key =
            QStringLiteral("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        for (const auto &name : demoRunNames()) {
            const QString ra = a.filePath(name), rb = b.filePath(name);
            for (const QString file :
                 {"ckpt-2.index", "ckpt-2.data-00000-of-00001", "training_log.csv", "checkpoint"})
                QCOMPARE(test::readFile(ra + '/' + file), test::readFile(rb + '/' + file));
            for (const QString sub : {"train", "validation"}) {
                const auto fa = QDir(ra + '/' + sub).entryList(QDir::Files);
                QCOMPARE(fa, QDir(rb + '/' + sub).entryList(QDir::Files));
                QCOMPARE(fa.size(), 1);
                QCOMPARE(test::readFile(ra + '/' + sub + '/' + fa.first()),
                         test::readFile(rb + '/' + sub + '/' + fa.first()));
            }
            auto ha = ReaderRegistry::builtin().open(ra + QStringLiteral("/best_model.h5"));
            auto hb = ReaderRegistry::builtin().open(rb + QStringLiteral("/best_model.h5"));
            QVERIFY(ha.ok() && hb.ok());
            const auto &ia = *ha->checkpoints.front(), &ib = *hb->checkpoints.front();
            QCOMPARE(ia.index().tensors.size(), ib.index().tensors.size());
            for (const auto &t : ia.index().tensors)
                QCOMPARE(tensorBytes(ia, t.key), tensorBytes(ib, t.key));
            auto ca = ReaderRegistry::builtin().open(ra + QStringLiteral("/ckpt-2"));
            auto cc = ReaderRegistry::builtin().open(c.filePath(name) + QStringLiteral("/ckpt-2"));
            QVERIFY(ca.ok() && cc.ok());
            QVERIFY(tensorBytes(*ca->checkpoints.front(), key) !=
                    tensorBytes(*cc->checkpoints.front(), key));
        }
    }

    void headlessDemoWritesReport()
    {
        QTemporaryDir home;
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
            env.remove(QString::fromLatin1(v));
        env.insert(QStringLiteral("HOME"), home.path());
        env.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral("data")));
        p.setProcessEnvironment(env);
        p.setWorkingDirectory(home.path());
        p.setStandardInputFile(QProcess::nullDevice());
        p.start(QStringLiteral(WEIGHTLENS_BINARY), {QStringLiteral("--demo")});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const QString reportPath = home.filePath(QStringLiteral("weightlens-demo-report.html"));
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("no display") && err.contains(reportPath.toUtf8()), err.constData());
        QFile report(reportPath);
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray html = report.readAll();
        // XHTML: it parses, and holds the curves of both runs as embedded images.
        QXmlStreamReader x(html);
        QString text;
        int images = 0;
        while (!x.atEnd()) {
            x.readNext();
            if (x.isCharacters())
                text += x.text();
            if (x.isStartElement() && x.name() == QLatin1String("img") &&
                x.attributes().value(QLatin1String("src")).startsWith(QLatin1String("data:")))
                ++images;
        }
        QVERIFY2(!x.hasError(), qPrintable(x.errorString()));
#ifdef WEIGHTLENS_TESTS_HAVE_GUI
        QVERIFY(images >= 5);
#else
        QCOMPARE(images, 0); // no window libraries, no plots
#endif
        QVERIFY(text.contains(QLatin1String("ckpt-10 (latest)")));
        QVERIFY(text.contains(QLatin1String("Training curves")));
        QVERIFY(text.contains(QLatin1String("model/layer_with_weights-2/kernel")));
        for (const auto &name : demoRunNames())
            QVERIFY(text.contains(name));
    }

    void reportRefusesToOverwriteAnInput()
    {
        QTemporaryDir dir;
        auto runs = writeDemo(dir.path());
        QVERIFY(runs.ok());
        const QString index = runs->first() + QStringLiteral("/ckpt-10.index");
        const auto r = test::runWeightLens(
            {QStringLiteral("report"), runs->first(), QStringLiteral("-o"), index});
        QCOMPARE(r.exitCode, 2);
        QFile f(index);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.size() > 0 && !f.readAll().startsWith("# WeightLens"));
    }
};

QTEST_GUILESS_MAIN(TestDemo)
#include "tst_demo.moc"
