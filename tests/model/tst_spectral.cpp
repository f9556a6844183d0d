#include "analysis/recurrent.h"
#include "analysis/spectral.h"

#include <Eigen/Dense>
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>
#include <random>

using namespace wl;
using namespace wl::analysis;

namespace
{

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

RowMatrix gaussian(Eigen::Index rows, Eigen::Index cols, std::mt19937_64 &rng, double sd = 1.0)
{
    std::normal_distribution<double> normal(0.0, sd);
    RowMatrix m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i)
        m.data()[i] = normal(rng);
    return m;
}

// A random orthogonal n x n matrix: the Q of a Gaussian matrix's QR.
Eigen::MatrixXd orthogonal(Eigen::Index n, std::mt19937_64 &rng)
{
    const Eigen::MatrixXd g = gaussian(n, n, rng);
    return Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ() *
           Eigen::MatrixXd::Identity(n, n);
}

TensorInfo tensor(std::vector<std::int64_t> dims, TensorRole role = TensorRole::Variable)
{
    TensorInfo t;
    t.dtype = DType::Float32;
    t.shape.dims = std::move(dims);
    t.role = role;
    return t;
}

} // namespace

class TestSpectral : public QObject
{
    Q_OBJECT
private slots:
    void matrices()
    {
        const auto dense = matrixShape(tensor({784, 128}), QStringLiteral("keras-h5"));
        QVERIFY(dense);
        QCOMPARE(dense->rows, 784);
        QCOMPARE(dense->cols, 128);
        const auto conv = matrixShape(tensor({3, 3, 8, 16}), QStringLiteral("tf-bundle"));
        QVERIFY(conv);
        QCOMPARE(conv->rows, 72);
        QCOMPARE(conv->cols, 16);
        const auto torchConv = matrixShape(tensor({16, 8, 3, 3}), QStringLiteral("pytorch"));
        QVERIFY(torchConv);
        QCOMPARE(torchConv->rows, 16);
        QCOMPARE(torchConv->cols, 72);
        QVERIFY(!matrixShape(tensor({128}), {}));   // bias, norm
        QVERIFY(!matrixShape(tensor({}), {}));      // scalar
        QVERIFY(matrixShape(tensor({128, 1}), {})); // a dense layer with one output
        QVERIFY(!matrixShape(tensor({0, 128}), {}));
        QVERIFY(!matrixShape(tensor({784, 128}, TensorRole::OptimizerSlot), {})); // Adam m
        auto ints = tensor({4, 4});
        ints.dtype = DType::Int64;
        QVERIFY(!matrixShape(ints, {}));
    }

    void knownSpectrum_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::newRow("tall") << 60 << 25;
        QTest::newRow("wide") << 20 << 70;
        QTest::newRow("square") << 40 << 40;
    }
    // U diag(s) V^T with random orthogonal U, V: the singular values are s.
    void knownSpectrum()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        std::mt19937_64 rng(std::uint64_t(rows * 1000 + cols));
        const int k = std::min(rows, cols);
        std::vector<double> s(static_cast<std::size_t>(k));
        for (int i = 0; i < k; ++i)
            s[std::size_t(i)] = std::pow(10.0, 2.0 - 5.0 * i / (k - 1)); // 100 .. 1e-3
        const Eigen::MatrixXd u = orthogonal(rows, rng).leftCols(k);
        const Eigen::MatrixXd v = orthogonal(cols, rng).leftCols(k);
        const Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(s.data(), k);
        const RowMatrix w = u * d.asDiagonal() * v.transpose();
        const auto a = analyzeMatrix(w.data(), rows, cols);
        QVERIFY(a.decomposed);
        QCOMPARE(int(a.singularValues.size()), k);
        for (int i = 0; i < k; ++i)
            QVERIFY2(std::fabs(a.singularValues[std::size_t(i)] - s[std::size_t(i)]) <=
                         1e-10 * s[std::size_t(i)],
                     qPrintable(QStringLiteral("s%1 %2 vs %3")
                                    .arg(i)
                                    .arg(a.singularValues[std::size_t(i)], 0, 'g', 17)
                                    .arg(s[std::size_t(i)], 0, 'g', 17)));
        double sumSq = 0, sum = 0;
        for (double x : s) {
            sumSq += x * x;
            sum += x;
        }
        QVERIFY(std::fabs(a.frobeniusNorm - std::sqrt(sumSq)) <= 1e-10 * std::sqrt(sumSq));
        QVERIFY(std::fabs(a.spectralNorm - 100.0) <= 1e-10 * 100.0);
        QVERIFY(std::fabs(a.stableRank - sumSq / 1e4) <= 1e-9 * sumSq / 1e4);
        QVERIFY(std::fabs(a.conditionNumber - 1e5) <= 1e-6 * 1e5);
        double h = 0;
        for (double x : s)
            h -= x / sum * std::log(x / sum);
        QVERIFY(std::fabs(a.effectiveRank - std::exp(h)) <= 1e-9 * std::exp(h));
        QCOMPARE(a.nearZeroFraction, 0.0);
    }

    // The Gram path against BDCSVD on the same matrix of known spectrum (100 .. 1e-3). An
    // eigenvalue of the Gram matrix formed and solved in double is off by about n * eps times
    // the largest (n the longer side, for the sums of the product; the solver adds k * eps), so
    // s = sqrt(lambda) is off by that over (s_gram + s_svd): 10x that bound is the tolerance.
    void gramMatchesSvd_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::newRow("tall") << 400 << 150;
        QTest::newRow("wide") << 150 << 400;
        QTest::newRow("square") << 180 << 180;
    }
    void gramMatchesSvd()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        std::mt19937_64 rng(std::uint64_t(rows * 7 + cols));
        const int k = std::min(rows, cols);
        Eigen::VectorXd d(k);
        for (int i = 0; i < k; ++i)
            d[i] = std::pow(10.0, 2.0 - 5.0 * i / (k - 1));
        const RowMatrix w = orthogonal(rows, rng).leftCols(k) * d.asDiagonal() *
                            orthogonal(cols, rng).leftCols(k).transpose();
        const auto g = analyzeMatrix(w.data(), rows, cols, SpectrumMethod::Gram);
        const auto e = analyzeMatrix(w.data(), rows, cols, SpectrumMethod::Svd);
        const auto autoPick = analyzeMatrix(w.data(), rows, cols);
        QVERIFY(g.decomposed && e.decomposed);
        QCOMPARE(int(g.singularValues.size()), k);
        QCOMPARE(int(e.singularValues.size()), k);
        const double eps = std::numeric_limits<double>::epsilon();
        const double bound = 10.0 * std::max(rows, cols) * eps * 1e4; // smax^2 = 1e4
        double worst = 0;
        for (int i = 0; i < k; ++i) {
            const double sg = g.singularValues[std::size_t(i)];
            const double se = e.singularValues[std::size_t(i)];
            const double tol = bound / (sg + se);
            worst = std::max(worst, std::fabs(sg - se) / tol);
            QVERIFY2(std::fabs(sg - se) <= tol, qPrintable(QStringLiteral("s%1 gram %2 svd %3")
                                                               .arg(i)
                                                               .arg(sg, 0, 'g', 17)
                                                               .arg(se, 0, 'g', 17)));
            QVERIFY(std::fabs(se - d[i]) <= 1e-10 * d[i]);
            // Auto takes the Gram path at this size: the same values.
            QCOMPARE(autoPick.singularValues[std::size_t(i)], sg);
        }
        qInfo("largest |s_gram - s_svd| is %.3g of the tolerance", worst);
        QVERIFY(std::fabs(g.frobeniusNorm - e.frobeniusNorm) <= 1e-13 * e.frobeniusNorm);
        QVERIFY(std::fabs(g.spectralNorm - e.spectralNorm) <= 1e-13 * e.spectralNorm);
        QVERIFY(std::fabs(g.stableRank - e.stableRank) <= 1e-12 * e.stableRank);
        QVERIFY(std::fabs(g.effectiveRank - e.effectiveRank) <= 1e-9 * e.effectiveRank);
        // The smallest singular value carries the condition number's error.
        const double smin = e.singularValues.back();
        QVERIFY(std::fabs(g.conditionNumber - e.conditionNumber) <=
                e.conditionNumber * 2 * bound / (2 * smin) / smin);
        QCOMPARE(g.mpSpikes, e.mpSpikes);
        QVERIFY(std::fabs(g.mpEdge - e.mpEdge) <= 1e-12 * e.mpEdge);
        // The fit's tail is the largest eigenvalues, exact to far better than this.
        QVERIFY(std::fabs(g.fit.alpha - e.fit.alpha) <= 1e-6 * e.fit.alpha);
        QCOMPARE(g.nearZeroFraction, e.nearZeroFraction);
    }

    // A matrix of rank 100 of 150: the Gram path's 50 rounding-level eigenvalues count as zero,
    // so the condition number is infinite, where the SVD's are tiny but nonzero.
    void gramRankDeficient()
    {
        std::mt19937_64 rng(5);
        const int rows = 300, cols = 150, rank = 100;
        const RowMatrix w = gaussian(rows, rank, rng) * gaussian(rank, cols, rng);
        const auto g = analyzeMatrix(w.data(), rows, cols, SpectrumMethod::Gram);
        QVERIFY(g.decomposed);
        QCOMPARE(std::count(g.singularValues.begin(), g.singularValues.end(), 0.0),
                 std::ptrdiff_t(cols - rank));
        QVERIFY(g.singularValues[rank - 1] > 0);
        QVERIFY(std::isinf(g.conditionNumber));
        QCOMPARE(g.nearZeroFraction, double(cols - rank) / cols);
        const auto e = analyzeMatrix(w.data(), rows, cols, SpectrumMethod::Svd);
        QCOMPARE(e.nearZeroFraction, double(cols - rank) / cols);
        for (int i = 0; i < rank; ++i)
            QVERIFY(std::fabs(g.singularValues[std::size_t(i)] -
                              e.singularValues[std::size_t(i)]) <= 1e-9 * e.singularValues[0]);
    }

    // Gates of Keras recurrent kernels from the layer table of a Keras file's summary.
    void recurrentGatesFromLayerTable()
    {
        QCOMPARE(kerasGateOrder(QStringLiteral("LSTM")), QStringLiteral("ifco"));
        QCOMPARE(kerasGateOrder(QStringLiteral("GRU")), QStringLiteral("zrh"));
        QCOMPARE(kerasGateOrder(QStringLiteral("Dense")), QString());
        CheckpointIndex idx;
        idx.readerId = QStringLiteral("keras-h5");
        idx.summary.insert(QStringLiteral("layers"),
                           QJsonArray{QJsonObject{{"name", "gru"}, {"class", "GRU"}},
                                      QJsonObject{{"name", "lstm_1"}, {"class", "LSTM"}},
                                      QJsonObject{{"name", "dense"}, {"class", "Dense"}}});
        const auto add = [&](const QString &name, std::vector<std::int64_t> dims) {
            auto t = tensor(std::move(dims));
            t.name = name;
            t.key = QStringLiteral("model_weights/") + name + QStringLiteral(":0");
            idx.tensors << t;
        };
        add(QStringLiteral("gru/gru_cell/kernel"), {16, 96});
        add(QStringLiteral("gru/gru_cell/recurrent_kernel"), {32, 96});
        add(QStringLiteral("gru/gru_cell/bias"), {2, 96});
        add(QStringLiteral("lstm_1/lstm_cell_1/kernel"), {16, 128});
        add(QStringLiteral("dense/kernel"), {32, 8});
        add(QStringLiteral("lstm_1/lstm_cell_1/kernel_odd"), {16, 128});
        add(QStringLiteral("gru/gru_cell/kernel2"), {16, 95});
        const Checkpoint cp(idx);
        QCOMPARE(kerasLayerClass(cp, 0), QStringLiteral("GRU"));
        QCOMPARE(recurrentGates(cp, 0), QStringLiteral("zrh"));
        QCOMPARE(recurrentGates(cp, 1), QStringLiteral("zrh"));
        QCOMPARE(recurrentGates(cp, 2), QString()); // a bias
        QCOMPARE(recurrentGates(cp, 3), QStringLiteral("ifco"));
        QCOMPARE(recurrentGates(cp, 4), QString());
        QCOMPARE(recurrentGates(cp, 5), QString());
        QCOMPARE(kerasLayerClass(cp, 6), QStringLiteral("GRU"));
    }

    void deadUnits()
    {
        std::mt19937_64 rng(7);
        RowMatrix w = gaussian(30, 20, rng);
        w.row(3).setZero();
        w.row(17).setZero();
        w.col(5).setZero();
        const auto a = analyzeMatrix(w.data(), 30, 20);
        QCOMPARE(a.deadRows, 2);
        QCOMPARE(a.deadCols, 1);
        // One zero column: rank 19 of 20.
        QCOMPARE(a.nearZeroFraction, 1.0 / 20.0);
    }

    // Samples of a Pareto law with known alpha (density ~ x^-alpha above 1): the fit recovers
    // alpha within three standard errors, (alpha - 1) / sqrt(n).
    void powerLaw_data()
    {
        QTest::addColumn<double>("alpha");
        QTest::newRow("2.0") << 2.0;
        QTest::newRow("3.5") << 3.5;
        QTest::newRow("5.0") << 5.0;
    }
    void powerLaw()
    {
        QFETCH(double, alpha);
        std::mt19937_64 rng(std::uint64_t(alpha * 100));
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        std::vector<double> x(4000);
        for (auto &v : x)
            v = std::pow(1.0 - uniform(rng), -1.0 / (alpha - 1.0));
        const auto fit = fitPowerLaw(x);
        QVERIFY(fit.tail >= 10);
        const double se = (fit.alpha - 1.0) / std::sqrt(double(fit.tail));
        QVERIFY2(
            std::fabs(fit.alpha - alpha) <= 3 * se,
            qPrintable(
                QStringLiteral("alpha %1 (tail %2, se %3)").arg(fit.alpha).arg(fit.tail).arg(se)));
        QVERIFY(fit.xmin >= 1.0);
        QVERIFY(fit.ks > 0 && fit.ks < 0.05);
        QVERIFY(std::isnan(fitPowerLaw({1.0, 2.0, 3.0}).alpha)); // too few samples
    }

    // Eigenvalues of W^T W / N of a Gaussian matrix stay below the Marchenko-Pastur edge up to
    // the Tracy-Widom fluctuation, of order N^(-2/3); a planted rank-1 spike stands out.
    void marchenkoPastur()
    {
        const int rows = 1000, cols = 400;
        std::mt19937_64 rng(11);
        RowMatrix w = gaussian(rows, cols, rng, 0.5);
        const auto bulk = analyzeMatrix(w.data(), rows, cols);
        const double expectedEdge = 0.25 * std::pow(1.0 + std::sqrt(0.4), 2);
        QVERIFY(std::fabs(bulk.mpEdge - expectedEdge) <= 0.01 * expectedEdge);
        const double slack = 1.0 + 4.0 * std::pow(double(rows), -2.0 / 3.0);
        const auto above = [&](const MatrixAnalysis &a) {
            return std::count_if(a.singularValues.begin(), a.singularValues.end(),
                                 [&](double s) { return s * s / rows > a.mpEdge * slack; });
        };
        QCOMPARE(above(bulk), 0);
        QVERIFY(bulk.mpSpikes <= 2);
        // Singular value 4x the bulk's largest, along random unit directions.
        const Eigen::VectorXd u = gaussian(rows, 1, rng).col(0).normalized();
        const Eigen::VectorXd v = gaussian(cols, 1, rng).col(0).normalized();
        const double strength = 4.0 * bulk.spectralNorm;
        w += strength * u * v.transpose();
        const auto spiked = analyzeMatrix(w.data(), rows, cols);
        QCOMPARE(above(spiked), 1);
        QVERIFY(spiked.mpSpikes >= 1);
        QVERIFY(spiked.spectralNorm > 0.9 * strength);
    }

    void tooLarge()
    {
        const std::int64_t rows = kMaxSvdMinDim + 1, cols = kMaxSvdMinDim + 1;
        std::vector<double> w(std::size_t(rows * cols), 0.0);
        w[0] = 3.0;
        w[std::size_t(cols) + 1] = 4.0;
        const auto a = analyzeMatrix(w.data(), rows, cols);
        QVERIFY(!a.decomposed);
        QVERIFY(!a.note.isEmpty());
        QCOMPARE(a.frobeniusNorm, 5.0);
        QCOMPARE(a.deadRows, rows - 2);
        QCOMPARE(a.deadCols, cols - 2);
        QVERIFY(std::isnan(a.spectralNorm));
    }
};

QTEST_GUILESS_MAIN(TestSpectral)
#include "tst_spectral.moc"
