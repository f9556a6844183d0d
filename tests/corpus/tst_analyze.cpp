#include "analysis/spectral.h"
#include "stats/statsengine.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonArray>
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

    // A Keras LSTM saved as a TensorFlow checkpoint (its layers' OBJECT_CONFIG_JSON say LSTM
    // and LSTMCell): kernel [8, 256] and recurrent_kernel [64, 256] are analysed as four gates
    // each, columns 64g .. 64g+63 in the order i, f, c, o; their norms against those columns of
    // the raw bytes GROUND_TRUTH_TF.json locates.
    void lstmGates()
    {
        WL_REQUIRE_CORPUS();
        const QString item = QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs");
        const auto raw = test::rawTensors(item, QStringLiteral("ckpt_20"));
        QString error;
        const auto cp = test::openOne(test::corpus(item + QStringLiteral("/ckpt_20")), &error);
        QVERIFY2(cp, qPrintable(error));
        const auto &idx = cp->index();
        const auto layers = analysis::analyzeCheckpoint(*cp, allTensors(idx), 2);
        QMap<QString, QString> gates;
        int checked = 0;
        for (const auto &l : layers) {
            QVERIFY2(l.error.isEmpty(), qPrintable(l.error));
            const auto &t = idx.tensors[l.tensor];
            gates[t.key] += l.gate;
            if (l.gate.isEmpty())
                continue;
            const auto r = raw.value(t.key);
            QCOMPARE(r.shape.size(), 2);
            const qint64 rows = r.shape[0], cols = r.shape[1], width = cols / 4;
            const qint64 first = QStringLiteral("ifco").indexOf(l.gate) * width;
            std::vector<double> w(std::size_t(rows * width));
            double sumSq = 0;
            for (qint64 i = 0; i < rows; ++i)
                for (qint64 j = 0; j < width; ++j) {
                    float f;
                    std::memcpy(&f, r.bytes.constData() + (i * cols + first + j) * 4, 4);
                    w[std::size_t(i * width + j)] = f;
                    sumSq += double(f) * f;
                }
            QCOMPARE(l.matrix.rows, rows);
            QCOMPARE(l.matrix.cols, width);
            QCOMPARE(analysis::matrixName(t, l), t.name + QStringLiteral("[%1]").arg(l.gate));
            QVERIFY(std::fabs(l.matrix.frobeniusNorm - std::sqrt(sumSq)) <=
                    1e-12 * std::sqrt(sumSq));
            const double sigma = powerIteration(w, rows, width);
            QVERIFY2(std::fabs(l.matrix.spectralNorm - sigma) <= 1e-8 * sigma,
                     qPrintable(QStringLiteral("%1[%2]: %3 vs %4")
                                    .arg(t.key, l.gate)
                                    .arg(l.matrix.spectralNorm, 0, 'g', 17)
                                    .arg(sigma, 0, 'g', 17)));
            ++checked;
        }
        QCOMPARE(checked, 8);
        const QString cell = QStringLiteral("layer_with_weights-1/cell/");
        const QString value = QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE");
        QCOMPARE(gates.value(cell + QStringLiteral("kernel") + value), QStringLiteral("ifco"));
        QCOMPARE(gates.value(cell + QStringLiteral("recurrent_kernel") + value),
                 QStringLiteral("ifco"));
        // The embedding and the dense kernel stay whole.
        QCOMPARE(gates.size(), 4);
        QVERIFY(gates.contains(QStringLiteral("layer_with_weights-0/embeddings") + value));
        QCOMPARE(gates.value(QStringLiteral("layer_with_weights-2/kernel") + value), QString());
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
                // Weight matrices by checkpoint and key, with their shapes; a recurrent kernel's
                // gates share its key.
                QHash<QString, QJsonArray> expected;
                for (const auto &o : test::jsonLines(ls.out)) {
                    const auto shape = o[QStringLiteral("shape")].toArray();
                    const QString dtype = o[QStringLiteral("dtype")].toString();
                    if (o[QStringLiteral("role")] == QStringLiteral("variable") &&
                        (dtype.startsWith(QStringLiteral("float")) ||
                         dtype == QStringLiteral("bfloat16")) &&
                        shape.size() >= 2 && shape.size() <= 4)
                        expected.insert(o[QStringLiteral("checkpoint")].toString() +
                                            QLatin1Char('|') + o[QStringLiteral("key")].toString(),
                                        shape);
                }
                const auto r = test::runWeightLens(
                    {QStringLiteral("analyze"), QStringLiteral("--json"), path}, 600000);
                QVERIFY2(r.exitCode == 0,
                         qPrintable(path + QStringLiteral(": ") + QString::fromUtf8(r.err)));
                const auto lines = test::jsonLines(r.out);
                QHash<QString, QString> gatesOf;
                QHash<QString, qint64> colsOf;
                for (const auto &o : lines) {
                    const QString key = o[QStringLiteral("checkpoint")].toString() +
                                        QLatin1Char('|') + o[QStringLiteral("key")].toString();
                    QVERIFY2(expected.contains(key), qPrintable(path + QStringLiteral(": ") + key));
                    gatesOf[key] += o[QStringLiteral("gate")].toString();
                    colsOf[key] += o[QStringLiteral("shape")].toArray().at(1).toInteger();
                }
                QVERIFY2(gatesOf.size() == expected.size(),
                         qPrintable(QStringLiteral("%1: %2 matrices, %3 expected")
                                        .arg(path)
                                        .arg(gatesOf.size())
                                        .arg(expected.size())));
                for (auto it = gatesOf.cbegin(); it != gatesOf.cend(); ++it) {
                    // Whole, or every gate once in Keras's order, their columns adding up.
                    QVERIFY2(it->isEmpty() || *it == QStringLiteral("ifco") ||
                                 *it == QStringLiteral("zrh"),
                             qPrintable(it.key() + QStringLiteral(": ") + *it));
                    const auto shape = expected.value(it.key());
                    if (!it->isEmpty())
                        QCOMPARE(colsOf.value(it.key()), shape.last().toInteger());
                }
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
