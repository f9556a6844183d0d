// Layer analysis across a run: the table of alpha and spectral norm per weight matrix and
// checkpoint holds, cell for cell, what `weightlens analyze --json` prints for that checkpoint.
#include "analysis/runanalysis.h"
#include "formats/readerregistry.h"
#include "testutil.h"

#include <QTest>

using namespace wl;

class TestRunAnalysis : public QObject
{
    Q_OBJECT
private slots:
    void lstmRun()
    {
        WL_REQUIRE_CORPUS();
        const QString path = test::corpus(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs"));
        auto opened = ReaderRegistry::builtin().open(path);
        QVERIFY(opened.ok());
        QVector<std::shared_ptr<const Checkpoint>> run;
        for (const auto &cp : opened->checkpoints)
            run << cp;
        QCOMPARE(run.size(), 20);
        auto r = analysis::computeRunAnalysis(run, 2);
        QVERIFY(r.ok());
        const auto &a = r.value();
        // Embedding, dense kernel, four gates of each LSTM kernel.
        QCOMPARE(a.matrices.size(), 10);
        QCOMPARE(a.columns.size(), 20);
        QVERIFY(a.problems.isEmpty());
        QVERIFY(a.matrices.contains(QStringLiteral("layer_with_weights-1/cell/kernel[f]")));

        const auto out = test::runWeightLens(
            {QStringLiteral("analyze"), QStringLiteral("--json"), path}, 600000);
        QCOMPARE(out.exitCode, 0);
        // analyze's lines by checkpoint label and matrix name.
        QHash<QString, QJsonObject> lines;
        for (const auto &o : test::jsonLines(out.out))
            lines.insert(o[QStringLiteral("checkpoint")].toString() + QLatin1Char('|') +
                             o[QStringLiteral("name")].toString(),
                         o);
        QCOMPARE(lines.size(), 200);
        int checked = 0;
        for (int c = 0; c < run.size(); ++c) {
            const QString label = QFileInfo(run[c]->index().path).fileName();
            for (int m = 0; m < a.matrices.size(); ++m) {
                const auto o = lines.value(label + QLatin1Char('|') + a.matrices[m]);
                QVERIFY2(!o.isEmpty(), qPrintable(label + QLatin1Char(' ') + a.matrices[m]));
                QCOMPARE(a.at(a.spectral, m, c), o[QStringLiteral("spectral_norm")].toDouble());
                if (o[QStringLiteral("alpha")].isNull())
                    QVERIFY(std::isnan(a.at(a.alpha, m, c)));
                else
                    QCOMPARE(a.at(a.alpha, m, c), o[QStringLiteral("alpha")].toDouble());
                ++checked;
            }
        }
        QCOMPARE(checked, 200);
    }

    void cancelled()
    {
        WL_REQUIRE_CORPUS();
        auto opened = ReaderRegistry::builtin().open(
            test::corpus(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs")));
        QVERIFY(opened.ok());
        QVector<std::shared_ptr<const Checkpoint>> run;
        for (const auto &cp : opened->checkpoints)
            run << cp;
        std::atomic<bool> cancel{true};
        const auto r = analysis::computeRunAnalysis(run, 1, JobContext(&cancel));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, LoadError::Code::Cancelled);
    }
};

QTEST_GUILESS_MAIN(TestRunAnalysis)
#include "tst_runanalysis.moc"
