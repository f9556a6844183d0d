// The command line on every TensorFlow item of the corpus: tensor keys, dtypes and sha256
// against GROUND_TRUTH_TF.json, and the exit codes.

#include "testutil.h"

#include <QJsonArray>
#include <QMap>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace wl;
using wl::test::jsonLines;

namespace
{

// numpy names of the TensorFlow dtypes the corpus holds.
QString numpyName(const QString &tf)
{
    static const QMap<QString, QString> names{
        {"DT_FLOAT", "float32"}, {"DT_DOUBLE", "float64"}, {"DT_INT32", "int32"},
        {"DT_INT64", "int64"},   {"DT_STRING", "string"},  {"DT_BOOL", "bool"},
        {"DT_HALF", "float16"},  {"DT_UINT8", "uint8"},    {"DT_BFLOAT16", "bfloat16"}};
    return names.value(tf, tf);
}

struct Expected {
    QString dtype;
    QString sha256;
};

} // namespace

class TstCliTf : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void statsHashes_data()
    {
        QTest::addColumn<QString>("item");
        QTest::addColumn<QString>("path");         // relative to the item
        QTest::addColumn<QString>("bundlePrefix"); // ground-truth bundle name = prefix + label
        for (const char *item :
             {"tf1-checkpoint/houseprices-saver", "tf1-checkpoint/mnist-estimator-run",
              "tf2-checkpoint/a2c-suspension-ckpts", "keras-tf-weights/lstm-md-ckpt-epochs",
              "keras-tf-weights/lstm-sharded-weights"})
            QTest::newRow(item) << QString::fromLatin1(item) << QString() << QString();
        for (const char *item :
             {"savedmodel/lstm-test-sharded-savedmodel", "savedmodel/tetris-dqn-keras-savedmodel",
              "savedmodel/tfs-half-plus-two-tf1", "savedmodel/tfs-half-plus-two-tf2"})
            QTest::newRow(item) << QString::fromLatin1(item) << QStringLiteral("variables")
                                << QStringLiteral("variables/");
    }
    void statsHashes()
    {
        QFETCH(QString, item);
        QFETCH(QString, path);
        QFETCH(QString, bundlePrefix);
        const auto gt =
            test::loadJson(test::corpus(item + QStringLiteral("/GROUND_TRUTH_TF.json")));
        const auto bundles = gt.value(QStringLiteral("bundles")).toObject();
        QVERIFY(!bundles.isEmpty());
        QMap<QString, QMap<QString, Expected>> expected;
        for (auto b = bundles.begin(); b != bundles.end(); ++b)
            for (const auto &t : b.value().toObject().value(QStringLiteral("tensors")).toArray()) {
                const auto o = t.toObject();
                expected[b.key()][o[QStringLiteral("key")].toString()] = {
                    numpyName(o[QStringLiteral("dtype")].toString()),
                    o[QStringLiteral("sha256")].toString()};
            }

        const QString target = test::corpus(path.isEmpty() ? item : item + QLatin1Char('/') + path);
        const auto run = test::runWeightLens({"stats", "--json", "--hash", target});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QMap<QString, QSet<QString>> seen;
        for (const auto &o : jsonLines(run.out)) {
            const QString bundle = bundlePrefix + o[QStringLiteral("checkpoint")].toString();
            const QString key = o[QStringLiteral("key")].toString();
            QVERIFY2(expected.contains(bundle), qPrintable(bundle));
            QVERIFY2(expected[bundle].contains(key), qPrintable(bundle + QLatin1Char(' ') + key));
            QCOMPARE(o[QStringLiteral("sha256")].toString(), expected[bundle][key].sha256);
            QCOMPARE(o[QStringLiteral("dtype")].toString(), expected[bundle][key].dtype);
            QCOMPARE(o[QStringLiteral("checksum")].toString(), QStringLiteral("ok"));
            seen[bundle].insert(key);
        }
        QCOMPARE(seen.keys(), expected.keys());
        for (auto it = expected.begin(); it != expected.end(); ++it) {
            const auto keys = it.value().keys();
            QCOMPARE(seen[it.key()], QSet<QString>(keys.begin(), keys.end()));
        }
    }

    void lsJson()
    {
        const QString dir = test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run"));
        const auto run = test::runWeightLens({"ls", "--json", dir});
        QCOMPARE(run.exitCode, 0);
        QMap<QString, QString> dtypes;
        for (const auto &t :
             test::groundTruthTensors(QStringLiteral("tf1-checkpoint/mnist-estimator-run"),
                                      QStringLiteral("model.ckpt-20000")))
            dtypes[t[QStringLiteral("key")].toString()] =
                numpyName(t[QStringLiteral("dtype")].toString());
        QMap<QString, QString> listed;
        bool summary = false;
        for (const auto &o : jsonLines(run.out)) {
            if (o.contains(QStringLiteral("kind")))
                summary = summary ||
                          o[QStringLiteral("kind")].toString() == QStringLiteral("tf-checkpoint");
            if (o[QStringLiteral("checkpoint")].toString() == QStringLiteral("model.ckpt-20000"))
                listed[o[QStringLiteral("key")].toString()] = o[QStringLiteral("dtype")].toString();
        }
        QVERIFY(summary);
        QCOMPARE(listed, dtypes);
    }

    void legacyV1Values()
    {
        for (const char *item : {"tf1-checkpoint/tfserving-session-bundle-v1",
                                 "tf1-checkpoint/tfserving-bad-half-plus-two"}) {
            const auto run =
                test::runWeightLens({"stats", "--json", test::corpus(QString::fromLatin1(item))});
            QVERIFY2(run.exitCode == 0, run.err.constData());
            QMap<QString, double> values;
            for (const auto &o : jsonLines(run.out))
                values[o[QStringLiteral("key")].toString()] = o[QStringLiteral("min")].toDouble();
            if (QString::fromLatin1(item).endsWith(QLatin1String("v1")))
                QCOMPARE(values, (QMap<QString, double>{{"a", 0.5}, {"b", 2.0}}));
            else
                QCOMPARE(values, (QMap<QString, double>{{"Variable", 0.5}, {"Variable_1", 2.0}}));
        }
    }

    void exitCodes()
    {
        const QString missing =
            test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/ckpt-99"));
        auto run = test::runWeightLens({"stats", "--json", missing});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("ckpt-99"), run.err.constData());
        run = test::runWeightLens({"stats"});
        QCOMPARE(run.exitCode, 2);
        run = test::runWeightLens(
            {"ls", "--frobnicate", test::corpus(QStringLiteral("tf2-checkpoint"))});
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("--frobnicate"));
    }

    // --filter matches whole names or keys; a pattern that matches nothing reduces nothing.
    void statsFilter()
    {
        const QString dir = test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run"));
        auto run = test::runWeightLens({"stats", "--json", "--filter", "global_*", dir});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QMap<QString, double> steps; // checkpoint → global_step
        for (const auto &o : jsonLines(run.out)) {
            QCOMPARE(o[QStringLiteral("key")].toString(), QStringLiteral("global_step"));
            steps[o[QStringLiteral("checkpoint")].toString()] = o[QStringLiteral("min")].toDouble();
        }
        QCOMPARE(steps,
                 (QMap<QString, double>{{"model.ckpt-1", 1.0}, {"model.ckpt-20000", 20000.0}}));

        run = test::runWeightLens({"stats", "--filter", "no_such_tensor", dir});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("0 tensors") && !run.out.contains(" min "), run.out.constData());
        run = test::runWeightLens({"stats", "--json", "--filter", "no_such_tensor", dir});
        QVERIFY2(run.exitCode == 0 && jsonLines(run.out).isEmpty(), run.out.constData());
    }

    // A shard cut short: each tensor whose bytes run past the cut fails on a line of its own
    // that names the shard and the tensor once each; the others are still reduced.
    void statsTruncatedShard()
    {
        const QString item = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/");
        const QString shardName = QStringLiteral("ckpt-9.data-00000-of-00001");
        const auto tensors = test::groundTruthTensors(item, QStringLiteral("ckpt-9"));
        QTemporaryDir dir;
        const qint64 cut = 900;
        QVERIFY(test::writeFile(dir.filePath(QStringLiteral("ckpt-9.index")),
                                test::readFile(test::corpus(item + "ckpt-9.index"))));
        const QByteArray shard = test::readFile(test::corpus(item + shardName));
        QVERIFY(shard.size() > cut);
        QVERIFY(test::writeFile(dir.filePath(shardName), shard.left(cut)));
        QSet<QString> past;
        for (const auto &v : tensors) {
            const auto o = v.toObject();
            if (o[QStringLiteral("offset")].toInteger() + o[QStringLiteral("size")].toInteger() >
                cut)
                past << o[QStringLiteral("key")].toString();
        }
        QVERIFY(!past.isEmpty() && past.size() < tensors.size());

        const auto run = test::runWeightLens({"stats", dir.filePath(QStringLiteral("ckpt-9"))});
        QCOMPARE(run.exitCode, 1);
        static const QRegularExpression tensor(QStringLiteral("tensor \"([^\"]+)\""));
        QSet<QString> failed;
        for (const QByteArray &line : run.err.split('\n')) {
            if (!line.startsWith("weightlens: ") || line.startsWith("weightlens: warning: "))
                continue;
            const QString text = QString::fromUtf8(line);
            QVERIFY2(text.count(shardName) == 1, line.constData());
            const auto m = tensor.globalMatch(text);
            QVERIFY2(m.hasNext(), line.constData());
            const QString key = m.peekNext().captured(1);
            QVERIFY2(text.count(key) == 1, line.constData());
            failed << key;
        }
        QCOMPARE(failed, past);
        int reduced = 0;
        for (const QByteArray &line : run.out.split('\n'))
            reduced += line.contains(" mean ") ? 1 : 0;
        QVERIFY(reduced > 0);
    }

    // A run folder whose state file names only a deleted checkpoint says which one.
    void stateFileNamingMissingCheckpoint()
    {
        const auto run = test::runWeightLens(
            {"ls", test::corpus(QStringLiteral("tfevents/od-tensorboard-mixed"))});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("od-tensorboard-mixed") && run.err.contains("ckpt-2.index"),
                 run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TstCliTf)
#include "tst_cli_tf.moc"
