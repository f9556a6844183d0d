// The run-changes view on a corpus run: the run found at its tree node, the heatmap holding the
// engine's numbers cell by cell under the weights' and steps' labels, and the compare view's
// way there.

#include "testutil.h"

#include "compareview.h"
#include "formats/readerregistry.h"
#include "heatmapview.h"
#include "itemmodels/checkpointtreemodel.h"
#include "runchangesview.h"
#include "sourcesview.h"

#include <QCheckBox>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>

#include <cmath>
#include <qcustomplot.h>

using namespace wl;

class TstRunChangesView : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void heatmapOfRun()
    {
        auto opened =
            ReaderRegistry::builtin().open(test::corpus("tf2-checkpoint/a2c-suspension-ckpts"));
        QVERIFY(opened.ok());
        CheckpointTreeModel model;
        model.addSource(opened.value());
        SourcesView sources(&model);
        const auto run = sources.runAt(model.index(0, 0));
        QCOMPARE(run.size(), 3);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(run[i], opened->checkpoints[std::size_t(i)]);
        // A tensor node is no run.
        const QModelIndex cp = model.index(0, 0, model.index(0, 0));
        QCOMPARE(model.nodeKind(cp), CheckpointTreeModel::NodeKind::Checkpoint);
        QVERIFY(sources.runAt(cp).isEmpty());

        RunChangesView view(run, QStringLiteral("a2c"));
        view.logScale()->setChecked(false); // cells then hold the values themselves
        QSignalSpy done(&view, &RunChangesView::finished);
        view.start();
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().first().toBool(), true);
        QVERIFY(!view.isRunning());
        const RunChanges &c = view.changes();
        QCOMPARE(c.columns.size(), 2);
        QVERIFY(c.variables.contains(QStringLiteral("actor/hidden1/kernel")));
        auto *data = view.heatmap()->colorMap()->data();
        QCOMPARE(data->keySize(), 2);
        QCOMPARE(data->valueSize(), int(c.variables.size()));
        double maxRel = 0;
        for (int r = 0; r < c.variables.size(); ++r)
            for (int col = 0; col < 2; ++col) {
                QCOMPARE(data->cell(col, r), c.at(r, col));
                maxRel = std::max(maxRel, c.at(r, col));
            }
        QCOMPARE(view.heatmap()->colorRange(), maxRel);
        QCOMPARE(view.heatmap()->colorMap()->dataRange().lower, 0.0);
        // Row labels are the weights, column labels the later checkpoint's step.
        auto *yt =
            dynamic_cast<QCPAxisTickerText *>(view.heatmap()->plot()->yAxis->ticker().data());
        QVERIFY(yt);
        QCOMPARE(yt->ticks().value(0), c.variables[0]);
        auto *xt =
            dynamic_cast<QCPAxisTickerText *>(view.heatmap()->plot()->xAxis->ticker().data());
        QVERIFY(xt);
        QCOMPARE(xt->ticks().value(1), runColumnLabel(run[2]->index()));
        QVERIFY(view.summary()->text().contains(QStringLiteral("moved most")));

        // Log scale: zero changes take the lowest colour, the range stays positive.
        view.logScale()->setChecked(true);
        QVERIFY(view.heatmap()->colorMap()->dataRange().lower > 0);
        QCOMPARE(view.heatmap()->colorMap()->dataRange().upper, maxRel);

        // The compare view of two of its checkpoints offers the run.
        CompareView compare(run[0], run[2]);
        QVERIFY(compare.wholeRunButton()->isHidden());
        compare.setRun(run, QStringLiteral("a2c"));
        QVERIFY(!compare.wholeRunButton()->isHidden());
        QSignalSpy asked(&compare, &CompareView::runChangesRequested);
        compare.wholeRunButton()->click();
        QCOMPARE(asked.size(), 1);
        QCOMPARE(asked.first().first().value<QVector<std::shared_ptr<const Checkpoint>>>().size(),
                 3);
    }
};

QTEST_MAIN(TstRunChangesView)
#include "tst_runchangesview.moc"
