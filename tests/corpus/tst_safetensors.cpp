#include "formats/readerregistry.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <cstring>

using namespace wl;
using namespace wl::test;

namespace
{

const char *kItem = "pytorch/tiny-safetensors";

QString tinyPath()
{
    return corpus(QStringLiteral("%1/model.safetensors").arg(kItem));
}

QJsonObject groundTruth()
{
    const auto doc =
        QJsonDocument::fromJson(readFile(corpus(QString(kItem) + "/GROUND_TRUTH.json")));
    return doc.object()["files"].toObject()["model.safetensors"].toObject();
}

// The corpus file with `from` replaced by `to` (same length) in its header.
QByteArray edited(const QByteArray &from, const QByteArray &to)
{
    QByteArray bytes = readFile(tinyPath());
    const qsizetype at = bytes.indexOf(from);
    if (at < 0 || from.size() != to.size())
        return {};
    bytes.replace(at, from.size(), to);
    return bytes;
}

double sumOf(const Checkpoint &c, int i)
{
    auto bytes = c.readTensor(i);
    if (!bytes.ok())
        return NAN;
    double sum = 0;
    for (qsizetype k = 0; k + 4 <= bytes->size(); k += 4) {
        float f;
        std::memcpy(&f, bytes->constData() + k, 4);
        sum += f;
    }
    return sum;
}

QStringList problemTexts(const OpenResult &r)
{
    QStringList out;
    for (const auto &p : r.checkpoints.front()->index().problems)
        out << p.where + QLatin1String(": ") + p.text;
    return out;
}

} // namespace

class TstSafetensors : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    Result<OpenResult> openBytes(const QString &name, const QByteArray &bytes)
    {
        const QString path = m_dir.filePath(name);
        if (bytes.isEmpty() || !writeFile(path, bytes))
            return makeError(LoadError::Code::WriteFailed, path, {}, {});
        return ReaderRegistry::builtin().open(path);
    }

private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    // Every tensor's dtype, shape, offsets and sum, and the metadata, as the ground truth has.
    void corpusFile()
    {
        const QByteArray before = readFile(tinyPath());
        auto r = ReaderRegistry::builtin().open(tinyPath());
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        QCOMPARE(r->readerId, QStringLiteral("safetensors"));
        const Checkpoint &c = *r->checkpoints.front();
        QVERIFY2(c.index().problems.isEmpty(), qPrintable(problemTexts(*r).join('\n')));
        const QJsonObject gt = groundTruth();
        const QJsonObject tensors = gt["tensors"].toObject();
        QCOMPARE(c.index().tensors.size(), tensors.size());
        const qint64 dataStart = 8 + gt["header_len"].toInteger();
        std::int64_t lastOffset = -1;
        for (int i = 0; i < c.index().tensors.size(); ++i) {
            const auto &t = c.index().tensors[i];
            QVERIFY2(tensors.contains(t.key), qPrintable(t.key));
            const QJsonObject want = tensors[t.key].toObject();
            QCOMPARE(dtypeName(t.dtype), QStringLiteral("float32"));
            QCOMPARE(want["dtype"].toString(), QStringLiteral("F32"));
            std::vector<std::int64_t> dims;
            for (const auto &d : want["shape"].toArray())
                dims.push_back(d.toInteger());
            QCOMPARE(t.shape.dims, dims);
            const QJsonArray offsets = want["data_offsets"].toArray();
            QCOMPARE(t.location.offset, dataStart + offsets[0].toInteger());
            QCOMPARE(t.location.size, offsets[1].toInteger() - offsets[0].toInteger());
            QVERIFY(t.location.offset > lastOffset); // shown in file order
            lastOffset = t.location.offset;
            QVERIFY(qAbs(sumOf(c, i) - want["sum"].toDouble()) < 1e-12);
        }
        const QJsonObject meta = gt["metadata"].toObject();
        QCOMPARE(c.index().metadata.size(), meta.size());
        for (const auto &[key, value] : c.index().metadata)
            QCOMPARE(value, meta[key].toString());
        QCOMPARE(readFile(tinyPath()), before);
    }

    // Offsets that leave a gap are named with the tensor and both offsets; the other tensors
    // still read.
    void gapIsNamed()
    {
        auto r = openBytes("gap.safetensors", edited("[80,880]", "[84,884]"));
        QVERIFY(r.ok());
        const QStringList problems = problemTexts(*r);
        QVERIFY2(problems.contains(
                     "tensor 'fc1.weight': offsets [84,884] not contiguous (expected start 80)"),
                 qPrintable(problems.join('\n')));
        QVERIFY2(problems.contains(
                     "tensor 'fc2.bias': offsets [880,920] not contiguous (expected start 884)"),
                 qPrintable(problems.join('\n')));
        const Checkpoint &c = *r->checkpoints.front();
        const int bias = c.index().indexOfKey("fc1.bias");
        QVERIFY(qAbs(sumOf(c, bias) -
                     groundTruth()["tensors"].toObject()["fc1.bias"].toObject()["sum"].toDouble()) <
                1e-12);
    }

    void damagedFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("message");
        const QByteArray good = readFile(tinyPath());
        QByteArray huge = good;
        const std::uint64_t n = std::uint64_t(1) << 40;
        std::memcpy(huge.data(), &n, 8);
        QTest::newRow("header length too large")
            << huge << "offset 0: expected a header length of at most 100,000,000 bytes";
        QTest::newRow("cut inside the header")
            << good.left(200)
            << "expected a header of 320 bytes after the length, found 200 bytes in the file";
        QByteArray notJson = good;
        notJson[8] = 'x';
        QTest::newRow("not JSON") << notJson << "expected a JSON object";
        QTest::newRow("duplicate name")
            << edited("\"fc2.bias\"", "\"fc1.bias\"") << "tensor 'fc1.bias'";
        QByteArray badUtf8 = good;
        badUtf8[8 + 20] = char(0xFF); // inside "version"
        QTest::newRow("invalid UTF-8") << badUtf8 << "invalid UTF-8";
    }

    // A header that cannot be trusted is refused with the file and the place named.
    void damagedFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, message);
        QVERIFY(!bytes.isEmpty());
        const QString path = m_dir.filePath("damaged.safetensors");
        QVERIFY(writeFile(path, bytes));
        auto r = ReaderRegistry::builtin().open(path);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message().contains(message), qPrintable(r.error().message()));
        QVERIFY2(r.error().message().contains(path), qPrintable(r.error().message()));
    }

    // A tensor whose bytes do not match its shape, or whose dtype is unknown, is listed with a
    // problem and not read; the rest of the file is.
    void badTensorsAreNotRead()
    {
        auto r = openBytes("size.safetensors", edited("\"shape\":[20],", "\"shape\":[21],"));
        QVERIFY(r.ok());
        QVERIFY2(problemTexts(*r).contains(
                     "tensor 'fc1.bias': holds 80 bytes; 21 elements of F32 need 84 bytes"),
                 qPrintable(problemTexts(*r).join('\n')));
        const Checkpoint &c = *r->checkpoints.front();
        QVERIFY(!c.readTensor(c.index().indexOfKey("fc1.bias")).ok());
        QVERIFY(c.readTensor(c.index().indexOfKey("fc1.weight")).ok());

        auto u = openBytes("dtype.safetensors", edited("{\"dtype\":\"F32\",\"shape\":[10],",
                                                       "{\"dtype\":\"F6X\",\"shape\":[10],"));
        QVERIFY(u.ok());
        QVERIFY2(problemTexts(*u).contains(
                     "tensor 'fc2.bias': unknown dtype \"F6X\"; its values are not read"),
                 qPrintable(problemTexts(*u).join('\n')));
    }

    // A folder holding a safetensors file lists it like any checkpoint.
    void folderScan()
    {
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkpath("run/weights"));
        QVERIFY(QFile::copy(tinyPath(), dir.filePath("run/weights/model.safetensors")));
        auto r = ReaderRegistry::builtin().open(dir.filePath("run"));
        QVERIFY(r.ok());
        QCOMPARE(int(r->checkpoints.size()), 1);
        QCOMPARE(r->checkpoints.front()->index().tensors.size(), 4);
    }
};

QTEST_GUILESS_MAIN(TstSafetensors)
#include "tst_safetensors.moc"
