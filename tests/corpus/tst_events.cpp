// TensorBoard event files and CSV training logs: every log of the corpus against
// GROUND_TRUTH.json, and files built here for restarts, files still being written, bad CRCs,
// every value kind and CSV quirks. Also `weightlens events` on a corpus run.

#include "events/checkpointmarks.h"
#include "events/eventfile.h"
#include "events/runlogs.h"
#include "eventwriter.h"
#include "formats/checkpoint.h"
#include "testutil.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QMap>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cfloat>
#include <numeric>

using namespace wl;
using namespace wl::events;
using namespace wl::test;

Q_DECLARE_METATYPE(std::vector<std::int64_t>)

namespace
{

const char *const kEventItems[] = {"tfevents/churn-fit-run", "tfevents/od-tensorboard-mixed",
                                   "tf1-checkpoint/mnist-estimator-run"};

// The ground truth's kind for a series: "simple_value" for TF1 scalars, else "tensor".
QString groundTruthKind(const Series &s)
{
    return s.plugin.isEmpty() && s.kind == SeriesKind::Scalar ? QStringLiteral("simple_value")
                                                              : QStringLiteral("tensor");
}

QByteArray records(const QList<QByteArray> &events)
{
    QByteArray out;
    for (const auto &e : events)
        out += tfRecord(e);
    return out;
}

std::vector<std::int64_t> steps(const Series &s)
{
    std::vector<std::int64_t> v;
    for (const auto &p : s.scalars)
        v.push_back(p.step);
    return v;
}

std::vector<double> values(const Series &s)
{
    std::vector<double> v;
    for (const auto &p : s.scalars)
        v.push_back(p.value);
    return v;
}

// Reads one file as stored (no restart rule), failing the test when it cannot be read.
SeriesSet readRaw(EventFileCursor &c, Problems &problems)
{
    SeriesSet set;
    const auto st = readEvents(c, set, problems, false);
    if (!st.ok())
        qWarning() << st.error().message();
    return set;
}

} // namespace

class TstEvents : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void corpusFiles_data()
    {
        QTest::addColumn<QString>("item");
        QTest::addColumn<QString>("file");
        for (const char *item : kEventItems) {
            const auto gt = loadJson(corpus(QString::fromLatin1(item) + "/GROUND_TRUTH.json"));
            for (const auto &file : gt["events"].toObject().keys())
                QTest::newRow(qPrintable(QString::fromLatin1(item) + ':' + file))
                    << QString::fromLatin1(item) << file;
        }
    }

    void corpusFiles()
    {
        QFETCH(QString, item);
        QFETCH(QString, file);
        const QJsonObject gt =
            loadJson(corpus(item + "/GROUND_TRUTH.json"))["events"].toObject()[file].toObject();
        EventFileCursor c;
        c.path = corpus(item + '/' + file);
        Problems problems;
        const SeriesSet set = readRaw(c, problems);
        QVERIFY(problems.isEmpty());
        QCOMPARE(c.records, gt["records"].toInteger());
        QCOMPARE(c.fileVersion, gt["file_version"].toString());
        QCOMPARE(c.graphDefs, gt["graph_defs"].toInt());
        QCOMPARE(c.pending, gt["trailing_bytes"].toInteger());
        const QJsonObject tags = gt["tags"].toObject();
        QCOMPARE(qsizetype(set.all().size()), tags.size());
        for (const auto &tag : tags.keys()) {
            const QJsonObject t = tags[tag].toObject();
            const Series *s = set.find(tag);
            QVERIFY2(s, qPrintable(tag));
            QCOMPARE(groundTruthKind(*s), t["kind"].toString());
            QCOMPARE(s->plugin, t["plugin"].toString());
            QCOMPARE(s->size(), t["count"].toInteger());
            if (t["first"].isArray()) {
                QCOMPARE(std::int64_t(s->scalars.size()), s->size());
                const QJsonArray first = t["first"].toArray(), last = t["last"].toArray();
                QCOMPARE(s->scalars.front().step, first[0].toInteger());
                QCOMPARE(s->scalars.front().value, first[1].toDouble());
                QCOMPARE(s->scalars.back().step, last[0].toInteger());
                QCOMPARE(s->scalars.back().value, last[1].toDouble());
            }
            if (s->kind == SeriesKind::Histogram) {
                QCOMPARE(std::int64_t(s->histograms.size()), s->size());
                // Each point bins the same weight tensor: the same total every time.
                const auto total = [](const HistogramPoint &p) {
                    return std::accumulate(p.counts.begin(), p.counts.end(), 0.0);
                };
                for (const auto &p : s->histograms) {
                    QCOMPARE(p.edges.size(), p.counts.empty() ? 0 : p.counts.size() + 1);
                    QVERIFY(std::is_sorted(p.edges.begin(), p.edges.end()));
                    QCOMPARE(total(p), total(s->histograms.front()));
                }
                QVERIFY(total(s->histograms.front()) > 0);
            }
        }
    }

    // The spec's totals over churn-fit-run: 2947 scalars, 2526 TF2 histograms.
    void churnRunTotals()
    {
        auto logs = loadLogs(corpus("tfevents/churn-fit-run"));
        QVERIFY2(logs.ok(), qPrintable(logs.ok() ? QString() : logs.error().message()));
        std::int64_t scalars = 0, histograms = 0;
        QSet<QString> groups;
        for (const auto &run : logs->runs) {
            QVERIFY(run.name.endsWith("/train") || run.name.endsWith("/validation"));
            QCOMPARE(run.group, run.name.section('/', 0, -2));
            groups << run.group;
            for (const auto &s : run.series.all()) {
                scalars += std::int64_t(s.scalars.size());
                histograms += std::int64_t(s.histograms.size());
            }
        }
        QCOMPARE(logs->runs.size(), std::size_t(8));
        QCOMPARE(groups.size(), 4);
        QCOMPARE(scalars, 2947);
        QCOMPARE(histograms, 2526);
    }

    // Keras CSVLogger output of two trainings, the second appended (epochs 0-4, then 0-9).
    void corpusCsvLog()
    {
        const QString file = corpus("csvlog/digit-cnn-run/training_log.csv");
        QVERIFY(isCsvLog(file));
        auto logs = loadLogs(corpus("csvlog/digit-cnn-run"));
        QVERIFY(logs.ok());
        QCOMPARE(logs->runs.size(), std::size_t(1));
        const LogRun &run = logs->runs.front();
        QCOMPARE(run.name, QStringLiteral("training_log.csv"));
        QCOMPARE(run.series.all().size(), std::size_t(4));
        const Series *acc = run.series.find("accuracy");
        QVERIFY(acc);
        QCOMPARE(steps(*acc), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        QCOMPARE(acc->scalars.front().value, 0.9250333309173584);
        QCOMPARE(acc->scalars.back().value, 0.9946833252906799);
        QCOMPARE(run.series.find("val_loss")->scalars.back().value, 0.07221856713294983);
    }

    void restartDropsReplayedSteps()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.1.host");
        QList<QByteArray> evs{fileVersionEvent(1)};
        for (int s = 0; s < 5; ++s)
            evs << simpleValueEvent(10 + s, s, "loss", float(s));
        evs << sessionStartEvent(20, 2);
        evs << simpleValueEvent(21, 2, "loss", 20.f) << simpleValueEvent(22, 3, "loss", 30.f);
        QVERIFY(writeFile(path, records(evs)));
        auto logs = loadLogs(dir.path());
        QVERIFY(logs.ok());
        const Series *loss = logs->runs.front().series.find("loss");
        QCOMPARE(steps(*loss), (std::vector<std::int64_t>{0, 1, 2, 3}));
        QCOMPARE(values(*loss), (std::vector<double>{0, 1, 20, 30}));
        EventFileCursor c;
        c.path = path;
        Problems problems;
        QCOMPARE(readRaw(c, problems).find("loss")->scalars.size(), std::size_t(7));
    }

    // Files of many megabytes are decoded in pieces on every core. Whether plugin names come on
    // every value or only on a tag's first (so later pieces cannot know them), the result is the
    // one sequential reading gives: restarts reach back into earlier pieces, a bad data CRC in a
    // later piece is one warning at its offset.
    void largeFileInPieces_data()
    {
        QTest::addColumn<bool>("metadataEveryValue");
        QTest::newRow("plugin on every value") << true;
        QTest::newRow("plugin on first value") << false;
    }
    void largeFileInPieces()
    {
        QFETCH(bool, metadataEveryValue);
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.3.host");
        constexpr int kRounds = 120000, kRestartRound = 90000, kRestartStep = 60000;
        constexpr int kBadRound = 100000;
        const auto stepOf = [](int r) { return r < kRestartRound ? r : r - 30000; };
        QByteArray bytes = tfRecord(fileVersionEvent(1));
        qsizetype badOffset = -1;
        for (int r = 0; r < kRounds; ++r) {
            if (r == kRestartRound)
                bytes += tfRecord(sessionStartEvent(r, kRestartStep));
            const bool meta = metadataEveryValue || r == 0;
            bytes +=
                tfRecord(scalarTensorEvent(r, stepOf(r), "loss", float(r) * 0.5f, false, meta));
            if (r % 10 == 0)
                bytes += tfRecord(
                    histogramTensorEvent(r, stepOf(r), "w", {double(r), r + 1.0, 3}, meta));
            QByteArray lr = tfRecord(simpleValueEvent(r, stepOf(r), "lr", float(r)));
            if (r == kBadRound) {
                badOffset = bytes.size();
                lr[20] = char(lr[20] ^ 0x40); // inside the data: the data CRC no longer holds
            }
            bytes += lr;
        }
        QVERIFY(bytes.size() > 8 << 20);
        QVERIFY(writeFile(path, bytes));

        EventFileCursor c;
        c.path = path;
        SeriesSet set;
        Problems problems;
        QVERIFY(readEvents(c, set, problems).ok());
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems[0].where, QStringLiteral("offset %1").arg(badOffset));
        QCOMPARE(c.offset, bytes.size());
        QCOMPARE(c.pending, 0);

        // What survives the restart: rounds before it with steps below kRestartStep, then all
        // rounds after it.
        std::vector<int> kept;
        for (int r = 0; r < kRounds; ++r)
            if (r >= kRestartRound || stepOf(r) < kRestartStep)
                kept.push_back(r);
        const Series *loss = set.find("loss");
        const Series *w = set.find("w");
        const Series *lr = set.find("lr");
        QVERIFY(loss && w && lr);
        QCOMPARE(loss->kind, SeriesKind::Scalar);
        QCOMPARE(w->kind, SeriesKind::Histogram);
        QCOMPARE(w->plugin, QStringLiteral("histograms"));
        QCOMPARE(loss->scalars.size(), kept.size());
        std::size_t hist = 0, lrAt = 0;
        for (std::size_t i = 0; i < kept.size(); ++i) {
            const int r = kept[i];
            QCOMPARE(loss->scalars[i].step, std::int64_t(stepOf(r)));
            QCOMPARE(loss->scalars[i].value, double(float(r) * 0.5f));
            if (r % 10 == 0) {
                QCOMPARE(w->histograms[hist].step, std::int64_t(stepOf(r)));
                QCOMPARE(w->histograms[hist].edges, (std::vector<double>{double(r), r + 1.0}));
                ++hist;
            }
            if (r != kBadRound)
                QCOMPARE(lr->scalars[lrAt++].value, double(r));
        }
        QCOMPARE(w->histograms.size(), hist);
        QCOMPARE(lr->scalars.size(), lrAt);
    }

    // Pieces are cut where a record seems to start. A record holding whole framed records of
    // its own (a graph_def of such bytes) across the middle makes that cut a wrong one: the
    // piece before runs past it, and reading goes on from the true boundary, reading the inner
    // records as no records.
    void cutInsideARecord()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.4.host");
        constexpr int kEach = 60000;
        QByteArray inner;
        while (inner.size() < (4 << 20))
            inner += tfRecord(simpleValueEvent(1, 1, "inner", 1.0f));
        QByteArray graph("\x22"); // Event field 4, graph_def: length-delimited
        for (quint64 n = quint64(inner.size());; n >>= 7) {
            graph += char(n > 0x7f ? (n & 0x7f) | 0x80 : n);
            if (n <= 0x7f)
                break;
        }
        graph += inner;
        QByteArray bytes = tfRecord(fileVersionEvent(1));
        for (int r = 0; r < kEach; ++r)
            bytes += tfRecord(simpleValueEvent(r, r, "lr", float(r)));
        bytes += tfRecord(graph);
        for (int r = kEach; r < 2 * kEach; ++r)
            bytes += tfRecord(simpleValueEvent(r, r, "lr", float(r)));
        QVERIFY(bytes.size() > 8 << 20);
        QVERIFY(writeFile(path, bytes));

        EventFileCursor c;
        c.path = path;
        Problems problems;
        const SeriesSet set = readRaw(c, problems);
        QVERIFY(problems.isEmpty());
        QVERIFY(!set.find("inner"));
        QCOMPARE(c.graphDefs, 1);
        QCOMPARE(c.offset, bytes.size());
        QCOMPARE(c.records, 2 * kEach + 2);
        const Series *lr = set.find("lr");
        QVERIFY(lr);
        QCOMPARE(lr->scalars.size(), std::size_t(2 * kEach));
        for (int r = 0; r < 2 * kEach; ++r)
            QCOMPARE(lr->scalars[std::size_t(r)].value, double(r));
    }

    // A damaged length in the last quarter of a file read in pieces: everything before it is
    // read, nothing after, whether the length still looks plausible or not.
    void badLengthInALaterPiece_data()
    {
        QTest::addColumn<int>("flip"); // byte of the record to damage
        QTest::addColumn<int>("mask");
        QTest::newRow("length CRC") << 9 << 0x01;
        QTest::newRow("length a little longer") << 0 << 0x08;
        QTest::newRow("length far too long") << 5 << 0x40;
    }
    void badLengthInALaterPiece()
    {
        QFETCH(int, flip);
        QFETCH(int, mask);
        constexpr int kRecords = 320000, kBad = 240000;
        QByteArray bytes = tfRecord(fileVersionEvent(1));
        qsizetype badOffset = -1;
        for (int r = 0; r < kRecords; ++r) {
            QByteArray rec = tfRecord(simpleValueEvent(r, r, r % 2 ? "a" : "b", float(r)));
            if (r == kBad) {
                badOffset = bytes.size();
                rec[flip] = char(rec[flip] ^ mask);
            }
            bytes += rec;
        }
        QVERIFY(bytes.size() > 8 << 20);
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.7.host");
        QVERIFY(writeFile(path, bytes));
        EventFileCursor c;
        c.path = path;
        Problems problems;
        const SeriesSet set = readRaw(c, problems);
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems[0].where, QStringLiteral("offset %1").arg(badOffset));
        QVERIFY(problems[0].text.contains("length CRC"));
        QVERIFY(c.ended);
        QCOMPARE(c.offset, badOffset);
        QCOMPARE(c.records, kBad + 1);
        QCOMPARE(set.find("a")->scalars.size() + set.find("b")->scalars.size(), std::size_t(kBad));
        QCOMPARE(set.find("a")->scalars.back().step, kBad - 1);
    }

    // A file still being written: read to its last whole record, then resumed at that offset.
    void cutFileIsResumed()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.2.host");
        QList<QByteArray> evs{fileVersionEvent(1)};
        for (int s = 0; s < 6; ++s)
            evs << scalarTensorEvent(10 + s, s, "epoch_loss", float(s) / 2, false);
        const QByteArray whole = records(evs);
        const QByteArray firstFour = records(evs.mid(0, 4));
        const qsizetype cut = firstFour.size() + 15; // inside the fifth record's data
        QVERIFY(writeFile(path, whole.left(cut)));

        EventFileCursor c;
        c.path = path;
        SeriesSet set;
        Problems problems;
        QVERIFY(readEvents(c, set, problems).ok());
        QVERIFY(problems.isEmpty());
        QCOMPARE(c.records, 4);
        QCOMPARE(c.offset, firstFour.size());
        QCOMPARE(c.pending, 15);
        QCOMPARE(steps(*set.find("epoch_loss")), (std::vector<std::int64_t>{0, 1, 2}));

        QFile f(path);
        QVERIFY(f.open(QIODevice::Append));
        QCOMPARE(f.write(whole.mid(cut)), whole.size() - cut);
        f.close();
        QVERIFY(readEvents(c, set, problems).ok());
        QVERIFY(problems.isEmpty());
        QCOMPARE(c.records, 7);
        QCOMPARE(c.pending, 0);
        QCOMPARE(steps(*set.find("epoch_loss")), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
        QCOMPARE(values(*set.find("epoch_loss")), (std::vector<double>{0, .5, 1, 1.5, 2, 2.5}));
    }

    // A bad data CRC skips its record; a bad length CRC ends the file (nothing after it can be
    // framed). Either way a warning names the file and the record's offset.
    // A run still training: refresh() reads what was appended and event files that appeared,
    // and nothing twice.
    void runRefresh()
    {
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkpath("train"));
        const QString first = dir.filePath("train/events.out.tfevents.1.host.v2");
        QVERIFY(
            writeFile(first, records({fileVersionEvent(1), simpleValueEvent(2, 0, "loss", 4)})));
        auto logs = loadLogs(dir.path());
        QVERIFY(logs.ok());
        LogRun &run = logs->runs.front();
        QCOMPARE(run.name, QStringLiteral("train"));
        QCOMPARE(run.group, QStringLiteral("."));
        QFile f(first);
        QVERIFY(f.open(QIODevice::Append));
        f.write(tfRecord(simpleValueEvent(3, 1, "loss", 3)));
        f.close();
        QVERIFY(writeFile(dir.filePath("train/events.out.tfevents.2.host.v2"),
                          records({simpleValueEvent(4, 2, "loss", 2)})));
        QVERIFY(run.refresh().ok());
        QCOMPARE(steps(*run.series.find("loss")), (std::vector<std::int64_t>{0, 1, 2}));
        QVERIFY(run.refresh().ok());
        QCOMPARE(values(*run.series.find("loss")), (std::vector<double>{4, 3, 2}));
        QCOMPARE(run.eventFiles.size(), std::size_t(2));
        QCOMPARE(run.eventFiles[0].records, 3);
    }

    void badCrc_data()
    {
        QTest::addColumn<int>("flip"); // byte of the second record to damage
        QTest::addColumn<QString>("what");
        QTest::addColumn<std::vector<std::int64_t>>("steps");
        QTest::newRow("data") << 12 + 3 << "data CRC" << std::vector<std::int64_t>{1, 3};
        QTest::newRow("length") << 9 << "length CRC" << std::vector<std::int64_t>{1};
    }

    void badCrc()
    {
        QFETCH(int, flip);
        QFETCH(QString, what);
        QFETCH(std::vector<std::int64_t>, steps);
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.3.host");
        const QList<QByteArray> evs{simpleValueEvent(1, 1, "a", 1), simpleValueEvent(2, 2, "a", 2),
                                    simpleValueEvent(3, 3, "a", 3)};
        QByteArray bytes = records(evs);
        const qsizetype second = tfRecord(evs[0]).size();
        bytes[second + flip] = char(bytes[second + flip] ^ 0x40);
        QVERIFY(writeFile(path, bytes));
        EventFileCursor c;
        c.path = path;
        Problems problems;
        const SeriesSet set = readRaw(c, problems);
        QCOMPARE(::steps(*set.find("a")), steps);
        QCOMPARE(c.ended, steps.size() == 1);
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems[0].file, path);
        QCOMPARE(problems[0].where, QStringLiteral("offset %1").arg(second));
        QVERIFY(problems[0].text.contains(what));
    }

    // TF1 scalar records encoded by hand, in the shapes the reader takes without the generated
    // parser and in near shapes it must leave to it: every one reads as its fields say.
    void simpleValueWireShapes()
    {
        const auto varint = [](QByteArray &o, std::uint64_t v) {
            for (; v >= 0x80; v >>= 7)
                o += char(v | 0x80);
            o += char(v);
        };
        const auto field = [&](QByteArray &o, int number, const QByteArray &bytes) {
            varint(o, std::uint64_t(number) << 3 | 2);
            varint(o, std::uint64_t(bytes.size()));
            o += bytes;
        };
        const auto value = [&](const QByteArray &tag, float v) {
            QByteArray o;
            field(o, 1, tag);
            o += char(0x15);
            o.append(reinterpret_cast<const char *>(&v), 4);
            return o;
        };
        // wall_time and step as given (step < 0: a ten-byte varint), then the summary.
        const auto event = [&](double wall, std::int64_t step, const QList<QByteArray> &values,
                               const QByteArray &tail = {}) {
            QByteArray o, summary;
            o += char(0x09);
            o.append(reinterpret_cast<const char *>(&wall), 8);
            o += char(0x10);
            varint(o, std::uint64_t(step));
            for (const auto &v : values)
                field(summary, 1, v);
            field(o, 5, summary);
            return o + tail;
        };
        QByteArray noStep;
        field(noStep, 5, [&] {
            QByteArray v;
            field(v, 1, value("a", 7));
            return v;
        }());
        QByteArray badUtf8 = event(9, 9, {value("\xff", 1)});
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.4.host");
        QVERIFY(writeFile(
            path, records({event(1.5, 1, {value("a", 1), value("b", 2)}), noStep,
                           event(2.5, -3, {value("a", 3)}), event(3.5, 4, {value("\xce\xbb", 4)}),
                           event(4.5, 5, {value("b", 5)}, QByteArray("\x52\x00", 2)), badUtf8,
                           event(5.5, 300, {value("a", 6)})})));
        EventFileCursor c;
        c.path = path;
        Problems problems;
        const SeriesSet set = readRaw(c, problems);
        QCOMPARE(::steps(*set.find("a")), (std::vector<std::int64_t>{1, 0, -3, 300}));
        QCOMPARE(values(*set.find("a")), (std::vector<double>{1, 7, 3, 6}));
        QCOMPARE(set.find("a")->scalars.front().wallTime, 1.5);
        QCOMPARE(set.find("a")->scalars[1].wallTime, 0.0);
        QCOMPARE(::steps(*set.find("b")), (std::vector<std::int64_t>{1, 5}));
        QCOMPARE(values(*set.find("b")), (std::vector<double>{2, 5}));
        QCOMPARE(values(*set.find(QString::fromUtf8("\xce\xbb"))), (std::vector<double>{4}));
        QCOMPARE(problems.size(), 1); // the tag that is not UTF-8
        QVERIFY(problems[0].text.contains("not an Event"));
        QCOMPARE(c.records, 7);
    }

    // The spec's HistogramProto example (formats-tensorflow.md 6.3).
    void tf1Histogram()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.5.host");
        QVERIFY(writeFile(path, records({histoEvent(1, 7, "W1:0", -0.4, 0.45, 8,
                                                    {-0.5, 0, 0.5, DBL_MAX}, {0, 3, 5, 0})})));
        EventFileCursor c;
        c.path = path;
        Problems problems;
        const SeriesSet set = readRaw(c, problems);
        const Series *h = set.find("W1:0");
        QVERIFY(h);
        QCOMPARE(h->kind, SeriesKind::Histogram);
        QCOMPARE(h->histograms.size(), std::size_t(1));
        const auto &p = h->histograms.front();
        QCOMPARE(p.step, 7);
        QCOMPARE(p.edges, (std::vector<double>{-0.5, -0.5, 0, 0.5, DBL_MAX}));
        QCOMPARE(p.counts, (std::vector<double>{0, 3, 5, 0}));
        QCOMPARE(std::accumulate(p.counts.begin(), p.counts.end(), 0.0), 8.0);
    }

    // TF2 values: float_val scalars, metadata only on a tag's first value, [k,3] histograms
    // (also empty), images listed, graph_defs counted.
    void tf2ValueKinds()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("events.out.tfevents.6.host.v2");
        QVERIFY(writeFile(path, records({fileVersionEvent(1), graphDefEvent(1),
                                         scalarTensorEvent(2, 0, "lr", 0.5f, true),
                                         scalarTensorEvent(3, 1, "lr", 0.25f, true, false),
                                         histogramTensorEvent(4, 1, "w", {-1, 0, 2, 0, 1, 3}),
                                         histogramTensorEvent(5, 2, "w", {}),
                                         imageEvent(6, 2, "digits"), imageEvent(7, 3, "digits")})));
        EventFileCursor c;
        c.path = path;
        Problems problems;
        const SeriesSet set = readRaw(c, problems);
        QVERIFY(problems.isEmpty());
        QCOMPARE(c.graphDefs, 1);
        const Series *lr = set.find("lr");
        QCOMPARE(lr->plugin, QStringLiteral("scalars"));
        QCOMPARE(values(*lr), (std::vector<double>{0.5, 0.25}));
        const Series *w = set.find("w");
        QCOMPARE(w->kind, SeriesKind::Histogram);
        QCOMPARE(w->histograms.size(), std::size_t(2));
        QCOMPARE(w->histograms[0].edges, (std::vector<double>{-1, 0, 1}));
        QCOMPARE(w->histograms[0].counts, (std::vector<double>{2, 3}));
        QVERIFY(w->histograms[1].counts.empty());
        QCOMPARE(set.find("digits")->kind, SeriesKind::Image);
        QCOMPARE(set.find("digits")->size(), 2);
    }

    // A resumed Keras training appends its header again; NA cells and Lightning's empty cells
    // are no point; a lower step replaces what followed it.
    void csvQuirks()
    {
        SeriesSet set;
        Problems problems;
        parseCsvLog("epoch,loss,val_loss\n0,1.5,NA\n1,1.25,1.0\n2,1.0,0.9\n"
                    "epoch,loss,val_loss\n2,0.75,NA\n3,0.5,0.4\n",
                    "log.csv", set, problems);
        QVERIFY(problems.isEmpty());
        QCOMPARE(steps(*set.find("loss")), (std::vector<std::int64_t>{0, 1, 2, 3}));
        QCOMPARE(values(*set.find("loss")), (std::vector<double>{1.5, 1.25, 0.75, 0.5}));
        QCOMPARE(steps(*set.find("val_loss")), (std::vector<std::int64_t>{1, 3}));

        SeriesSet lightning;
        parseCsvLog("epoch,step,train_loss,val_acc\r\n0,49,0.9,\r\n0,49,,0.7\r\n1,99,0.6,\r\n",
                    "metrics.csv", lightning, problems);
        QVERIFY(problems.isEmpty());
        QCOMPARE(steps(*lightning.find("train_loss")), (std::vector<std::int64_t>{49, 99}));
        QCOMPARE(values(*lightning.find("val_acc")), (std::vector<double>{0.7}));
        QCOMPARE(steps(*lightning.find("epoch")), (std::vector<std::int64_t>{49, 49, 99}));
        QVERIFY(!lightning.find("step"));
    }

    // A CSV log has no times: a checkpoint is marked where its own epoch or step meets the
    // log's x column, and nowhere when nothing links them. The corpus log counts epochs.
    void markersOnCsvLogs()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString keras = dir.filePath("keras"), lightning = dir.filePath("lightning");
        QVERIFY(QDir().mkpath(keras) && QDir().mkpath(lightning + "/checkpoints"));
        QVERIFY(QFile::copy(corpus("csvlog/digit-cnn-run/training_log.csv"),
                            keras + "/training_log.csv"));
        QVERIFY(writeFile(lightning + "/metrics.csv",
                          "epoch,step,train_loss,val_loss\n0,49,0.9,\n0,99,0.7,\n0,99,,0.8\n"
                          "1,149,0.5,\n1,199,0.4,\n1,199,,0.6\n"));
        auto logs = loadLogs(dir.path());
        QVERIFY(logs.ok());
        QCOMPARE(logs->runs.size(), std::size_t(2));
        QCOMPARE(logs->runs[0].xColumn, QStringLiteral("epoch"));
        QCOMPARE(logs->runs[1].xColumn, QStringLiteral("step"));

        auto make = [](const QString &path, QList<QPair<QString, QString>> metadata = {},
                       std::optional<std::int64_t> step = {}) {
            CheckpointIndex idx;
            idx.path = path;
            idx.displayName = QFileInfo(path).fileName();
            idx.metadata = metadata;
            idx.step = step;
            idx.savedAt = 1.7e9; // a state file's time meets nothing in a CSV log
            return std::make_shared<const Checkpoint>(idx);
        };
        // ModelCheckpoint numbers epochs from 1; the log's last training has epochs 0-9.
        const QList<std::shared_ptr<const Checkpoint>> kerasCps{
            make(keras + "/weights.01-0.15.h5"), make(keras + "/weights.04-0.08.h5"),
            make(keras + "/weights.12-0.07.h5"), make(keras + "/model.h5"),
            make(keras + "/ckpt-3", {{"save_counter", "3"}}, 3)};
        const auto k = markersFor(*logs, 0, "loss", kerasCps);
        QCOMPARE(int(k.placed.size()), 2);
        QVERIFY(k.placed[0].first == kerasCps[0]);
        QCOMPARE(k.placed[0].second, 0.0);
        QVERIFY(k.placed[1].first == kerasCps[1]);
        QCOMPARE(k.placed[1].second, 3.0);
        QVERIFY(k.unplaced == (QList{kerasCps[2], kerasCps[3], kerasCps[4]}));

        // Lightning: a stored global step on the step column; without one, the last step
        // logged in the checkpoint's epoch (counted from 0, as in its name).
        const QString c = lightning + "/checkpoints/";
        const QList<std::shared_ptr<const Checkpoint>> lightningCps{
            make(c + "epoch=0-step=100.ckpt", {{"epoch", "0"}, {"global_step", "100"}}, 100),
            make(c + "epoch=1.ckpt"), make(c + "last.ckpt"), make(c + "epoch=7-step=800.ckpt")};
        const auto l = markersFor(*logs, 1, "val_loss", lightningCps);
        QCOMPARE(int(l.placed.size()), 2);
        QCOMPARE(l.placed[0].second, 100.0);
        QCOMPARE(l.placed[1].second, 199.0);
        QVERIFY(l.unplaced == (QList{lightningCps[2], lightningCps[3]}));

        // A run's checkpoints are its own: those of the other folder, or outside, are not.
        QVERIFY(belongsTo(*kerasCps[0], *logs, 0));
        QVERIFY(!belongsTo(*kerasCps[0], *logs, 1));
        QVERIFY(belongsTo(*lightningCps[0], *logs, 1));
        QVERIFY(!belongsTo(*lightningCps[0], *logs, 0));
        const auto beside = make(dir.filePath("model.h5"));
        QVERIFY(belongsTo(*beside, *logs, 0) && belongsTo(*beside, *logs, 1));
        QVERIFY(!belongsTo(*make(QDir::tempPath() + "/elsewhere/model.h5"), *logs, 0));
    }

    // On a TensorBoard log (steps and times), a checkpoint whose save time meets no record
    // stands at the training step it stores: its own step variable, its one optimizer's
    // iterations, or a TF1 Saver's `-N`; a TF2 save counter alone places it nowhere.
    void markersOnEventLogs()
    {
        // The optimizer's iterations as stored, against the ground truth; two optimizers
        // (actor and critic) give no single count.
        const QString lstm = "keras-tf-weights/lstm-sharded-weights";
        auto keras = openOne(corpus(lstm + "/16LSTM_Neurons10Epochs.ckpt"));
        QVERIFY(keras);
        double iter = -1;
        for (const auto &t : groundTruthTensors(lstm, "16LSTM_Neurons10Epochs.ckpt"))
            if (t.toObject()["key"].toString() == "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE")
                iter = t.toObject()["min"].toDouble();
        QCOMPARE(iter, 510.0);
        QCOMPARE(metadataValue(keras->index(), "optimizer_iterations"), QString::number(iter));
        auto a2c = openOne(corpus("tf2-checkpoint/a2c-suspension-ckpts/ckpt-7"));
        QVERIFY(a2c);
        QVERIFY(metadataValue(a2c->index(), "optimizer_iterations").isEmpty());

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QByteArray file = tfRecord(fileVersionEvent(1.7e9));
        for (int step = 0; step <= 1000; step += 10)
            file += tfRecord(simpleValueEvent(1.7e9 + step, step, "loss", 1.0f / float(step + 1)));
        QVERIFY(writeFile(dir.filePath("events.out.tfevents.1700000000.host"), file));
        auto logs = loadLogs(dir.path());
        QVERIFY(logs.ok());
        QCOMPARE(logs->runs.size(), std::size_t(1));
        auto make = [&](const QString &name, QList<QPair<QString, QString>> metadata,
                        std::optional<std::int64_t> step) {
            CheckpointIndex idx;
            idx.path = dir.filePath(name);
            idx.displayName = name;
            idx.metadata = metadata;
            idx.step = step;
            idx.savedAt = 1.8e9; // long after the last record
            return std::make_shared<const Checkpoint>(idx);
        };
        const QList<std::shared_ptr<const Checkpoint>> cps{
            make("ckpt-3", {{"save_counter", "3"}, {"optimizer_iterations", "600"}}, 3),
            make("ckpt-4", {{"save_counter", "4"}}, 4), make("model.ckpt-800", {}, 800),
            make("ckpt-5", {{"save_counter", "5"}, {"global_step", "300"}}, 5)};
        const auto m = markersFor(*logs, 0, "loss", cps);
        QCOMPARE(int(m.placed.size()), 3);
        QVERIFY(m.placed[0].first == cps[0]);
        QCOMPARE(m.placed[0].second, 600.0);
        QVERIFY(m.placed[1].first == cps[2]);
        QCOMPARE(m.placed[1].second, 800.0);
        QVERIFY(m.placed[2].first == cps[3]);
        QCOMPARE(m.placed[2].second, 300.0);
        QVERIFY(m.unplaced == QList{cps[1]});
    }

    // `events --json`: one object per point, per run; counts and end points against the
    // ground truth of the files in each run's folder.
    void cliJson()
    {
        const QString item = "tf1-checkpoint/mnist-estimator-run";
        const auto r = runWeightLens({"events", corpus(item), "--json", "--tag", "l?ss"});
        QCOMPARE(r.exitCode, 0);
        QMap<QString, QList<QJsonObject>> byRun;
        for (const auto &o : jsonLines(r.out)) {
            QCOMPARE(o["tag"].toString(), QStringLiteral("loss"));
            QVERIFY(o["wall_time"].toDouble() > 1.5e9);
            byRun[o["run"].toString()] << o;
        }
        QCOMPARE(byRun.keys(), (QStringList{".", "eval"}));
        const QJsonObject gt = loadJson(corpus(item + "/GROUND_TRUTH.json"))["events"].toObject();
        QMap<QString, qint64> expected;
        for (const auto &file : gt.keys())
            expected[file.contains('/') ? file.section('/', 0, -2) : "."] +=
                gt[file]["tags"]["loss"]["count"].toInteger();
        for (const auto &run : byRun.keys())
            QCOMPARE(byRun[run].size(), expected[run]);
        const QJsonObject main =
            gt["events.out.tfevents.1520430462.Haydens-MacBook-Pro.local"]["tags"]["loss"]
                .toObject();
        QCOMPARE(byRun["."].first()["step"].toInteger(), main["first"][0].toInteger());
        QCOMPARE(byRun["."].first()["value"].toDouble(), main["first"][1].toDouble());
        QCOMPARE(byRun["."].last()["step"].toInteger(), main["last"][0].toInteger());
        QCOMPARE(byRun["."].last()["value"].toDouble(), main["last"][1].toDouble());
    }

    void cliJsonHistograms()
    {
        const QString item = "tfevents/churn-fit-run";
        const QString run = "logs/fit/20260409-141256/train";
        const auto r = runWeightLens(
            {"events", corpus(item + '/' + run), "--json", "--tag", "*/kernel/histogram"});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject gt = loadJson(corpus(item + "/GROUND_TRUTH.json"))["events"].toObject();
        QMap<QString, qint64> expected, seen;
        for (const auto &file : gt.keys())
            if (file.startsWith(run + '/'))
                for (const auto &tag : gt[file]["tags"].toObject().keys())
                    if (tag.endsWith("/kernel/histogram"))
                        expected[tag] += gt[file]["tags"][tag]["count"].toInteger();
        QVERIFY(!expected.isEmpty());
        for (const auto &o : jsonLines(r.out)) {
            QCOMPARE(o["run"].toString(), QStringLiteral("."));
            QCOMPARE(o["kind"].toString(), QStringLiteral("histogram"));
            QCOMPARE(o["edges"].toArray().size(), o["counts"].toArray().size() + 1);
            QVERIFY(!o.contains("value"));
            ++seen[o["tag"].toString()];
        }
        QCOMPARE(seen, expected);
    }

    void cliTable()
    {
        const auto r = runWeightLens({"events", corpus("csvlog/digit-cnn-run")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith("run training_log.csv\n"));
        const auto rows = QString::fromUtf8(r.out).split('\n');
        const auto acc = rows.filter(QRegularExpression("^  accuracy ")).value(0).simplified();
        QCOMPARE(acc.split(' '), (QStringList{"accuracy", "scalar", "10", "0", "9", "0.99468333",
                                              "0.92503333", "0.99468333"}));
    }

    void cliErrors()
    {
        QCOMPARE(runWeightLens({"events", "--bogus", corpus("csvlog")}).exitCode, 2);
        QCOMPARE(runWeightLens({"events"}).exitCode, 2);
        QTemporaryDir dir;
        const auto r = runWeightLens({"events", dir.path()});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains(dir.path().toUtf8()));
    }

    void badInputNamesTheFile()
    {
        QTemporaryDir dir;
        QVERIFY(writeFile(dir.filePath("notes.txt"), "hello"));
        auto r = loadLogs(dir.filePath("notes.txt"));
        QVERIFY(!r.ok());
        QVERIFY(r.error().message().contains(dir.filePath("notes.txt")));
        auto none = loadLogs(dir.path());
        QVERIFY(!none.ok());
        QVERIFY(none.error().message().contains(dir.path()));
    }
};

QTEST_GUILESS_MAIN(TstEvents)
#include "tst_events.moc"
