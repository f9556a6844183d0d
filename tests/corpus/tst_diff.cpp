// Checkpoint comparison on corpus checkpoints: name matching on real key sets, and every diff
// metric against a double-precision loop over the tensor bytes read straight from the .data
// shards at the offsets GROUND_TRUTH_TF.json gives, not through WeightLens's readers.

#include "testutil.h"

#include "compare/diffengine.h"
#include "core/permute.h"
#include "formats/readerregistry.h"
#include "write/pytorchwriter.h"

#include <QHash>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace wl;

namespace
{

using test::Raw;
using test::rawTensors;

struct Expected {
    double maxAbs = 0, meanAbs = 0, relL2 = 0, cosine = 0, changed = 0;
    bool identical = false;
    bool hasRel = false, hasCos = false;
};

// float32 pairs in double precision, element by element.
Expected expectFloat32(const QByteArray &a, const QByteArray &b)
{
    Expected e;
    const qsizetype n = a.size() / 4;
    double sumAbs = 0, sumSq = 0, a2 = 0, b2 = 0, ab = 0;
    qint64 changed = 0, finite = 0;
    for (qsizetype i = 0; i < n; ++i) {
        float fx, fy;
        std::memcpy(&fx, a.constData() + 4 * i, 4);
        std::memcpy(&fy, b.constData() + 4 * i, 4);
        const double x = fx, y = fy;
        if (x != y && !(std::isnan(x) && std::isnan(y)))
            ++changed;
        if (!std::isfinite(x) || !std::isfinite(y))
            continue;
        ++finite;
        const double d = std::fabs(x - y);
        e.maxAbs = std::max(e.maxAbs, d);
        sumAbs += d;
        sumSq += d * d;
        a2 += x * x;
        b2 += y * y;
        ab += x * y;
    }
    e.meanAbs = finite ? sumAbs / double(finite) : 0;
    e.hasRel = a2 > 0;
    e.relL2 = e.hasRel ? std::sqrt(sumSq / a2) : 0;
    e.hasCos = a2 > 0 && b2 > 0;
    e.cosine = e.hasCos ? ab / std::sqrt(a2 * b2) : 0;
    e.changed = n ? double(changed) / double(n) : 0;
    e.identical = a == b;
    return e;
}

bool near(double got, double want, double rel = 2e-6)
{
    return std::fabs(got - want) <= rel * std::max(std::fabs(want), 1e-30) + 1e-300;
}

} // namespace

class TstDiff : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void canonicalNames()
    {
        QCOMPARE(canonicalTensorName("dense_1/dense_1/kernel:0"), QString("dense_1/kernel"));
        QCOMPARE(canonicalTensorName("model/layer_with_weights-0/kernel/.ATTRIBUTES/"
                                     "VARIABLE_VALUE"),
                 QString("model/layer_with_weights-0/kernel"));
        QCOMPARE(canonicalTensorName("model_weights/lstm/lstm/lstm_cell/kernel:0"),
                 QString("lstm/lstm_cell/kernel"));
        QCOMPARE(canonicalTensorName("a/b:12"), QString("a/b"));
    }

    void rules()
    {
        auto plain = parseNameRule("actor/=critic/");
        QVERIFY(plain.ok());
        QCOMPARE(plain->apply("actor/hidden1/bias"), QString("critic/hidden1/bias"));
        auto re = parseNameRule(R"(re:^(\w+)/hidden(\d)=\1/layer\2)");
        QVERIFY(re.ok());
        QCOMPARE(re->apply("actor/hidden1/bias"), QString("actor/layer1/bias"));
        QVERIFY(!parseNameRule("no-equals").ok());
        QVERIFY(!parseNameRule("re:(unclosed=x").ok());
    }

    // Two steps of one run share every key.
    void matchesConsecutiveSteps_data()
    {
        QTest::addColumn<QString>("item");
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::newRow("a2c 7-8") << "tf2-checkpoint/a2c-suspension-ckpts"
                                 << "ckpt-7"
                                 << "ckpt-8";
        QTest::newRow("keras epochs 19-20") << "keras-tf-weights/lstm-md-ckpt-epochs"
                                            << "ckpt_19"
                                            << "ckpt_20";
    }
    void matchesConsecutiveSteps()
    {
        QFETCH(QString, item);
        QFETCH(QString, a);
        QFETCH(QString, b);
        auto ca = test::openOne(test::corpus(item + '/' + a));
        auto cb = test::openOne(test::corpus(item + '/' + b));
        QVERIFY(ca && cb);
        const auto m = matchTensors(ca->index(), cb->index());
        QVERIFY(m.onlyA.isEmpty());
        QVERIFY(m.onlyB.isEmpty());
        QCOMPARE(m.pairs.size(), test::groundTruthTensors(item, a).size());
        for (const auto &p : m.pairs) {
            QCOMPARE(ca->tensor(p.a).key, cb->tensor(p.b).key);
            QVERIFY(p.comparable());
        }
    }

    // A copy of a real index under "model/" keys and names: paired by the shared tail, each
    // tensor with its own original.
    void prefixSetAside()
    {
        auto c = test::openOne(test::corpus("keras-tf-weights/lstm-md-ckpt-epochs/ckpt_1"));
        QVERIFY(c);
        CheckpointIndex prefixed = c->index();
        for (auto &t : prefixed.tensors) {
            t.key = "model/" + t.key;
            t.name = "model/" + t.name;
        }
        const auto m = matchTensors(c->index(), prefixed);
        QVERIFY(m.onlyA.isEmpty());
        QVERIFY(m.onlyB.isEmpty());
        for (const auto &p : m.pairs) {
            QCOMPARE(p.a, p.b);
            QCOMPARE(p.how, TensorMatch::How::Suffix);
        }
    }

    // A rule renaming the actor's tensors onto the critic's: paired by the rule, with the shape
    // mismatches the ground truth's shapes imply; the critic's own tensors in A and the actor's
    // in B are then left over.
    void userRuleOnA2c()
    {
        const QString item = "tf2-checkpoint/a2c-suspension-ckpts";
        auto ca = test::openOne(test::corpus(item + "/ckpt-7"));
        auto cb = test::openOne(test::corpus(item + "/ckpt-8"));
        QVERIFY(ca && cb);
        const auto raw = rawTensors(item, "ckpt-8");
        auto rule = parseNameRule("re:^actor/=critic/");
        QVERIFY(rule.ok());
        const auto m = matchTensors(ca->index(), cb->index(), {rule.value()});
        int byRule = 0;
        for (const auto &p : m.pairs) {
            const auto &ta = ca->tensor(p.a);
            const auto &tb = cb->tensor(p.b);
            if (p.how != TensorMatch::How::Rule) {
                QCOMPARE(ta.key, tb.key);
                continue;
            }
            ++byRule;
            QVERIFY2(ta.key.startsWith("actor/"), qPrintable(ta.key));
            QCOMPARE(tb.key, QString(ta.key).replace(0, 6, "critic/"));
            QCOMPARE(p.shapeMismatch, raw[ta.key].shape != raw[tb.key].shape);
        }
        QVERIFY(byRule > 0);
        QCOMPARE(m.onlyA.size(), m.onlyB.size());
        for (int i : m.onlyA)
            QVERIFY2(ca->tensor(i).key.startsWith("critic/"), qPrintable(ca->tensor(i).key));
        for (int j : m.onlyB)
            QVERIFY2(cb->tensor(j).key.startsWith("actor/"), qPrintable(cb->tensor(j).key));
    }

    // layer_with_weights-N of a Keras TF-format checkpoint against the real .h5 key set: the TF
    // side is built from the .h5's layer order as the ground truth records it.
    void layerOrderAgainstH5()
    {
        const QString item = "keras2-h5-full/churn-ann-ankit";
        auto h5 = test::openOne(test::corpus(item + "/model.h5"));
        QVERIFY(h5);
        const auto gt = test::loadJson(test::corpus(item + "/GROUND_TRUTH.json"));
        const auto datasets = gt["files"]["model.h5"]["datasets"].toObject();
        // Layers in model order, from the dataset paths model_weights/LAYER/.../WEIGHT.
        QStringList layers;
        for (auto it = datasets.begin(); it != datasets.end(); ++it)
            if (it.key().startsWith("model_weights/")) {
                const QString layer = it.key().section('/', 1, 1);
                if (!layers.contains(layer))
                    layers << layer;
            }
        // dense_6 < dense_7 < dense_8 in both name and model order here.
        QCOMPARE(layers, QStringList({"dense_6", "dense_7", "dense_8"}));
        CheckpointIndex tf;
        QHash<QString, QString> expectedPartner; // TF name -> dataset path
        for (auto it = datasets.begin(); it != datasets.end(); ++it) {
            if (!it.key().startsWith("model_weights/"))
                continue;
            TensorInfo t;
            t.name = QStringLiteral("layer_with_weights-%1/%2")
                         .arg(layers.indexOf(it.key().section('/', 1, 1)))
                         .arg(it.key().section('/', -1));
            t.key = t.name + "/.ATTRIBUTES/VARIABLE_VALUE";
            t.dtype = DType::Float32;
            for (const auto &d : it.value().toObject()["shape"].toArray())
                t.shape.dims.push_back(d.toInteger());
            tf.tensors << t;
            expectedPartner.insert(t.name, it.key());
        }
        const auto m = matchTensors(tf, h5->index());
        QCOMPARE(m.onlyA.size(), 0);
        QCOMPARE(m.pairs.size(), tf.tensors.size());
        for (const auto &p : m.pairs) {
            QCOMPARE(p.how, TensorMatch::How::LayerOrder);
            QVERIFY(p.comparable());
            const QString want = expectedPartner[tf.tensors[p.a].name];
            const QString key = h5->tensor(p.b).key;
            QVERIFY2(want.endsWith(key.startsWith('/') ? key.mid(1) : key) || key.endsWith(want),
                     qPrintable(want + " vs " + key));
        }
    }

    // Every metric of every float tensor of two checkpoints, against the independent loop.
    void metrics_data()
    {
        QTest::addColumn<QString>("item");
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<bool>("smallWindows");
        const char *a2c = "tf2-checkpoint/a2c-suspension-ckpts";
        const char *md = "keras-tf-weights/lstm-md-ckpt-epochs";
        const char *sh = "keras-tf-weights/lstm-sharded-weights";
        QTest::newRow("a2c 7-8") << a2c << "ckpt-7"
                                 << "ckpt-8" << false;
        QTest::newRow("a2c 8-9") << a2c << "ckpt-8"
                                 << "ckpt-9" << false;
        QTest::newRow("a2c 9-9") << a2c << "ckpt-9"
                                 << "ckpt-9" << false;
        QTest::newRow("keras epochs 1-2") << md << "ckpt_1"
                                          << "ckpt_2" << false;
        QTest::newRow("keras epochs 19-20") << md << "ckpt_19"
                                            << "ckpt_20" << false;
        QTest::newRow("keras epochs 19-20 split") << md << "ckpt_19"
                                                  << "ckpt_20" << true;
        QTest::newRow("two shards 10-15") << sh << "16LSTM_Neurons10Epochs.ckpt"
                                          << "16LSTM_Neurons15Epochs.ckpt" << true;
    }
    void metrics()
    {
        QFETCH(QString, item);
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(bool, smallWindows);
        auto ca = test::openOne(test::corpus(item + '/' + a));
        auto cb = test::openOne(test::corpus(item + '/' + b));
        QVERIFY(ca && cb);
        const auto rawA = rawTensors(item, a);
        const auto rawB = rawTensors(item, b);
        QVERIFY(!rawA.isEmpty());
        const auto m = matchTensors(ca->index(), cb->index());
        DiffRequest req;
        if (smallWindows) {
            // Pieces of a few pages, so tensors are split across threads and windows move.
            req.splitBytes = 4096 * 3;
            req.window = 4096 * 4;
            req.threads = 3;
        }
        const auto diffs = computeDiff(*ca, *cb, m.pairs, req);
        QCOMPARE(diffs.size(), m.pairs.size());
        int floats = 0;
        for (const auto &d : diffs) {
            const QString key = ca->tensor(d.match.a).key;
            QVERIFY2(d.error.isEmpty(), qPrintable(d.error));
            const Raw &ra = rawA[key];
            const Raw &rb = rawB[cb->tensor(d.match.b).key];
            QVERIFY2(!ra.bytes.isEmpty() || ra.shape.contains(0), qPrintable(key));
            QCOMPARE(d.sums.identical, ra.bytes == rb.bytes);
            // Every tensor with bytes has a stored CRC, as the ground truth checked it.
            if (!ra.bytes.isEmpty()) {
                QCOMPARE(d.checksumA, ra.crcOk ? ChecksumState::Ok : ChecksumState::Mismatch);
                QCOMPARE(d.checksumB, rb.crcOk ? ChecksumState::Ok : ChecksumState::Mismatch);
            }
            if (ra.dtype != "DT_FLOAT") {
                QCOMPARE(d.computed, ra.dtype != "DT_STRING");
                continue;
            }
            ++floats;
            QVERIFY(d.computed);
            const Expected e = expectFloat32(ra.bytes, rb.bytes);
            const auto &s = d.sums;
            QCOMPARE(s.count, ra.bytes.size() / 4);
            QVERIFY2(near(s.maxAbs, e.maxAbs), qPrintable(key));
            QVERIFY2(near(s.meanAbs(), e.meanAbs, 1e-5), qPrintable(key));
            QCOMPARE(s.relL2().has_value(), e.hasRel || e.identical);
            if (e.hasRel)
                QVERIFY2(near(*s.relL2(), e.relL2, 1e-5),
                         qPrintable(key + QString(" %1 vs %2").arg(*s.relL2()).arg(e.relL2)));
            QCOMPARE(s.cosine().has_value(), e.hasCos);
            if (e.hasCos)
                QVERIFY2(std::fabs(*s.cosine() - e.cosine) < 1e-6, qPrintable(key));
            QCOMPARE(s.changedFraction(), e.changed);
        }
        QVERIFY(floats > 0);
        // The layer and total sums are the tensors' sums added up.
        const GroupDiff total = diffTotal(diffs);
        double sumSq = 0;
        for (const auto &d : diffs)
            if (d.computed)
                sumSq += d.sums.sumSq;
        QVERIFY(near(total.sums.sumSq, sumSq, 1e-12));
        int inLayers = 0;
        for (const auto &g : diffByLayer(ca->index(), diffs))
            inLayers += g.tensors;
        QCOMPARE(inLayers, total.tensors);
    }

    // One byte changed in a copy of a bundle's data: that tensor's stored CRC no longer
    // matches, whole or in pieces, and the others still do; the original reads as before.
    void damagedCopyFailsItsChecksum_data()
    {
        QTest::addColumn<bool>("smallWindows");
        QTest::newRow("whole") << false;
        QTest::newRow("in pieces") << true;
    }
    void damagedCopyFailsItsChecksum()
    {
        QFETCH(bool, smallWindows);
        const QString item = "keras-tf-weights/lstm-md-ckpt-epochs";
        const QString bundle = "ckpt_20";
        const auto raw = rawTensors(item, bundle);
        QString victim;
        for (auto it = raw.begin(); it != raw.end(); ++it)
            if (it->dtype == "DT_FLOAT" && it->bytes.size() > 4096 * 8 &&
                (victim.isEmpty() || it->bytes.size() > raw[victim].bytes.size()))
                victim = it.key();
        QVERIFY(!victim.isEmpty());
        QTemporaryDir dir;
        for (const QString &f : QDir(test::corpus(item)).entryList({bundle + ".*"}, QDir::Files))
            QVERIFY(QFile::copy(test::corpus(item + '/' + f), dir.filePath(f)));
        const QStringList shards = QDir(dir.path()).entryList({bundle + ".data-*"}, QDir::Files);
        QCOMPARE(shards.size(), 1);
        QFile data(dir.filePath(shards.front()));
        QVERIFY(data.open(QIODevice::ReadWrite));
        const qint64 at = raw[victim].offset + raw[victim].bytes.size() * 3 / 4;
        QVERIFY(data.seek(at));
        char byte = data.read(1).at(0);
        byte = char(byte ^ 0x10);
        QVERIFY(data.seek(at));
        QCOMPARE(data.write(&byte, 1), qint64(1));
        data.close();

        auto ca = test::openOne(test::corpus(item + '/' + bundle));
        auto cb = test::openOne(dir.filePath(bundle));
        QVERIFY(ca && cb);
        DiffRequest req;
        if (smallWindows) {
            req.splitBytes = 4096 * 3;
            req.window = 4096 * 4;
            req.threads = 3;
        }
        const auto m = matchTensors(ca->index(), cb->index());
        const auto diffs = computeDiff(*ca, *cb, m.pairs, req);
        int checked = 0;
        for (const auto &d : diffs) {
            const QString key = ca->tensor(d.match.a).key;
            if (raw[key].bytes.isEmpty())
                continue;
            ++checked;
            QCOMPARE(d.checksumA, ChecksumState::Ok);
            QCOMPARE(d.checksumB, key == victim ? ChecksumState::Mismatch : ChecksumState::Ok);
            QCOMPARE(d.sums.identical, key != victim);
        }
        QCOMPARE(checked, raw.size() - int(std::count_if(raw.begin(), raw.end(), [](const Raw &r) {
                              return r.bytes.isEmpty();
                          })));

        // The command line warns, names file and key, and says so in the JSON line.
        const auto run = test::runWeightLens(
            {"diff", "--json", test::corpus(item + '/' + bundle), dir.filePath(bundle)});
        QVERIFY2(run.err.contains("checksum mismatch"), run.err.constData());
        QVERIFY(run.err.contains(victim.toUtf8()));
        int mismatches = 0;
        for (const auto &o : test::jsonLines(run.out))
            if (o.value("checksum_b").toString() == "mismatch") {
                ++mismatches;
                QCOMPARE(o.value("key").toString(), victim);
            }
        QCOMPARE(mismatches, 1);
    }

    void cancelled()
    {
        const QString item = "keras-tf-weights/lstm-md-ckpt-epochs";
        auto ca = test::openOne(test::corpus(item + "/ckpt_1"));
        auto cb = test::openOne(test::corpus(item + "/ckpt_2"));
        QVERIFY(ca && cb);
        std::atomic<bool> cancel{true};
        const JobContext job(&cancel);
        const auto m = matchTensors(ca->index(), cb->index());
        const auto diffs = computeDiff(*ca, *cb, m.pairs, {}, job);
        for (const auto &d : diffs) {
            QCOMPARE(d.error, QString("cancelled"));
            QVERIFY(!d.computed);
        }
    }

    // Different model sizes of one architecture: every weight is a shape mismatch.
    void shapeMismatches()
    {
        const QString item = "keras-tf-weights/lstm-sharded-weights";
        auto ca = test::openOne(test::corpus(item + "/16LSTM_Neurons10Epochs.ckpt"));
        auto cb = test::openOne(test::corpus(item + "/32LSTM_Neurons10Epochs.ckpt"));
        QVERIFY(ca && cb);
        const auto rawA = rawTensors(item, "16LSTM_Neurons10Epochs.ckpt");
        const auto rawB = rawTensors(item, "32LSTM_Neurons10Epochs.ckpt");
        const auto m = matchTensors(ca->index(), cb->index());
        int mismatched = 0;
        for (const auto &p : m.pairs) {
            const auto &ka = ca->tensor(p.a).key;
            const auto &kb = cb->tensor(p.b).key;
            QCOMPARE(p.shapeMismatch, rawA[ka].shape != rawB[kb].shape);
            mismatched += p.shapeMismatch;
        }
        QVERIFY(mismatched > 0);
        const auto diffs = computeDiff(*ca, *cb, m.pairs);
        for (const auto &d : diffs)
            if (!d.match.comparable())
                QVERIFY(!d.computed && d.error.isEmpty());
    }

    // A Keras .h5 against a PyTorch port of the same model, made here from the .h5's weights as
    // a port does: Dense kernels transposed to nn.Linear's [out, in], BatchNormalization's
    // gamma, beta and moving statistics as weight, bias, running_mean and running_var, and a
    // num_batches_tracked per BatchNorm; one element of fc3.bias moved by 0.5 and one of
    // fc1.weight (output 2, input 5) by 0.25. `--map` rules pair every weight; the kernels are
    // compared in the .h5's layout, element for element against the port transposed back here.
    void kerasAgainstPyTorchPort()
    {
        const QString h5 = test::corpus("keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5");
        QString error;
        auto cp = test::openOne(h5, &error);
        QVERIFY2(cp, qPrintable(error));
        const auto &idx = cp->index();
        const QList<QPair<QString, QString>> layers{
            {"batch_normalization_9", "bn1"},  {"dense_9", "fc1"},
            {"batch_normalization_10", "bn2"}, {"dense_10", "fc2"},
            {"batch_normalization_11", "bn3"}, {"dense_11", "fc3"}};
        const QList<QPair<QString, QString>> params{{"kernel", "weight"},
                                                    {"bias", "bias"},
                                                    {"gamma", "weight"},
                                                    {"beta", "bias"},
                                                    {"moving_mean", "running_mean"},
                                                    {"moving_variance", "running_var"}};
        QStringList args{"diff", "--json"};
        std::vector<PyTorchTensor> port;
        QHash<QString, QByteArray> kerasBytes, portBytes; // by the port's key
        QHash<QString, QList<qint64>> kerasShape;
        for (const auto &[keras, torch] : layers) {
            args << "--map" << keras + "/=" + torch + "/";
            for (int i = 0; i < idx.tensors.size(); ++i) {
                const auto &t = idx.tensors[i];
                if (t.role != TensorRole::Variable || !t.name.startsWith(keras + "/"))
                    continue;
                const QString param = t.name.mid(keras.size() + 1);
                auto read = cp->readTensor(i);
                QVERIFY(read.ok());
                QByteArray b = *read;
                Shape shape = t.shape;
                const QString key =
                    torch + "." + std::find_if(params.begin(), params.end(), [&](const auto &p) {
                                      return p.first == param;
                                  })->second;
                kerasBytes.insert(key, b);
                kerasShape.insert(key, QList<qint64>(t.shape.dims.begin(), t.shape.dims.end()));
                if (param == "kernel") {
                    const qint64 rows = t.shape.dims[0], cols = t.shape.dims[1];
                    QByteArray tr(b.size(), '\0');
                    for (qint64 r = 0; r < rows; ++r)
                        for (qint64 c = 0; c < cols; ++c)
                            std::memcpy(tr.data() + 4 * (c * rows + r),
                                        b.constData() + 4 * (r * cols + c), 4);
                    b = tr;
                    shape.dims = {cols, rows};
                    if (key == "fc1.weight") {
                        float f;
                        std::memcpy(&f, b.constData() + 4 * (2 * rows + 5), 4);
                        f += 0.25f;
                        std::memcpy(b.data() + 4 * (2 * rows + 5), &f, 4);
                    }
                }
                if (key == "fc3.bias") {
                    float f;
                    std::memcpy(&f, b.constData() + 12, 4);
                    f += 0.5f;
                    std::memcpy(b.data() + 12, &f, 4);
                }
                portBytes.insert(key, b);
                port.push_back(
                    {key, DType::Float32, shape, [b]() -> Result<QByteArray> { return b; }});
            }
            if (torch.startsWith("bn")) {
                const QByteArray steps(8, '\0');
                port.push_back({torch + ".num_batches_tracked", DType::Int64, Shape{},
                                [steps]() -> Result<QByteArray> { return steps; }});
            }
        }
        QCOMPARE(portBytes.size(), 18);
        for (const auto &[from, to] : params)
            if (from != to)
                args << "--map"
                     << "/" + from + "=/" + to;
        QTemporaryDir dir;
        const QString pt = dir.filePath("port.pt");
        auto written = writePyTorch(pt, port);
        QVERIFY2(written.ok(), qPrintable(written.ok() ? QString() : written.error().message()));

        const auto run = test::runWeightLens(args << h5 << pt);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        int compared = 0, transposed = 0, onlyA = 0;
        QStringList onlyB;
        for (const auto &o : test::jsonLines(run.out)) {
            if (o["only_in"].toString() == "A") {
                // The .h5's Adam state has no counterpart in a state_dict.
                QVERIFY2(idx.tensors[idx.indexOfKey(o["key"].toString())].role !=
                             TensorRole::Variable,
                         qPrintable(o["key"].toString()));
                ++onlyA;
                continue;
            }
            if (o["only_in"].toString() == "B") {
                onlyB << o["key"].toString();
                continue;
            }
            const QString key = o["key_b"].toString();
            QVERIFY2(portBytes.contains(key), qPrintable(key));
            QVERIFY2(!o.contains("mismatch"), qPrintable(key));
            QCOMPARE(o["matched_by"].toString(), QString("rule"));
            QByteArray b = portBytes.value(key);
            if (o.contains("axes_b")) {
                QVERIFY(key.endsWith(".weight") && key.startsWith("fc"));
                const auto a = kerasShape.value(key);
                QCOMPARE(o["shape"].toArray(), QJsonArray({a[0], a[1]}));
                QCOMPARE(o["shape_b"].toArray(), QJsonArray({a[1], a[0]}));
                QCOMPARE(o["axes_b"].toArray(), QJsonArray({1, 0}));
                QByteArray back(b.size(), '\0'); // [out, in] to [in, out]
                for (qint64 r = 0; r < a[0]; ++r)
                    for (qint64 c = 0; c < a[1]; ++c)
                        std::memcpy(back.data() + 4 * (r * a[1] + c),
                                    b.constData() + 4 * (c * a[0] + r), 4);
                b = back;
                ++transposed;
            }
            const Expected e = expectFloat32(kerasBytes.value(key), b);
            QCOMPARE(o["identical"].toBool(), e.identical);
            QCOMPARE(o["identical"].toBool(), key != "fc3.bias" && key != "fc1.weight");
            QVERIFY2(near(o["max_abs_diff"].toDouble(), e.maxAbs), qPrintable(key));
            QCOMPARE(o["changed_fraction"].toDouble(), e.changed);
            if (e.hasCos)
                QVERIFY(std::fabs(o["cosine"].toDouble() - e.cosine) < 1e-6);
            ++compared;
        }
        QCOMPARE(compared, 18);
        QCOMPARE(transposed, 3);
        QCOMPARE(onlyA, int(idx.tensors.size()) - 18);
        onlyB.sort();
        QCOMPARE(onlyB, QStringList({"bn1.num_batches_tracked", "bn2.num_batches_tracked",
                                     "bn3.num_batches_tracked"}));

        // Restoring the .h5's kernel into the port writes it in the port's layout: the port's
        // fc1.weight becomes the kernel transposed, undoing the moved element.
        QStringList restore{
            "restore",  "--from",    h5, "--into", pt, "--out", dir.filePath("fixed.pt"),
            "--select", "fc1.weight"};
        for (qsizetype i = 2; i + 1 < args.size() && args[i] == "--map"; i += 2)
            restore << args[i] << args[i + 1];
        const auto fixed = test::runWeightLens(restore);
        QVERIFY2(fixed.exitCode == 0, fixed.err.constData());
        auto out = test::openOne(dir.filePath("fixed.pt"));
        QVERIFY(out);
        const int w = out->index().indexOfKey("fc1.weight");
        QVERIFY(w >= 0);
        auto got = out->readTensor(w);
        QVERIFY(got.ok());
        const auto a = kerasShape.value("fc1.weight");
        const QByteArray k = kerasBytes.value("fc1.weight");
        QByteArray want(k.size(), '\0');
        for (qint64 r = 0; r < a[0]; ++r)
            for (qint64 c = 0; c < a[1]; ++c)
                std::memcpy(want.data() + 4 * (c * a[0] + r), k.constData() + 4 * (r * a[1] + c),
                            4);
        QVERIFY(*got == want);
        QVERIFY(want != portBytes.value("fc1.weight"));
    }

    // Keras's [h, w, in, out] kernels against PyTorch's [out, in, h, w] weights: the axes found
    // from the names, and B's elements reordered into A's order, checked against the index
    // arithmetic of both layouts.
    void convolutionLayouts()
    {
        TensorInfo kernel, weight;
        kernel.name = "conv2d/kernel";
        kernel.shape.dims = {3, 2, 4, 5};
        weight.name = "conv1.weight";
        weight.shape.dims = {5, 4, 3, 2};
        QCOMPARE(layoutAxes(kernel, weight), std::vector<int>({2, 3, 1, 0}));
        QCOMPARE(layoutAxes(weight, kernel), std::vector<int>({3, 2, 0, 1}));
        std::vector<float> torch(5 * 4 * 3 * 2), keras(torch.size());
        for (int o = 0; o < 5; ++o)
            for (int i = 0; i < 4; ++i)
                for (int h = 0; h < 3; ++h)
                    for (int x = 0; x < 2; ++x)
                        torch[std::size_t(((o * 4 + i) * 3 + h) * 2 + x)] =
                            float(o * 1000 + i * 100 + h * 10 + x);
        permuteAxes(torch.data(), weight.shape.dims, layoutAxes(kernel, weight), 4, keras.data());
        for (int h = 0; h < 3; ++h)
            for (int x = 0; x < 2; ++x)
                for (int i = 0; i < 4; ++i)
                    for (int o = 0; o < 5; ++o)
                        QCOMPARE(keras[std::size_t(((h * 2 + x) * 4 + i) * 5 + o)],
                                 float(o * 1000 + i * 100 + h * 10 + x));
        std::vector<float> back(torch.size());
        permuteAxes(keras.data(), kernel.shape.dims, layoutAxes(weight, kernel), 4, back.data());
        QVERIFY(back == torch);

        // A square Dense kernel is transposed by its names; equal non-square shapes and
        // same-layout names are not.
        kernel.shape.dims = {4, 4};
        weight.shape.dims = {4, 4};
        QCOMPARE(layoutAxes(kernel, weight), std::vector<int>({1, 0}));
        kernel.shape.dims = {3, 5};
        weight.shape.dims = {3, 5};
        QVERIFY(layoutAxes(kernel, weight).empty());
        weight.name = "dense/kernel";
        weight.shape.dims = {5, 3};
        QVERIFY(layoutAxes(kernel, weight).empty());
    }

    // The command line prints the engine's numbers as JSON Lines, then the unmatched.
    void cliJson()
    {
        const QString item = "tf2-checkpoint/a2c-suspension-ckpts";
        const auto rawA = rawTensors(item, "ckpt-7");
        const auto rawB = rawTensors(item, "ckpt-8");
        auto run = test::runWeightLens(
            {"diff", "--json", test::corpus(item + "/ckpt-7"), test::corpus(item + "/ckpt-8")});
        QCOMPARE(run.exitCode, 0);
        const auto lines = test::jsonLines(run.out);
        QCOMPARE(lines.size(), rawA.size());
        for (const auto &o : lines) {
            const QString key = o["key"].toString();
            QVERIFY(rawA.contains(key));
            QCOMPARE(o["identical"].toBool(), rawA[key].bytes == rawB[key].bytes);
            if (rawA[key].dtype != "DT_FLOAT")
                continue;
            const Expected e = expectFloat32(rawA[key].bytes, rawB[key].bytes);
            QVERIFY2(near(o["max_abs_diff"].toDouble(), e.maxAbs), qPrintable(key));
            QVERIFY2(near(o["mean_abs_diff"].toDouble(), e.meanAbs, 1e-5), qPrintable(key));
            if (e.hasRel)
                QVERIFY2(near(o["rel_l2"].toDouble(), e.relL2, 1e-5), qPrintable(key));
            if (e.hasCos)
                QVERIFY(std::fabs(o["cosine"].toDouble() - e.cosine) < 1e-6);
            QCOMPARE(o["changed_fraction"].toDouble(), e.changed);
        }

        run = test::runWeightLens({"diff", "--json", "--map", "re:^actor/=critic/",
                                   test::corpus(item + "/ckpt-7"), test::corpus(item + "/ckpt-8")});
        QCOMPARE(run.exitCode, 0);
        int onlyA = 0, onlyB = 0, mismatches = 0;
        for (const auto &o : test::jsonLines(run.out)) {
            onlyA += o["only_in"].toString() == "A";
            onlyB += o["only_in"].toString() == "B";
            if (o.contains("mismatch")) {
                ++mismatches;
                QVERIFY(o["key"].toString().startsWith("actor/"));
                QCOMPARE(o["shape_a"].toArray() != o["shape_b"].toArray(),
                         o["mismatch"].toString() == "shape");
            }
        }
        QVERIFY(onlyA > 0);
        QCOMPARE(onlyA, onlyB);

        QCOMPARE(test::runWeightLens({"diff", test::corpus(item + "/ckpt-7")}).exitCode, 2);
        QCOMPARE(test::runWeightLens({"diff", "--map", "x", test::corpus(item + "/ckpt-7"),
                                      test::corpus(item + "/ckpt-8")})
                     .exitCode,
                 2);
        const auto missing =
            test::runWeightLens({"diff", test::corpus(item + "/ckpt-7"), "/nonexistent/ckpt-1"});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.err.contains("nonexistent"));
        // A run folder is several checkpoints: the message names them.
        const auto folder =
            test::runWeightLens({"diff", test::corpus(item), test::corpus(item + "/ckpt-8")});
        QCOMPARE(folder.exitCode, 1);
        QVERIFY2(folder.err.contains("ckpt-7"), folder.err.constData());
    }
};

QTEST_GUILESS_MAIN(TstDiff)
#include "tst_diff.moc"
