#include "formats/readerregistry.h"
#include "stats/statsengine.h"
#include "write/demo.h"

#include "testutil.h"

#include <QFile>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace wl;

class TestDemo : public QObject
{
    Q_OBJECT
private slots:
    // The demo run reads back as a CheckpointManager folder: five checkpoints in order, the
    // latest marked, object-graph names, Adam slots linked to their variables.
    void demoRunReadsBack()
    {
        QTemporaryDir dir;
        auto run = writeDemo(dir.path());
        QVERIFY2(run.ok(), run.ok() ? "" : qPrintable(run.error().message()));
        auto opened = ReaderRegistry::builtin().open(run.value());
        QVERIFY2(opened.ok(), opened.ok() ? "" : qPrintable(opened.error().message()));
        QCOMPARE(opened->checkpoints.size(), std::size_t(5));
        QCOMPARE(opened->latest, QStringLiteral("ckpt-5"));
        for (int n = 1; n <= 5; ++n) {
            const auto &cp = *opened->checkpoints[std::size_t(n - 1)];
            QCOMPARE(cp.index().displayName, QStringLiteral("ckpt-%1").arg(n));
            const int counter =
                cp.index().indexOfKey(QStringLiteral("save_counter/.ATTRIBUTES/VARIABLE_VALUE"));
            QVERIFY(counter >= 0);
            auto bytes = cp.readTensor(counter);
            QVERIFY(bytes.ok());
            std::int64_t value = 0;
            std::memcpy(&value, bytes->constData(), 8);
            QCOMPARE(value, std::int64_t(n));
            int slotCount = 0;
            for (const auto &t : cp.index().tensors)
                if (t.role == TensorRole::OptimizerSlot) {
                    ++slotCount;
                    QVERIFY(t.slotName == QLatin1String("m") || t.slotName == QLatin1String("v"));
                    QVERIFY(t.slotOf.startsWith(QLatin1String("model/layer_with_weights-")));
                }
            QCOMPARE(slotCount, 12);
            const int kernel = cp.index().indexOfKey(
                QStringLiteral("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
            QVERIFY(kernel >= 0);
            QCOMPARE(cp.tensor(kernel).name, QStringLiteral("model/layer_with_weights-0/kernel"));
            QCOMPARE(cp.tensor(kernel).shape.toString(), QStringLiteral("[784, 128]"));
            const auto reports = computeStats(cp, allTensors(cp.index()), StatsRequest{});
            for (const auto &r : reports) {
                QVERIFY(r.error.isEmpty());
                QCOMPARE(r.checksum, ChecksumState::Ok);
            }
        }
        // A second write into the same folder refuses to overwrite.
        QVERIFY(!writeDemo(dir.path()).ok());
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
        QVERIFY(p.readAllStandardError().contains("no display"));
        QFile report(home.filePath(QStringLiteral("weightlens-demo-report.md")));
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(report.readAll());
        QVERIFY(text.contains(QLatin1String("### ckpt-5 (latest)")));
        QVERIFY(text.contains(QLatin1String(
            "| model/layer_with_weights-2/kernel | variable | float32 | [64, 10] |")));
    }

    void reportRefusesToOverwriteAnInput()
    {
        QTemporaryDir dir;
        auto run = writeDemo(dir.path());
        QVERIFY(run.ok());
        const QString index = run.value() + QStringLiteral("/ckpt-1.index");
        const auto r = test::runWeightLens(
            {QStringLiteral("report"), run.value(), QStringLiteral("-o"), index});
        QCOMPARE(r.exitCode, 2);
        QFile f(index);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.size() > 0 && !f.readAll().startsWith("# WeightLens"));
    }
};

QTEST_GUILESS_MAIN(TestDemo)
#include "tst_demo.moc"
