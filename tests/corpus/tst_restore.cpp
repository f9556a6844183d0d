// Restore on corpus checkpoints: the written checkpoint holds A's bytes for the chosen tensors
// and B's for every other (sha256 from GROUND_TRUTH_TF.json), its object graph still resolves,
// bad requests are refused by name, and the inputs are never modified.

#include "testutil.h"

#include "core/glob.h"
#include "formats/readerregistry.h"
#include "formats/tfstatefile.h"
#include "write/restore.h"

#include <QCryptographicHash>
#include <QtEndian>

#include <QTemporaryDir>
#include <QTest>
#include <hdf5.h>

using namespace wl;
using wl::test::jsonLines;
using wl::test::runWeightLens;

namespace
{

const char *const kA2c = "tf2-checkpoint/a2c-suspension-ckpts";
const char *const kEpochs = "keras-tf-weights/lstm-md-ckpt-epochs";

// Every file of the corpus items used here, to show they were not touched.
QHash<QString, QByteArray> fileDigests()
{
    return test::corpusDigests(
        {kA2c, kEpochs, "keras-tf-weights/lstm-sharded-weights", "keras2-h5-full/mnist-mlp-h5"});
}

// The object-graph summary of a checkpoint, as `ls` prints it.
QJsonObject objectGraph(const QString &prefix)
{
    return test::lsHeader(prefix)["object_graph"].toObject();
}

// Every group, dataset (with its type) and attribute (with its value) of an HDF5 file, read
// through the HDF5 library: what "keeps every attribute and group" compares.
QStringList h5Structure(const QString &path)
{
    struct Walk {
        QStringList lines;
        QString object;
    } walk;
    auto attributes = [](hid_t obj, Walk &w) {
        H5Aiterate2(
            obj, H5_INDEX_NAME, H5_ITER_INC, nullptr,
            [](hid_t loc, const char *name, const H5A_info_t *, void *data) -> herr_t {
                auto &w = *static_cast<Walk *>(data);
                const hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
                const hid_t type = H5Aget_type(a);
                const hid_t space = H5Aget_space(a);
                const auto n = H5Sget_simple_extent_npoints(space);
                QByteArray value;
                if (H5Tis_variable_str(type) > 0) {
                    std::vector<char *> strings(std::size_t(std::max<hssize_t>(n, 1)));
                    H5Aread(a, type, strings.data());
                    for (char *c : strings)
                        value += QByteArray(c ? c : "") + '|';
                    H5Dvlen_reclaim(type, space, H5P_DEFAULT, strings.data());
                } else {
                    value.resize(qsizetype(H5Tget_size(type)) * std::max<qsizetype>(n, 1));
                    H5Aread(a, type, value.data());
                }
                w.lines << QString("A %1@%2 = %3")
                               .arg(w.object, QString::fromUtf8(name),
                                    QString::fromLatin1(value.toHex()));
                H5Sclose(space);
                H5Tclose(type);
                H5Aclose(a);
                return 0;
            },
            &w);
    };
    const hid_t f = H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return {"cannot open " + path};
    walk.object = "/";
    attributes(f, walk);
    struct Ctx {
        Walk *w;
        decltype(attributes) *attrs;
    } ctx{&walk, &attributes};
    H5Lvisit(
        f, H5_INDEX_NAME, H5_ITER_INC,
        [](hid_t g, const char *name, const H5L_info_t *, void *data) -> herr_t {
            auto &c = *static_cast<Ctx *>(data);
            const hid_t obj = H5Oopen(g, name, H5P_DEFAULT);
            c.w->object = QString::fromUtf8(name);
            if (H5Iget_type(obj) == H5I_DATASET) {
                const hid_t type = H5Dget_type(obj);
                c.w->lines << QString("D %1 class %2 size %3")
                                  .arg(c.w->object)
                                  .arg(int(H5Tget_class(type)))
                                  .arg(H5Tget_size(type));
                H5Tclose(type);
            } else {
                c.w->lines << "G " + c.w->object;
            }
            (*c.attrs)(obj, *c.w);
            H5Oclose(obj);
            return 0;
        },
        &ctx);
    H5Fclose(f);
    return walk.lines;
}

QByteArray sha256Hex(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

} // namespace

class TstRestore : public QObject
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

    void selectedFromAnotherStep()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath("restored");
        const QString a = test::corpus(QString(kA2c) + "/ckpt-7");
        const QString b = test::corpus(QString(kA2c) + "/ckpt-9");
        const auto run = runWeightLens(
            {"restore", "--from", a, "--into", b, "--out", out, "--select", "actor/*"});
        QCOMPARE(run.exitCode, 0);
        const auto fromA = test::groundTruthHashes(kA2c, "ckpt-7");
        const auto fromB = test::groundTruthHashes(kA2c, "ckpt-9");
        const auto got = test::tensorHashes(out);
        QCOMPARE(got.size(), fromB.size());
        int restored = 0;
        for (auto it = fromB.begin(); it != fromB.end(); ++it) {
            const bool chosen = globMatch(QStringLiteral("actor/*"), it.key());
            restored += chosen;
            QCOMPARE(got.value(it.key()), chosen ? fromA.value(it.key()) : it.value());
        }
        QVERIFY(restored > 0);
        // The object graph of B, slot links included, still resolves.
        QCOMPARE(objectGraph(out), objectGraph(b));
        // The log names each restored tensor with the sha256 it carries.
        const auto log = test::loadJson(out + ".restore.json");
        QCOMPARE(log["restored"].toArray().size(), restored);
        for (const auto &v : log["restored"].toArray())
            QCOMPARE(v.toObject()["sha256"].toString(),
                     fromA.value(v.toObject()["key"].toString()));
    }

    // Every variable of epoch 1 into epoch 20, then epoch 20's back: the second result is
    // epoch 20 again, byte for byte.
    void roundTrip()
    {
        QTemporaryDir dir;
        const QString first = test::corpus(QString(kEpochs) + "/ckpt_1");
        const QString last = test::corpus(QString(kEpochs) + "/ckpt_20");
        auto open = [](const QString &p) {
            auto r = ReaderRegistry::builtin().open(p);
            return r.ok() && r->checkpoints.size() == 1 ? r->checkpoints.front() : nullptr;
        };
        auto a = open(first), b = open(last);
        QVERIFY(a && b);
        auto r = restoreTensors(*a, *b, dir.filePath("mixed"), {});
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message()));
        const auto t1 = test::groundTruthHashes(kEpochs, "ckpt_1");
        const auto t20 = test::groundTruthHashes(kEpochs, "ckpt_20");
        int variables = 0;
        for (const auto &t : b->index().tensors)
            variables += t.role == TensorRole::Variable;
        QCOMPARE(r->restored.size(), variables);
        const auto mixed = test::tensorHashes(dir.filePath("mixed"));
        for (const auto &t : b->index().tensors)
            QCOMPARE(mixed.value(t.key),
                     t.role == TensorRole::Variable ? t1.value(t.key) : t20.value(t.key));

        auto m = open(dir.filePath("mixed"));
        QVERIFY(m);
        auto back = restoreTensors(*b, *m, dir.filePath("back"), {});
        QVERIFY2(back.ok(), back.ok() ? "" : qPrintable(back.error().message()));
        const auto again = test::tensorHashes(dir.filePath("back"));
        QCOMPARE(again.size(), t20.size());
        for (auto it = t20.begin(); it != t20.end(); ++it)
            QCOMPARE(again.value(it.key()), it.value());
    }

    // Into a copy of the a2c run folder: a new ckpt-10, named by the state file as the latest,
    // the old entries and their timestamps kept; a second restore makes ckpt-11.
    void intoRunFolder()
    {
        QTemporaryDir dir;
        const QString run = dir.path();
        for (const char *n : {"ckpt-7", "ckpt-8", "ckpt-9"})
            QVERIFY(test::copyBundle(test::corpus(QString(kA2c) + "/" + n), run + "/" + n));
        QVERIFY(QFile::copy(test::corpus(QString(kA2c) + "/checkpoint"), run + "/checkpoint"));
        const QString a = test::corpus(QString(kA2c) + "/ckpt-7");
        auto r = runWeightLens({"restore", "--from", a, "--into", run, "--select", "actor/*"});
        QVERIFY2(r.exitCode == 0, r.err.constData());

        auto state = readCheckpointState(run + "/checkpoint");
        QVERIFY(state.ok());
        QCOMPARE(state->latest.written, QString("ckpt-10"));
        QVERIFY(state->latest.indexExists);
        QStringList all;
        for (const auto &e : state->all)
            all << e.written;
        QCOMPARE(all, QStringList({"ckpt-7", "ckpt-8", "ckpt-9", "ckpt-10"}));
        QCOMPARE(state->timestamps.size(), 4);
        QCOMPARE(state->timestamps.mid(0, 3),
                 QList<double>({1749551857.5064511, 1749554646.9013226, 1749556872.0213294}));
        QCOMPARE(state->lastPreserved.value_or(0), 1749486234.077182);

        const auto fromA = test::groundTruthHashes(kA2c, "ckpt-7");
        const auto fromB = test::groundTruthHashes(kA2c, "ckpt-9");
        const auto got = test::tensorHashes(run + "/ckpt-10");
        QCOMPARE(got.size(), fromB.size());
        for (auto it = fromB.begin(); it != fromB.end(); ++it)
            QCOMPARE(got.value(it.key()), globMatch(QStringLiteral("actor/*"), it.key())
                                              ? fromA.value(it.key())
                                              : it.value());
        QCOMPARE(objectGraph(run + "/ckpt-10"),
                 objectGraph(test::corpus(QString(kA2c) + "/ckpt-9")));
        QVERIFY(QFileInfo::exists(run + "/ckpt-10.restore.json"));
        // The folder opened as a run shows the new checkpoint as its latest.
        const auto lines = jsonLines(runWeightLens({"ls", "--json", run}).out);
        QVERIFY(std::any_of(lines.begin(), lines.end(), [](const QJsonObject &o) {
            return o["checkpoint"].toString() == "ckpt-10";
        }));

        r = runWeightLens({"restore", "--from", a, "--into", run, "--select", "critic/*"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        state = readCheckpointState(run + "/checkpoint");
        QVERIFY(state.ok());
        QCOMPARE(state->latest.written, QString("ckpt-11"));
        QCOMPARE(state->all.size(), 5);
    }

    // The restoring process killed at several points: nothing under the new checkpoint's name
    // and the state file byte for byte as before.
    void interruptedIntoRun_data()
    {
        QTest::addColumn<QString>("killAt");
        QTest::newRow("first tensor") << "writing:1";
        QTest::newRow("mid-write") << "writing:30";
        QTest::newRow("verifying") << "verifying:1";
        QTest::newRow("before the state file") << "state:1";
    }
    void interruptedIntoRun()
    {
        QFETCH(QString, killAt);
        QTemporaryDir dir;
        const QString run = dir.path();
        for (const char *n : {"ckpt-7", "ckpt-9"})
            QVERIFY(test::copyBundle(test::corpus(QString(kA2c) + "/" + n), run + "/" + n));
        QVERIFY(test::writeStateFile(run, "ckpt-9", {"ckpt-7", "ckpt-9"}, {100.5, 200.25}));
        const QByteArray before = test::readFile(run + "/checkpoint");
        const auto r = runWeightLens({"restore", "--from", run + "/ckpt-7", "--into", run}, 120000,
                                     {"WEIGHTLENS_TEST_KILL_AT=" + killAt});
        QCOMPARE(r.exitCode, -1); // killed, not exited
        QCOMPARE(test::readFile(run + "/checkpoint"), before);
        QCOMPARE(QDir(run).entryList({"ckpt-10*"}, QDir::Files), QStringList());
    }

    // Into a safetensors B: the chosen tensors carry A's bytes, every other byte of B (header
    // included) is as it was.
    void intoSafetensors()
    {
        QTemporaryDir dir;
        const QString b = dir.filePath("b.safetensors"), out = dir.filePath("out.safetensors");
        QCOMPARE(runWeightLens({"convert", test::corpus(QString(kA2c) + "/ckpt-9"), b}).exitCode,
                 0);
        const auto r = runWeightLens({"restore", "--from", test::corpus(QString(kA2c) + "/ckpt-7"),
                                      "--into", b, "--out", out, "--select", "actor/*"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto fromA = test::groundTruthHashes(kA2c, "ckpt-7");
        const auto fromB = test::groundTruthHashes(kA2c, "ckpt-9");
        const auto got = test::tensorHashes(out);
        QCOMPARE(got.size(), fromB.size() - 1); // the object graph has no place in safetensors
        int restored = 0;
        for (auto it = fromB.begin(); it != fromB.end(); ++it) {
            QString name = it.key();
            if (!name.endsWith("/.ATTRIBUTES/VARIABLE_VALUE"))
                continue;
            name.chop(int(qstrlen("/.ATTRIBUTES/VARIABLE_VALUE")));
            const bool chosen = globMatch(QStringLiteral("actor/*"), name);
            restored += chosen;
            QCOMPARE(got.value(name), chosen ? fromA.value(it.key()) : it.value());
        }
        QVERIFY(restored > 0);
        const QByteArray before = test::readFile(b), after = test::readFile(out);
        QCOMPARE(after.size(), before.size());
        const auto headerEnd = 8 + qFromLittleEndian<quint64>(before.constData());
        QCOMPARE(after.left(qsizetype(headerEnd)), before.left(qsizetype(headerEnd)));
        QCOMPARE(test::loadJson(out + ".restore.json")["restored"].toArray().size(), restored);
    }

    // Into a real Keras 2 full-model .h5: one dataset changes (to bytes made here), every group,
    // attribute and other dataset stays; B is not written.
    void intoKerasH5KeepsEverything()
    {
        QTemporaryDir dir;
        const QString b = test::corpus("keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5");
        const QString a = dir.filePath("a.safetensors"), out = dir.filePath("out.h5");
        QCOMPARE(runWeightLens({"convert", b, a}).exitCode, 0);
        // A's dense_9/kernel with every element's sign flipped, in A's own file.
        QByteArray file = test::readFile(a);
        const auto n = qFromLittleEndian<quint64>(file.constData());
        const QJsonObject header = QJsonDocument::fromJson(file.mid(8, qsizetype(n)))
                                       .object()["dense_9/kernel"]
                                       .toObject();
        QVERIFY(!header.isEmpty());
        const qint64 begin = 8 + qint64(n) + header["data_offsets"][0].toInteger();
        const qint64 end = 8 + qint64(n) + header["data_offsets"][1].toInteger();
        for (qint64 i = begin + 3; i < end; i += 4)
            file[i] = char(file[i] ^ 0x80);
        QFile::remove(a);
        QVERIFY(test::writeFile(a, file));
        const QByteArray flipped = sha256Hex(file.mid(begin, end - begin));

        const auto r = runWeightLens(
            {"restore", "--from", a, "--into", b, "--out", out, "--select", "dense_9/kernel"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto before = test::tensorHashes(b);
        const auto after = test::tensorHashes(out);
        QCOMPARE(after.size(), before.size());
        const QString key = "model_weights/dense_9/dense_9/kernel:0";
        QVERIFY(before.contains(key));
        for (auto it = before.begin(); it != before.end(); ++it)
            QCOMPARE(after.value(it.key()), it.key() == key ? QString(flipped) : it.value());
        QVERIFY(after.value(key) != before.value(key));
        const QStringList structure = h5Structure(b);
        QVERIFY(structure.size() > 30);
        // The walk sees the root's model_config and the layers' weight_names.
        QVERIFY(std::any_of(structure.begin(), structure.end(), [](const QString &l) {
            return l.startsWith("A /@model_config = ") && l.size() > 1000;
        }));
        QVERIFY(structure.contains("G model_weights/dense_9"));
        QCOMPARE(h5Structure(out), structure);
        // It still opens as the same Keras model.
        const auto lines = jsonLines(runWeightLens({"ls", "--json", out}).out);
        QCOMPARE(lines.first()["layers"],
                 jsonLines(runWeightLens({"ls", "--json", b}).out).first()["layers"]);
    }

    // --with-slots: a variable's Adam m and v come along, through B's object-graph links.
    void withSlots()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath("slots");
        const auto r = runWeightLens({"restore", "--from", test::corpus(QString(kA2c) + "/ckpt-7"),
                                      "--into", test::corpus(QString(kA2c) + "/ckpt-9"), "--out",
                                      out, "--select", "actor/hidden1/kernel", "--with-slots"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto fromA = test::groundTruthHashes(kA2c, "ckpt-7");
        const auto fromB = test::groundTruthHashes(kA2c, "ckpt-9");
        const QSet<QString> chosen{
            "actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE",
            "actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
            "actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/v/.ATTRIBUTES/VARIABLE_VALUE"};
        const auto got = test::tensorHashes(out);
        QCOMPARE(got.size(), fromB.size());
        for (auto it = fromB.begin(); it != fromB.end(); ++it)
            QCOMPARE(got.value(it.key()),
                     chosen.contains(it.key()) ? fromA.value(it.key()) : it.value());
        for (const auto &k : chosen)
            QVERIFY(fromA.value(k) != fromB.value(k));
        QCOMPARE(test::loadJson(out + ".restore.json")["restored"].toArray().size(), 3);
    }

    // float64 values into a float32 variable: refused without --cast; with it, the values
    // rounded to float32 and the largest rounding error reported.
    void cast()
    {
        QTemporaryDir dir;
        const QString a = dir.filePath("a.safetensors");
        const std::vector<double> values{0.1, -1.0 / 3.0, 2.5, 1e-8, 123456.789};
        QByteArray data(reinterpret_cast<const char *>(values.data()), 8 * 5);
        QByteArray json =
            R"({"actor/hidden1/kernel":{"dtype":"F64","shape":[1,5],"data_offsets":[0,40]}})";
        json += QByteArray((8 - json.size() % 8) % 8, ' ');
        QByteArray file(8, '\0');
        qToLittleEndian<quint64>(quint64(json.size()), file.data());
        QVERIFY(test::writeFile(a, file + json + data));
        const QString b = test::corpus(QString(kA2c) + "/ckpt-9");

        auto r = runWeightLens({"restore", "--from", a, "--into", b, "--out", dir.filePath("no")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--cast") && r.err.contains("float64"), r.err.constData());
        QVERIFY(QDir(dir.path()).entryList({"no*"}, QDir::Files).isEmpty());

        r = runWeightLens(
            {"restore", "--from", a, "--into", b, "--out", dir.filePath("cast"), "--cast"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        std::vector<float> rounded;
        double maxError = 0;
        for (double v : values) {
            rounded.push_back(float(v));
            maxError = std::max(maxError, std::abs(double(float(v)) - v));
        }
        const QByteArray expected(reinterpret_cast<const char *>(rounded.data()), 4 * 5);
        const QString key = "actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE";
        QCOMPARE(test::tensorHashes(dir.filePath("cast")).value(key), QString(sha256Hex(expected)));
        const auto log = test::loadJson(dir.filePath("cast.restore.json"))["restored"].toArray();
        QCOMPARE(log.size(), 1);
        QCOMPARE(log[0].toObject()["cast_from"].toString(), QString("float64"));
        QCOMPARE(log[0].toObject()["max_rounding_error"].toDouble(), maxError);
        QVERIFY(maxError > 0);
        QVERIFY(r.out.contains("largest rounding error"));
    }

    void refusals()
    {
        QTemporaryDir dir;
        const QString b = test::corpus(QString(kA2c) + "/ckpt-9");
        const QString a = test::corpus(QString(kA2c) + "/ckpt-7");
        // An existing output is neither replaced nor touched.
        const QString out = dir.filePath("taken");
        QVERIFY(test::writeFile(out + ".index", "keep"));
        auto run = runWeightLens({"restore", "--from", a, "--into", b, "--out", out});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(test::readFile(out + ".index"), QByteArray("keep"));
        QVERIFY(!QFileInfo::exists(out + ".data-00000-of-00001"));

        // Shapes that differ: both tensors named.
        const QString sh = "keras-tf-weights/lstm-sharded-weights";
        run = runWeightLens({"restore", "--from", test::corpus(sh + "/32LSTM_Neurons10Epochs.ckpt"),
                             "--into", test::corpus(sh + "/16LSTM_Neurons10Epochs.ckpt"), "--out",
                             dir.filePath("shapes")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("A's tensor") && run.err.contains("VARIABLE_VALUE"),
                 run.err.constData());
        QVERIFY(!QFileInfo::exists(dir.filePath("shapes.index")));

        // A selection that matches nothing.
        run = runWeightLens({"restore", "--from", a, "--into", b, "--out", dir.filePath("none"),
                             "--select", "no/such/*"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.err.contains("no/such/*"));

        // Not a format to restore into: a Keras 3 archive.
        run = runWeightLens({"restore", "--from", a, "--into",
                             test::corpus("keras3/flownet-keras-zip/out/final_model.keras"),
                             "--out", dir.filePath("sm")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("Keras .h5, safetensors or PyTorch file to restore into"),
                 run.err.constData());

        QCOMPARE(runWeightLens({"restore", "--from", a, "--into", b}).exitCode, 2);
        QVERIFY(QDir(dir.path()).entryList({"*.data-*"}, QDir::Files).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TstRestore)
#include "tst_restore.moc"
