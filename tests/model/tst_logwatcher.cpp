// Live logs: a copy of a corpus event file, written in two parts while watched, gains exactly the
// records of the second part; a new log folder becomes a new run after the existing ones.

#include "events/logwatcher.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace wl;
using namespace wl::events;

namespace
{

const QString kItem = QStringLiteral("tf1-checkpoint/mnist-estimator-run");
const QString kTrain = QStringLiteral("events.out.tfevents.1520430462.Haydens-MacBook-Pro.local");
const QString kEval =
    QStringLiteral("eval/events.out.tfevents.1520459033.Haydens-MacBook-Pro.local");

bool append(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Append) && f.write(bytes) == bytes.size() &&
           f.flush();
}

} // namespace

class TestLogWatcher : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void appendedRecordsAndNewRuns()
    {
        const QJsonObject truth = test::loadJson(test::corpus(
            kItem + QStringLiteral("/GROUND_TRUTH.json")))[QStringLiteral("events")]
                                      .toObject();
        const QJsonObject train = truth[kTrain].toObject();
        const QJsonObject loss = train[QStringLiteral("tags")][QStringLiteral("loss")].toObject();
        const QByteArray bytes = test::readFile(test::corpus(kItem + QLatin1Char('/') + kTrain));
        QVERIFY(bytes.size() > 1000);

        QTemporaryDir dir;
        const QString file = dir.filePath(kTrain);
        // Cut inside a record of the summaries at the end (the graphs come first): the part
        // after the last whole record waits for the rest.
        const qsizetype cut = bytes.size() - 8000 + 3;
        QVERIFY(test::writeFile(file, bytes.left(cut)));
        auto loaded = loadLogs(dir.path());
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->runs.size(), std::size_t(1));
        const auto &first = loaded->runs.front();
        QCOMPARE(first.eventFiles.size(), std::size_t(1));
        const std::int64_t readBefore = first.eventFiles.front().offset;
        QVERIFY(readBefore < cut && readBefore > 0);
        QVERIFY(first.eventFiles.front().pending > 0);
        QVERIFY(first.series.find("loss"));
        const std::int64_t lossBefore = std::int64_t(first.series.find("loss")->scalars.size());
        QVERIFY(lossBefore > 0 && lossBefore < loss[QStringLiteral("count")].toInteger());

        LogWatcher watcher(std::make_shared<const RunLogs>(std::move(loaded).value()));
        QSignalSpy updated(&watcher, &LogWatcher::updated);
        QVERIFY(append(file, bytes.mid(cut)));
        const auto records = [&] {
            return watcher.logs()->runs.front().eventFiles.front().records;
        };
        QTRY_COMPARE_WITH_TIMEOUT(records(), train[QStringLiteral("records")].toInteger(), 10000);
        QVERIFY(!updated.isEmpty());
        auto logs = watcher.logs();
        QCOMPARE(logs->runs.size(), std::size_t(1));
        const auto &run = logs->runs.front();
        // Every record once: the count and the ends are the ground truth's.
        QCOMPARE(run.eventFiles.front().records, train[QStringLiteral("records")].toInteger());
        QCOMPARE(run.eventFiles.front().offset, std::int64_t(bytes.size()));
        QCOMPARE(run.eventFiles.front().pending, 0);
        const auto &points = run.series.find("loss")->scalars;
        QCOMPARE(std::int64_t(points.size()), loss[QStringLiteral("count")].toInteger());
        QCOMPARE(points.back().step, loss[QStringLiteral("last")].toArray()[0].toInteger());
        QCOMPARE(points.back().value, loss[QStringLiteral("last")].toArray()[1].toDouble());
        for (std::size_t i = 1; i < points.size(); ++i)
            QVERIFY(points[i].step > points[i - 1].step); // nothing read twice

        // A new folder of event files: a second run, after the first.
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("eval")));
        QVERIFY(test::writeFile(dir.filePath(kEval),
                                test::readFile(test::corpus(kItem + QLatin1Char('/') + kEval))));
        const auto evalPoints = [&]() -> std::int64_t {
            const auto now = watcher.logs();
            const auto *s = now->runs.size() > 1 ? now->runs[1].series.find("accuracy") : nullptr;
            return s ? std::int64_t(s->scalars.size()) : -1;
        };
        QTRY_COMPARE_WITH_TIMEOUT(evalPoints(),
                                  truth[kEval][QStringLiteral("tags")][QStringLiteral("accuracy")]
                                       [QStringLiteral("count")]
                                           .toInteger(),
                                  10000);
        logs = watcher.logs();
        QCOMPARE(logs->runs.size(), std::size_t(2));
        QCOMPARE(logs->runs[0].name, QStringLiteral("."));
        QCOMPARE(logs->runs[1].name, QStringLiteral("eval"));
        QCOMPARE(std::int64_t(logs->runs[0].series.find("loss")->scalars.size()),
                 loss[QStringLiteral("count")].toInteger());
    }

    // A log folder made deep inside the run (logs/fit/<time>/validation, as Keras's TensorBoard
    // callback makes them) is watched as soon as it exists, so its first event file shows
    // without the poll; folders deeper than discovery searches are left alone.
    void nestedFoldersAreWatched()
    {
        const QByteArray train = test::readFile(test::corpus(kItem + QLatin1Char('/') + kTrain));
        const QByteArray eval = test::readFile(test::corpus(kItem + QLatin1Char('/') + kEval));
        QVERIFY(!train.isEmpty() && !eval.isEmpty());
        QTemporaryDir dir;
        QVERIFY(test::writeFile(dir.filePath(kTrain), train));
        auto loaded = loadLogs(dir.path());
        QVERIFY(loaded.ok());
        LogWatcher watcher(std::make_shared<const RunLogs>(std::move(loaded).value()));
        watcher.setPollInterval(24 * 3600 * 1000); // only the file system watcher reports
        const QString deep = dir.filePath(QStringLiteral("logs/fit/20260409-141256/validation"));
        const QString deepest = dir.filePath(QStringLiteral("a/b/c/d/e"));
        QVERIFY(QDir().mkpath(deep));
        QVERIFY(QDir().mkpath(deepest + QStringLiteral("/f")));
        QTRY_VERIFY_WITH_TIMEOUT(watcher.watchedPaths().contains(deep), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(watcher.watchedPaths().contains(deepest), 10000);
        QVERIFY(!watcher.watchedPaths().contains(deepest + QStringLiteral("/f")));

        const QString name = kEval.section(QLatin1Char('/'), -1);
        QVERIFY(test::writeFile(deep + QLatin1Char('/') + name, eval));
        const qint64 want = test::loadJson(test::corpus(
            kItem +
            QStringLiteral(
                "/GROUND_TRUTH.json")))[QStringLiteral("events")][kEval][QStringLiteral("tags")]
                                       [QStringLiteral("accuracy")][QStringLiteral("count")]
                                           .toInteger();
        const auto accuracy = [&]() -> qint64 {
            const auto now = watcher.logs();
            const auto *s = now->runs.size() > 1 ? now->runs[1].series.find("accuracy") : nullptr;
            return s ? qint64(s->scalars.size()) : -1;
        };
        QTRY_COMPARE_WITH_TIMEOUT(accuracy(), want, 10000);
        QCOMPARE(watcher.logs()->runs[1].name,
                 QStringLiteral("logs/fit/20260409-141256/validation"));
    }
};

QTEST_GUILESS_MAIN(TestLogWatcher)
#include "tst_logwatcher.moc"
