// The tree's analysis columns, filled in the background by the job runner, show the numbers
// `weightlens analyze --json` prints for the same corpus matrices.
#include "formats/readerregistry.h"
#include "itemmodels/checkpointtreemodel.h"
#include "jobs/jobrunner.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace wl;

class TestAnalysisColumns : public QObject
{
    Q_OBJECT
private:
    // Opens `item`, fills the analysis columns through a JobRunner and compares every weight
    // matrix's cells with analyze's line for its key (for a gated kernel, the gate of the
    // largest spectral norm). Returns the number of matrices compared.
    int compare(const QString &item)
    {
        const QString path = test::corpus(item);
        auto opened = ReaderRegistry::builtin().open(path);
        if (!opened.ok()) {
            qWarning("%s", qPrintable(opened.error().message()));
            return -1;
        }
        CheckpointTreeModel model;
        QAbstractItemModelTester tester(&model);
        model.addSource(*opened);
        JobRunner runner;
        connect(&runner, &JobRunner::analysisBatchReady, &model, &CheckpointTreeModel::setAnalyses);
        QSignalSpy busy(&runner, &JobRunner::busyChanged);
        for (const auto &cp : opened->checkpoints)
            runner.requestBackgroundAnalysis(cp);
        if (!runner.isBusy() || !busy.wait(120000) || runner.isBusy())
            return -2;
        QCoreApplication::processEvents(); // queued batches

        const auto r = test::runWeightLens(
            {QStringLiteral("analyze"), QStringLiteral("--json"), path}, 600000);
        if (r.exitCode != 0)
            return -3;
        // analyze's lines by checkpoint label and key; the best gate where gated.
        QHash<QString, QJsonObject> lines;
        for (const auto &o : test::jsonLines(r.out)) {
            const QString k = o[QStringLiteral("key")].toString();
            const auto it = lines.constFind(k);
            if (it == lines.cend() || o[QStringLiteral("spectral_norm")].toDouble() >
                                          (*it)[QStringLiteral("spectral_norm")].toDouble())
                lines.insert(k, o);
        }
        int compared = 0;
        for (const auto &cp : opened->checkpoints) {
            const auto &idx = cp->index();
            for (int i = 0; i < idx.tensors.size(); ++i) {
                const QModelIndex at = model.indexOf(TensorRef{cp, i});
                const QVariant alpha = at.siblingAtColumn(CheckpointTreeModel::AlphaColumn)
                                           .data(CheckpointTreeModel::SortRole);
                if (!lines.contains(idx.tensors[i].key)) {
                    if (alpha.isValid())
                        return -4; // a value for what analyze skips
                    continue;
                }
                const auto o = lines.value(idx.tensors[i].key);
                const auto same = [&](int column, const char *field) {
                    const QVariant v =
                        at.siblingAtColumn(column).data(CheckpointTreeModel::SortRole);
                    const QJsonValue j = o[QLatin1String(field)];
                    if (j.isNull())
                        return !v.isValid();
                    // JSON carries 17 significant digits: equal to the last bit.
                    return v.isValid() && v.toDouble() == j.toDouble();
                };
                if (!same(CheckpointTreeModel::AlphaColumn, "alpha") ||
                    !same(CheckpointTreeModel::SpectralNormColumn, "spectral_norm") ||
                    !same(CheckpointTreeModel::StableRankColumn, "stable_rank")) {
                    qWarning("%s: %s differs", qPrintable(item), qPrintable(idx.tensors[i].key));
                    return -5;
                }
                const QString shown =
                    at.siblingAtColumn(CheckpointTreeModel::SpectralNormColumn).data().toString();
                const QString gate = o[QStringLiteral("gate")].toString();
                if (!gate.isEmpty() && !shown.endsWith(QStringLiteral("[%1]").arg(gate)))
                    return -6;
                ++compared;
            }
        }
        return compared;
    }

private slots:
    void headers()
    {
        CheckpointTreeModel model;
        QCOMPARE(model.headerData(CheckpointTreeModel::AlphaColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Alpha"));
        QVERIFY(CheckpointTreeModel::isAnalysisColumn(CheckpointTreeModel::StableRankColumn));
        QVERIFY(!CheckpointTreeModel::isAnalysisColumn(CheckpointTreeModel::MaxColumn));
    }

    // Nine dense kernels of a TF2 checkpoint.
    void denseKernels()
    {
        WL_REQUIRE_CORPUS();
        QCOMPARE(compare(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/ckpt-8")), 9);
    }

    // A Keras LSTM as a TF checkpoint: the embedding, the dense kernel and the two gated kernels.
    void gatedKernels()
    {
        WL_REQUIRE_CORPUS();
        QCOMPARE(compare(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs/ckpt_20")), 4);
    }

    // Cancelling stops the work and delivers nothing more.
    void cancel()
    {
        WL_REQUIRE_CORPUS();
        auto opened = ReaderRegistry::builtin().open(
            test::corpus(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs/ckpt_20")));
        QVERIFY(opened.ok());
        JobRunner runner;
        QSignalSpy batches(&runner, &JobRunner::analysisBatchReady);
        QSignalSpy busy(&runner, &JobRunner::busyChanged);
        runner.requestBackgroundAnalysis(opened->checkpoints.front());
        runner.cancelBackgroundStats(opened->checkpoints.front().get());
        QVERIFY(busy.wait(60000));
        QTRY_VERIFY(!runner.isBusy());
        QCoreApplication::processEvents();
        QCOMPARE(batches.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestAnalysisColumns)
#include "tst_analysiscolumns.moc"
