// The compare view on two checkpoints of one corpus run: its rows, order, filter and the
// selected pair's histograms and heatmap, against values computed here from the bytes of the
// .data files at the offsets GROUND_TRUTH_TF.json gives.

#include "testutil.h"

#include "compareview.h"
#include "formats/readerregistry.h"
#include "heatmapview.h"
#include "histogramplot.h"
#include "itemmodels/checkpointtreemodel.h"
#include "itemmodels/comparemodel.h"
#include "itemmodels/tensorfilterproxy.h"
#include "sourcesview.h"

#include <QAbstractItemModelTester>
#include <QIdentityProxyModel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>
#include <QTreeView>

#include <cmath>
#include <cstring>
#include <qcustomplot.h>

using namespace wl;

namespace
{

const char *const kItem = "tf2-checkpoint/a2c-suspension-ckpts";

// float32 tensors of one bundle: key -> values, read straight from the data file.
QHash<QString, std::vector<double>> floats(const QString &bundle)
{
    QHash<QString, std::vector<double>> out;
    QFile f(test::corpus(QString(kItem) + '/' + bundle + ".data-00000-of-00001"));
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const auto &v : test::groundTruthTensors(kItem, bundle)) {
        const auto t = v.toObject();
        if (t["dtype"].toString() != "DT_FLOAT")
            continue;
        f.seek(t["offset"].toInteger());
        const QByteArray b = f.read(t["size"].toInteger());
        std::vector<double> x(std::size_t(b.size() / 4));
        for (std::size_t i = 0; i < x.size(); ++i) {
            float v32;
            std::memcpy(&v32, b.constData() + 4 * i, 4);
            x[i] = v32;
        }
        out.insert(t["key"].toString(), x);
    }
    return out;
}

double relL2(const std::vector<double> &a, const std::vector<double> &b)
{
    double d2 = 0, a2 = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        d2 += (a[i] - b[i]) * (a[i] - b[i]);
        a2 += a[i] * a[i];
    }
    return a2 > 0 ? std::sqrt(d2 / a2) : (d2 == 0 ? 0 : INFINITY);
}

} // namespace

class TstCompareView : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void twoStepsOfOneRun()
    {
        auto a = test::openOne(test::corpus(QString(kItem) + "/ckpt-7"));
        auto b = test::openOne(test::corpus(QString(kItem) + "/ckpt-8"));
        QVERIFY(a && b);
        const auto fa = floats("ckpt-7");
        const auto fb = floats("ckpt-8");
        QVERIFY(!fa.isEmpty());

        CompareView view(a, b);
        QAbstractItemModelTester tester(view.model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy finished(&view, &CompareView::comparisonFinished);
        QVERIFY(finished.wait(20000));
        const int keys = int(test::groundTruthTensors(kItem, "ckpt-7").size());
        QCOMPARE(view.proxy()->rowCount(), keys);

        // Changed most first: the first row is the float tensor of largest relative change
        // (ties broken any way, so compared by value).
        double most = -1;
        for (auto it = fa.begin(); it != fa.end(); ++it) {
            const double r = relL2(it.value(), fb[it.key()]);
            if (std::isfinite(r))
                most = std::max(most, r);
        }
        const QModelIndex top = view.proxy()->index(0, CompareModel::RelL2Column);
        QVERIFY(std::fabs(top.data(CompareModel::SortRole).toDouble() - most) <= 1e-5 * most);
        for (int r = 1; r < view.proxy()->rowCount(); ++r)
            QVERIFY(view.proxy()
                        ->index(r - 1, CompareModel::RelL2Column)
                        .data(CompareModel::SortRole)
                        .toDouble() >= view.proxy()
                                           ->index(r, CompareModel::RelL2Column)
                                           .data(CompareModel::SortRole)
                                           .toDouble());

        // Sorting by cosine, ascending: the smallest cosine first.
        view.table()->sortByColumn(CompareModel::CosineColumn, Qt::AscendingOrder);
        double least = 2;
        for (auto it = fa.begin(); it != fa.end(); ++it) {
            const auto &x = it.value();
            const auto &y = fb[it.key()];
            double ab = 0, a2 = 0, b2 = 0;
            for (std::size_t i = 0; i < x.size(); ++i)
                ab += x[i] * y[i], a2 += x[i] * x[i], b2 += y[i] * y[i];
            if (a2 > 0 && b2 > 0)
                least = std::min(least, ab / std::sqrt(a2 * b2));
        }
        int firstNumber = 0; // rows without a cosine sort first when ascending
        while (!view.proxy()->index(firstNumber, CompareModel::CosineColumn).data().isValid())
            ++firstNumber;
        QVERIFY(std::fabs(view.proxy()
                              ->index(firstNumber, CompareModel::CosineColumn)
                              .data(CompareModel::SortRole)
                              .toDouble() -
                          least) < 1e-6);

        // The filter keeps the rows naming hidden1.
        view.filterEdit()->setText("hidden1");
        int expected = 0;
        for (const auto &v : test::groundTruthTensors(kItem, "ckpt-7"))
            expected += v.toObject()["key"].toString().contains("hidden1");
        QCOMPARE(view.proxy()->rowCount(), expected);
        view.filterEdit()->clear();

        // Layers: one row per parent path of the numeric tensors, with their summed change.
        QHash<QString, std::pair<double, double>> layers; // parent -> (Σ(a−b)², Σa²)
        for (auto it = fa.begin(); it != fa.end(); ++it) {
            if (it.key().contains("OPTIMIZER_SLOT") || it.key().contains("_optimizer/"))
                continue; // slots and optimizer scalars are grouped as optimizer state
            QString name = it.key();
            name.chop(QString("/.ATTRIBUTES/VARIABLE_VALUE").size());
            auto &[d2, a2] = layers[name.section('/', 0, -2)];
            const auto &x = it.value();
            const auto &y = fb[it.key()];
            for (std::size_t i = 0; i < x.size(); ++i)
                d2 += (x[i] - y[i]) * (x[i] - y[i]), a2 += x[i] * x[i];
        }
        view.rowsCombo()->setCurrentIndex(1);
        // Plus three groups of integer counters and optimizer state: the top level
        // (episode_counter), metadata (save_counter) and the optimizers' slots and iterations.
        QCOMPARE(view.proxy()->rowCount(), layers.size() + 3);
        const QModelIndex hidden = view.proxy()
                                       ->match(view.proxy()->index(0, 0), Qt::DisplayRole,
                                               "actor/hidden1", 1, Qt::MatchExactly)
                                       .value(0);
        QVERIFY(hidden.isValid());
        const auto [d2, a2] = layers["actor/hidden1"];
        QVERIFY(std::fabs(hidden.siblingAtColumn(CompareModel::RelL2Column)
                              .data(CompareModel::SortRole)
                              .toDouble() -
                          std::sqrt(d2 / a2)) <= 1e-5 * std::sqrt(d2 / a2));
        view.rowsCombo()->setCurrentIndex(0);
        QCOMPARE(view.proxy()->rowCount(), keys);

        // A 2-D pair: A and B binned alike, A − B, and the heatmap of A − B.
        const QString key = "actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE";
        QSignalSpy shown(&view, &CompareView::detailShown);
        QVERIFY(view.selectTensor(key));
        QVERIFY(shown.wait(20000));
        const auto &x = fa[key];
        const auto &y = fb[key];
        const auto series = view.histogram()->series();
        QCOMPARE(series.size(), 2);
        QCOMPARE(series[0].histogram.lo, series[1].histogram.lo);
        QCOMPARE(series[0].histogram.hi, series[1].histogram.hi);
        QCOMPARE(series[0].histogram.lo, std::min(*std::min_element(x.begin(), x.end()),
                                                  *std::min_element(y.begin(), y.end())));
        for (const auto &s : series) {
            std::uint64_t total = 0;
            for (auto c : s.histogram.counts)
                total += c;
            QCOMPARE(total, std::uint64_t(x.size()));
        }
        const auto diff = view.diffHistogram()->series();
        QCOMPARE(diff.size(), 1);
        double dmin = INFINITY;
        for (std::size_t i = 0; i < x.size(); ++i)
            dmin = std::min(dmin, x[i] - y[i]);
        QCOMPARE(diff[0].histogram.lo, dmin);
        auto *data = view.heatmap()->colorMap()->data();
        QCOMPARE(data->keySize() * data->valueSize(), int(x.size()));
        for (int c = 0; c < data->keySize(); ++c)
            QCOMPARE(data->cell(c, 0), x[std::size_t(c)] - y[std::size_t(c)]);
    }

    // The tree offers Compare for exactly two selected checkpoints: the ones selected.
    void twoCheckpointsSelectedInTheTree()
    {
        auto opened = ReaderRegistry::builtin().open(test::corpus(kItem));
        QVERIFY(opened.ok());
        QCOMPARE(opened->checkpoints.size(), std::size_t(3));
        CheckpointTreeModel model;
        model.addSource(opened.value());
        SourcesView view(&model);
        const QModelIndex first = model.indexOfCheckpoint(opened->checkpoints[0].get());
        const QModelIndex third = model.indexOfCheckpoint(opened->checkpoints[2].get());
        QVERIFY(first.isValid() && third.isValid());
        view.select(first);
        QCOMPARE(view.selectedCheckpoints().size(), 1);
        auto *icons = static_cast<QIdentityProxyModel *>(view.tree()->model());
        view.tree()->selectionModel()->select(
            icons->mapFromSource(view.proxy()->mapFromSource(third)),
            QItemSelectionModel::Select | QItemSelectionModel::Rows);
        const auto chosen = view.selectedCheckpoints();
        QCOMPARE(chosen.size(), 2);
        QVERIFY(chosen.contains(opened->checkpoints[0]));
        QVERIFY(chosen.contains(opened->checkpoints[2]));
    }

    // A user's correction pairs A's tensor with another of B's; the metrics are recomputed.
    void correctedMatch()
    {
        auto a = test::openOne(test::corpus(QString(kItem) + "/ckpt-7"));
        auto b = test::openOne(test::corpus(QString(kItem) + "/ckpt-8"));
        QVERIFY(a && b);
        CompareView view(a, b);
        QSignalSpy finished(&view, &CompareView::comparisonFinished);
        QVERIFY(finished.wait(20000));
        const int ia = a->index().indexOfKey("actor/hidden1/bias/.ATTRIBUTES/VARIABLE_VALUE");
        const int ib = b->index().indexOfKey(
            "actor/hidden1/bias/.OPTIMIZER_SLOT/actor_optimizer/m/.ATTRIBUTES/VARIABLE_VALUE");
        QVERIFY(ia >= 0 && ib >= 0);
        view.session()->setMatch(ia, ib);
        QVERIFY(finished.wait(20000));
        const auto fa = floats("ckpt-7");
        const auto fb = floats("ckpt-8");
        bool found = false;
        for (const auto &d : view.model()->diffs())
            if (d.match.a == ia) {
                found = true;
                QCOMPARE(d.match.b, ib);
                QCOMPARE(d.match.how, TensorMatch::How::User);
                const double want = relL2(fa[a->tensor(ia).key], fb[b->tensor(ib).key]);
                QVERIFY(std::fabs(*d.sums.relL2() - want) <= 1e-5 * want);
            }
        QVERIFY(found);
        // B's own bias lost its partner and A's slot m too: one more row each side.
        QCOMPARE(view.model()->matching().onlyA.size(), 1);
        QCOMPARE(view.model()->matching().onlyB.size(), 1);
    }
};

QTEST_MAIN(TstCompareView)
#include "tst_compareview.moc"
