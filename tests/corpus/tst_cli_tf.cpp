// The command line on every TensorFlow item of the corpus: tensor keys, dtypes and sha256
// against GROUND_TRUTH_TF.json, and the exit codes.

#include "testutil.h"
#include "write/tfbundlewriter.h"

#include <QJsonArray>
#include <QMap>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

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

    // --filter matches whole names or keys; a pattern that matches nothing reduces nothing and
    // says so with exit status 1.
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
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains("0 of 21 tensors") && !run.out.contains(" min "),
                 run.out.constData());
        QVERIFY2(run.err.contains(dir.toUtf8() + ": no tensor name or key matches --filter "
                                                 "'no_such_tensor'"),
                 run.err.constData());
        run = test::runWeightLens({"stats", "--json", "--filter", "no_such_tensor", dir});
        QVERIFY2(run.exitCode == 1 && jsonLines(run.out).isEmpty(), run.out.constData());
        QVERIFY2(run.err.contains("no_such_tensor"), run.err.constData());
    }

    // Globs are Python's fnmatch: '*' crosses '/', and a tensor matches when its readable name
    // or its stored key does. Expected sets come from GROUND_TRUTH_TF.json's keys.
    void statsFilterLikeFnmatch_data()
    {
        QTest::addColumn<QString>("glob");
        // What the glob must select, said independently: a regex on readable names or on keys.
        QTest::addColumn<QString>("nameRegex");
        QTest::addColumn<QString>("keyRegex");
        QTest::addColumn<QString>("mustContain"); // a ground-truth key of ckpt-9 it selects
        QTest::newRow("nested kernels")
            << "*kernel*"
            << "kernel" << QString() << "actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE";
        QTest::newRow("names only") << "actor/*/kernel"
                                    << "^actor/.+/kernel$" << QString()
                                    << "actor/mu_layer/kernel/.ATTRIBUTES/VARIABLE_VALUE";
        QTest::newRow("keys only")
            << "*/.OPTIMIZER_SLOT/critic_optimizer/[!m]/.ATTRIBUTES/VARIABLE_VALUE" << QString()
            << "/\\.OPTIMIZER_SLOT/critic_optimizer/[^m]/\\.ATTRIBUTES/VARIABLE_VALUE$"
            << "critic/hidden1/bias/.OPTIMIZER_SLOT/critic_optimizer/v/.ATTRIBUTES/VARIABLE_VALUE";
        QTest::newRow("case counts") << "*KERNEL*" << QString() << QString() << QString();
    }
    void statsFilterLikeFnmatch()
    {
        QFETCH(QString, glob);
        QFETCH(QString, nameRegex);
        QFETCH(QString, keyRegex);
        QFETCH(QString, mustContain);
        const QString item = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts");
        // The readable name of an object-graph key is the key without its attribute suffix.
        const QString suffix = QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE");
        const QRegularExpression byName(nameRegex), byKey(keyRegex);
        QSet<QString> expected;
        for (const char *bundle : {"ckpt-7", "ckpt-8", "ckpt-9"})
            for (const auto &t : test::groundTruthTensors(item, QString::fromLatin1(bundle))) {
                const QString key = t[QStringLiteral("key")].toString();
                const QString name = key.endsWith(suffix) ? key.chopped(suffix.size()) : key;
                if ((!nameRegex.isEmpty() && byName.match(name).hasMatch()) ||
                    (!keyRegex.isEmpty() && byKey.match(key).hasMatch()))
                    expected << QString::fromLatin1(bundle) + QLatin1Char(' ') + key;
            }
        QVERIFY(mustContain.isEmpty() ||
                expected.contains(QStringLiteral("ckpt-9 ") + mustContain));

        const auto run =
            test::runWeightLens({"stats", "--json", "--filter", glob, test::corpus(item)});
        QSet<QString> listed;
        for (const auto &o : jsonLines(run.out))
            listed << o[QStringLiteral("checkpoint")].toString() + QLatin1Char(' ') +
                          o[QStringLiteral("key")].toString();
        QCOMPARE(listed, expected);
        QCOMPARE(run.exitCode, expected.isEmpty() ? 1 : 0);
        QCOMPARE(run.err.contains("no tensor name or key matches"), expected.isEmpty());
    }

    // Every command explains itself with --help (and `help COMMAND`) on stdout, exit status 0.
    void helpForEveryCommand_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("usage");
        QTest::addColumn<QStringList>("options");
        QTest::newRow("ls") << QStringList{"ls", "--help"} << "Usage: weightlens ls [options] PATH"
                            << QStringList{"--json"};
        QTest::newRow("stats") << QStringList{"stats", "--help"}
                               << "Usage: weightlens stats [options] PATH"
                               << QStringList{"--json", "--hash", "--filter <GLOB>", "--bins <N>"};
        QTest::newRow("stats -h") << QStringList{"stats", "-h"}
                                  << "Usage: weightlens stats [options] PATH"
                                  << QStringList{"--filter <GLOB>"};
        QTest::newRow("help stats")
            << QStringList{"help", "stats"} << "Usage: weightlens stats [options] PATH"
            << QStringList{"--filter <GLOB>"};
        QTest::newRow("report") << QStringList{"report", "--help"}
                                << "Usage: weightlens report [options] PATH..."
                                << QStringList{"-o, --output <FILE>"};
        QTest::newRow("demo") << QStringList{"demo", "--help"}
                              << "Usage: weightlens demo [options] DIR" << QStringList{};
        QTest::newRow("overview") << QStringList{"--help"} << "usage:"
                                  << QStringList{"weightlens ls", "weightlens stats",
                                                 "weightlens report", "weightlens demo"};
    }
    void helpForEveryCommand()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, usage);
        QFETCH(QStringList, options);
        const auto run = test::runWeightLens(args);
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.err.isEmpty(), run.err.constData());
        const QString out = QString::fromUtf8(run.out);
        QVERIFY2(out.startsWith(usage + QLatin1Char('\n')), qPrintable(out));
        for (const auto &o : options)
            QVERIFY2(out.contains(o), qPrintable(o));
    }

    // A report over a good checkpoint, a missing path and a damaged index lists both bad inputs
    // with their reasons beside the good one's tensors, and the command says so with status 1.
    void reportListsUnreadInputs_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("md") << "report.md";
        QTest::newRow("json") << "report.json";
    }
    void reportListsUnreadInputs()
    {
        QFETCH(QString, file);
        const QString item = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts");
        const QString good = test::corpus(item + QStringLiteral("/ckpt-9"));
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("ckpt-99"));
        const QString damaged = dir.filePath(QStringLiteral("ckpt-9.index"));
        QVERIFY(test::writeFile(damaged,
                                test::readFile(test::corpus(item + "/ckpt-9.index")).left(40)));
        const QString report = dir.filePath(file);

        const auto run = test::runWeightLens({"report", good, missing, damaged, "-o", report});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("wrote " + report.toUtf8() +
                                  " without 2 of 3 inputs, which could not be read"),
                 run.err.constData());
        QVERIFY2(run.err.contains(missing.toUtf8() + ": not found") &&
                     run.err.contains(damaged.toUtf8() + ": truncated"),
                 run.err.constData());

        const QByteArray body = test::readFile(report);
        QMap<QString, double> means; // the good checkpoint's float tensors: name → mean
        const QString suffix = QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE");
        for (const auto &v : test::groundTruthTensors(item, QStringLiteral("ckpt-9"))) {
            const auto t = v.toObject();
            if (t[QStringLiteral("dtype")].toString() == QLatin1String("DT_FLOAT")) {
                const QString key = t[QStringLiteral("key")].toString();
                means[key.endsWith(suffix) ? key.chopped(suffix.size()) : key] =
                    t[QStringLiteral("mean")].toDouble();
            }
        }
        QVERIFY(means.size() > 60);
        if (file.endsWith(QLatin1String(".md"))) {
            const QString md = QString::fromUtf8(body);
            const qsizetype notRead = md.indexOf(QLatin1String("## Not read"));
            QVERIFY2(notRead > 0, qPrintable(md));
            QVERIFY2(md.contains(QStringLiteral("- %1: %1: not found").arg(missing)),
                     qPrintable(md));
            QVERIFY2(md.contains(QStringLiteral("- %1: %1: truncated").arg(damaged)),
                     qPrintable(md));
            QVERIFY(md.contains(QLatin1String("### ckpt-9")));
            for (auto it = means.begin(); it != means.end(); ++it)
                QVERIFY2(md.contains(QStringLiteral("| %1 | ").arg(it.key())),
                         qPrintable(it.key()));
            return;
        }
        const QJsonObject root = QJsonDocument::fromJson(body).object();
        QCOMPARE(root[QStringLiteral("schema_version")].toInt(), 1);
        const QJsonArray inputs = root[QStringLiteral("inputs")].toArray();
        QCOMPARE(inputs.size(), 3);
        QMap<QString, QString> errors; // path → error
        QMap<QString, double> reported;
        for (const auto &v : inputs) {
            const auto o = v.toObject();
            if (o.contains(QStringLiteral("error")))
                errors[o[QStringLiteral("path")].toString()] =
                    o[QStringLiteral("error")].toString();
            for (const auto &cp : o[QStringLiteral("checkpoints")].toArray())
                for (const auto &t : cp.toObject()[QStringLiteral("tensors")].toArray())
                    if (t.toObject()[QStringLiteral("dtype")].toString() ==
                        QLatin1String("float32"))
                        reported[t.toObject()[QStringLiteral("name")].toString()] =
                            t.toObject()[QStringLiteral("mean")].toDouble();
        }
        QCOMPARE(errors.keys(), (QStringList{damaged, missing}));
        QVERIFY2(errors[missing].startsWith(missing + QStringLiteral(": not found")),
                 qPrintable(errors[missing]));
        QVERIFY2(errors[damaged].startsWith(damaged + QStringLiteral(": truncated")),
                 qPrintable(errors[damaged]));
        QCOMPARE(reported.keys(), means.keys());
        for (auto it = means.begin(); it != means.end(); ++it)
            QVERIFY2(std::abs(reported[it.key()] - it.value()) <= 1e-6 * (1 + std::abs(it.value())),
                     qPrintable(it.key()));
    }

    // Only unreadable inputs: the report still lists them, and the command does not claim
    // success.
    void reportOfNothingReadable()
    {
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("nothing-here"));
        const QString report = dir.filePath(QStringLiteral("report.md"));
        const auto run = test::runWeightLens({"report", missing, "-o", report});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("but no input could be read"), run.err.constData());
        QVERIFY2(run.out.isEmpty(), run.out.constData());
        const QString md = QString::fromUtf8(test::readFile(report));
        QVERIFY2(md.contains(QStringLiteral("## Not read")) &&
                     md.contains(QStringLiteral("- %1: %1: not found").arg(missing)),
                 qPrintable(md));
    }

    // A checkpoint of one tensor is "1 tensor" in ls and in a report, not "1 tensors".
    void oneTensorInTheSingular()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("one"));
        TfBundleWriter w(prefix);
        const float value = 2.5f;
        QVERIFY(w.add(QStringLiteral("w"), DType::Float32, Shape{},
                      QByteArrayView(reinterpret_cast<const char *>(&value), sizeof value))
                    .ok());
        QVERIFY(w.finish().ok());
        auto run = test::runWeightLens({"ls", prefix});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains(", 1 tensor)\n"), run.out.constData());
        run = test::runWeightLens({"stats", "--filter", "w", prefix});
        QVERIFY2(run.out.contains(", 1 of 1 tensor)\n"), run.out.constData());
        const QString report = dir.filePath(QStringLiteral("r.md"));
        run = test::runWeightLens({"report", prefix, "-o", report});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QByteArray md = test::readFile(report);
        QVERIFY2(md.contains(", 1 tensor\n") &&
                     md.contains("| w | variable | float32 | [] | 2.5 |"),
                 md.constData());
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
