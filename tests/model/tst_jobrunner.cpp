#include "jobs/jobrunner.h"
#include "testutil.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <random>

using namespace wl;

namespace
{

// Raw little-endian tensors written into one temporary file.
struct Fixture {
    QTemporaryDir dir;
    std::shared_ptr<Checkpoint> checkpoint;
    std::vector<std::vector<double>> values; // what each tensor holds, as doubles

    Fixture()
    {
        const QString file = dir.filePath(QStringLiteral("weights.bin"));
        QFile f(file);
        if (!f.open(QIODevice::WriteOnly))
            return;
        CheckpointIndex idx;
        idx.path = file;
        idx.displayName = QStringLiteral("weights");
        std::mt19937 rng(42);
        std::normal_distribution<float> normal(0.5f, 2.0f);
        auto addFloat = [&](const QString &name, std::int64_t n) {
            TensorInfo t;
            t.name = t.key = name;
            t.dtype = DType::Float32;
            t.shape.dims = {n};
            t.location.file = file;
            t.location.offset = f.pos();
            t.location.size = n * 4;
            std::vector<float> v(static_cast<std::size_t>(n));
            for (auto &x : v)
                x = normal(rng);
            f.write(reinterpret_cast<const char *>(v.data()), qint64(v.size() * 4));
            values.emplace_back(v.begin(), v.end());
            idx.tensors << t;
        };
        addFloat(QStringLiteral("small"), 1000);
        addFloat(QStringLiteral("medium"), 50000);
        {
            TensorInfo t;
            t.name = t.key = QStringLiteral("counts");
            t.dtype = DType::Int32;
            t.shape.dims = {10, 30};
            t.location.file = file;
            t.location.offset = f.pos();
            t.location.size = 300 * 4;
            std::vector<std::int32_t> v(300);
            for (int i = 0; i < 300; ++i)
                v[std::size_t(i)] = i * 7 - 1000;
            f.write(reinterpret_cast<const char *>(v.data()), qint64(v.size() * 4));
            values.emplace_back(v.begin(), v.end());
            idx.tensors << t;
        }
        addFloat(QStringLiteral("large"), std::int64_t(4) << 20);
        for (int i = 0; i < 40; ++i)
            addFloat(QStringLiteral("tiny_%1").arg(i), 17 + i);
        f.close();
        checkpoint = std::make_shared<Checkpoint>(std::move(idx));
    }

    TensorRef ref(int i) const { return {checkpoint, i}; }
};

struct Expected {
    double mean = 0, std = 0, min = 0, max = 0;
};

Expected expected(const std::vector<double> &v)
{
    Expected e;
    e.min = e.max = v.front();
    double sum = 0;
    for (double x : v) {
        sum += x;
        e.min = std::min(e.min, x);
        e.max = std::max(e.max, x);
    }
    e.mean = sum / double(v.size());
    double sq = 0;
    for (double x : v)
        sq += (x - e.mean) * (x - e.mean);
    e.std = std::sqrt(sq / double(v.size()));
    return e;
}

bool close(double a, double b)
{
    return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

void compareStats(const TensorReport &r, const std::vector<double> &v)
{
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QVERIFY(r.reduced);
    const Expected e = expected(v);
    QCOMPARE(r.stats.count, std::int64_t(v.size()));
    QVERIFY2(close(*r.stats.mean, e.mean), qPrintable(QString::number(*r.stats.mean, 'g', 17)));
    QVERIFY2(close(*r.stats.std, e.std), qPrintable(QString::number(*r.stats.std, 'g', 17)));
    QCOMPARE(*r.stats.min, e.min);
    QCOMPARE(*r.stats.max, e.max);
}

void waitIdle(JobRunner &runner)
{
    QTRY_VERIFY_WITH_TIMEOUT(!runner.isBusy(), 60000);
    QTest::qWait(20); // anything still queued behind the last job
}

} // namespace

class TestJobRunner : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { JobRunner::registerMetaTypes(); }

    void statsMatchIndependentComputation()
    {
        Fixture fx;
        QVERIFY(fx.checkpoint);
        JobRunner runner;
        QSignalSpy ready(&runner, &JobRunner::statsReady);
        QSignalSpy busy(&runner, &JobRunner::busyChanged);
        constexpr int kBins = 16;
        runner.requestStats({fx.ref(0), fx.ref(1), fx.ref(2)}, kBins);
        QVERIFY(runner.isBusy());
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 3, 30000);
        waitIdle(runner);
        QCOMPARE(busy.count(), 2);
        QCOMPARE(busy.at(0).at(0).toBool(), true);
        QCOMPARE(busy.at(1).at(0).toBool(), false);
        for (const auto &args : ready) {
            const auto t = args.at(0).value<TensorRef>();
            const auto r = args.at(1).value<TensorReport>();
            QCOMPARE(r.tensor, t.index);
            compareStats(r, fx.values[std::size_t(t.index)]);
            // Histogram over [min, max]: an independent count, allowing for edge rounding.
            const auto &v = fx.values[std::size_t(t.index)];
            const Expected e = expected(v);
            std::vector<std::uint64_t> counts(kBins);
            for (double x : v)
                ++counts[std::size_t(
                    std::min(kBins - 1, int((x - e.min) / (e.max - e.min) * kBins)))];
            QCOMPARE(r.stats.histogram.counts.size(), std::size_t(kBins));
            std::uint64_t total = 0;
            for (int b = 0; b < kBins; ++b) {
                total += r.stats.histogram.counts[std::size_t(b)];
                QVERIFY(std::llabs(std::int64_t(r.stats.histogram.counts[std::size_t(b)]) -
                                   std::int64_t(counts[std::size_t(b)])) <= 1);
            }
            QCOMPARE(total, std::uint64_t(v.size()));
        }

        // Served again from the cache, still queued.
        ready.clear();
        runner.requestStats({fx.ref(1)}, kBins);
        QVERIFY(runner.cachedStats(fx.ref(1), kBins).has_value());
        QCOMPARE(ready.count(), 0);
        QTRY_COMPARE(ready.count(), 1);
        compareStats(ready.at(0).at(1).value<TensorReport>(), fx.values[1]);
    }

    void staleSelectionNeverDelivers()
    {
        Fixture fx;
        JobRunner runner;
        QSignalSpy ready(&runner, &JobRunner::statsReady);
        runner.requestStats({fx.ref(3), fx.ref(1)}, 64);
        runner.requestStats({fx.ref(0)}, 64);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        waitIdle(runner);
        QCOMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).value<TensorRef>(), fx.ref(0));
        compareStats(ready.at(0).at(1).value<TensorReport>(), fx.values[0]);

        // Even cached results of a superseded request stay undelivered.
        ready.clear();
        runner.requestStats({fx.ref(0)}, 64);
        runner.requestStats({fx.ref(2)}, 64);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        waitIdle(runner);
        QCOMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).value<TensorRef>(), fx.ref(2));
    }

    void cancelStopsDelivery()
    {
        Fixture fx;
        JobRunner runner;
        QSignalSpy ready(&runner, &JobRunner::statsReady);
        QSignalSpy batches(&runner, &JobRunner::statsBatchReady);
        QSignalSpy values(&runner, &JobRunner::valuesReady);
        runner.requestStats({fx.ref(3), fx.ref(1), fx.ref(0)}, 32);
        runner.requestBackgroundStats(fx.checkpoint);
        runner.requestValues(fx.ref(0), 10000);
        runner.cancelAll();
        waitIdle(runner);
        QCOMPARE(ready.count(), 0);
        QCOMPARE(batches.count(), 0);
        QCOMPARE(values.count(), 0);
        // The runner stays usable.
        runner.requestStats({fx.ref(0)}, 0);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
    }

    void backgroundFillsEveryTensor()
    {
        Fixture fx;
        JobRunner runner;
        QSignalSpy batches(&runner, &JobRunner::statsBatchReady);
        QSignalSpy ready(&runner, &JobRunner::statsReady);
        runner.requestBackgroundStats(fx.checkpoint);
        // A selection request meanwhile does not stop the background work.
        runner.requestStats({fx.ref(2)}, 8);
        waitIdle(runner);
        QCOMPARE(ready.count(), 1);
        QHash<int, TensorReport> seen;
        for (const auto &args : batches)
            for (const auto &[t, r] : args.at(0).value<StatsBatch>()) {
                QCOMPARE(t.checkpoint, fx.checkpoint);
                QVERIFY(!seen.contains(t.index));
                seen.insert(t.index, r);
            }
        QCOMPARE(seen.size(), int(fx.values.size()));
        for (int i = 0; i < int(fx.values.size()); ++i)
            compareStats(seen.value(i), fx.values[std::size_t(i)]);
        QVERIFY(runner.cachedStats(fx.ref(5), 0).has_value());
    }

    void values()
    {
        Fixture fx;
        JobRunner runner;
        QSignalSpy ready(&runner, &JobRunner::valuesReady);
        QSignalSpy failed(&runner, &JobRunner::valuesFailed);
        runner.requestValues(fx.ref(2), 1000);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        const auto v = ready.at(0).at(1).value<QVector<double>>();
        QCOMPARE(v.size(), 300);
        for (int i = 0; i < 300; ++i)
            QCOMPARE(v[i], double(i * 7 - 1000));

        runner.requestValues(fx.ref(1), 1000);
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(failed.at(0).at(0).value<TensorRef>(), fx.ref(1));
        QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("50000")));

        // Only the latest request delivers.
        ready.clear();
        runner.requestValues(fx.ref(1), 100000);
        runner.requestValues(fx.ref(0), 100000);
        waitIdle(runner);
        QCOMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).value<TensorRef>(), fx.ref(0));
        const auto w = ready.at(0).at(1).value<QVector<double>>();
        QCOMPARE(std::size_t(w.size()), fx.values[0].size());
        for (int i = 0; i < w.size(); ++i)
            QCOMPARE(w[i], fx.values[0][std::size_t(i)]);
    }

    void openMissingPath()
    {
        JobRunner runner;
        QSignalSpy failed(&runner, &JobRunner::openFailed);
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("nothing-here.index"));
        const quint64 job = runner.openPaths({missing});
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        QCOMPARE(failed.at(0).at(0).toULongLong(), job);
        QCOMPARE(failed.at(0).at(1).toString(), missing);
        QCOMPARE(failed.at(0).at(2).value<LoadError>().code, LoadError::Code::NotFound);
    }

    // Paths opened together (dropped, or given on the command line) arrive in their order even
    // when a later one is quicker to open: a folder of 20 checkpoints, a missing path, a file.
    void openKeepsPathOrder()
    {
        WL_REQUIRE_CORPUS();
        QTemporaryDir tmp;
        const QStringList paths{
            test::corpus(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs")),
            tmp.filePath(QStringLiteral("nothing-here.index")),
            test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/ckpt-7.index"))};
        JobRunner runner;
        QStringList arrived;
        connect(&runner, &JobRunner::opened, this,
                [&](quint64, const OpenResult &r) { arrived << QDir::cleanPath(r.path); });
        connect(&runner, &JobRunner::openFailed, this,
                [&](quint64, const QString &path, const LoadError &) { arrived << path; });
        runner.openPaths(paths);
        QTRY_COMPARE_WITH_TIMEOUT(arrived.size(), 3, 60000);
        QCOMPARE(arrived, paths);
    }

    void openCorpusRun()
    {
        WL_REQUIRE_CORPUS();
        const QString dir = test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"));
        JobRunner runner;
        QSignalSpy opened(&runner, &JobRunner::opened);
        QSignalSpy failed(&runner, &JobRunner::openFailed);
        const quint64 job = runner.openPaths({dir});
        QTRY_COMPARE_WITH_TIMEOUT(opened.count() + failed.count(), 1, 60000);
        if (failed.count() &&
            failed.at(0).at(2).value<LoadError>().code == LoadError::Code::UnknownFormat)
            QSKIP("no TensorFlow bundle reader in this build");
        QCOMPARE(opened.count(), 1);
        QCOMPARE(opened.at(0).at(0).toULongLong(), job);
        const auto r = opened.at(0).at(1).value<OpenResult>();
        QCOMPARE(int(r.checkpoints.size()), 3);
        QCOMPARE(r.latest, QStringLiteral("ckpt-9"));

        // Statistics of a real tensor against the ground truth.
        const auto truth = test::loadJson(dir + QStringLiteral("/GROUND_TRUTH_TF.json"));
        std::shared_ptr<const Checkpoint> ck9;
        for (const auto &c : r.checkpoints)
            if (c->index().displayName == QLatin1String("ckpt-9"))
                ck9 = c;
        QVERIFY(ck9);
        const QString key = QStringLiteral("actor/hidden1/bias/.ATTRIBUTES/VARIABLE_VALUE");
        QJsonObject expect;
        for (const auto &v :
             truth[QStringLiteral("bundles")][QStringLiteral("ckpt-9")][QStringLiteral("tensors")]
                 .toArray())
            if (v.toObject()[QStringLiteral("key")].toString() == key)
                expect = v.toObject();
        QVERIFY(!expect.isEmpty());
        const TensorRef ref{ck9, ck9->index().indexOfKey(key)};
        QVERIFY(ref.isValid());
        QSignalSpy ready(&runner, &JobRunner::statsReady);
        runner.requestStats({ref}, 0);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        const auto rep = ready.at(0).at(1).value<TensorReport>();
        QVERIFY(close(*rep.stats.mean, expect[QStringLiteral("mean")].toDouble()));
        QVERIFY(close(*rep.stats.std, expect[QStringLiteral("std")].toDouble()));
        QCOMPARE(*rep.stats.min, expect[QStringLiteral("min")].toDouble());
        QCOMPARE(*rep.stats.max, expect[QStringLiteral("max")].toDouble());

        // A cancelled open reports Cancelled.
        const quint64 job2 = runner.openPaths({dir});
        runner.cancelAll();
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 60000);
        QCOMPARE(failed.at(0).at(0).toULongLong(), job2);
        QCOMPARE(failed.at(0).at(2).value<LoadError>().code, LoadError::Code::Cancelled);
        QCOMPARE(opened.count(), 1);
    }
};

QTEST_GUILESS_MAIN(TestJobRunner)
#include "tst_jobrunner.moc"
