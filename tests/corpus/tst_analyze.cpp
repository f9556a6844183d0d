#include "analysis/spectral.h"
#include "stats/statsengine.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QDir>
#include <cstring>

using namespace wl;

namespace
{

// Largest singular value by power iteration on W^T W, independent of the SVD.
double powerIteration(const std::vector<double> &w, qint64 rows, qint64 cols)
{
    std::vector<double> v(std::size_t(cols), 1.0), u(static_cast<std::size_t>(rows));
    double sigma = 0;
    for (int it = 0; it < 2000; ++it) {
        for (qint64 r = 0; r < rows; ++r) {
            double acc = 0;
            for (qint64 c = 0; c < cols; ++c)
                acc += w[std::size_t(r * cols + c)] * v[std::size_t(c)];
            u[std::size_t(r)] = acc;
        }
        std::fill(v.begin(), v.end(), 0.0);
        for (qint64 r = 0; r < rows; ++r)
            for (qint64 c = 0; c < cols; ++c)
                v[std::size_t(c)] += w[std::size_t(r * cols + c)] * u[std::size_t(r)];
        double norm = 0;
        for (double x : v)
            norm += x * x;
        norm = std::sqrt(norm);
        if (norm == 0)
            return 0;
        for (double &x : v)
            x /= norm;
        sigma = std::sqrt(norm);
    }
    return sigma;
}

} // namespace

class TestAnalyze : public QObject
{
    Q_OBJECT
private slots:
    // Dense kernels of a TF checkpoint: norms against the raw float32 bytes read at the offsets
    // GROUND_TRUTH_TF.json gives, their sha256 checked first.
    void denseKernels()
    {
        WL_REQUIRE_CORPUS();
        const QString item = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts");
        const auto raw = test::rawTensors(item, QStringLiteral("ckpt-8"));
        const auto hashes = test::groundTruthHashes(item, QStringLiteral("ckpt-8"));
        QString error;
        const auto cp = test::openOne(test::corpus(item + QStringLiteral("/ckpt-8")), &error);
        QVERIFY2(cp, qPrintable(error));
        const auto &idx = cp->index();
        const auto layers = analysis::analyzeCheckpoint(*cp, allTensors(idx), 2);
        int checked = 0;
        for (const auto &l : layers) {
            QVERIFY2(l.error.isEmpty(), qPrintable(l.error));
            const auto &t = idx.tensors[l.tensor];
            QVERIFY(t.role == TensorRole::Variable);
            const auto r = raw.value(t.key);
            QCOMPARE(r.dtype, QStringLiteral("DT_FLOAT"));
            QCOMPARE(QString::fromLatin1(
                         QCryptographicHash::hash(r.bytes, QCryptographicHash::Sha256).toHex()),
                     hashes.value(t.key));
            QCOMPARE(r.shape.size(), 2);
            std::vector<double> w(std::size_t(r.bytes.size()) / 4);
            double sumSq = 0;
            for (std::size_t i = 0; i < w.size(); ++i) {
                float f;
                std::memcpy(&f, r.bytes.constData() + i * 4, 4);
                w[i] = f;
                sumSq += w[i] * w[i];
            }
            QCOMPARE(l.matrix.rows, r.shape[0]);
            QCOMPARE(l.matrix.cols, r.shape[1]);
            QVERIFY(std::fabs(l.matrix.frobeniusNorm - std::sqrt(sumSq)) <=
                    1e-12 * std::sqrt(sumSq));
            const double sigma = powerIteration(w, r.shape[0], r.shape[1]);
            QVERIFY2(std::fabs(l.matrix.spectralNorm - sigma) <= 1e-8 * sigma,
                     qPrintable(QStringLiteral("%1: %2 vs %3")
                                    .arg(t.key)
                                    .arg(l.matrix.spectralNorm, 0, 'g', 17)
                                    .arg(sigma, 0, 'g', 17)));
            ++checked;
        }
        // Nine kernels: actor hidden1, mu, std; critic hidden1..5, value.
        QCOMPARE(checked, 9);
    }

    // `weightlens analyze --json` on every corpus item: exit 0, a line per weight matrix that
    // `ls` lists (float variables of rank 2 to 4), finite norms.
    void everyCheckpoint()
    {
        WL_REQUIRE_CORPUS();
        int items = 0;
        for (const QString &category :
             QDir(test::corpusDir()).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            const QDir cat(test::corpus(category));
            for (const QString &name : cat.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
                const QString path = cat.filePath(name);
                const auto ls =
                    test::runWeightLens({QStringLiteral("ls"), QStringLiteral("--json"), path});
                if (ls.exitCode != 0)
                    continue; // training logs only
                qsizetype expected = 0;
                for (const auto &o : test::jsonLines(ls.out)) {
                    const auto shape = o[QStringLiteral("shape")].toArray();
                    const QString dtype = o[QStringLiteral("dtype")].toString();
                    expected += o[QStringLiteral("role")] == QStringLiteral("variable") &&
                                (dtype.startsWith(QStringLiteral("float")) ||
                                 dtype == QStringLiteral("bfloat16")) &&
                                shape.size() >= 2 && shape.size() <= 4;
                }
                const auto r = test::runWeightLens(
                    {QStringLiteral("analyze"), QStringLiteral("--json"), path}, 600000);
                QVERIFY2(r.exitCode == 0,
                         qPrintable(path + QStringLiteral(": ") + QString::fromUtf8(r.err)));
                const auto lines = test::jsonLines(r.out);
                QVERIFY2(lines.size() == expected,
                         qPrintable(QStringLiteral("%1: %2 lines, %3 matrices")
                                        .arg(path)
                                        .arg(lines.size())
                                        .arg(expected)));
                for (const auto &o : lines) {
                    // An all-zero matrix has no stable or effective rank.
                    const bool zero = o[QStringLiteral("spectral_norm")].toDouble() == 0;
                    for (const char *k :
                         {"frobenius_norm", "spectral_norm", "mp_edge",
                          zero ? "mp_edge" : "stable_rank", zero ? "mp_edge" : "effective_rank"})
                        QVERIFY2(std::isfinite(o[QLatin1String(k)].toDouble(NAN)),
                                 qPrintable(path + QStringLiteral(": ") +
                                            o[QStringLiteral("key")].toString() +
                                            QStringLiteral(" ") + QLatin1String(k)));
                    QVERIFY(o[QStringLiteral("alpha")].isNull() ||
                            std::isfinite(o[QStringLiteral("alpha")].toDouble()));
                    QCOMPARE(o[QStringLiteral("shape")].toArray().size(), 2);
                }
                ++items;
            }
        }
        QVERIFY(items >= 10);
    }
};

QTEST_GUILESS_MAIN(TestAnalyze)
#include "tst_analyze.moc"
