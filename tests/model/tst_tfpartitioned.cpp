// Partitioned (sliced) variables in V2 bundles, built with the test writer
// (formats-tensorflow.md 1.5), and the OrderedCode slice keys.

#include "bundlewriter.h"
#include "formats/readerregistry.h"
#include "formats/tfbundle.h"
#include "stats/statsengine.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace wl;

namespace
{

QByteArray floats(std::initializer_list<float> v)
{
    return QByteArray(reinterpret_cast<const char *>(std::data(v)), qsizetype(v.size() * 4));
}

constexpr int kDtFloat = 1;
constexpr int kDtInt32 = 3;
constexpr int kDtInt64 = 9;

// [[0,1],[2,3],[4,5],[6,7]] as float32, saved as rows 0-1 and rows 2-3.
void addRowHalves(test::BundleWriter &w, const QByteArray &name)
{
    w.addPartitioned(
        name, kDtFloat, {4, 2},
        {{{0, 0}, {2, -1}, floats({0, 1, 2, 3})}, {{2, 0}, {2, -1}, floats({4, 5, 6, 7})}});
}

} // namespace

class TstTfPartitioned : public QObject
{
    Q_OBJECT
private slots:
    void specSliceKey()
    {
        // Rows 0-1 of `part` [4,2]: the example key of the spec.
        const QByteArray expected = QByteArray::fromHex("0070617274000101028082807f");
        QCOMPARE(test::BundleWriter::sliceKey("part", {0, 0}, {2, -1}), expected);
        auto k = tfbundle::decodeSliceKey(expected);
        QVERIFY(k);
        QCOMPARE(k->name, QByteArray("part"));
        QCOMPARE(k->start, (std::vector<std::int64_t>{0, 0}));
        QCOMPARE(k->length, (std::vector<std::int64_t>{2, -1}));
    }

    void signedNumbers_data()
    {
        QTest::addColumn<QByteArray>("encoded");
        QTest::addColumn<qint64>("value");
        // Hand-encoded from the rules of 1.5: 64 needs two bytes (header c0), -65 likewise.
        QTest::newRow("64") << QByteArray::fromHex("c040") << qint64(64);
        QTest::newRow("-65") << QByteArray::fromHex("3fbf") << qint64(-65);
        QTest::newRow("63") << QByteArray::fromHex("bf") << qint64(63);
        QTest::newRow("-64") << QByteArray::fromHex("40") << qint64(-64);
        QTest::newRow("8192") << QByteArray::fromHex("e02000") << qint64(8192);
    }
    void signedNumbers()
    {
        QFETCH(QByteArray, encoded);
        QFETCH(qint64, value);
        QCOMPARE(tfbundle::decodeSignedNum(encoded), std::optional<std::int64_t>(value));
        QCOMPARE(test::BundleWriter::sliceKey("x", {0}, {value}),
                 QByteArray::fromHex("007800010101") + QByteArray::fromHex("80") + encoded);
    }

    void roundTripLargeNumbers()
    {
        for (std::int64_t v : {std::int64_t(1) << 40, -(std::int64_t(1) << 50),
                               std::numeric_limits<std::int64_t>::max(),
                               std::numeric_limits<std::int64_t>::min(), std::int64_t(123456789)}) {
            const auto key = test::BundleWriter::sliceKey("n", {0}, {v});
            // The value's bytes follow "00 6e 00 01 01 01 80".
            QCOMPARE(tfbundle::decodeSignedNum(key.mid(7)), std::optional<std::int64_t>(v));
        }
        QVERIFY(!tfbundle::decodeSliceKey(QByteArray::fromHex("0078")));
        QVERIFY(!tfbundle::decodeSliceKey(QByteArray::fromHex("00780001018082ff")));
    }

    void rowSlicesReassemble()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("model.ckpt-5"));
        test::BundleWriter w(prefix);
        addRowHalves(w, "part");
        // cols = 2x3 int32 saved as column 0 and columns 1-2: scattered, not contiguous.
        const std::int32_t c0[] = {10, 40}, c12[] = {20, 30, 50, 60};
        w.addPartitioned("cols", kDtInt32, {2, 3},
                         {{{0, 0}, {-1, 1}, QByteArray(reinterpret_cast<const char *>(c0), 8)},
                          {{0, 1}, {-1, 2}, QByteArray(reinterpret_cast<const char *>(c12), 16)}});
        w.add("plain", kDtFloat, {2}, floats({9, 8}));
        QString err;
        QVERIFY2(w.finish(&err), qPrintable(err));

        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        QCOMPARE(r->checkpoints.size(), std::size_t(1));
        const auto &cp = *r->checkpoints.front();
        QStringList keys;
        for (const auto &t : cp.index().tensors)
            keys << t.key;
        QCOMPARE(keys, (QStringList{"cols", "part", "plain"})); // slice keys hidden
        QVERIFY(cp.index().problems.isEmpty());

        const int part = cp.index().indexOfKey(QStringLiteral("part"));
        QCOMPARE(cp.tensor(part).location.storage, TensorLocation::Storage::ReaderDecoded);
        QCOMPARE(cp.tensor(part).shape, (Shape{{4, 2}}));
        auto bytes = cp.readTensor(part);
        QVERIFY(bytes.ok());
        QCOMPARE(bytes.value(), floats({0, 1, 2, 3, 4, 5, 6, 7}));
        auto state = cp.streamTensor(part, [](const std::uint8_t *, std::size_t) { return true; });
        QVERIFY(state.ok());
        QCOMPARE(state.value(), ChecksumState::Ok);

        const int cols = cp.index().indexOfKey(QStringLiteral("cols"));
        auto colBytes = cp.readTensor(cols);
        QVERIFY(colBytes.ok());
        const std::int32_t expected[] = {10, 20, 30, 40, 50, 60};
        QCOMPARE(colBytes.value(), QByteArray(reinterpret_cast<const char *>(expected), 24));

        StatsRequest req;
        req.hash = true;
        const auto reports = computeStats(cp, {part}, req);
        QCOMPARE(reports.size(), 1);
        QCOMPARE(reports[0].stats.count, std::int64_t(8));
        QCOMPARE(*reports[0].stats.mean, 3.5);
        QCOMPARE(reports[0].sha256, QCryptographicHash::hash(floats({0, 1, 2, 3, 4, 5, 6, 7}),
                                                             QCryptographicHash::Sha256));
        QCOMPARE(cp.index().step, std::optional<std::int64_t>(5)); // from the -5 suffix
    }

    void partitionedVariableIsTrainable()
    {
        // An Estimator-style checkpoint: the .meta lists the parts of a partitioned kernel,
        // the bundle holds it under the whole variable's name.
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("model.ckpt-7"));
        test::BundleWriter w(prefix);
        addRowHalves(w, "dnn/hiddenlayer_0/kernel");
        w.add("dnn/hiddenlayer_0/bias", kDtFloat, {2}, floats({1, 2}));
        const qint64 step = 7;
        w.add("global_step", kDtInt64, {}, QByteArray(reinterpret_cast<const char *>(&step), 8));
        QVERIFY(w.finish());
        QVERIFY(test::BundleWriter::writeMetaGraph(
            prefix + QStringLiteral(".meta"),
            {{"dnn/hiddenlayer_0/kernel/part_0", "dnn/hiddenlayer_0/kernel", true},
             {"dnn/hiddenlayer_0/kernel/part_1", "dnn/hiddenlayer_0/kernel", true},
             {"dnn/hiddenlayer_0/bias", {}, true},
             {"global_step", {}, false}}));

        const QHash<QString, bool> expected{{QStringLiteral("dnn/hiddenlayer_0/kernel"), true},
                                            {QStringLiteral("dnn/hiddenlayer_0/bias"), true},
                                            {QStringLiteral("global_step"), false}};
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY(r.ok());
        const auto &cp = *r->checkpoints.front();
        QCOMPARE(cp.index().tensors.size(), expected.size());
        for (const auto &t : cp.index().tensors)
            QCOMPARE(t.trainable, std::optional<bool>(expected.value(t.key)));

        // The command line reads the same flag from the model: one line per tensor.
        for (const char *command : {"ls", "stats"}) {
            const auto run = test::runWeightLens({QLatin1String(command), prefix, "--json"});
            QCOMPARE(run.exitCode, 0);
            QHash<QString, bool> seen;
            for (const auto &line : run.out.split('\n')) {
                const auto o = QJsonDocument::fromJson(line).object();
                if (o.contains(QLatin1String("key")) && o.contains(QLatin1String("dtype"))) {
                    QVERIFY2(o.value(QLatin1String("trainable")).isBool(), line.constData());
                    seen.insert(o.value(QLatin1String("key")).toString(),
                                o.value(QLatin1String("trainable")).toBool());
                }
            }
            QCOMPARE(seen, expected);
        }
    }

    void corruptSliceIsMismatch()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("p"));
        test::BundleWriter w(prefix);
        addRowHalves(w, "part");
        QVERIFY(w.finish());
        QFile data(prefix + QStringLiteral(".data-00000-of-00001"));
        QVERIFY(data.open(QIODevice::ReadWrite));
        data.seek(20);
        data.write("\x7f", 1);
        data.close();
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY(r.ok());
        const auto &cp = *r->checkpoints.front();
        auto state = cp.streamTensor(0, [](const std::uint8_t *, std::size_t) { return true; });
        QVERIFY(state.ok());
        QCOMPARE(state.value(), ChecksumState::Mismatch);
    }

    void uncoveredPartStaysZero()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("p"));
        test::BundleWriter w(prefix);
        w.addPartitioned("part", kDtFloat, {4, 2}, {{{0, 0}, {2, -1}, floats({0, 1, 2, 3})}});
        QVERIFY(w.finish());
        // The one stored slice covers half of the tensor.
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY(r.ok());
        const auto &cp = *r->checkpoints.front();
        auto bytes = cp.readTensor(0);
        QVERIFY(bytes.ok());
        QCOMPARE(bytes.value(), floats({0, 1, 2, 3, 0, 0, 0, 0}));
    }
};

QTEST_GUILESS_MAIN(TstTfPartitioned)
#include "tst_tfpartitioned.moc"
