#include "events/runlogs.h"
#include "formats/readerregistry.h"
#include "jobs/jobrunner.h"
#include "kerastestfiles.h"
#include "stats/overtime.h"
#include "testutil.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cfloat>
#include <cmath>
#include <map>

using namespace wl;
using namespace wl::test;

namespace
{

using Run = std::vector<std::shared_ptr<const Checkpoint>>;

Run openRun(const QString &path)
{
    auto r = ReaderRegistry::builtin().open(path);
    if (!r.ok()) {
        qWarning("%s", qPrintable(r.error().message()));
        return {};
    }

    return Run(r->checkpoints.begin(), r->checkpoints.end());
}

// The tensor's bytes straight from its file (Raw storage, little-endian), not through the
// reader's streaming.
QByteArray rawBytes(const Checkpoint &c, const QString &key)
{
    const int i = c.index().indexOfKey(key);
    if (i < 0)
        return {};
    const auto &loc = c.tensor(i).location;
    QFile f(loc.file);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(loc.offset))
        return {};
    return f.read(loc.size);
}

std::vector<double> rawFloats(const Checkpoint &c, const QString &key)
{
    const QByteArray b = rawBytes(c, key);
    std::vector<double> out;
    for (qsizetype at = 0; at + 4 <= b.size(); at += 4) {
        float f;
        std::memcpy(&f, b.constData() + at, 4);
        out.push_back(f);
    }
    return out;
}

std::optional<std::int64_t> rawInt64(const Checkpoint &c, const QString &key)
{
    const QByteArray b = rawBytes(c, key);
    if (b.size() != 8)
        return std::nullopt;
    std::int64_t v;
    std::memcpy(&v, b.constData(), 8);
    return v;
}

// numpy's default percentile: linear between the sorted values around p·(n−1).
double percentile(const std::vector<double> &sorted, int basisPoints)
{
    const double rank = basisPoints / 10000.0 * double(sorted.size() - 1);
    const std::size_t k = std::size_t(rank);
    if (k + 1 >= sorted.size())
        return sorted[k];
    return sorted[k] + (sorted[k + 1] - sorted[k]) * (rank - double(k));
}

bool close(double a, double b, double tol = 1e-12)
{
    return std::abs(a - b) <= tol * std::max({1.0, std::abs(a), std::abs(b)});
}

// Checks every step of `got` against values read and computed here.
void checkAgainstRaw(const OverTime &got, const std::vector<std::vector<double>> &raw, int bins)
{
    QCOMPARE(got.steps.size(), raw.size());
    double lo = INFINITY, hi = -INFINITY;
    for (const auto &v : raw)
        for (double x : v) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
    QCOMPARE(got.lo, lo);
    QCOMPARE(got.hi, hi);
    QCOMPARE(got.bins, bins);
    for (std::size_t s = 0; s < raw.size(); ++s) {
        const auto &v = raw[s];
        const auto &st = got.steps[s];
        QCOMPARE(st.count, double(v.size()));
        QCOMPARE(st.nonFinite, 0);
        auto sorted = v;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t k = 0; k < kBandBasisPoints.size(); ++k)
            QVERIFY2(close(st.band[k], percentile(sorted, kBandBasisPoints[k])),
                     qPrintable(QStringLiteral("step %1 bp %2: %3 vs %4")
                                    .arg(s)
                                    .arg(kBandBasisPoints[k])
                                    .arg(st.band[k], 0, 'g', 17)
                                    .arg(percentile(sorted, kBandBasisPoints[k]), 0, 'g', 17)));
        QCOMPARE(st.band.front(), sorted.front());
        QCOMPARE(st.band.back(), sorted.back());

        std::vector<double> counts(std::size_t(bins), 0.0);
        const double scale = bins / (hi - lo);
        for (double x : v)
            counts[std::size_t(std::min(bins - 1, int((x - lo) * scale)))] += 1;
        QCOMPARE(st.counts, counts);

        if (s == 0) {
            QVERIFY(!st.relChange);
            continue;
        }
        double num = 0, den = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            num += (v[i] - raw[s - 1][i]) * (v[i] - raw[s - 1][i]);
            den += raw[s - 1][i] * raw[s - 1][i];
        }
        QVERIFY(st.relChange);
        QVERIFY2(close(*st.relChange, std::sqrt(num / den), 1e-10),
                 qPrintable(QStringLiteral("step %1: %2 vs %3")
                                .arg(s)
                                .arg(*st.relChange, 0, 'g', 17)
                                .arg(std::sqrt(num / den), 0, 'g', 17)));
    }
}

} // namespace

class TestOverTime : public QObject
{
    Q_OBJECT
private slots:
    void tfRun_data()
    {
        QTest::addColumn<QString>("run");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("stepKey"); // where the step is stored; empty: the file name
        QTest::addColumn<int>("checkpoints");
        QTest::newRow("keras ckpt_1..20")
            << "keras-tf-weights/lstm-md-ckpt-epochs"
            << "layer_with_weights-1/cell/recurrent_kernel/.ATTRIBUTES/VARIABLE_VALUE"
            << "" << 20;
        QTest::newRow("CheckpointManager ckpt-7..9")
            << "tf2-checkpoint/a2c-suspension-ckpts"
            << "actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE"
            << "save_counter/.ATTRIBUTES/VARIABLE_VALUE" << 3;
        QTest::newRow("estimator model.ckpt-1, -20000") << "tf1-checkpoint/mnist-estimator-run"
                                                        << "dense/kernel"
                                                        << "global_step" << 2;
    }

    void tfRun()
    {
        QFETCH(QString, run);
        QFETCH(QString, key);
        QFETCH(QString, stepKey);
        QFETCH(int, checkpoints);
        const Run cps = openRun(corpus(run));
        QCOMPARE(int(cps.size()), checkpoints);
        const int ref = cps.back()->index().indexOfKey(key);
        QVERIFY(ref >= 0);
        QStringList notes;
        const auto inputs = variableAcrossCheckpoints(cps, cps.back()->tensor(ref), &notes);
        QVERIFY2(notes.isEmpty(), qPrintable(notes.join('\n')));
        QCOMPARE(int(inputs.size()), checkpoints);

        // Steps from the stored counter, else the number in the name; in step order.
        std::vector<std::vector<double>> raw;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const Checkpoint &c = *inputs[i].checkpoint;
            std::int64_t expected;
            if (stepKey.isEmpty()) {
                static const QRegularExpression n(QStringLiteral("(\\d+)$"));
                expected = n.match(c.index().displayName).captured(1).toLongLong();
            } else {
                const auto v = rawInt64(c, stepKey);
                QVERIFY(v);
                expected = *v;
            }
            QCOMPARE(inputs[i].step, expected);
            if (i > 0)
                QVERIFY(inputs[i].step > inputs[i - 1].step);
            raw.push_back(rawFloats(c, key));
            QCOMPARE(std::int64_t(raw.back().size()), c.tensor(inputs[i].tensor).numElements());
        }

        OverTimeRequest req;
        req.bins = 37;
        auto got = computeOverTime(inputs, req);
        QVERIFY2(got.ok(), got.ok() ? "" : qPrintable(got.error().message()));
        QCOMPARE(got->name, key);
        QVERIFY(got->exactBand);
        checkAgainstRaw(*got, raw, req.bins);
        // Training moved the weights between every pair of checkpoints.
        for (std::size_t s = 1; s < got->steps.size(); ++s)
            QVERIFY(*got->steps[s].relChange > 0);
    }

    // A Keras ModelCheckpoint series of .h5 files: steps from the epoch in the file name.
    void kerasH5Series()
    {
        QTemporaryDir dir;
        const QStringList names{"weights.10-0.30.h5", "weights.02-0.41.h5", "weights.01-0.52.h5"};
        std::vector<std::vector<float>> written;
        for (int i = 0; i < names.size(); ++i) {
            hid_t f = kt::createFile(dir.filePath(names[i]));
            QVERIFY(f >= 0);
            // As save_weights writes them: the layer list on the root, one group per layer.
            kt::vlenStrings(f, "layer_names", {"d"}, false, false);
            kt::vlenStrings(f, "keras_version", {"2.13.1"}, false, true);
            hid_t l = kt::group(f, "d");
            kt::vlenStrings(l, "weight_names", {"d/kernel:0"}, false, false);
            written.push_back(normalFloats(24, 0.1f * float(i), 1.0f, 7u + unsigned(i)));
            kt::floats(l, "d/kernel:0", {4, 6}, written.back());
            H5Gclose(l);
            H5Fclose(f);
        }
        const Run cps = openRun(dir.path());
        QCOMPARE(int(cps.size()), 3);
        int ref = -1;
        for (int t = 0; t < cps[0]->index().tensors.size(); ++t)
            if (cps[0]->tensor(t).key.endsWith(QLatin1String("kernel:0")))
                ref = t;
        QVERIFY(ref >= 0);
        const auto inputs = variableAcrossCheckpoints(cps, cps[0]->tensor(ref));
        QCOMPARE(int(inputs.size()), 3);
        QCOMPARE(inputs[0].step, 1);
        QCOMPARE(inputs[1].step, 2);
        QCOMPARE(inputs[2].step, 10);
        QCOMPARE(inputs[2].checkpoint->index().displayName, names[0]);

        auto got = computeOverTime(inputs, {});
        QVERIFY2(got.ok(), got.ok() ? "" : qPrintable(got.error().message()));
        // Written in the order 10, 2, 1: step s holds written[2 - s].
        std::vector<std::vector<double>> raw;
        for (int s = 0; s < 3; ++s)
            raw.emplace_back(written[std::size_t(2 - s)].begin(),
                             written[std::size_t(2 - s)].end());
        checkAgainstRaw(*got, raw, OverTimeRequest{}.bins);
    }

    void checkpointsWithoutTheVariable()
    {
        Run cps = openRun(corpus("tf2-checkpoint/a2c-suspension-ckpts"));
        const Run other = openRun(corpus("tf1-checkpoint/mnist-estimator-run"));
        QCOMPARE(cps.size(), std::size_t(3));
        QCOMPARE(other.size(), std::size_t(2));
        cps.insert(cps.begin() + 1, other.begin(), other.end());
        const QString key = QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        const int ref = cps[0]->index().indexOfKey(key);
        QVERIFY(ref >= 0);
        QStringList notes;
        const auto inputs = variableAcrossCheckpoints(cps, cps[0]->tensor(ref), &notes);
        QCOMPARE(inputs.size(), std::size_t(3));
        QCOMPARE(notes.size(), 2);
        QVERIFY(notes[0].startsWith(QLatin1String("model.ckpt-1 has no ")));
        QVERIFY(notes[0].contains(key));

        // Another variable's shape under the same key is left out too.
        TensorInfo reshaped = cps[0]->tensor(ref);
        reshaped.shape.dims = {5, 1};
        notes.clear();
        QVERIFY(variableAcrossCheckpoints(cps, reshaped, &notes).empty());
        QVERIFY(notes.last().contains(QLatin1String("[1, 5]")));
    }

    // A copy whose bytes were damaged is still shown, with the checksum mismatch noted.
    void damagedCopy()
    {
        QTemporaryDir dir;
        const QString from = corpus("tf2-checkpoint/a2c-suspension-ckpts");
        for (const QString &name : QDir(from).entryList({"ckpt-*", "checkpoint"}, QDir::Files))
            QVERIFY(QFile::copy(from + '/' + name, dir.filePath(name)));
        const QString key = QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        {
            const Run cps = openRun(dir.path());
            QCOMPARE(cps.size(), std::size_t(3));
            const auto &loc = cps[1]->tensor(cps[1]->index().indexOfKey(key)).location;
            QFile f(loc.file);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QVERIFY(f.seek(loc.offset + 2));
            char b = 0;
            QVERIFY(f.getChar(&b));
            QVERIFY(f.seek(loc.offset + 2));
            QVERIFY(f.putChar(char(b ^ 0x01)));
        }
        const Run cps = openRun(dir.path());
        auto got = computeOverTime(
            variableAcrossCheckpoints(cps, cps[0]->tensor(cps[0]->index().indexOfKey(key))));
        QVERIFY(got.ok());
        QCOMPARE(got->steps.size(), std::size_t(3));
        QCOMPARE(got->notes.size(), 1);
        QVERIFY(got->notes[0].contains(QLatin1String("checksum mismatch")));
        QVERIFY(got->notes[0].contains(QLatin1String("ckpt-8")));
        QVERIFY(got->notes[0].contains(key));
        std::vector<std::vector<double>> raw;
        for (const auto &cp : cps)
            raw.push_back(rawFloats(*cp, key));
        checkAgainstRaw(*got, raw, OverTimeRequest{}.bins);
    }

    void cancelled()
    {
        const Run cps = openRun(corpus("keras-tf-weights/lstm-md-ckpt-epochs"));
        QVERIFY(!cps.empty());
        const QString key =
            QStringLiteral("layer_with_weights-1/cell/recurrent_kernel/.ATTRIBUTES/VARIABLE_VALUE");
        const auto inputs =
            variableAcrossCheckpoints(cps, cps[0]->tensor(cps[0]->index().indexOfKey(key)));
        std::atomic<bool> cancel{true};
        auto got = computeOverTime(inputs, {}, JobContext(&cancel));
        QVERIFY(!got.ok());
        QCOMPARE(got.error().code, LoadError::Code::Cancelled);

        // Too large for memory: every copy is left out, with the limit and the key named.
        OverTimeRequest small;
        small.maxElements = 100;
        got = computeOverTime(inputs, small);
        QVERIFY(!got.ok());
        QVERIFY(got.error().message().contains(key));
        QVERIFY(got.error().message().contains(QLatin1String("at most 100 elements")));
    }

    void throughJobRunner()
    {
        const Run cps = openRun(corpus("tf2-checkpoint/a2c-suspension-ckpts"));
        QCOMPARE(cps.size(), std::size_t(3));
        const QString key = QStringLiteral("critic/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        const auto inputs =
            variableAcrossCheckpoints(cps, cps[0]->tensor(cps[0]->index().indexOfKey(key)));
        JobRunner runner;
        QSignalSpy ready(&runner, &JobRunner::overTimeReady);
        QSignalSpy progress(&runner, &JobRunner::progress);
        runner.requestOverTime(inputs, {}, {QStringLiteral("a note from the caller")});
        QVERIFY(ready.wait(20000));
        const auto got = ready.takeFirst().at(0).value<OverTime>();
        const auto direct = computeOverTime(inputs, {});
        QVERIFY(direct.ok());
        QCOMPARE(got.steps.size(), direct->steps.size());
        for (std::size_t s = 0; s < got.steps.size(); ++s) {
            QCOMPARE(got.steps[s].band, direct->steps[s].band);
            QCOMPARE(got.steps[s].counts, direct->steps[s].counts);
        }
        QCOMPARE(got.notes, QStringList{QStringLiteral("a note from the caller")});
        // This run's critic kept its hidden kernel byte for byte from ckpt-7 to ckpt-9.
        QCOMPARE(rawBytes(*cps[0], key), rawBytes(*cps[2], key));
        QCOMPARE(got.steps[1].relChange, std::optional<double>(0.0));
        QCOMPARE(got.steps[2].relChange, std::optional<double>(0.0));
        QVERIFY(!progress.isEmpty());
    }

    // A logged histogram tag through the runner: off the GUI thread with progress; of two
    // requests back to back only the later one delivers; a cancelled one says so.
    void histogramTagThroughJobRunner()
    {
        auto loaded = events::loadLogs(corpus("tfevents/churn-fit-run"));
        QVERIFY(loaded.ok());
        const auto logs = std::make_shared<const events::RunLogs>(std::move(loaded).value());
        std::vector<std::shared_ptr<const events::Series>> tags;
        for (const auto &run : logs->runs)
            for (const auto &series : run.series.all())
                if (series.kind == events::SeriesKind::Histogram && series.histograms.size() > 1)
                    tags.emplace_back(logs, &series);
        QVERIFY(tags.size() >= 2);
        JobRunner runner;
        QSignalSpy ready(&runner, &JobRunner::overTimeReady);
        QSignalSpy failed(&runner, &JobRunner::overTimeFailed);
        QSignalSpy progress(&runner, &JobRunner::progress);
        runner.requestOverTime(tags.front(), 30);
        runner.requestOverTime(tags.back(), 30);
        QVERIFY(ready.wait(20000));
        QTRY_VERIFY_WITH_TIMEOUT(!runner.isBusy(), 20000); // both have come back
        QCOMPARE(ready.size(), 1);
        QVERIFY(failed.isEmpty());
        const auto got = ready.takeFirst().at(0).value<OverTime>();
        const auto direct = overTimeFromHistograms(*tags.back(), 30);
        QVERIFY(direct.ok());
        QCOMPARE(got.name, tags.back()->tag);
        QCOMPARE(got.steps.size(), direct->steps.size());
        for (std::size_t s = 0; s < got.steps.size(); ++s)
            QCOMPARE(got.steps[s].counts, direct->steps[s].counts);
        QVERIFY(!progress.isEmpty());

        std::atomic<bool> cancel{true};
        const auto stopped = overTimeFromHistograms(*tags.front(), 30, JobContext(&cancel));
        QVERIFY(!stopped.ok());
        QCOMPARE(stopped.error().code, LoadError::Code::Cancelled);
    }

    // The spec's TF1 HistogramProto (formats-tensorflow.md 6.3), worked by hand: buckets
    // (−0.5, 0] holding 3 and (0, 0.5] holding 5; the DBL_MAX bucket is empty.
    void tf1HistogramTag()
    {
        events::Series s;
        s.tag = QStringLiteral("W1:0");
        s.kind = events::SeriesKind::Histogram;
        s.histograms.push_back({7, 1.0, {-0.5, -0.5, 0, 0.5, DBL_MAX}, {0, 3, 5, 0}});
        auto got = overTimeFromHistograms(s, 4);
        QVERIFY(got.ok());
        QVERIFY(!got->exactBand);
        QCOMPARE(got->lo, -0.5);
        QCOMPARE(got->hi, 0.5);
        QCOMPARE(got->steps.size(), std::size_t(1));
        const auto &st = got->steps[0];
        QCOMPARE(st.step, 7);
        QCOMPARE(st.count, 8.0);
        QCOMPARE(st.counts, (std::vector<double>{1.5, 1.5, 2.5, 2.5}));
        QCOMPARE(st.band.front(), -0.5);
        QCOMPARE(st.band[4], 0.1); // 4 of 8: one fifth into (0, 0.5]
        QCOMPARE(st.band.back(), 0.5);
        QVERIFY(!st.relChange);
    }

    // Keras's TF2 histogram tags: each step's shared-bin counts keep its total, and the band
    // matches the inverse of the bucket CDF computed here.
    void kerasHistogramTags()
    {
        auto logs = events::loadLogs(corpus("tfevents/churn-fit-run"));
        QVERIFY(logs.ok());
        int checked = 0;
        for (const auto &run : logs->runs)
            for (const auto &series : run.series.all()) {
                if (series.kind != events::SeriesKind::Histogram || series.histograms.size() < 2)
                    continue;
                auto got = overTimeFromHistograms(series, 30);
                QVERIFY(got.ok());
                // One step per logged step, its point the one read last.
                std::map<std::int64_t, const events::HistogramPoint *> last;
                for (const auto &h : series.histograms)
                    last[h.step] = &h;
                QCOMPARE(got->steps.size(), last.size());
                for (std::size_t i = 0; i < got->steps.size(); ++i) {
                    const auto &st = got->steps[i];
                    if (i > 0)
                        QVERIFY(st.step > got->steps[i - 1].step);
                    QVERIFY(last.count(st.step));
                    const auto &p = *last[st.step];
                    double total = 0;
                    for (double c : p.counts)
                        total += c;
                    QCOMPARE(st.count, total);
                    double binned = 0;
                    for (double c : st.counts)
                        binned += c;
                    QVERIFY(close(binned, total, 1e-9));
                    // The CDF at each bucket's right edge; the value at a basis point lies
                    // where the straight line between two of them reaches it.
                    std::vector<double> x, cdf;
                    for (std::size_t b = 0; b < p.counts.size(); ++b) {
                        if (p.counts[b] <= 0)
                            continue;
                        if (x.empty() || x.back() != p.edges[b]) {
                            x.push_back(p.edges[b]);
                            cdf.push_back(cdf.empty() ? 0 : cdf.back());
                        }
                        x.push_back(p.edges[b + 1]);
                        cdf.push_back(cdf.back() + p.counts[b]);
                    }
                    for (std::size_t k = 0; k < kBandBasisPoints.size(); ++k) {
                        const double target = kBandBasisPoints[k] / 10000.0 * total;
                        std::size_t j = 1;
                        while (j + 1 < cdf.size() && cdf[j] < target)
                            ++j;
                        const double expect =
                            x[j - 1] +
                            (x[j] - x[j - 1]) *
                                std::clamp((target - cdf[j - 1]) / (cdf[j] - cdf[j - 1]), 0.0, 1.0);
                        QVERIFY2(close(st.band[k], expect, 1e-9),
                                 qPrintable(QStringLiteral("%1 step %2 bp %3: %4 vs %5")
                                                .arg(series.tag)
                                                .arg(st.step)
                                                .arg(kBandBasisPoints[k])
                                                .arg(st.band[k])
                                                .arg(expect)));
                    }
                }
                ++checked;
            }
        QVERIFY(checked > 0);
    }
};

QTEST_GUILESS_MAIN(TestOverTime)
#include "tst_overtime.moc"
