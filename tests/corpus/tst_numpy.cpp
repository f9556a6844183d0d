#include "formats/readerregistry.h"
#include "io/npyheader.h"
#include "testutil.h"
#include "torchtestfiles.h"

#include <QTemporaryDir>
#include <QtEndian>

using namespace wl;
using namespace wl::test;

namespace
{

// An .npy written byte by byte (formats-keras-pytorch.md section 6): magic, version, header
// length, the dict literal padded with spaces to a 64-byte data start, then the data.
QByteArray npy(const QByteArray &descr, bool fortran, const QByteArray &shape,
               const QByteArray &data, int major = 1)
{
    QByteArray header = "{'descr': '" + descr +
                        "', 'fortran_order': " + (fortran ? "True" : "False") +
                        ", 'shape': " + shape + ", }";
    const int prefix = major == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64)
        header += ' ';
    header += '\n';
    QByteArray out("\x93NUMPY", 6);
    out += char(major);
    out += char(0);
    char len[4];
    qToLittleEndian<quint32>(quint32(header.size()), len);
    out += QByteArray(len, major == 1 ? 2 : 4);
    return out + header + data;
}

// 3x4 values whose element (i, j) is 10*i + j - 7.
float value(int i, int j)
{
    return float(10 * i + j) - 7.f;
}

QByteArray cOrder(bool bigEndian = false)
{
    QByteArray out;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) {
            char b[4];
            if (bigEndian)
                qToBigEndian<float>(value(i, j), b);
            else
                qToLittleEndian<float>(value(i, j), b);
            out += QByteArray(b, 4);
        }
    return out;
}

QByteArray fortranOrder()
{
    QByteArray out;
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 3; ++i) {
            char b[4];
            qToLittleEndian<float>(value(i, j), b);
            out += QByteArray(b, 4);
        }
    return out;
}

} // namespace

class TstNumpy : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    void checkValues(const Checkpoint &cp, int i)
    {
        const auto &t = cp.index().tensors[i];
        QCOMPARE(t.dtype, DType::Float32);
        QCOMPARE(t.shape.dims, (std::vector<std::int64_t>{3, 4}));
        auto bytes = cp.readTensor(i);
        QVERIFY2(bytes.ok(), qPrintable(bytes.ok() ? QString() : bytes.error().message()));
        QCOMPARE(*bytes, cOrder());
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void singleArrays()
    {
        struct Case {
            const char *file;
            QByteArray bytes;
            QString descr;
            bool fortran;
            int major;
        };
        const QList<Case> cases{
            {"le.npy", npy("<f4", false, "(3, 4)", cOrder()), "<f4", false, 1},
            {"be.npy", npy(">f4", false, "(3, 4)", cOrder(true)), ">f4", false, 1},
            {"fortran.npy", npy("<f4", true, "(3, 4)", fortranOrder()), "<f4", true, 1},
            {"v2.npy", npy("<f4", false, "(3, 4)", cOrder(), 2), "<f4", false, 2},
        };
        for (const auto &c : cases) {
            const QString path = m_dir.filePath(c.file);
            QVERIFY(writeFile(path, c.bytes));
            auto h = parseNpyHeader(c.bytes, path, {});
            QVERIFY(h.ok());
            QCOMPARE(h->descr, c.descr);
            QCOMPARE(h->fortranOrder, c.fortran);
            QCOMPARE(h->major, c.major);
            QCOMPARE(h->dataOffset % 64, 0);
            QCOMPARE(h->dataOffset, c.bytes.size() - 48);
            auto cp = openOne(path);
            QVERIFY(cp);
            QCOMPARE(cp->index().readerId, QStringLiteral("numpy"));
            checkValues(*cp, 0);
        }
    }

    // One stored and one deflated member; an object array listed, never read.
    void npzArchive()
    {
        const QString path = m_dir.filePath("w.npz");
        QVERIFY(
            writeZipMembers(path,
                            {{"stored.npy", npy("<f4", false, "(3, 4)", cOrder())},
                             {"deflated.npy", npy("<f4", true, "(3, 4)", fortranOrder())},
                             {"obj.npy", npy("|O", false, "(2,)", QByteArray("\x80\x02N.", 4))}},
                            {false, true, false}));
        auto cp = openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        QCOMPARE(idx.tensors.size(), 3);
        QCOMPARE(idx.tensors[0].key, QStringLiteral("stored"));
        QCOMPARE(idx.tensors[0].location.storage, TensorLocation::Storage::Raw);
        QCOMPARE(idx.tensors[1].key, QStringLiteral("deflated"));
        checkValues(*cp, 0);
        checkValues(*cp, 1);
        QCOMPARE(idx.tensors[2].location.storage, TensorLocation::Storage::None);
        QVERIFY(!cp->readTensor(2).ok());
        const auto arrays = idx.summary.value("arrays").toArray();
        QCOMPARE(arrays[1].toObject().value("method").toString(), QStringLiteral("deflated"));
        QCOMPARE(idx.problems.size(), 1);
        QVERIFY(idx.problems[0].text.contains(QLatin1String("object array")));
    }

    // An .npz with bytes changed at random (deflate stream, headers, the literal).
    void mutatedArchives()
    {
        const QString clean = m_dir.filePath("clean.npz");
        QVERIFY(writeZipMembers(clean,
                                {{"a.npy", npy("<f4", false, "(3, 4)", cOrder())},
                                 {"b.npy", npy("<f4", true, "(3, 4)", fortranOrder())}},
                                {false, true}));
        const QByteArray bytes = readFile(clean);
        QVERIFY(openMutated(bytes, m_dir.filePath("mutated.npz"), 5, 500) >= 0);
    }

    // Cut headers and data, a header that is not a literal, a data block too short.
    void badInput()
    {
        const QByteArray good = npy("<f4", false, "(3, 4)", cOrder());
        const QString path = m_dir.filePath("bad.npy");
        for (qsizetype n : {qsizetype(5), qsizetype(9), qsizetype(30)}) {
            QVERIFY(writeFile(path, good.left(n)));
            QString error;
            QVERIFY(!openOne(path, &error));
            QVERIFY2(error.contains(QLatin1String("bad.npy")), qPrintable(error));
        }
        QVERIFY(writeFile(path, good.left(good.size() - 4)));
        auto cp = openOne(path);
        QVERIFY(cp);
        QCOMPARE(cp->index().tensors[0].location.storage, TensorLocation::Storage::None);
        QVERIFY(!cp->index().problems.isEmpty());
        QByteArray evil = good;
        evil.replace("'shape': (3, 4)", "'shape': __import__('os')");
        QVERIFY(writeFile(path, evil));
        QString error;
        QVERIFY(!openOne(path, &error));
        QVERIFY2(error.contains(QLatin1String("offset 10")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TstNumpy)
#include "tst_numpy.moc"
