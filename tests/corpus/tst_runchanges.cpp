// Whole-run changes on corpus runs with several checkpoints: every variable's ||A−B|| / ||A||
// between consecutive checkpoints against a double-precision loop over the bytes read straight
// from the .data shards at the offsets GROUND_TRUTH_TF.json gives.

#include "testutil.h"

#include "compare/runchanges.h"
#include "formats/readerregistry.h"

#include <QTest>

#include <atomic>
#include <cmath>
#include <cstring>

using namespace wl;

namespace
{

// ||a − b|| / ||a|| of two float32 tensors; NaN when a is all zeros.
double relL2(const QByteArray &a, const QByteArray &b)
{
    double sq = 0, a2 = 0;
    for (qsizetype i = 0; i + 4 <= a.size(); i += 4) {
        float x, y;
        std::memcpy(&x, a.constData() + i, 4);
        std::memcpy(&y, b.constData() + i, 4);
        sq += (double(x) - y) * (double(x) - y);
        a2 += double(x) * x;
    }
    return a2 > 0 ? std::sqrt(sq / a2) : std::nan("");
}

const QString kValue = QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE");

// A model weight by its stored key: a float value, not an optimizer slot or optimizer scalar.
bool isWeightKey(const QString &key, const test::Raw &r)
{
    return key.endsWith(kValue) && r.dtype == QLatin1String("DT_FLOAT") && !r.shape.isEmpty() &&
           !key.contains(QLatin1String(".OPTIMIZER_SLOT")) &&
           !key.contains(QLatin1String("optimizer"));
}

} // namespace

class TstRunChanges : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void againstBytes_data()
    {
        QTest::addColumn<QString>("item");
        QTest::addColumn<int>("checkpoints");
        QTest::newRow("a2c") << "tf2-checkpoint/a2c-suspension-ckpts" << 3;
        QTest::newRow("lstm epochs") << "keras-tf-weights/lstm-md-ckpt-epochs" << 20;
    }
    void againstBytes()
    {
        QFETCH(QString, item);
        QFETCH(int, checkpoints);
        auto opened = ReaderRegistry::builtin().open(test::corpus(item));
        QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().message()));
        QVector<std::shared_ptr<const Checkpoint>> run(opened->checkpoints.begin(),
                                                       opened->checkpoints.end());
        QCOMPARE(run.size(), checkpoints);

        QList<double> fractions;
        std::atomic<bool> cancel{false};
        const JobContext job(&cancel, [&](double f, const QString &) { fractions << f; });
        DiffRequest req;
        req.splitBytes = 4096; // the LSTM kernels split across threads too
        auto r = computeRunChanges(run, req, job);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        QVERIFY(r->problems.isEmpty());
        QCOMPARE(r->columns.size(), checkpoints - 1);
        QCOMPARE(r->rel.size(), r->variables.size() * r->columns.size());
        QVERIFY(!fractions.isEmpty());
        QCOMPARE(fractions.last(), 1.0);

        int checked = 0, moved = 0;
        for (int c = 0; c + 1 < run.size(); ++c) {
            const QString bundleA = QFileInfo(run[c]->index().path).completeBaseName();
            const QString bundleB = QFileInfo(run[c + 1]->index().path).completeBaseName();
            const auto rawA = test::rawTensors(item, bundleA);
            const auto rawB = test::rawTensors(item, bundleB);
            QVERIFY2(!rawA.isEmpty() && !rawB.isEmpty(), qPrintable(bundleA + " " + bundleB));
            const auto stepA = run[c]->index().step, stepB = run[c + 1]->index().step;
            if (stepB)
                QCOMPARE(r->columns[c], QString::number(*stepB));
            if (stepA && stepB) // consecutive in training order, not in file-name order
                QVERIFY2(*stepA < *stepB, qPrintable(bundleA + " " + bundleB));
            // Every weight has its row and its value; nothing else has a row.
            int weights = 0;
            for (auto it = rawA.begin(); it != rawA.end(); ++it) {
                if (!isWeightKey(it.key(), it.value()))
                    continue;
                ++weights;
                const QString name = it.key().chopped(kValue.size());
                const int row = r->rowOf(name);
                QVERIFY2(row >= 0, qPrintable(name));
                const double want = relL2(it.value().bytes, rawB.value(it.key()).bytes);
                const double got = r->at(row, c);
                QVERIFY2(std::fabs(got - want) <= 1e-6 * std::fabs(want) + 1e-12,
                         qPrintable(QStringLiteral("%1 %2→%3: %4, want %5")
                                        .arg(name, bundleA, bundleB)
                                        .arg(got, 0, 'g', 17)
                                        .arg(want, 0, 'g', 17)));
                ++checked;
                moved += want > 0;
            }
            QCOMPARE(int(r->variables.size()), weights);
        }
        QVERIFY(checked >= 10);
        QVERIFY(moved > 0); // training moved the weights: the heatmap is not all zero
    }

    void cancelledAndTooFew()
    {
        auto opened =
            ReaderRegistry::builtin().open(test::corpus("tf2-checkpoint/a2c-suspension-ckpts"));
        QVERIFY(opened.ok());
        QVector<std::shared_ptr<const Checkpoint>> run(opened->checkpoints.begin(),
                                                       opened->checkpoints.end());
        std::atomic<bool> cancel{true};
        auto r = computeRunChanges(run, {}, JobContext(&cancel));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, LoadError::Code::Cancelled);
        auto one = computeRunChanges(run.mid(0, 1));
        QVERIFY(!one.ok());
        QVERIFY2(one.error().message().contains(QLatin1String("ckpt-")),
                 qPrintable(one.error().message()));
    }
};

QTEST_GUILESS_MAIN(TstRunChanges)
#include "tst_runchanges.moc"
