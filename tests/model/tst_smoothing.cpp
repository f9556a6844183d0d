#include "events/smoothing.h"

#include <QTest>
#include <cmath>
#include <limits>
#include <random>

using namespace wl::events;

namespace
{

// The debiased moving average written the other way round: point i is the mean of the finite
// values up to i, value j weighted by weight^(number of finite values after j).
std::vector<double> weightedMeans(const std::vector<double> &v, double weight)
{
    std::vector<double> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!std::isfinite(v[i])) {
            out[i] = v[i];
            continue;
        }
        double sum = 0, norm = 0, w = 1;
        for (std::size_t j = i + 1; j-- > 0;) {
            if (!std::isfinite(v[j]))
                continue;
            sum += w * v[j];
            norm += w;
            w *= weight;
        }
        out[i] = sum / norm;
    }
    return out;
}

} // namespace

class TestSmoothing : public QObject
{
    Q_OBJECT
private slots:
    void handWorked()
    {
        // weight 0.5: 1 -> 0.5/0.5 = 1; 2 -> 1.25/0.75 = 5/3; 4 -> 2.625/0.875 = 3.
        const auto s = smoothEma({1, 2, 4}, 0.5);
        QCOMPARE(s.size(), std::size_t(3));
        QCOMPARE(s[0], 1.0);
        QVERIFY(std::abs(s[1] - 5.0 / 3.0) < 1e-15);
        QVERIFY(std::abs(s[2] - 3.0) < 1e-15);
    }

    void equalsWeightedMean_data()
    {
        QTest::addColumn<double>("weight");
        for (double w : {0.0, 0.3, 0.6, 0.9, 0.99, 0.999})
            QTest::addRow("%g", w) << w;
    }
    void equalsWeightedMean()
    {
        QFETCH(double, weight);
        std::mt19937 rng(11);
        std::normal_distribution<double> noise(0, 0.2);
        std::vector<double> v(400);
        for (std::size_t i = 0; i < v.size(); ++i)
            v[i] = std::exp(-double(i) / 100) + noise(rng);
        v[17] = std::numeric_limits<double>::quiet_NaN();
        v[230] = std::numeric_limits<double>::infinity();
        const auto got = smoothEma(v, weight);
        const auto want = weightedMeans(v, weight);
        QCOMPARE(got.size(), want.size());
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!std::isfinite(want[i])) {
                QCOMPARE(std::isnan(got[i]), std::isnan(want[i]));
                QCOMPARE(std::isinf(got[i]), std::isinf(want[i]));
                continue;
            }
            if (std::abs(got[i] - want[i]) > 1e-9 * (1 + std::abs(want[i])))
                QFAIL(qPrintable(QStringLiteral("point %1: %2, expected %3")
                                     .arg(i)
                                     .arg(got[i], 0, 'g', 17)
                                     .arg(want[i], 0, 'g', 17)));
        }
        if (weight == 0.0)
            for (std::size_t i = 0; i < v.size(); ++i)
                QVERIFY(!std::isfinite(v[i]) || got[i] == v[i]);
    }

    void constantAndOddWeights()
    {
        const std::vector<double> c(5, 0.1);
        QCOMPARE(smoothEma(c, 0.9), c); // unchanged, not 0.1 plus rounding
        QVERIFY(smoothEma({}, 0.6).empty());
        // Out-of-range weights are clamped: above 1 acts as 1, NaN as 0 (no smoothing).
        const std::vector<double> v{1, 3, 2};
        QCOMPARE(smoothEma(v, std::nan("")), v);
        QCOMPARE(smoothEma(v, -2), v);
        const auto frozen = smoothEma(v, 5);
        QCOMPARE(frozen, smoothEma(v, 1));
    }

    // Every column keeps its first, lowest, highest and last point: the drawn line spans what
    // the full line spans in each column.
    void decimationKeepsColumnExtremes()
    {
        const std::size_t n = 1'000'000;
        std::mt19937 rng(5);
        std::normal_distribution<double> noise(0, 1);
        std::vector<double> x(n), y(n);
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = double(i) * 3;
            y[i] = noise(rng) + (i == 123457 ? 50 : 0);
        }
        const double x0 = 30000, x1 = 2'400'000;
        const int buckets = 800;
        const auto idx = decimateMinMax(x, y, x0, x1, buckets);
        QVERIFY(idx.size() <= 4 * std::size_t(buckets) + 2);
        QVERIFY(std::is_sorted(idx.begin(), idx.end()));
        QVERIFY(std::adjacent_find(idx.begin(), idx.end()) == idx.end());
        QCOMPARE(idx.front(), std::size_t(9999));  // the point before the range
        QCOMPARE(idx.back(), std::size_t(800001)); // and the one after it
        std::vector<double> lo(buckets, INFINITY), hi(buckets, -INFINITY), klo = lo, khi = hi;
        const auto column = [&](double xv) {
            return std::min(buckets - 1, int((xv - x0) * buckets / (x1 - x0)));
        };
        for (std::size_t i = 10000; i <= 800000; ++i) {
            lo[column(x[i])] = std::min(lo[column(x[i])], y[i]);
            hi[column(x[i])] = std::max(hi[column(x[i])], y[i]);
        }
        for (std::size_t i : idx) {
            if (x[i] < x0 || x[i] > x1)
                continue;
            klo[column(x[i])] = std::min(klo[column(x[i])], y[i]);
            khi[column(x[i])] = std::max(khi[column(x[i])], y[i]);
        }
        QCOMPARE(klo, lo);
        QCOMPARE(khi, hi);
        QVERIFY(std::find(idx.begin(), idx.end(), std::size_t(123457)) != idx.end());
    }

    void decimationKeepsShortSeries()
    {
        const std::vector<double> x{0, 1, 2, 3, 4}, y{5, 4, 3, 2, 1};
        const auto all = decimateMinMax(x, y, 0, 4, 100);
        QCOMPARE(all, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
        QCOMPARE(decimateMinMax(x, y, 1.5, 2.5, 100), (std::vector<std::size_t>{1, 2, 3}));
    }
};

QTEST_GUILESS_MAIN(TestSmoothing)
#include "tst_smoothing.moc"
