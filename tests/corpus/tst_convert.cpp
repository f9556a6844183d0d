// Convert on corpus checkpoints: TF -> Keras .h5 -> safetensors -> TF carries every numeric
// tensor's bytes (sha256 from GROUND_TRUTH_TF.json) under its readable name, TF -> TF keeps the
// object graph, each intermediate file is a valid file of its format, an interrupted or refused
// conversion leaves nothing under the final name, and the inputs are never modified.

#include "testutil.h"

#include "formats/readerregistry.h"
#include "write/convert.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using namespace wl;
using wl::test::jsonLines;
using wl::test::runWeightLens;

namespace
{

const char *const kA2c = "tf2-checkpoint/a2c-suspension-ckpts";
const char *const kEpochs = "keras-tf-weights/lstm-md-ckpt-epochs";
const char *const kMlp = "keras2-h5-full/mnist-mlp-h5";
const char *const kTorch = "pytorch/mnist-mlp-pt";

QHash<QString, QByteArray> fileDigests()
{
    return test::corpusDigests({kA2c, kEpochs, kMlp, kTorch});
}

QStringList sorted(QStringList l)
{
    l.sort();
    return l;
}

// A safetensors file's header and byte buffer, split here on their own.
struct SafetensorsParts {
    quint64 headerSize = 0;
    QJsonObject header;
    QByteArray buffer;
};

std::optional<SafetensorsParts> safetensorsParts(const QByteArray &f)
{
    SafetensorsParts p;
    if (f.size() < 8)
        return std::nullopt;
    std::memcpy(&p.headerSize, f.constData(), 8);
    if (8 + p.headerSize > quint64(f.size()))
        return std::nullopt;
    p.header = QJsonDocument::fromJson(f.mid(8, qsizetype(p.headerSize))).object();
    p.buffer = f.mid(8 + qsizetype(p.headerSize));
    return p;
}

// The safetensors header read here on its own: offsets relative to the buffer must tile it.
QString safetensorsLayoutError(const QString &path)
{
    const QByteArray f = test::readFile(path);
    const auto parts = safetensorsParts(f);
    if (!parts)
        return "short file or header";
    const quint64 n = parts->headerSize;
    if (n % 8 != 0)
        return QString("header length %1").arg(n);
    const QJsonObject &h = parts->header;
    QList<QPair<qint64, qint64>> ranges;
    for (auto it = h.begin(); it != h.end(); ++it)
        if (it.key() != "__metadata__") {
            const auto o = it.value().toObject()["data_offsets"].toArray();
            ranges.append({o[0].toInteger(), o[1].toInteger()});
        }
    std::sort(ranges.begin(), ranges.end());
    qint64 at = 0;
    for (const auto &r : ranges) {
        if (r.first != at)
            return QString("gap at %1").arg(at);
        at = r.second;
    }
    return at == f.size() - 8 - qint64(n) ? QString() : QString("buffer ends at %1").arg(at);
}

} // namespace

class TstConvert : public QObject
{
    Q_OBJECT
    QHash<QString, QByteArray> m_before;

private slots:
    void initTestCase()
    {
        WL_REQUIRE_CORPUS();
        m_before = fileDigests();
        QVERIFY(!m_before.isEmpty());
    }
    void cleanupTestCase() { QCOMPARE(fileDigests(), m_before); }

    void roundTrip_data()
    {
        QTest::addColumn<QString>("item");
        QTest::addColumn<QString>("bundle");
        QTest::newRow("a2c ckpt-9") << kA2c << "ckpt-9";
        QTest::newRow("keras epochs ckpt_20") << kEpochs << "ckpt_20";
    }

    // TF -> h5 -> safetensors -> TF: every numeric tensor arrives with its bytes under its
    // readable name; only the strings (object graph, config JSON) are left out.
    void roundTrip()
    {
        QFETCH(QString, item);
        QFETCH(QString, bundle);
        QTemporaryDir dir;
        const QString in = test::corpus(item + "/" + bundle);
        const QString h5 = dir.filePath("w.h5"), st = dir.filePath("w.safetensors"),
                      tf = dir.filePath("back");
        auto run = runWeightLens({"convert", in, h5});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.err.contains("left out _CHECKPOINTABLE_OBJECT_GRAPH"));
        run = runWeightLens({"convert", h5, st});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        run = runWeightLens({"convert", "--format", "tf", st, tf});
        QVERIFY2(run.exitCode == 0, run.err.constData());

        // The expected name of each numeric tensor, worked out here from its key.
        QHash<QString, QString> expected;
        QStringList digests;
        for (const auto &v : test::groundTruthTensors(item, bundle)) {
            const auto o = v.toObject();
            if (o["dtype"].toString() == "DT_STRING")
                continue;
            QString name = o["key"].toString();
            name.remove(QRegularExpression("/\\.ATTRIBUTES/VARIABLE_VALUE$"));
            expected.insert(name, o["sha256"].toString());
            digests << o["sha256"].toString();
        }
        QVERIFY(expected.size() > 10);
        const auto back = test::tensorHashes(tf);
        QCOMPARE(back.size(), expected.size());
        for (auto it = expected.begin(); it != expected.end(); ++it)
            QVERIFY2(back.value(it.key()) == it.value(), qPrintable(it.key()));

        // The way there: the same bytes in each file, each file valid in its format.
        QCOMPARE(sorted(test::tensorHashes(h5).values()), sorted(digests));
        QCOMPARE(sorted(test::tensorHashes(st).values()), sorted(digests));
        QCOMPARE(test::lsHeader(h5)["format"].toString(), QString("keras2-h5-weights"));
        QCOMPARE(test::lsHeader(h5)["layer_order"].toString(), QString("layer_names"));
        QCOMPARE(safetensorsLayoutError(st), QString());
        QCOMPARE(test::lsHeader(tf)["format"].toString(), QString("v2-bundle"));

        // Each conversion's log beside its result: the input, and every tensor's digest.
        const QJsonObject log = test::loadJson(st + ".convert.json");
        QCOMPARE(log["from"].toString(), h5);
        QCOMPARE(log["format"].toString(), QString("safetensors"));
        QStringList logged;
        for (const auto &w : log["written"].toArray())
            logged << w.toObject()["sha256"].toString();
        QCOMPARE(sorted(logged), sorted(digests));
        QVERIFY(QFileInfo::exists(h5 + ".convert.json"));
        QVERIFY(QFileInfo::exists(tf + ".convert.json"));
    }

    // A TF checkpoint into a TF checkpoint: every key, the object graph included, byte for byte.
    void tfToTfKeepsObjectGraph()
    {
        QTemporaryDir dir;
        const QString in = test::corpus(QString(kA2c) + "/ckpt-9");
        const QString out = dir.filePath("copy");
        const auto run = runWeightLens({"convert", in, out + ".index"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto got = test::tensorHashes(out);
        const auto truth = test::groundTruthTensors(kA2c, "ckpt-9");
        QCOMPARE(got.size(), truth.size());
        for (const auto &v : truth)
            QCOMPARE(got.value(v.toObject()["key"].toString()), v.toObject()["sha256"].toString());
        QCOMPARE(test::lsHeader(out)["object_graph"].toObject(),
                 test::lsHeader(in)["object_graph"].toObject());
        QCOMPARE(test::lsHeader(out)["object_graph"].toObject()["slot_links"].toInt(), 36);
    }

    // A whole-model Keras .h5 to safetensors and back to .h5: the same bytes by name.
    void kerasThroughSafetensors()
    {
        QTemporaryDir dir;
        const QString in = test::corpus(QString(kMlp) + "/model_mnist_MLP_1.h5");
        const QString st = dir.filePath("m.safetensors"), h5 = dir.filePath("m.h5");
        QCOMPARE(runWeightLens({"convert", in, st}).exitCode, 0);
        QCOMPARE(runWeightLens({"convert", st, h5}).exitCode, 0);
        // Checked against the sums h5py computed for the input.
        const QJsonObject truth =
            test::loadJson(test::corpus(QString(kMlp) + "/GROUND_TRUTH.json"))["files"]
                .toObject()["model_mnist_MLP_1.h5"]
                .toObject()["datasets"]
                .toObject();
        QVERIFY(!truth.isEmpty());
        QHash<QString, double> sums;
        for (const auto &o : jsonLines(runWeightLens({"stats", "--json", h5}).out))
            if (o.contains("key"))
                sums.insert(o["name"].toString(), o["mean"].toDouble() * o["count"].toDouble());
        int checked = 0;
        for (auto it = truth.begin(); it != truth.end(); ++it) {
            if (!it.key().startsWith("model_weights/"))
                continue;
            // model_weights/LAYER/LAYER/VAR:0 -> LAYER/VAR
            const QStringList parts = it.key().split('/');
            const QString name = parts[1] + "/" + parts.mid(3).join('/').chopped(2);
            QVERIFY2(sums.contains(name), qPrintable(name));
            const double want = it.value().toObject()["sum"].toDouble();
            QVERIFY2(std::abs(sums.value(name) - want) <= 1e-6 * (1 + std::abs(want)),
                     qPrintable(name));
            ++checked;
        }
        QVERIFY(checked > 5);
        QCOMPARE(test::tensorHashes(h5).size(), test::tensorHashes(in).size());
    }

    // A PyTorch state_dict into safetensors keeps the state_dict's keys: each tensor found by
    // its key in the output's header (read here), with the byte count of its storage member in
    // GROUND_TRUTH.json and the sha256 the reader gives for the input tensor of that key.
    void pytorchStateDictKeepsKeys()
    {
        QTemporaryDir dir;
        const QString in = test::corpus(QString(kTorch) + "/model.pt");
        const QString st = dir.filePath("model.safetensors");
        const auto run = runWeightLens({"convert", in, st});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(safetensorsLayoutError(st), QString());
        const QStringList stateDict{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
                                    "fc3.weight", "fc3.bias", "fc4.weight", "fc4.bias"};
        const auto parts = safetensorsParts(test::readFile(st));
        QVERIFY(parts);
        QStringList keys = parts->header.keys();
        keys.removeAll("__metadata__");
        QCOMPARE(sorted(keys), sorted(stateDict));
        const QHash<QString, QString> inputHashes = test::tensorHashes(in);
        QCOMPARE(sorted(inputHashes.keys()), sorted(stateDict));
        const auto members =
            test::loadJson(test::corpus(QString(kTorch) + "/GROUND_TRUTH.json"))["files"]
                .toObject()["model.pt"]
                .toObject()["members"]
                .toArray();
        QHash<QString, qint64> memberSize;
        for (const auto &m : members)
            memberSize.insert(m.toObject()["name"].toString(),
                              qint64(m.toObject()["size"].toDouble()));
        for (qsizetype i = 0; i < stateDict.size(); ++i) {
            const QJsonObject t = parts->header[stateDict[i]].toObject();
            QCOMPARE(t["dtype"].toString(), QString("F32"));
            const auto offsets = t["data_offsets"].toArray();
            const qint64 begin = offsets[0].toInteger(), end = offsets[1].toInteger();
            // torch.save wrote the tensors' storages as data/0..7 in state_dict order.
            QCOMPARE(end - begin, memberSize.value(QString("archive/data/%1").arg(i)));
            const QByteArray digest = QCryptographicHash::hash(
                parts->buffer.mid(begin, end - begin), QCryptographicHash::Sha256);
            QCOMPARE(QString::fromLatin1(digest.toHex()), inputHashes.value(stateDict[i]));
        }
        // The log names each key as written and as read: the same.
        for (const auto &w : test::loadJson(st + ".convert.json")["written"].toArray())
            QCOMPARE(w.toObject()["key"].toString(), w.toObject()["from_key"].toString());
    }

    // Into PyTorch: a state_dict keeps its keys and bytes; a TF checkpoint's readable names
    // become dotted keys, every numeric tensor's sha256 as GROUND_TRUTH_TF.json gives it.
    void intoPyTorch()
    {
        QTemporaryDir dir;
        const QString in = test::corpus(QString(kTorch) + "/model.pt");
        const QString pt = dir.filePath("copy.pt");
        auto run = runWeightLens({"convert", in, pt});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto inputHashes = test::tensorHashes(in);
        QCOMPARE(inputHashes.size(), 8);
        QCOMPARE(test::tensorHashes(pt), inputHashes);

        const QString tf = test::corpus(QString(kA2c) + "/ckpt-9");
        const QString fromTf = dir.filePath("a2c.pth");
        run = runWeightLens({"convert", tf, fromTf});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QHash<QString, QString> nameOf; // TF key -> readable name
        for (const auto &o : jsonLines(runWeightLens({"ls", "--json", tf}).out))
            if (o.contains("key"))
                nameOf.insert(o["key"].toString(), o["name"].toString());
        const auto written = test::tensorHashes(fromTf);
        int checked = 0;
        for (const auto &t : test::groundTruthTensors(kA2c, "ckpt-9")) {
            const QJsonObject o = t.toObject();
            if (o["dtype"].toString() == "DT_STRING")
                continue;
            const QString key = nameOf.value(o["key"].toString()).replace('/', '.');
            QVERIFY2(written.contains(key), qPrintable(key));
            QCOMPARE(written.value(key), o["sha256"].toString());
            ++checked;
        }
        QCOMPARE(checked, written.size());
    }

    // Cancelled part way, each writer leaves nothing in the folder: no result, no temporary.
    void cancelledLeavesNothing_data()
    {
        QTest::addColumn<int>("format");
        QTest::newRow("tf") << int(ConvertFormat::TfBundle);
        QTest::newRow("keras-h5") << int(ConvertFormat::KerasH5);
        QTest::newRow("safetensors") << int(ConvertFormat::Safetensors);
        QTest::newRow("pytorch") << int(ConvertFormat::PyTorch);
    }
    void cancelledLeavesNothing()
    {
        QFETCH(int, format);
        auto opened = ReaderRegistry::builtin().open(test::corpus(QString(kA2c) + "/ckpt-9"));
        QVERIFY(opened.ok() && opened->checkpoints.size() == 1);
        QTemporaryDir dir;
        std::atomic<bool> cancel{false};
        int steps = 0;
        JobContext job(&cancel, [&](double, const QString &) {
            if (++steps == 10)
                cancel = true;
        });
        auto r = convertCheckpoint(*opened->checkpoints.front(), dir.filePath("out"),
                                   ConvertFormat(format), job);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, LoadError::Code::Cancelled);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList());
    }

    void refusals()
    {
        QTemporaryDir dir;
        const QString in = test::corpus(QString(kA2c) + "/ckpt-9");
        // An existing output is neither replaced nor touched.
        const QString taken = dir.filePath("taken.safetensors");
        QVERIFY(test::writeFile(taken, "keep"));
        auto run = runWeightLens({"convert", in, taken});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("taken.safetensors"), run.err.constData());
        QCOMPARE(test::readFile(taken), QByteArray("keep"));
        // An unknown format, and a missing argument, are usage errors.
        QCOMPARE(runWeightLens({"convert", "--format", "onnx", in, dir.filePath("x")}).exitCode, 2);
        QCOMPARE(runWeightLens({"convert", in}).exitCode, 2);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"taken.safetensors"});
    }
};

QTEST_GUILESS_MAIN(TstConvert)
#include "tst_convert.moc"
