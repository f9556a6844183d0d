#include "events/runlogs.h"
#include "formats/readerregistry.h"
#include "itemmodels/checkpointtreemodel.h"
#include "jobs/jobrunner.h"
#include "overtimeview.h"
#include "sourcesview.h"
#include "tensorinspector.h"
#include "testutil.h"
#include "workbench.h"

#include <QComboBox>
#include <QDir>
#include <QImage>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <qcustomplot.h>

using namespace wl;
using namespace wl::test;

namespace
{

const QString kRun = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts");
const QString kKey = QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE");

OpenResult openCorpus(const QString &relative)
{
    auto r = ReaderRegistry::builtin().open(corpus(relative));
    return r.ok() ? r.value() : OpenResult{};
}

OverTime computed(const OpenResult &run, const QString &key)
{
    std::vector<std::shared_ptr<const Checkpoint>> cps(run.checkpoints.begin(),
                                                       run.checkpoints.end());
    const auto &first = *cps.front();
    auto r = computeOverTime(
        variableAcrossCheckpoints(cps, first.tensor(first.index().indexOfKey(key))));
    return r.ok() ? r.value() : OverTime{};
}

} // namespace

class TestOverTimeView : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    // The ridge draws each step's counts over its own baseline, later steps further back; the
    // band draws four filled bands and the median; the change plot holds the relative changes.
    void drawsWhatWasComputed()
    {
        const OpenResult run = openCorpus(kRun);
        QCOMPARE(run.checkpoints.size(), std::size_t(3));
        const OverTime ot = computed(run, kKey);
        QCOMPARE(ot.steps.size(), std::size_t(3));

        OverTimeView view;
        view.resize(900, 700);
        view.setResult(ot);
        QVERIFY(view.message().isEmpty());
        QCOMPARE(view.mode(), OverTimeView::Mode::Ridge);
        auto *plot = view.plot();
        QCOMPARE(plot->graphCount(), 6); // a baseline and a ridge per step
        double peak = 0;
        for (const auto &s : ot.steps)
            for (double c : s.counts)
                peak = std::max(peak, c);
        QVERIFY(peak > 0);
        // Drawn back to front: graph 1 is the last step's ridge, graph 5 the first's.
        for (int k = 0; k < 3; ++k) {
            const auto *g = plot->graph(5 - 2 * k);
            const auto &counts = ot.steps[std::size_t(k)].counts;
            QCOMPARE(g->data()->size(), int(2 * counts.size()));
            double top = -1;
            int at = -1;
            for (int i = 0; i < g->data()->size(); ++i)
                if (g->data()->at(i)->value > top) {
                    top = g->data()->at(i)->value;
                    at = i / 2;
                }
            const double most = *std::max_element(counts.begin(), counts.end());
            QCOMPARE(counts[std::size_t(at)], most);
            QVERIFY(std::abs(top - (k + most / peak * 2.6)) < 1e-9);
            QCOMPARE(g->data()->at(0)->key, ot.lo);
        }
        auto *ticker = dynamic_cast<QCPAxisTickerText *>(plot->yAxis->ticker().data());
        QVERIFY(ticker);
        QCOMPARE(ticker->ticks().value(0.0), QString::number(ot.steps[0].step));
        QCOMPARE(ticker->ticks().value(2.0), QString::number(ot.steps[2].step));

        auto *change = view.changePlot();
        QCOMPARE(change->graphCount(), 1);
        QCOMPARE(change->graph(0)->data()->size(), 2);
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(change->graph(0)->data()->at(i)->key,
                     double(ot.steps[std::size_t(i + 1)].step));
            QCOMPARE(change->graph(0)->data()->at(i)->value,
                     *ot.steps[std::size_t(i + 1)].relChange);
        }

        // The readout names the step and bin under the pointer.
        plot->replot();
        const int bin = 3;
        const double mid = (ot.binEdge(bin) + ot.binEdge(bin + 1)) / 2;
        const QPointF at(plot->xAxis->coordToPixel(mid), plot->yAxis->coordToPixel(1.2));
        QCOMPARE(view.readoutAt(at), QStringLiteral("step %1: [%2, %3) holds %4 of %5")
                                         .arg(ot.steps[1].step)
                                         .arg(QString::number(ot.binEdge(bin), 'g', 6),
                                              QString::number(ot.binEdge(bin + 1), 'g', 6),
                                              QString::number(ot.steps[1].counts[bin], 'g', 6),
                                              QString::number(ot.steps[1].count, 'g', 6)));

        view.setMode(OverTimeView::Mode::Band);
        plot->replot();
        const QString band =
            view.readoutAt({plot->xAxis->coordToPixel(double(ot.steps[2].step) + 0.2), 10.0});
        QVERIFY2(band.startsWith(QStringLiteral("step %1: min %2, 6.68% ")
                                     .arg(ot.steps[2].step)
                                     .arg(QString::number(ot.steps[2].band[0], 'g', 6))),
                 qPrintable(band));
        QVERIFY(band.endsWith(
            QStringLiteral("max %1").arg(QString::number(ot.steps[2].band[8], 'g', 6))));
        QCOMPARE(plot->graphCount(), 9);
        // The outermost band runs from min to max, the median line through the 50th percentile.
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(plot->graph(0)->data()->at(i)->value, ot.steps[std::size_t(i)].band[0]);
            QCOMPARE(plot->graph(1)->data()->at(i)->value, ot.steps[std::size_t(i)].band[8]);
            QCOMPARE(plot->graph(8)->data()->at(i)->value, ot.steps[std::size_t(i)].band[4]);
            QCOMPARE(plot->graph(8)->data()->at(i)->key, double(ot.steps[std::size_t(i)].step));
        }

        view.setMessage(QStringLiteral("Reading…"), true);
        QCOMPARE(view.message(), QStringLiteral("Reading…"));
        QVERIFY(!view.hasResult());
    }

    // Export: both plots in one picture (the change plot below the upper one), and a CSV of
    // the percentiles and the relative change of every step.
    void exportBothPlotsAndCsv()
    {
        const OpenResult run = openCorpus(kRun);
        QCOMPARE(run.checkpoints.size(), std::size_t(3));
        const OverTime ot = computed(run, kKey);
        QCOMPARE(ot.steps.size(), std::size_t(3));
        OverTimeView view;
        view.resize(900, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setResult(ot);
        QVERIFY(!view.changePlot()->isHidden());
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("o.png"));
        QVERIFY(view.exportTo(png).ok());
        const QImage image(png);
        const int upper = view.plot()->height(), lower = view.changePlot()->height();
        QCOMPARE(image.height(), 2 * (upper + lower)); // drawn at twice the screen size
        // The change plot's line, in the accent colour, is in the lower part only.
        const QColor accent = view.changePlot()->graph(0)->pen().color();
        auto hasAccent = [&](int from, int to) {
            for (int y = from; y < to; ++y)
                for (int x = 0; x < image.width(); ++x)
                    if (image.pixelColor(x, y) == accent)
                        return true;
            return false;
        };
        QVERIFY(hasAccent(2 * upper, image.height()));
        QVERIFY(!hasAccent(0, 2 * upper));
        const QString svg = dir.filePath(QStringLiteral("o.svg"));
        const QString pdf = dir.filePath(QStringLiteral("o.pdf"));
        QVERIFY(view.exportTo(svg).ok());
        QVERIFY(view.exportTo(pdf).ok());
        QVERIFY(readFile(svg).contains("<svg"));
        QVERIFY(readFile(pdf).startsWith("%PDF"));
        QVERIFY(!view.exportTo(dir.filePath(QStringLiteral("o.gif"))).ok());

        const QString csv = dir.filePath(QStringLiteral("o.csv"));
        QVERIFY(view.exportTo(csv).ok());
        const QList<QByteArray> lines = readFile(csv).trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + 3);
        QCOMPARE(lines[0], QByteArray("step,label,count,non_finite,min,p6.68,p15.87,p30.85,p50,"
                                      "p69.15,p84.13,p93.32,max,rel_change"));
        for (std::size_t i = 0; i < ot.steps.size(); ++i) {
            const auto &st = ot.steps[i];
            const QList<QByteArray> f = lines[qsizetype(i) + 1].split(',');
            QCOMPARE(f.size(), 14);
            QCOMPARE(f[0].toLongLong(), st.step);
            QCOMPARE(QString::fromUtf8(f[1]), st.label);
            QCOMPARE(f[2].toDouble(), st.count);
            for (std::size_t k = 0; k < st.band.size(); ++k)
                QCOMPARE(f[qsizetype(4 + k)].toDouble(), st.band[k]);
            if (i == 0)
                QVERIFY(f[13].isEmpty()); // nothing before the first checkpoint
            else
                QCOMPARE(f[13].toDouble(), *st.relChange);
        }
        // The count is the number of elements the checkpoint stores for the variable.
        const auto &first = *run.checkpoints.front();
        QCOMPARE(lines[1].split(',')[2].toLongLong(),
                 first.tensor(first.index().indexOfKey(kKey)).numElements());
    }

    // From the tree: "Show Over Time" is offered for a variable its run holds more than once;
    // the tab then computes it in the background and shows every checkpoint.
    void fromTheWorkbench()
    {
        QWidget host;
        Workbench bench(&host);
        const OpenResult run = openCorpus(kRun);
        const OpenResult single = openCorpus(QStringLiteral("keras2-h5-full/mnist-mlp-h5"));
        QCOMPARE(run.checkpoints.size(), std::size_t(3));
        QCOMPARE(single.checkpoints.size(), std::size_t(1));
        bench.addOpened(run);
        bench.addOpened(single);

        const auto &cp = run.checkpoints[1];
        const TensorRef t{cp, cp->index().indexOfKey(kKey)};
        QVERIFY(t.isValid());
        QVERIFY(bench.hasOverTime(t));
        int numeric = 0;
        while (numeric < single.checkpoints[0]->index().tensors.size() &&
               single.checkpoints[0]->tensor(numeric).dtype != DType::Float32)
            ++numeric;
        const TensorRef alone{single.checkpoints[0], numeric};
        QVERIFY(alone.isValid());
        QVERIFY(!bench.hasOverTime(alone));
        const int graph = cp->index().indexOfKey(QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH"));
        QVERIFY(graph >= 0);
        QVERIFY(!bench.hasOverTime({cp, graph})); // a string

        auto *view = bench.inspector()->overTime();
        emit bench.sources()->overTimeRequested(t);
        QCOMPARE(bench.inspector()->currentWidget(), view);
        QTRY_VERIFY_WITH_TIMEOUT(view->hasResult(), 20000);
        const OverTime expected = computed(run, kKey);
        QCOMPARE(view->result().steps.size(), std::size_t(3));
        QCOMPARE(view->result().lo, expected.lo);
        QCOMPARE(view->result().hi, expected.hi);
        for (std::size_t s = 0; s < 3; ++s) {
            QCOMPARE(view->result().steps[s].step, expected.steps[s].step);
            QCOMPARE(view->result().steps[s].band, expected.steps[s].band);
        }

        // The same variable in another checkpoint of the run: shown at once, nothing read again.
        const TensorRef later{run.checkpoints[2], run.checkpoints[2]->index().indexOfKey(kKey)};
        bench.sources()->select(bench.model()->indexOf(later));
        QVERIFY(view->hasResult());
        QVERIFY(view->message().isEmpty());
        QCOMPARE(view->result().steps.size(), std::size_t(3));

        // A tensor of the single-checkpoint source says why there is nothing to show.
        bench.sources()->select(bench.model()->indexOf(alone));
        QTRY_VERIFY(view->message().contains(QLatin1String("one checkpoint only")));
    }

    // Two runs in one opened folder (runA/ and runB/, each ckpt-7..9): a variable of runA is
    // followed across runA's checkpoints only, not interleaved with runB's at the same steps.
    void runFoldersStayApart()
    {
        QTemporaryDir dir;
        for (const char *run : {"runA", "runB"}) {
            const QString to = dir.filePath(QLatin1String(run));
            QVERIFY(QDir().mkpath(to));
            for (const char *name : {"ckpt-7", "ckpt-8", "ckpt-9"})
                QVERIFY(copyBundle(corpus(kRun) + QLatin1Char('/') + QLatin1String(name),
                                   to + QLatin1Char('/') + QLatin1String(name)));
            QVERIFY(writeStateFile(
                to, QStringLiteral("ckpt-9"),
                {QStringLiteral("ckpt-7"), QStringLiteral("ckpt-8"), QStringLiteral("ckpt-9")}));
        }
        auto opened = ReaderRegistry::builtin().open(dir.path());
        QVERIFY(opened.ok());
        QCOMPARE(opened->checkpoints.size(), std::size_t(6));
        QWidget host;
        Workbench bench(&host);
        bench.addOpened(*opened);
        std::shared_ptr<const Checkpoint> inA;
        for (const auto &cp : opened->checkpoints)
            if (!inA && cp->index().path.contains(QLatin1String("/runA/")))
                inA = cp;
        QVERIFY(inA);
        const TensorRef t{inA, inA->index().indexOfKey(kKey)};
        QVERIFY(t.isValid());
        auto *view = bench.inspector()->overTime();
        emit bench.sources()->overTimeRequested(t);
        QTRY_VERIFY_WITH_TIMEOUT(view->hasResult(), 20000);
        const OverTime &got = view->result();
        QCOMPARE(got.steps.size(), std::size_t(3));
        const OverTime one = computed(openCorpus(kRun), kKey); // the same run, opened alone
        for (std::size_t s = 0; s < 3; ++s) {
            QCOMPARE(got.steps[s].step, one.steps[s].step);
            QCOMPARE(got.steps[s].band, one.steps[s].band);
            QCOMPARE(got.steps[s].relChange, one.steps[s].relChange);
        }
    }

    // A Logs node: its histogram tags are offered, and the chosen one drawn on shared bins.
    void histogramTagsOfLogs()
    {
        QWidget host;
        Workbench bench(&host);
        const OpenResult run = openCorpus(QStringLiteral("tfevents/churn-fit-run"));
        QVERIFY(run.logs);
        bench.addOpened(run);
        auto *model = bench.model();
        QModelIndex logs;
        std::vector<QModelIndex> todo{model->index(0, 0)};
        while (!todo.empty() && !logs.isValid()) {
            const QModelIndex i = todo.back();
            todo.pop_back();
            if (model->nodeKind(i) == CheckpointTreeModel::NodeKind::Logs)
                logs = i;
            for (int r = 0; r < model->rowCount(i); ++r)
                todo.push_back(model->index(r, 0, i));
        }
        QVERIFY(logs.isValid());
        int histogramTags = 0;
        const events::Series *first = nullptr;
        for (const auto &ref : model->logRunsAt(logs))
            for (const auto &s : ref.get().series.all())
                if (s.kind == events::SeriesKind::Histogram && !s.histograms.empty()) {
                    ++histogramTags;
                    if (!first)
                        first = &s;
                }
        QVERIFY(histogramTags > 0);

        auto *view = bench.inspector()->overTime();
        bench.sources()->select(logs);
        bench.inspector()->setCurrentWidget(view);
        QVERIFY(!view->logTags()->isHidden());
        QCOMPARE(view->logTags()->count(), histogramTags);
        // Binned in the background: a note with Cancel first, then the plots.
        QTRY_VERIFY_WITH_TIMEOUT(view->hasResult(), 20000);
        const auto expected = overTimeFromHistograms(*first, 60);
        QVERIFY(expected.ok());
        QCOMPARE(view->result().name, first->tag);
        QCOMPARE(view->result().steps.size(), expected->steps.size());
        QCOMPARE(view->result().steps.back().counts, expected->steps.back().counts);
        QVERIFY(!view->result().exactBand);
        QVERIFY(view->changePlot()->isHidden()); // logs hold no copies to compare

        view->logTags()->setCurrentIndex(histogramTags - 1);
        if (histogramTags > 1)
            QTRY_VERIFY_WITH_TIMEOUT(view->hasResult() && view->result().name != first->tag, 20000);
        // Shown again (a live update asks again), the chosen tag stays chosen.
        const QString chosen = view->logTags()->currentText();
        QVERIFY(view->setLogHistograms(model->logRunsAt(logs)));
        QCOMPARE(view->logTags()->currentText(), chosen);
    }
};

QTEST_MAIN(TestOverTimeView)
#include "tst_overtimeview.moc"
