// The Curves view on real corpus logs: tags, point counts and values against GROUND_TRUTH.json
// (event files) and the CSV text itself (CSV logs), smoothing against an independent weighted
// mean, checkpoint markers that select their checkpoint, log y, export, and thinning of a
// million-point series; a watched run that gains a checkpoint shows it only once complete.

#include "curvespanel.h"
#include "formats/readerregistry.h"
#include "itemmodels/checkpointtreemodel.h"
#include "overtimeview.h"
#include "sourcesview.h"
#include "tensorinspector.h"
#include "testutil.h"
#include "workbench.h"
#include "write/demo.h"

#include <QDir>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QImage>
#include <QJsonArray>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QTreeWidget>
#include <cmath>
#include <qcustomplot.h>

using namespace wl;

namespace
{

struct Row {
    std::int64_t step;
    double value, smoothed;
};

// The panel's CSV export, by run and tag.
QHash<QString, QHash<QString, std::vector<Row>>> parseCsv(const QByteArray &csv)
{
    QHash<QString, QHash<QString, std::vector<Row>>> out;
    const QList<QByteArray> lines = csv.split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        if (lines[i].isEmpty())
            continue;
        const QList<QByteArray> f = lines[i].split(',');
        if (f.size() != 6)
            continue;
        out[QString::fromUtf8(f[0])][QString::fromUtf8(f[1])].push_back(
            {f[2].toLongLong(), f[4].toDouble(), f[5].toDouble()});
    }
    return out;
}

// Scalar tags of one event file in the ground truth: name -> {count, first, last}.
QJsonObject scalarTags(const QJsonObject &file)
{
    QJsonObject out;
    const QJsonObject tags = file[QStringLiteral("tags")].toObject();
    for (auto t = tags.begin(); t != tags.end(); ++t)
        if (t.value()[QStringLiteral("first")].isArray())
            out.insert(t.key(), t.value());
    return out;
}

// Debiased EMA written as a weighted mean: point i averages the values up to it, value j
// weighted by weight^(i - j).
std::vector<double> weightedMeans(const std::vector<double> &v, double weight)
{
    std::vector<double> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        double sum = 0, norm = 0, w = 1;
        for (std::size_t j = i + 1; j-- > 0;) {
            sum += w * v[j];
            norm += w;
            w *= weight;
        }
        out[i] = sum / norm;
    }
    return out;
}

// A source opened through the registry, as the window opens it, in a tree model.
struct Opened {
    explicit Opened(const QString &path)
    {
        auto r = ReaderRegistry::builtin().open(path);
        if (!r.ok()) {
            error = r.error().message();
            return;
        }
        result = std::move(r).value();
        model.addSource(result);
    }
    QModelIndex find(const QString &name, QModelIndex parent = {}) const
    {
        for (int r = 0; r < model.rowCount(parent); ++r) {
            const QModelIndex i = model.index(r, 0, parent);
            if (i.data().toString() == name)
                return i;
            if (const QModelIndex below = find(name, i); below.isValid())
                return below;
        }
        return {};
    }
    OpenResult result;
    CheckpointTreeModel model;
    QString error;
};

// Logs built in memory: one run with one tag.
LogRunRef syntheticRun(const QString &tag, const std::vector<double> &values)
{
    auto logs = std::make_shared<events::RunLogs>();
    events::LogRun run;
    run.name = run.group = QStringLiteral("synthetic");
    run.folder = QStringLiteral("synthetic");
    auto &s = run.series.series(tag, events::SeriesKind::Scalar);
    for (std::size_t i = 0; i < values.size(); ++i)
        s.scalars.push_back({std::int64_t(i), 1.7e9 + double(i), values[i]});
    logs->runs.push_back(std::move(run));
    return {logs, 0};
}

void showPanel(CurvesPanel &panel)
{
    panel.resize(1100, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.resetZoom();
    panel.plot()->replot();
}

// The Logs node of the first source in the tree.
QModelIndex logsNode(const CheckpointTreeModel &model)
{
    const QModelIndex source = model.index(0, 0);
    for (int r = 0; r < model.rowCount(source); ++r)
        if (model.index(r, 0, source).data().toString() == QLatin1String("Logs"))
            return model.index(r, 0, source);
    return {};
}

} // namespace

class TestCurves : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        WL_REQUIRE_CORPUS();
    }

    // Every run of churn-fit-run that one event file makes: its scalar tags, point counts and
    // first and last (step, value) as GROUND_TRUTH.json has them, read back from the export.
    void eventRunsMatchGroundTruth()
    {
        const QString item = QStringLiteral("tfevents/churn-fit-run");
        Opened o(test::corpus(item));
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        const QModelIndex logs = o.find(QStringLiteral("Logs"));
        QVERIFY(logs.isValid());
        const auto runs = o.model.logRunsAt(logs);
        QCOMPARE(runs.size(), 8);
        CurvesPanel panel;
        panel.setRuns(runs, o.model.sourceCheckpoints(logs));
        panel.setSmoothing(0);
        showPanel(panel);

        const QJsonObject events = test::loadJson(test::corpus(
            item + QStringLiteral("/GROUND_TRUTH.json")))[QStringLiteral("events")]
                                       .toObject();
        QSet<QString> allTags;
        QHash<QString, QStringList> filesOf; // run folder -> its event files
        for (auto f = events.begin(); f != events.end(); ++f) {
            filesOf[f.key().section(QLatin1Char('/'), 0, -2)] << f.key();
            for (const auto &t : scalarTags(f.value().toObject()).keys())
                allTags.insert(t);
        }
        const QStringList tags = panel.tags();
        QCOMPARE(QSet<QString>(tags.begin(), tags.end()), allTags);
        // The first loss is checked to begin with.
        const auto loss = std::find_if(tags.begin(), tags.end(), [](const QString &t) {
            return t.contains(QLatin1String("loss"));
        });
        QVERIFY(loss != tags.end());
        QCOMPARE(panel.checkedTags(), QStringList{*loss});

        panel.setCheckedTags(tags);
        const auto rows = parseCsv(panel.csv());
        const QStringList names = panel.runNames();
        int checkedRuns = 0;
        for (int r = 0; r < runs.size(); ++r) {
            const QStringList files = filesOf.value(runs[r].get().name);
            QVERIFY(!files.isEmpty());
            if (files.size() != 1)
                continue; // restarts: the points of several files merge
            ++checkedRuns;
            const QJsonObject want = scalarTags(events[files.first()].toObject());
            for (auto t = want.begin(); t != want.end(); ++t) {
                const auto &got = rows[names[r]][t.key()];
                const QJsonObject w = t.value().toObject();
                QCOMPARE(qint64(got.size()), w[QStringLiteral("count")].toInteger());
                const QJsonArray first = w[QStringLiteral("first")].toArray();
                const QJsonArray last = w[QStringLiteral("last")].toArray();
                QCOMPARE(got.front().step, first[0].toInteger());
                QCOMPARE(got.front().value, first[1].toDouble());
                QCOMPARE(got.back().step, last[0].toInteger());
                QCOMPARE(got.back().value, last[1].toDouble());
                if (panel.checkedTags().mid(0, CurvesPanel::kMaxPlots).contains(t.key()))
                    QCOMPARE(panel.drawnPoints(r, t.key(), true), int(got.size()));
            }
        }
        QCOMPARE(checkedRuns, 6); // three fits of one file per run, train and validation

        // Runs keep their colours when the set shrinks and grows again.
        const QColor first =
            panel.plot()->legend->item(0)
                ? static_cast<QCPPlottableLegendItem *>(panel.plot()->legend->item(0))
                      ->plottable()
                      ->pen()
                      .color()
                : QColor();
        panel.setRuns(runs.mid(3), o.model.sourceCheckpoints(logs));
        panel.setRuns(runs, o.model.sourceCheckpoints(logs));
        QCOMPARE(static_cast<QCPPlottableLegendItem *>(panel.plot()->legend->item(0))
                     ->plottable()
                     ->pen()
                     .color(),
                 first);
    }

    // The tag list groups by prefix and searches; the hover readout names every run.
    void tagListAndReadout()
    {
        Opened o(test::corpus(QStringLiteral("tfevents/churn-fit-run")));
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        const QModelIndex group = o.find(QStringLiteral("logs/fit/20260409-141256"));
        QVERIFY(group.isValid());
        QCOMPARE(o.model.rowCount(group), 2); // train and validation
        CurvesPanel panel;
        panel.setRuns(o.model.logRunsAt(group));
        showPanel(panel);
        QCOMPARE(panel.runNames(),
                 (QStringList{QStringLiteral("train"), QStringLiteral("validation")}));
        QTreeWidget *list = panel.tagList();
        QTreeWidgetItem *epoch = nullptr;
        for (int i = 0; i < list->topLevelItemCount(); ++i)
            if (list->topLevelItem(i)->text(0) == QLatin1String("epoch_"))
                epoch = list->topLevelItem(i);
        QVERIFY(epoch);
        QStringList children;
        for (int i = 0; i < epoch->childCount(); ++i)
            children << epoch->child(i)->text(0);
        QVERIFY2(children.contains(QStringLiteral("loss")), qPrintable(children.join(',')));

        panel.setTagFilter(QStringLiteral("LOSS"));
        const QStringList visible = panel.visibleTags();
        QVERIFY(!visible.isEmpty());
        for (const auto &t : visible)
            QVERIFY(t.contains(QLatin1String("loss"), Qt::CaseInsensitive));
        QVERIFY(visible.size() < panel.tags().size());
        panel.setTagFilter({});
        QCOMPARE(panel.visibleTags().size(), panel.tags().size());

        panel.setCheckedTags({QStringLiteral("epoch_loss")});
        panel.setSmoothing(0);
        const auto &train = o.model.logRunsAt(group).first().get();
        const auto &loss = train.series.find(QStringLiteral("epoch_loss"))->scalars;
        const auto &p = loss[loss.size() / 2];
        const QString text = panel.readoutAt(QStringLiteral("epoch_loss"), double(p.step));
        QVERIFY2(text.contains(QStringLiteral("train: %1").arg(p.value, 0, 'g', 6)),
                 qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("validation: ")), qPrintable(text));
        QVERIFY2(text.startsWith(QStringLiteral("epoch_loss — ")), qPrintable(text));
    }

    // Overlay: every checked tag of every run on one plot, each run and tag in a colour of its
    // own that stays while tags come and go, a legend naming run and tag, and a readout of each.
    void overlayTagsOnOnePlot()
    {
        Opened o(test::corpus(QStringLiteral("tfevents/churn-fit-run")));
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        const QModelIndex group = o.find(QStringLiteral("logs/fit/20260409-141256"));
        QVERIFY(group.isValid());
        const auto runs = o.model.logRunsAt(group);
        QCOMPARE(runs.size(), 2);
        CurvesPanel panel;
        panel.setRuns(runs);
        panel.setSmoothing(0);
        showPanel(panel);
        const QString loss = QStringLiteral("epoch_loss"), acc = QStringLiteral("epoch_accuracy");
        QVERIFY(panel.tags().contains(loss) && panel.tags().contains(acc));
        panel.setCheckedTags({loss, acc});
        QCOMPARE(panel.plot()->axisRectCount(), 2);
        QVERIFY(!panel.overlay());
        auto legendNames = [&] {
            QSet<QString> out;
            for (int i = 0; i < panel.plot()->legend->itemCount(); ++i)
                if (auto *item =
                        qobject_cast<QCPPlottableLegendItem *>(panel.plot()->legend->item(i)))
                    out << item->plottable()->name();
            return out;
        };
        QCOMPARE(legendNames(),
                 (QSet<QString>{QStringLiteral("train"), QStringLiteral("validation")}));

        panel.setOverlay(true);
        QCOMPARE(panel.plot()->axisRectCount(), 1);
        QCOMPARE(legendNames(), (QSet<QString>{QStringLiteral("train · epoch_loss"),
                                               QStringLiteral("validation · epoch_loss"),
                                               QStringLiteral("train · epoch_accuracy"),
                                               QStringLiteral("validation · epoch_accuracy")}));
        QHash<QString, QColor> colourOf;
        QSet<QRgb> distinct;
        for (int r = 0; r < 2; ++r)
            for (const auto &tag : {loss, acc}) {
                const QColor c = panel.curveColor(r, tag);
                QVERIFY(c.isValid());
                colourOf.insert(QString::number(r) + tag, c);
                distinct.insert(c.rgb());
                const auto *series = runs[r].get().series.find(tag);
                QVERIFY(series);
                QCOMPARE(panel.drawnPoints(r, tag, true), int(series->scalars.size()));
            }
        QCOMPARE(distinct.size(), 4);

        // The readout at a step of the training run gives both of its tags' values there.
        const auto &trainAcc = runs[0].get().series.find(acc)->scalars;
        const auto &trainLoss = runs[0].get().series.find(loss)->scalars;
        const auto &p = trainAcc[trainAcc.size() / 2];
        const auto q = std::find_if(trainLoss.begin(), trainLoss.end(),
                                    [&](const auto &l) { return l.step == p.step; });
        QVERIFY(q != trainLoss.end());
        const QString text = panel.readoutAt(loss, double(p.step));
        QCOMPARE(panel.readoutAt(acc, double(p.step)), text);
        QVERIFY2(
            text.contains(QStringLiteral("train · epoch_accuracy: %1").arg(p.value, 0, 'g', 6)),
            qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("train · epoch_loss: %1").arg(q->value, 0, 'g', 6)),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("validation · epoch_accuracy: ")), qPrintable(text));

        // A pair keeps its colour when other tags leave and come back, and across the toggle.
        panel.setCheckedTags({acc});
        QCOMPARE(panel.curveColor(1, acc), colourOf.value(QStringLiteral("1") + acc));
        QVERIFY(!panel.curveColor(0, loss).isValid()); // not drawn
        panel.setCheckedTags({loss, acc});
        panel.setOverlay(false);
        QCOMPARE(panel.plot()->axisRectCount(), 2);
        panel.setOverlay(true);
        for (int r = 0; r < 2; ++r)
            for (const auto &tag : {loss, acc})
                QCOMPARE(panel.curveColor(r, tag), colourOf.value(QString::number(r) + tag));
    }

    // Smoothing runs over the whole series as TensorBoard's: checked against the weighted mean,
    // and the raw series stays drawn behind it.
    void smoothingMatchesIndependentMean()
    {
        Opened o(test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run")));
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        const QModelIndex run =
            o.find(QStringLiteral("mnist-estimator-run"), o.find(QStringLiteral("Logs")));
        QVERIFY(run.isValid());
        CurvesPanel panel;
        panel.setRuns(o.model.logRunsAt(run));
        panel.setCheckedTags({QStringLiteral("loss")});
        panel.setSmoothing(0.9);
        showPanel(panel);
        QCOMPARE(panel.smoothing(), 0.9);
        const auto rows =
            parseCsv(panel.csv())[QStringLiteral("mnist-estimator-run")][QStringLiteral("loss")];
        QCOMPARE(rows.size(), std::size_t(200)); // GROUND_TRUTH.json: 200 loss values
        std::vector<double> raw;
        for (const auto &r : rows)
            raw.push_back(r.value);
        QCOMPARE(raw.front(), 78.91873168945312);
        const auto want = weightedMeans(raw, 0.9);
        for (std::size_t i = 0; i < rows.size(); ++i)
            QVERIFY2(std::abs(rows[i].smoothed - want[i]) <= 1e-9 * std::abs(want[i]),
                     qPrintable(QString::number(i)));
        QCOMPARE(panel.drawnPoints(0, QStringLiteral("loss"), false), 200);
        QCOMPARE(panel.drawnPoints(0, QStringLiteral("loss"), true), 200);
        panel.setSmoothing(0);
        QCOMPARE(panel.drawnPoints(0, QStringLiteral("loss"), false), 0); // nothing faint
    }

    // Markers stand at the checkpoints' steps; a click on one selects that checkpoint in the
    // tree, and the Curves tab keeps its runs.
    void markersSelectCheckpoints()
    {
        const QString dir = test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run"));
        auto opened = ReaderRegistry::builtin().open(dir);
        QVERIFY(opened.ok());
        QWidget host;
        host.resize(1400, 900);
        Workbench bench(&host);
        auto *layout = new QHBoxLayout(&host);
        layout->addWidget(bench.sources());
        layout->addWidget(bench.centre(), 2);
        bench.addOpened(*opened);
        auto *model = bench.model();
        const QModelIndex logs = logsNode(*model);
        QVERIFY(logs.isValid());
        bench.sources()->select(logs);
        QCOMPARE(bench.inspector()->currentIndex(), int(TensorInspector::CurvesTab));
        CurvesPanel *panel = bench.inspector()->curves();
        QCOMPARE(panel->runs().size(), 2);
        panel->setCheckedTags({QStringLiteral("loss")});
        QCOMPARE(panel->markerPositions(QStringLiteral("loss")), (QList<double>{1, 20000}));

        host.show();
        QVERIFY(QTest::qWaitForWindowExposed(&host));
        panel->resetZoom();
        panel->plot()->replot();
        QCPAxisRect *rect = panel->plot()->axisRects().value(0);
        QVERIFY(rect);
        const double px = rect->axis(QCPAxis::atBottom)->coordToPixel(20000);
        const QPoint at(int(std::lround(px)), rect->center().y());
        const Checkpoint *hit = panel->markerAt(at);
        QVERIFY(hit);
        QCOMPARE(hit->index().displayName, QStringLiteral("model.ckpt-20000"));
        QSignalSpy clicked(panel, &CurvesPanel::checkpointClicked);
        QTest::mouseClick(panel->plot(), Qt::LeftButton, {}, at);
        QCOMPARE(clicked.size(), 1);
        const QModelIndexList selected = bench.sources()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(model->checkpointAt(selected.first()).get(), hit);
        QCOMPARE(panel->runs().size(), 2);
        QVERIFY(!panel->markerAt(QPoint(int(std::lround(px)) + 40, rect->center().y())));

        // Wall time: the state file records no save times, so no markers.
        panel->setXAxis(CurvesPanel::XAxis::WallTime);
        QVERIFY(panel->markerPositions(QStringLiteral("loss")).isEmpty());
        QCOMPARE(panel->drawnPoints(0, QStringLiteral("loss"), true) +
                     panel->drawnPoints(1, QStringLiteral("loss"), true),
                 200 + 19);
    }

    // Keras logs count epochs while the checkpoints count saves: with save times in the state
    // file, a marker stands at the epoch logged when its checkpoint was saved. The demo saves
    // ckpt-N after epoch 5N (epochs logged from 0) and keeps the last five.
    void markersFollowSaveTimes()
    {
        QTemporaryDir dir;
        auto runs = writeDemo(dir.path());
        QVERIFY(runs.ok());
        auto opened = ReaderRegistry::builtin().open(runs->first());
        QVERIFY(opened.ok());
        QWidget host;
        Workbench bench(&host);
        bench.addOpened(*opened);
        auto *model = bench.model();
        const QModelIndex logs = logsNode(*model);
        QVERIFY(logs.isValid());
        bench.sources()->select(logs);
        CurvesPanel *panel = bench.inspector()->curves();
        panel->setCheckedTags({QStringLiteral("epoch_loss")});
        QList<double> steps;
        for (int n = 6; n <= 10; ++n)
            steps << 5.0 * n - 1;
        QList<double> at = panel->markerPositions(QStringLiteral("epoch_loss"));
        std::sort(at.begin(), at.end());
        QCOMPARE(at, steps);
    }

    // A CSV log has no times and counts epochs: a Keras ModelCheckpoint series (ckpt_{epoch},
    // epochs from 1) stands at its epochs, and a checkpoint nothing ties to an epoch gets no
    // marker but a note naming it.
    void markersOnCsvLogs()
    {
        {
            Opened o(test::corpus(QStringLiteral("csvlog/digit-cnn-run")));
            QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
            const QModelIndex logs = o.find(QStringLiteral("Logs"));
            CurvesPanel panel;
            panel.setRuns(o.model.logRunsAt(logs), o.model.sourceCheckpoints(logs));
            panel.setCheckedTags({QStringLiteral("loss")});
            QCOMPARE(o.model.sourceCheckpoints(logs).size(), 1);
            QVERIFY(panel.markerPositions(QStringLiteral("loss")).isEmpty());
            QVERIFY2(panel.markerNote().contains(QLatin1String("model.h5")),
                     qPrintable(panel.markerNote()));
        }
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString series = test::corpus(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs"));
        QVERIFY(QFile::copy(series + QStringLiteral("/checkpoint"),
                            dir.filePath(QStringLiteral("checkpoint"))));
        const QString log = test::corpus(QStringLiteral("csvlog/digit-cnn-run/training_log.csv"));
        QVERIFY(QFile::copy(log, dir.filePath(QStringLiteral("training_log.csv"))));
        const QList<QByteArray> lines = test::readFile(log).trimmed().split('\n');
        const int lastEpoch = lines.last().split(',').first().toInt();
        QList<double> want;
        QStringList beyond;
        for (const auto &f : QDir(series).entryList({QStringLiteral("ckpt_*.index")})) {
            const QString prefix = f.chopped(6);
            QVERIFY(test::copyBundle(series + QLatin1Char('/') + prefix, dir.filePath(prefix)));
            const int epoch = prefix.mid(5).toInt() - 1;
            if (epoch <= lastEpoch)
                want << epoch;
            else
                beyond << prefix;
        }
        QCOMPARE(want.size(), lastEpoch + 1);
        Opened o(dir.path());
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        const QModelIndex logs = o.find(QStringLiteral("Logs"));
        QVERIFY(logs.isValid());
        CurvesPanel panel;
        panel.setRuns(o.model.logRunsAt(logs), o.model.sourceCheckpoints(logs));
        panel.setCheckedTags({QStringLiteral("loss"), QStringLiteral("val_loss")});
        for (const auto &tag : {QStringLiteral("loss"), QStringLiteral("val_loss")}) {
            QList<double> at = panel.markerPositions(tag);
            std::sort(at.begin(), at.end());
            std::sort(want.begin(), want.end());
            QCOMPARE(at, want);
            for (const Checkpoint *cp : panel.markerCheckpoints(tag))
                QCOMPARE(double(cp->index().displayName.mid(5).toInt() - 1),
                         panel.markerPositions(tag)[panel.markerCheckpoints(tag).indexOf(cp)]);
        }
        for (const auto &name : std::as_const(beyond))
            QVERIFY2(panel.markerNote().contains(name), qPrintable(panel.markerNote()));
    }

    // The demo's CheckpointManager numbers saves and its state file gives times, which meet the
    // event files' epochs but nothing in its CSV log: markers on the one, none on the other.
    // Opened as one folder of two runs, each run's curves carry its own checkpoints only.
    void markersOfEachRun()
    {
        QTemporaryDir dir;
        auto written = writeDemo(dir.path());
        QVERIFY(written.ok());
        Opened o(dir.path());
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        const auto &logs = o.result.logs;
        QVERIFY(logs);
        const auto checkpoints = o.model.sourceCheckpoints(o.model.index(0, 0));
        QList<double> steps;
        for (int n = 6; n <= 10; ++n)
            steps << 5.0 * n - 1;
        auto folderOf = [](const Checkpoint *cp) {
            return QFileInfo(cp->index().path).absolutePath();
        };
        QList<LogRunRef> all;
        for (const QString &runDir : *written) {
            const QString name = QFileInfo(runDir).fileName();
            QList<LogRunRef> runs;
            for (int r = 0; r < int(logs->runs.size()); ++r)
                if (logs->runs[std::size_t(r)].name.startsWith(name + QLatin1Char('/')))
                    runs.push_back({logs, r});
            QCOMPARE(runs.size(), 3); // train, validation, training_log.csv
            all << runs;
            CurvesPanel panel;
            panel.setRuns(runs, checkpoints);
            panel.setCheckedTags({QStringLiteral("epoch_loss"), QStringLiteral("loss")});
            QList<double> at = panel.markerPositions(QStringLiteral("epoch_loss"));
            std::sort(at.begin(), at.end());
            QCOMPARE(at, steps);
            for (const Checkpoint *cp : panel.markerCheckpoints(QStringLiteral("epoch_loss")))
                QCOMPARE(folderOf(cp), QFileInfo(runDir).absoluteFilePath());
            QVERIFY(panel.markerPositions(QStringLiteral("loss")).isEmpty());
            for (int n = 6; n <= 10; ++n)
                QVERIFY2(panel.markerNote().contains(QStringLiteral("ckpt-%1").arg(n)),
                         qPrintable(panel.markerNote()));
            // They stand on epoch_loss: only the CSV log's plot misses them (best_model.h5,
            // which names no epoch, misses both).
            const QString note = panel.markerNote();
            const qsizetype onEpochLoss = note.indexOf(QLatin1String(" on epoch_loss"));
            QVERIFY2(
                note.contains(QLatin1String(" on loss:")) &&
                    (onEpochLoss < 0 || !note.left(onEpochLoss).contains(QLatin1String("ckpt-"))),
                qPrintable(note));
        }
        // Both runs: each checkpoint once, at the epoch its own run logged at its save time.
        CurvesPanel panel;
        panel.setRuns(all, checkpoints);
        panel.setCheckedTags({QStringLiteral("epoch_loss")});
        const auto cps = panel.markerCheckpoints(QStringLiteral("epoch_loss"));
        QCOMPARE(cps.size(), 2 * steps.size());
        QCOMPARE(QSet<const Checkpoint *>(cps.begin(), cps.end()).size(), cps.size());
    }

    // A run still training: records appended to its event file reach the open Curves tab, read
    // once each.
    void liveRunGrows()
    {
        const QString item = QStringLiteral("tf1-checkpoint/mnist-estimator-run");
        const QString name =
            QStringLiteral("events.out.tfevents.1520430462.Haydens-MacBook-Pro.local");
        const QByteArray bytes = test::readFile(test::corpus(item + QLatin1Char('/') + name));
        const qint64 want = test::loadJson(test::corpus(
            item +
            QStringLiteral(
                "/GROUND_TRUTH.json")))[QStringLiteral("events")][name][QStringLiteral("tags")]
                                       [QStringLiteral("loss")][QStringLiteral("count")]
                                           .toInteger();
        QTemporaryDir dir;
        const QString file = dir.filePath(name);
        const qsizetype cut = bytes.size() - 8000 + 3; // inside a summary record near the end
        QVERIFY(test::writeFile(file, bytes.left(cut)));
        auto opened = ReaderRegistry::builtin().open(dir.path());
        QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().message()));
        QVERIFY(opened->checkpoints.empty());
        QWidget host;
        Workbench bench(&host);
        bench.addOpened(*opened);
        const QModelIndex src = bench.model()->index(0, 0);
        QCOMPARE(bench.model()->rowCount(src), 1); // Logs alone
        bench.sources()->select(bench.model()->index(0, 0, src));
        CurvesPanel *panel = bench.inspector()->curves();
        QCOMPARE(panel->checkedTags(), QStringList{QStringLiteral("loss")});
        panel->setSmoothing(0);
        const int before = panel->drawnPoints(0, QStringLiteral("loss"), true);
        QVERIFY(before > 0 && before < want);

        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Append));
        QCOMPARE(f.write(bytes.mid(cut)), bytes.size() - cut);
        f.close();
        QTRY_COMPARE_WITH_TIMEOUT(panel->drawnPoints(0, QStringLiteral("loss"), true), int(want),
                                  10000);
        const auto rows =
            parseCsv(panel->csv()).value(panel->runNames().first()).value(QStringLiteral("loss"));
        QCOMPARE(qint64(rows.size()), want);
        for (std::size_t i = 1; i < rows.size(); ++i)
            QVERIFY(rows[i].step > rows[i - 1].step);
        QCOMPARE(bench.model()->logRunsAt(src).first().get().series.find("loss")->scalars.size(),
                 std::size_t(want));
    }

    // A run still training saves its next checkpoint: nothing shows while only its data shard
    // is there; once the .index and the state file follow, the run node and the Curves markers
    // hold it, without reopening by hand.
    void liveRunGainsCheckpoint()
    {
        const QString item = test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run"));
        QTemporaryDir dir;
        const QDir from(item);
        for (const auto &fi : from.entryInfoList(QDir::Files))
            if (!fi.fileName().startsWith(QLatin1String("model.ckpt-20000")) &&
                fi.fileName() != QLatin1String("checkpoint"))
                QVERIFY(QFile::copy(fi.absoluteFilePath(), dir.filePath(fi.fileName())));
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("eval")));
        for (const auto &fi :
             QDir(from.filePath(QStringLiteral("eval"))).entryInfoList(QDir::Files))
            QVERIFY(QFile::copy(fi.absoluteFilePath(),
                                dir.filePath(QStringLiteral("eval/") + fi.fileName())));
        QVERIFY(test::writeStateFile(dir.path(), QStringLiteral("model.ckpt-1"),
                                     {QStringLiteral("model.ckpt-1")}));

        QWidget host;
        Workbench bench(&host);
        QSignalSpy reopened(&bench, &Workbench::sourceOpened);
        bench.openPaths({dir.path()});
        QTRY_COMPARE_WITH_TIMEOUT(reopened.size(), 1, 30000);
        const auto checkpointNames = [&bench] {
            QStringList out;
            for (const auto &cp : bench.model()->sourceCheckpoints(bench.model()->index(0, 0)))
                out << cp->index().displayName;
            return out;
        };
        QCOMPARE(checkpointNames(), QStringList{QStringLiteral("model.ckpt-1")});

        // The shard comes first; a refresh (a second at most) finds no checkpoint in it.
        const QString prefix = QStringLiteral("model.ckpt-20000");
        for (const char *suffix : {".data-00000-of-00001", ".meta"})
            QVERIFY(QFile::copy(from.filePath(prefix + QLatin1String(suffix)),
                                dir.filePath(prefix + QLatin1String(suffix))));
        QTest::qWait(2500);
        QCOMPARE(bench.pendingOpens(), 0);
        QCOMPARE(reopened.size(), 1);
        QCOMPARE(checkpointNames(), QStringList{QStringLiteral("model.ckpt-1")});

        QVERIFY(QFile::copy(from.filePath(prefix + QStringLiteral(".index")),
                            dir.filePath(prefix + QStringLiteral(".index"))));
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("checkpoint"))));
        QVERIFY(QFile::copy(from.filePath(QStringLiteral("checkpoint")),
                            dir.filePath(QStringLiteral("checkpoint"))));
        const QStringList both{QStringLiteral("model.ckpt-1"), prefix};
        QTRY_COMPARE_WITH_TIMEOUT(checkpointNames(), both, 30000);
        QCOMPARE(bench.model()->rowCount(), 1);
        QStringList markers;
        for (const auto &cp : bench.inspector()->curves()->checkpoints())
            markers << cp->index().displayName;
        QCOMPARE(markers, both);
        QCOMPARE(bench.model()->logRunsAt(bench.model()->index(0, 0)).size(), 2);
    }

    // A Keras ModelCheckpoint series written while watched: a half-written .h5 stays out; a
    // complete one joins the run in place, so the tree keeps what was expanded and selected (no
    // reopen), and Over Time takes the new step in.
    void liveH5SeriesJoinsInPlace()
    {
        const QByteArray h5 = test::readFile(
            test::corpus(QStringLiteral("keras2-h5-weights/mnist-keras-weights/weights.h5")));
        QVERIFY(h5.size() > 1000);
        QTemporaryDir dir;
        for (const char *name : {"weights.01-0.52.h5", "weights.02-0.41.h5"})
            QVERIFY(test::writeFile(dir.filePath(QLatin1String(name)), h5));
        QWidget host;
        host.resize(1400, 900);
        Workbench bench(&host);
        host.show();
        QSignalSpy opened(&bench, &Workbench::sourceOpened);
        bench.openPaths({dir.path()});
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 30000);
        CheckpointTreeModel *model = bench.model();
        const QModelIndex src = model->index(0, 0);
        QCOMPARE(model->rowCount(src), 2);
        const auto checkpoints = model->sourceCheckpoints(src);
        QCOMPARE(checkpoints.size(), 2);

        // A tensor of the first checkpoint selected, the second checkpoint expanded.
        const TensorRef tensor{checkpoints.first(), 0};
        QVERIFY(tensor.isValid());
        bench.sources()->select(model->indexOf(tensor));
        QTreeView *tree = bench.sources()->tree();
        const auto viewIndex = [&](const QModelIndex &i) { return bench.sources()->viewIndex(i); };
        const QModelIndex second = model->indexOfCheckpoint(checkpoints.last().get());
        tree->expand(viewIndex(second));
        QVERIFY(tree->isExpanded(viewIndex(second)));
        QCOMPARE(bench.sources()->selectedTensors(), QList<TensorRef>{tensor});
        auto *overTime = bench.inspector()->overTime();
        bench.inspector()->setCurrentWidget(overTime);
        QTRY_VERIFY_WITH_TIMEOUT(overTime->hasResult(), 30000);
        QCOMPARE(overTime->result().steps.size(), std::size_t(2));

        // Half of the third file: not shown however long it stays so.
        const QString third = dir.filePath(QStringLiteral("weights.03-0.33.h5"));
        QVERIFY(test::writeFile(third, h5.left(h5.size() / 2)));
        QTest::qWait(2500); // two refreshes and more
        QCOMPARE(bench.pendingOpens(), 0);
        QCOMPARE(model->rowCount(src), 2);

        QVERIFY(test::writeFile(third, h5));
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(src), 3, 30000);
        QCOMPARE(model->rowCount(), 1);
        QCOMPARE(opened.size(), 1); // merged, not opened again
        QCOMPARE(model->sourceCheckpoints(src).last()->index().path, third);
        QCOMPARE(bench.sources()->selectedTensors(), QList<TensorRef>{tensor});
        QCOMPARE(model->indexOfCheckpoint(checkpoints.last().get()), second);
        QVERIFY(tree->isExpanded(viewIndex(second)));
        QVERIFY(tree->isExpanded(viewIndex(model->indexOfCheckpoint(checkpoints.first().get()))));
        QTRY_COMPARE_WITH_TIMEOUT(overTime->result().steps.size(), std::size_t(3), 30000);
        QCOMPARE(overTime->result().steps.back().step, 3); // from "weights.03-…"
    }

    // An .index whose shard is still short (written out of order) waits for the shard: the run
    // shows the checkpoint only when every tensor lies within it.
    void shortShardWaits()
    {
        const QString item = test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"));
        QTemporaryDir dir;
        QVERIFY(test::copyBundle(item + QStringLiteral("/ckpt-7"),
                                 dir.filePath(QStringLiteral("ckpt-7"))));
        QVERIFY(
            test::writeStateFile(dir.path(), QStringLiteral("ckpt-7"), {QStringLiteral("ckpt-7")}));
        QWidget host;
        Workbench bench(&host);
        QSignalSpy opened(&bench, &Workbench::sourceOpened);
        bench.openPaths({dir.path()});
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 30000);
        const auto count = [&bench] {
            return bench.model()->sourceCheckpoints(bench.model()->index(0, 0)).size();
        };
        QCOMPARE(count(), 1);

        const QByteArray shard =
            test::readFile(item + QStringLiteral("/ckpt-8.data-00000-of-00001"));
        QVERIFY(shard.size() > 2);
        const QString shardPath = dir.filePath(QStringLiteral("ckpt-8.data-00000-of-00001"));
        QVERIFY(test::writeFile(shardPath, shard.left(shard.size() / 2)));
        QVERIFY(QFile::copy(item + QStringLiteral("/ckpt-8.index"),
                            dir.filePath(QStringLiteral("ckpt-8.index"))));
        QTest::qWait(2500);
        QCOMPARE(bench.pendingOpens(), 0);
        QCOMPARE(opened.size(), 1);
        QCOMPARE(count(), 1);

        QVERIFY(test::writeFile(shardPath, shard));
        QTRY_COMPARE_WITH_TIMEOUT(count(), 2, 30000);
    }

    // A CSV log: its columns are the tags and its values those of the last training in the
    // file (the appended one replaces epochs 0-4), compared with the text itself.
    void csvLog()
    {
        const QString dir = test::corpus(QStringLiteral("csvlog/digit-cnn-run"));
        Opened o(dir);
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        const auto runs = o.model.logRunsAt(o.find(QStringLiteral("Logs")));
        QCOMPARE(runs.size(), 1);
        CurvesPanel panel;
        panel.setRuns(runs);
        const QList<QByteArray> lines =
            test::readFile(dir + QStringLiteral("/training_log.csv")).trimmed().split('\n');
        const QList<QByteArray> header = lines.first().trimmed().split(',');
        QStringList columns;
        for (const auto &h : header.mid(1))
            columns << QString::fromUtf8(h);
        QCOMPARE(panel.tags(), columns);
        qsizetype lastStart = 0; // the last block of rows starting at epoch 0
        for (qsizetype i = 1; i < lines.size(); ++i)
            if (lines[i].startsWith("0,"))
                lastStart = i;
        panel.setCheckedTags(columns);
        panel.setSmoothing(0);
        const auto rows = parseCsv(panel.csv())[QStringLiteral("training_log.csv")];
        for (qsizetype c = 0; c < columns.size(); ++c) {
            const auto &got = rows[columns[c]];
            QCOMPARE(qsizetype(got.size()), lines.size() - lastStart);
            for (qsizetype i = lastStart; i < lines.size(); ++i) {
                const QList<QByteArray> cells = lines[i].trimmed().split(',');
                QCOMPARE(got[std::size_t(i - lastStart)].step, cells[0].toLongLong());
                QCOMPARE(got[std::size_t(i - lastStart)].value, cells[c + 1].toDouble());
            }
        }
        // No wall times in a CSV log: nothing to draw against time.
        panel.setXAxis(CurvesPanel::XAxis::RelativeTime);
        QCOMPARE(panel.drawnPoints(0, columns.first(), true), 0);
    }

    // A training that restarted without a session_log START logs its steps again: each pass
    // is a line of its own (not a zigzag between them), and the readout takes the latest pass.
    void restartedStepsDrawSeparately()
    {
        auto logs = std::make_shared<events::RunLogs>();
        events::LogRun run;
        run.name = run.group = run.folder = QStringLiteral("resumed");
        auto &s = run.series.series(QStringLiteral("loss"), events::SeriesKind::Scalar);
        for (int i = 0; i < 60; ++i) // steps 0..59, then 0..39 again
            s.scalars.push_back({i, 0, 1.0 + i});
        for (int i = 0; i < 40; ++i)
            s.scalars.push_back({i, 0, 100.0 + i});
        logs->runs.push_back(std::move(run));
        CurvesPanel panel;
        panel.setRuns({{logs, 0}});
        panel.setSmoothing(0);
        showPanel(panel);
        QCOMPARE(panel.plot()->graphCount(), 4); // raw and smoothed of each pass
        QCOMPARE(panel.plot()->graph(1)->dataCount(), 60);
        QCOMPARE(panel.plot()->graph(3)->dataCount(), 40);
        QCOMPARE(panel.drawnPoints(0, QStringLiteral("loss"), true), 100);
        QVERIFY2(
            panel.readoutAt(QStringLiteral("loss"), 10).contains(QLatin1String(": 110 at step 10")),
            qPrintable(panel.readoutAt(QStringLiteral("loss"), 10)));
        QVERIFY2(
            panel.readoutAt(QStringLiteral("loss"), 50).contains(QLatin1String(": 51 at step 50")),
            qPrintable(panel.readoutAt(QStringLiteral("loss"), 50)));
    }

    // Log y leaves out values a log axis cannot place.
    void logScaleDropsNonPositive()
    {
        CurvesPanel panel;
        panel.setRuns({syntheticRun(QStringLiteral("loss"), {4, 2, 0, -1, 1, 0.5})});
        panel.setSmoothing(0);
        showPanel(panel);
        QCOMPARE(panel.drawnPoints(0, QStringLiteral("loss"), true), 6);
        panel.setLogY(true);
        QCOMPARE(panel.plot()->axisRects().value(0)->axis(QCPAxis::atLeft)->scaleType(),
                 QCPAxis::stLogarithmic);
        QCOMPARE(panel.drawnPoints(0, QStringLiteral("loss"), true), 4);
    }

    // A million points are thinned to a few per pixel column, and the thinned line keeps each
    // column's lowest and highest value; zoomed in, every point in view is drawn.
    void millionPointsAreThinned()
    {
        const std::size_t n = 1'000'000;
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = std::sin(double(i) * 0.001) + ((i * 7919) % 1000) * 1e-4;
        v[654321] = 9; // one spike must survive
        CurvesPanel panel;
        panel.setRuns({syntheticRun(QStringLiteral("loss"), v)});
        panel.setSmoothing(0);
        showPanel(panel);
        QCPAxisRect *rect = panel.plot()->axisRects().value(0);
        const int drawn = panel.drawnPoints(0, QStringLiteral("loss"), true);
        QVERIFY2(drawn > 0 && drawn <= 4 * rect->width() + 2, qPrintable(QString::number(drawn)));
        QCPGraph *g = panel.plot()->graph(1); // raw first, then smoothed
        double top = -INFINITY;
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
            top = std::max(top, it->value);
        QCOMPARE(top, 9.0);

        // How long a pan takes to thin and hand over the points (reported, not asserted).
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 20; ++i)
            rect->axis(QCPAxis::atBottom)->moveRange(1000);
        qInfo("a million points: %.2f ms per pan to thin them",
              double(timer.nsecsElapsed()) / 20e6);
        for (int i = 0; i < 3; ++i) {
            timer.restart();
            panel.plot()->replot();
            qInfo("and %.2f ms to draw what is left", double(timer.nsecsElapsed()) / 1e6);
        }

        rect->axis(QCPAxis::atBottom)->setRange(1000, 1500);
        QCOMPARE(panel.drawnPoints(0, QStringLiteral("loss"), true), 501 + 2); // and one outside
        panel.setSmoothing(0.99);
        QCOMPARE(panel.drawnPoints(0, QStringLiteral("loss"), false), 503);
    }

    // Export writes the plot and the values; the CSV is what the panel holds.
    void exportFiles()
    {
        CurvesPanel panel;
        panel.setRuns({syntheticRun(QStringLiteral("acc"), {0.1, 0.5, 0.7})});
        showPanel(panel);
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("c.png"));
        const QString svg = dir.filePath(QStringLiteral("c.svg"));
        const QString csv = dir.filePath(QStringLiteral("c.csv"));
        QVERIFY(panel.exportTo(png).ok());
        QVERIFY(panel.exportTo(svg).ok());
        QVERIFY(panel.exportTo(csv).ok());
        QVERIFY(!QImage(png).isNull());
        QVERIFY(test::readFile(svg).contains("<svg"));
        const auto rows =
            parseCsv(test::readFile(csv))[QStringLiteral("synthetic")][QStringLiteral("acc")];
        QCOMPARE(rows.size(), std::size_t(3));
        QCOMPARE(rows[2].value, 0.7);
        QCOMPARE(rows[2].step, 2);
        QVERIFY(!panel.exportTo(dir.filePath(QStringLiteral("c.gif"))).ok());
    }
};

QTEST_MAIN(TestCurves)
#include "tst_curves.moc"
