// Damaged and odd TensorFlow checkpoints: each gives a clear LoadError naming the file, or a
// per-tensor warning, and never a crash or a hang.

#include "bundlewriter.h"
#include "formats/readerregistry.h"
#include "formats/tfbundle.h"
#include "stats/statsengine.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

using namespace wl;

namespace
{

const QString kA2c = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/ckpt-9");
const QString kHalf = QStringLiteral("savedmodel/tfs-half-plus-two-tf2/variables/variables");

// A DT_VARIANT tensor's stored bytes and entry CRC, computed outside this project with a bitwise
// CRC-32C, for the elements {0a 08 "Iterator"}, {} and {0a 03 "abc" 12 02 01 02}.
const QByteArray kVariantStored =
    QByteArray::fromHex("0a0a084974657261746f7206558d8500647acff1090a036162631202010267b3789c");
constexpr std::uint32_t kVariantCrc = 0xadc5d33cu;

// Copies a corpus bundle into dir under `name`, with its index replaced by `index` when given.
QString copyBundle(const QTemporaryDir &dir, const QString &corpusPrefix, const QString &name,
                   const QByteArray *index = nullptr, bool withData = true)
{
    const QString src = test::corpus(corpusPrefix);
    const QString dst = dir.filePath(name);
    test::writeFile(dst + QStringLiteral(".index"),
                    index ? *index : test::readFile(src + QStringLiteral(".index")));
    if (withData)
        test::writeFile(dst + QStringLiteral(".data-00000-of-00001"),
                        test::readFile(src + QStringLiteral(".data-00000-of-00001")));
    return dst;
}

QString errorOf(const Result<OpenResult> &r)
{
    return r.ok() ? QString() : r.error().message();
}

} // namespace

class TstTfBadInput : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void truncatedIndex_data()
    {
        QTest::addColumn<QString>("bundle");
        QTest::addColumn<int>("keep"); // bytes kept; negative = from the end
        QTest::addColumn<QString>("expect");
        for (const QString &b : {kA2c, kHalf}) {
            const QString tag = b == kA2c ? QStringLiteral("a2c") : QStringLiteral("snappy");
            const qint64 size = QFileInfo(test::corpus(b + QStringLiteral(".index"))).size();
            auto row = [&](const char *what, int keep, const QString &expect) {
                QTest::addRow("%s %s", qPrintable(tag), what) << b << keep << expect;
            };
            row("0", 0, QStringLiteral("empty"));
            row("1", 1, QStringLiteral("48-byte"));
            row("47", 47, QStringLiteral("48-byte"));
            row("48", 48, QStringLiteral("magic"));
            row("half", int(size / 2), QStringLiteral("magic"));
            row("size-1", int(size - 1), QStringLiteral("magic"));
            row("size-8", int(size - 8), QStringLiteral("magic"));
        }
    }
    void truncatedIndex()
    {
        QFETCH(QString, bundle);
        QFETCH(int, keep);
        QFETCH(QString, expect);
        QTemporaryDir dir;
        const QByteArray index = test::readFile(test::corpus(bundle + QStringLiteral(".index")));
        QVERIFY(!index.isEmpty());
        const QByteArray cut = index.left(keep);
        const QString prefix = copyBundle(dir, bundle, QStringLiteral("ckpt-1"), &cut);
        for (const QString &path : {prefix, prefix + QStringLiteral(".index"), dir.path()}) {
            auto r = ReaderRegistry::builtin().open(path);
            QVERIFY2(!r.ok() || !r->checkpoints.empty(), qPrintable(path));
            if (path == dir.path() && r.ok())
                QFAIL("a folder with only a damaged checkpoint opened");
            QVERIFY2(!r.ok(), qPrintable(path));
            const QString msg = errorOf(r);
            QVERIFY2(msg.contains(QStringLiteral("ckpt-1.index")), qPrintable(msg));
            QVERIFY2(msg.contains(expect), qPrintable(msg));
        }
    }

    void flippedIndexBytes_data()
    {
        QTest::addColumn<QString>("bundle");
        QTest::addColumn<int>("offset"); // negative = from the end
        QTest::addColumn<bool>("mustFail");
        for (const QString &b : {kA2c, kHalf}) {
            const QString tag = b == kA2c ? QStringLiteral("a2c") : QStringLiteral("snappy");
            // Every byte of a block is under its CRC; the footer's handles are not.
            for (int off : {0, 1, 5, 20, 60, 100})
                QTest::addRow("%s block %d", qPrintable(tag), off) << b << off << true;
            for (int off : {-48, -47, -46, -45, -30, -9, -8, -1})
                QTest::addRow("%s footer %d", qPrintable(tag), off) << b << off << (off >= -8);
        }
    }
    void flippedIndexBytes()
    {
        QFETCH(QString, bundle);
        QFETCH(int, offset);
        QFETCH(bool, mustFail);
        QTemporaryDir dir;
        QByteArray index = test::readFile(test::corpus(bundle + QStringLiteral(".index")));
        const int at = offset < 0 ? int(index.size()) + offset : offset;
        for (char mask : {'\x01', '\x80', '\xff'}) {
            QByteArray bad = index;
            bad[at] = char(bad[at] ^ mask);
            const QString prefix = copyBundle(dir, bundle, QStringLiteral("x"), &bad);
            auto r = ReaderRegistry::builtin().open(prefix);
            if (mustFail)
                QVERIFY2(!r.ok(), qPrintable(QStringLiteral("opened with byte %1 ^ %2")
                                                 .arg(at)
                                                 .arg(int(std::uint8_t(mask)))));
            if (!r.ok()) {
                QVERIFY2(errorOf(r).contains(QStringLiteral("x.index")), qPrintable(errorOf(r)));
                continue;
            }
            // Opened (a harmless footer byte): every tensor still reads or fails cleanly.
            for (const auto &cp : r->checkpoints)
                (void)computeStats(*cp, allTensors(cp->index()), StatsRequest{});
        }
    }

    void damagedLegacyV1()
    {
        const QByteArray v1 = test::readFile(test::corpus(
            QStringLiteral("tf1-checkpoint/tfserving-session-bundle-v1/export-00000-of-00001")));
        QVERIFY(!v1.isEmpty());
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("export-00000-of-00001"));
        for (int keep : {48, int(v1.size() / 2), int(v1.size() - 1)}) {
            QVERIFY(test::writeFile(path, v1.left(keep)));
            auto r = ReaderRegistry::builtin().open(path);
            QVERIFY(!r.ok());
            QVERIFY2(errorOf(r).contains(QStringLiteral("export-00000-of-00001")),
                     qPrintable(errorOf(r)));
        }
        for (int at = 0; at < v1.size(); ++at) {
            QByteArray bad = v1;
            bad[at] = char(bad[at] ^ 0x5a);
            QVERIFY(test::writeFile(path, bad));
            auto r = ReaderRegistry::builtin().open(path);
            if (!r.ok())
                continue; // unrecognised or a clear error; either is fine
            for (const auto &cp : r->checkpoints)
                for (const auto &rep : computeStats(*cp, allTensors(cp->index()), StatsRequest{}))
                    QVERIFY(rep.error.isEmpty() || rep.error.contains(QStringLiteral("export")));
        }
    }

    void emptyAndForeignFiles()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeFile(dir.filePath(QStringLiteral("e.index")), {}));
        auto r = ReaderRegistry::builtin().open(dir.filePath(QStringLiteral("e.index")));
        QVERIFY(!r.ok());
        QVERIFY2(errorOf(r).contains(QStringLiteral("e.index")), qPrintable(errorOf(r)));
        QCOMPARE(r.error().code, LoadError::Code::Empty);

        QVERIFY(test::writeFile(
            dir.filePath(QStringLiteral("x.index")),
            QByteArray("this is a text file, not a checkpoint index\n").repeated(3)));
        r = ReaderRegistry::builtin().open(dir.filePath(QStringLiteral("x.index")));
        QVERIFY(!r.ok());
        QVERIFY2(errorOf(r).contains(QStringLiteral("x.index")), qPrintable(errorOf(r)));
        QVERIFY2(errorOf(r).contains(QStringLiteral("magic")), qPrintable(errorOf(r)));
        // Opening the prefix gives the same clear error.
        r = ReaderRegistry::builtin().open(dir.filePath(QStringLiteral("x")));
        QVERIFY(!r.ok());
        QVERIFY2(errorOf(r).contains(QStringLiteral("x.index")), qPrintable(errorOf(r)));
    }

    void emptyFolder()
    {
        QTemporaryDir dir;
        auto r = ReaderRegistry::builtin().open(dir.path());
        QVERIFY(!r.ok());
        QVERIFY2(errorOf(r).contains(dir.path()), qPrintable(errorOf(r)));
    }

    void missingDataShard()
    {
        QTemporaryDir dir;
        const QString prefix = copyBundle(dir, kA2c, QStringLiteral("ckpt-9"), nullptr, false);
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const auto &cp = *r->checkpoints.front();
        QCOMPARE(cp.index().tensors.size(), 67);
        bool named = false;
        for (const auto &p : cp.index().problems)
            named = named || p.file.endsWith(QStringLiteral("ckpt-9.data-00000-of-00001"));
        QVERIFY(named);
        const int k = cp.index().indexOfKey(
            QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
        QVERIFY(k >= 0);
        const auto reports = computeStats(cp, {k}, StatsRequest{});
        QVERIFY(reports[0].error.contains(QStringLiteral("ckpt-9.data-00000-of-00001")));
        auto bytes = cp.readTensor(k);
        QVERIFY(!bytes.ok());
        QVERIFY(bytes.error().message().contains(QStringLiteral("data-00000-of-00001")));
    }

    void truncatedDataShard()
    {
        QTemporaryDir dir;
        const QString prefix = copyBundle(dir, kA2c, QStringLiteral("ckpt-9"));
        const QString data = prefix + QStringLiteral(".data-00000-of-00001");
        QVERIFY(test::writeFile(data, test::readFile(data).left(100)));
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY(r.ok());
        const auto &cp = *r->checkpoints.front();
        QVERIFY(!cp.index().problems.isEmpty());
        const auto reports = computeStats(cp, allTensors(cp.index()), StatsRequest{});
        int failed = 0;
        for (const auto &rep : reports)
            failed += rep.error.isEmpty() ? 0 : 1;
        QVERIFY(failed > 0 && failed < reports.size());
    }

    void corruptDataByteIsMismatch()
    {
        QTemporaryDir dir;
        const QString prefix = copyBundle(dir, kHalf, QStringLiteral("variables"));
        const QString data = prefix + QStringLiteral(".data-00000-of-00001");
        QByteArray bytes = test::readFile(data);
        bytes[5] = char(bytes[5] ^ 0x10);     // inside b (offset 4, size 4)
        bytes[200] = char(bytes[200] ^ 0x01); // inside the object-graph string
        QVERIFY(test::writeFile(data, bytes));
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const auto &cp = *r->checkpoints.front();
        const auto reports = computeStats(cp, allTensors(cp.index()), StatsRequest{});
        QHash<QString, ChecksumState> state;
        for (const auto &rep : reports) {
            QVERIFY(rep.error.isEmpty());
            state[cp.tensor(rep.tensor).key] = rep.checksum;
        }
        QCOMPARE(state[QStringLiteral("a/.ATTRIBUTES/VARIABLE_VALUE")], ChecksumState::Ok);
        QCOMPARE(state[QStringLiteral("b/.ATTRIBUTES/VARIABLE_VALUE")], ChecksumState::Mismatch);
        QCOMPARE(state[QStringLiteral("c/.ATTRIBUTES/VARIABLE_VALUE")], ChecksumState::Ok);
        QCOMPARE(state[QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH")], ChecksumState::Mismatch);
    }

    // An object graph that does not parse leaves the variables under their keys, with a
    // warning that names the data file once and the graph as the place.
    void damagedObjectGraphIsWarning()
    {
        QTemporaryDir dir;
        const QString prefix = copyBundle(dir, kHalf, QStringLiteral("variables"));
        const QString data = prefix + QStringLiteral(".data-00000-of-00001");
        TensorLocation graph;
        {
            auto r = ReaderRegistry::builtin().open(prefix);
            QVERIFY(r.ok());
            const auto &index = r->checkpoints.front()->index();
            const int og = index.indexOfKey(QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH"));
            QVERIFY(og >= 0);
            graph = index.tensors[og].location;
        }
        // Past the string's varint length and CRC, the serialized graph turns into 0xFF.
        QByteArray bytes = test::readFile(data);
        QVERIFY(graph.offset + graph.size <= bytes.size() && graph.size > 16);
        for (qint64 i = graph.offset + 8; i < graph.offset + graph.size; ++i)
            bytes[i] = char(0xFF);
        QVERIFY(test::writeFile(data, bytes));
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const auto &cp = *r->checkpoints.front();
        bool warned = false;
        for (const Problem &p : cp.index().problems) {
            QVERIFY2(!p.text.contains(dir.path()), qPrintable(p.toString()));
            warned = warned || (p.file == data && p.where == "_CHECKPOINTABLE_OBJECT_GRAPH" &&
                                p.text.startsWith("corrupt: expected a serialized"));
        }
        QVERIFY(warned);
        QVERIFY(cp.index().indexOfKey(QStringLiteral("a/.ATTRIBUTES/VARIABLE_VALUE")) >= 0);
    }

    void headerMustComeFirst()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("nohead"));
        test::BundleWriter w(prefix);
        w.setWriteHeader(false);
        w.add("w", 1, {1}, QByteArray(4, '\0'));
        QVERIFY(w.finish());
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY(!r.ok());
        QVERIFY2(errorOf(r).contains(QStringLiteral("nohead.index")), qPrintable(errorOf(r)));
        QVERIFY2(errorOf(r).contains(QStringLiteral("header key")), qPrintable(errorOf(r)));
    }

    void unparsableEntry()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("badentry"));
        test::BundleWriter w(prefix);
        w.add("good", 1, {1}, QByteArray(4, '\0'));
        w.addRaw("broken", QByteArray::fromHex("0aff")); // a length past the end
        QVERIFY(w.finish());
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY(!r.ok());
        QVERIFY2(errorOf(r).contains(QStringLiteral("badentry.index")), qPrintable(errorOf(r)));
        QVERIFY2(errorOf(r).contains(QStringLiteral("\"broken\"")), qPrintable(errorOf(r)));
        QVERIFY2(errorOf(r).contains(QStringLiteral("BundleEntryProto")), qPrintable(errorOf(r)));
    }

    void wrongSizeAndUnknownDtype()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("odd"));
        test::BundleWriter w(prefix);
        w.add("short", 1, {3}, QByteArray(8, '\0')); // 3 floats need 12 bytes
        w.add("future", 99, {2}, QByteArray(6, '\1'));
        QVERIFY(w.finish());
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const auto &idx = r->checkpoints.front()->index();
        QCOMPARE(idx.tensors.size(), 2);
        const auto &future = idx.tensors[idx.indexOfKey(QStringLiteral("future"))];
        QCOMPARE(future.dtypeText(), QStringLiteral("unknown dtype 99"));
        bool sizeProblem = false;
        for (const auto &p : idx.problems)
            sizeProblem = sizeProblem || (p.where.contains(QStringLiteral("short")) &&
                                          p.text.contains(QStringLiteral("12")));
        QVERIFY(sizeProblem);
    }

    void bigEndianBundle()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("be"));
        test::BundleWriter w(prefix, 1, true);
        const float values[] = {1.5f, -2.0f, 3.25f};
        QByteArray le(reinterpret_cast<const char *>(values), 12), be;
        for (float v : values) {
            quint32 bits;
            std::memcpy(&bits, &v, 4);
            const quint32 big = qToBigEndian(bits);
            be.append(reinterpret_cast<const char *>(&big), 4);
        }
        w.add("w", 1, {3}, be);
        const qint16 shorts[] = {-2, 300};
        QByteArray beShort;
        for (qint16 s : shorts) {
            const qint16 big = qToBigEndian(s);
            beShort.append(reinterpret_cast<const char *>(&big), 2);
        }
        w.add("s", 5, {2}, beShort);
        QVERIFY(w.finish());
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const auto &cp = *r->checkpoints.front();
        const int wi = cp.index().indexOfKey(QStringLiteral("w"));
        QVERIFY(cp.tensor(wi).location.bigEndian);
        auto bytes = cp.readTensor(wi);
        QVERIFY(bytes.ok());
        QCOMPARE(bytes.value(), le);
        StatsRequest req;
        req.hash = true;
        const auto reports =
            computeStats(cp, {wi, cp.index().indexOfKey(QStringLiteral("s"))}, req);
        QCOMPARE(reports[0].checksum, ChecksumState::Ok); // CRC over the stored bytes
        QCOMPARE(*reports[0].stats.min, -2.0);
        QCOMPARE(*reports[0].stats.max, 3.25);
        QCOMPARE(reports[0].sha256, QCryptographicHash::hash(le, QCryptographicHash::Sha256));
        QCOMPARE(*reports[1].stats.min, -2.0);
        QCOMPARE(*reports[1].stats.max, 300.0);
    }

    // DT_VARIANT elements carry their own running checksums (formats-tensorflow.md 1.4):
    // kVariantStored as written, then damaged.
    void variantChecksums_data()
    {
        QTest::addColumn<int>("flip");        // byte to change, -1 for none
        QTest::addColumn<QByteArray>("tail"); // appended after the stored bytes
        QTest::addColumn<qint64>("elements");
        QTest::addColumn<int>("expected");
        const auto ok = int(ChecksumState::Ok), bad = int(ChecksumState::Mismatch);
        QTest::newRow("as written") << -1 << QByteArray() << qint64(3) << ok;
        QTest::newRow("element byte") << 5 << QByteArray() << qint64(3) << bad;
        QTest::newRow("stored checksum") << 13 << QByteArray() << qint64(3) << bad;
        QTest::newRow("length") << 0 << QByteArray() << qint64(3) << bad;
        QTest::newRow("byte after the last") << -1 << QByteArray(1, '\0') << qint64(3) << bad;
        QTest::newRow("fewer than the shape") << -1 << QByteArray() << qint64(4) << bad;
        QTest::newRow("more than the shape") << -1 << QByteArray() << qint64(2) << bad;
    }
    void variantChecksums()
    {
        QFETCH(int, flip);
        QFETCH(QByteArray, tail);
        QFETCH(qint64, elements);
        QFETCH(int, expected);
        QByteArray stored = kVariantStored;
        QCOMPARE(stored.size(), 34);
        if (flip >= 0)
            stored[flip] = char(stored[flip] ^ 0x01);
        stored += tail;
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("variant"));
        test::BundleWriter w(prefix);
        constexpr int kDtVariant = 21;
        w.add("iterator/.ATTRIBUTES/ITERATOR_STATE", kDtVariant, {elements}, stored, 0,
              kVariantCrc);
        QVERIFY(w.finish());
        auto r = ReaderRegistry::builtin().open(prefix);
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const auto &cp = *r->checkpoints.front();
        const auto &t = cp.tensor(0);
        QCOMPARE(t.dtypeText(), QStringLiteral("variant"));
        StatsRequest req;
        req.hash = true;
        const auto reports = computeStats(cp, {0}, req);
        QCOMPARE(int(reports[0].checksum), expected);
        QVERIFY(reports[0].error.isEmpty());
        QVERIFY(!reports[0].reduced);
        QCOMPARE(reports[0].stats.count, elements);
        QCOMPARE(reports[0].sha256, QCryptographicHash::hash(stored, QCryptographicHash::Sha256));
        if (flip < 0 && tail.isEmpty())
            QCOMPARE(
                reports[0].sha256.toHex(),
                QByteArray("4945503e3e3c7d8e5cd01a43d59ea795c1043cbebc9636fc01a2cf91c0b76388"));
    }

    // The same for a string: the corpus object graph of the spec's worked example (offset 12,
    // size 619: varint 613, the stored length CRC b1 a6 5e 36, then the graph).
    void stringCheckerAcrossPieces()
    {
        auto r = ReaderRegistry::builtin().open(test::corpus(kHalf));
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const auto &cp = *r->checkpoints.front();
        const auto &t =
            cp.tensor(cp.index().indexOfKey(QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH")));
        QCOMPARE(t.location.offset, 12);
        QCOMPARE(t.location.size, 619);
        QVERIFY(t.location.maskedCrc32c);
        const QByteArray stored = test::readFile(t.location.file).mid(12, 619);
        QCOMPARE(stored.mid(2, 4), QByteArray::fromHex("b1a65e36"));
        const auto *p = reinterpret_cast<const std::uint8_t *>(stored.constData());
        for (qsizetype cut = 0; cut <= stored.size(); cut += 7) {
            tfbundle::StringChecker c(1);
            c.add(p, std::size_t(cut));
            c.add(p + cut, std::size_t(stored.size() - cut));
            QVERIFY2(c.matches(*t.location.maskedCrc32c), qPrintable(QString::number(cut)));
        }
        for (qsizetype at : {0, 3, 300, 618}) { // length, stored length CRC, graph bytes
            QByteArray bad = stored;
            bad[at] = char(bad[at] ^ 0x01);
            tfbundle::StringChecker c(1);
            c.add(reinterpret_cast<const std::uint8_t *>(bad.constData()), std::size_t(bad.size()));
            QVERIFY2(!c.matches(*t.location.maskedCrc32c), qPrintable(QString::number(at)));
        }
        tfbundle::StringChecker two(2); // the shape promising more strings than stored
        two.add(p, std::size_t(stored.size()));
        QVERIFY(!two.matches(*t.location.maskedCrc32c));
    }

    // The checker sees the stored bytes in whatever pieces the mapping windows make.
    void variantCheckerAcrossPieces()
    {
        const QByteArray stored = kVariantStored;
        const auto *p = reinterpret_cast<const std::uint8_t *>(stored.constData());
        for (qsizetype cut = 0; cut <= stored.size(); ++cut) {
            tfbundle::VariantChecker c(3);
            c.add(p, std::size_t(cut));
            c.add(p + cut, std::size_t(stored.size() - cut));
            QVERIFY2(c.matches(kVariantCrc), qPrintable(QString::number(cut)));
        }
        tfbundle::VariantChecker bytewise(3);
        for (qsizetype i = 0; i < stored.size(); ++i)
            bytewise.add(p + i, 1);
        QVERIFY(bytewise.matches(kVariantCrc));
        QVERIFY(!bytewise.matches(kVariantCrc ^ 1));

        const QByteArray runaway(11, char(0xff)); // a varint longer than 64 bits
        tfbundle::VariantChecker bad(1);
        bad.add(reinterpret_cast<const std::uint8_t *>(runaway.constData()), 11);
        QVERIFY(!bad.matches(0));
    }
};

QTEST_GUILESS_MAIN(TstTfBadInput)
#include "tst_tfbadinput.moc"
