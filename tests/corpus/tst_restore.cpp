// Restore on corpus checkpoints: the written checkpoint holds A's bytes for the chosen tensors
// and B's for every other (sha256 from GROUND_TRUTH_TF.json), its object graph still resolves,
// bad requests are refused by name, and the inputs are never modified.

#include "testutil.h"

#include "core/glob.h"
#include "formats/readerregistry.h"
#include "write/restore.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QTemporaryDir>
#include <QTest>

using namespace wl;
using wl::test::jsonLines;
using wl::test::runWeightLens;

namespace
{

const char *const kA2c = "tf2-checkpoint/a2c-suspension-ckpts";
const char *const kEpochs = "keras-tf-weights/lstm-md-ckpt-epochs";

// key -> sha256 of one bundle, from the ground truth.
QHash<QString, QString> truth(const QString &item, const QString &bundle)
{
    QHash<QString, QString> out;
    for (const auto &v : test::groundTruthTensors(item, bundle))
        out.insert(v.toObject()["key"].toString(), v.toObject()["sha256"].toString());
    return out;
}

// sha256 of every file of the corpus items used here, to show they were not touched.
QHash<QString, QByteArray> fileDigests()
{
    QHash<QString, QByteArray> out;
    for (const char *item : {kA2c, kEpochs, "keras-tf-weights/lstm-sharded-weights"}) {
        QDirIterator it(test::corpus(item), QDir::Files);
        while (it.hasNext()) {
            const QString f = it.next();
            out.insert(f, QCryptographicHash::hash(test::readFile(f), QCryptographicHash::Sha256));
        }
    }
    return out;
}

// key -> sha256 and the object-graph summary of a checkpoint, as `stats --hash` and `ls` print.
QHash<QString, QString> hashes(const QString &prefix)
{
    QHash<QString, QString> out;
    for (const auto &o : jsonLines(runWeightLens({"stats", "--json", "--hash", prefix}).out))
        out.insert(o["key"].toString(), o["sha256"].toString());
    return out;
}

QJsonObject objectGraph(const QString &prefix)
{
    const auto lines = jsonLines(runWeightLens({"ls", "--json", prefix}).out);
    return lines.isEmpty() ? QJsonObject() : lines.first()["object_graph"].toObject();
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
        const auto fromA = truth(kA2c, "ckpt-7");
        const auto fromB = truth(kA2c, "ckpt-9");
        const auto got = hashes(out);
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
        const auto t1 = truth(kEpochs, "ckpt_1");
        const auto t20 = truth(kEpochs, "ckpt_20");
        int variables = 0;
        for (const auto &t : b->index().tensors)
            variables += t.role == TensorRole::Variable;
        QCOMPARE(r->restored.size(), variables);
        const auto mixed = hashes(dir.filePath("mixed"));
        for (const auto &t : b->index().tensors)
            QCOMPARE(mixed.value(t.key),
                     t.role == TensorRole::Variable ? t1.value(t.key) : t20.value(t.key));

        auto m = open(dir.filePath("mixed"));
        QVERIFY(m);
        auto back = restoreTensors(*b, *m, dir.filePath("back"), {});
        QVERIFY2(back.ok(), back.ok() ? "" : qPrintable(back.error().message()));
        const auto again = hashes(dir.filePath("back"));
        QCOMPARE(again.size(), t20.size());
        for (auto it = t20.begin(); it != t20.end(); ++it)
            QCOMPARE(again.value(it.key()), it.value());
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

        // Not a TensorFlow checkpoint to restore into.
        run = runWeightLens({"restore", "--from", a, "--into",
                             test::corpus("keras2-h5-full/churn-ann-ankit/model.h5"), "--out",
                             dir.filePath("h5")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.err.contains("TensorFlow checkpoint to restore into"));

        QCOMPARE(runWeightLens({"restore", "--from", a, "--into", b}).exitCode, 2);
        QVERIFY(QDir(dir.path()).entryList({"*.data-*"}, QDir::Files).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TstRestore)
#include "tst_restore.moc"
