// HDF5 files are parsed in a sandboxed reader process (model/io/hdf5isolation.cpp and
// hdf5worker.cpp): corpus files read the same as in-process; a reader that crashes, hangs, runs
// out of memory or sends garbage is an error for that file, and no process is left behind.
#include "../corpus/kerastestfiles.h"
#include "formats/readerregistry.h"
#include "io/hdf5file.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace wl;

namespace
{

// Sets an environment variable for one scope; reader processes started after see it.
class EnvScope
{
public:
    EnvScope(const char *name, const QByteArray &value) : m_name(name), m_old(qgetenv(name))
    {
        m_had = qEnvironmentVariableIsSet(name);
        qputenv(name, value);
        h5::stopIdleWorkers(); // pooled workers were started with the old environment
    }
    ~EnvScope()
    {
        if (m_had)
            qputenv(m_name, m_old);
        else
            qunsetenv(m_name);
        h5::stopIdleWorkers();
    }

private:
    const char *m_name;
    QByteArray m_old;
    bool m_had = false;
};

// This process's children, from /proc: pid and state letter (Z for a zombie).
QList<QPair<int, QChar>> childProcesses()
{
    QList<QPair<int, QChar>> out;
    const QString self = QString::number(::getpid());
    QDirIterator it(QStringLiteral("/proc"), QDir::Dirs | QDir::NoDotAndDotDot);
    while (it.hasNext()) {
        it.next();
        bool num = false;
        const int pid = it.fileName().toInt(&num);
        if (!num)
            continue;
        const QByteArray stat = test::readFile(it.filePath() + QStringLiteral("/stat"));
        // "pid (comm) S ppid ...": comm may hold spaces, so parse after the last ')'.
        const auto fields = QString::fromLatin1(stat.mid(stat.lastIndexOf(')') + 2)).split(' ');
        if (fields.size() > 1 && fields[1] == self)
            out.append({pid, fields[0].at(0)});
    }
    return out;
}

struct Digest {
    QString key;
    QString dtype;
    QString shape;
    QByteArray sha256;
    bool operator==(const Digest &) const = default;
};

// Keys, dtypes, shapes and the sha256 of every tensor's bytes, as the registry opens `path`.
Result<QList<Digest>> digest(const QString &path)
{
    auto opened = ReaderRegistry::builtin().open(path);
    if (!opened)
        return opened.error();
    QList<Digest> out;
    for (const auto &cp : opened->checkpoints) {
        const auto &tensors = cp->index().tensors;
        for (int i = 0; i < tensors.size(); ++i) {
            QCryptographicHash h(QCryptographicHash::Sha256);
            auto st = cp->streamTensor(i, [&](const std::uint8_t *p, std::size_t n) {
                h.addData(QByteArrayView(reinterpret_cast<const char *>(p), qsizetype(n)));
                return true;
            });
            if (!st)
                return st.error();
            out << Digest{tensors[i].key, dtypeName(tensors[i].dtype), tensors[i].shape.toString(),
                          h.result().toHex()};
        }
    }
    return out;
}

QStringList corpusHdf5Files()
{
    QStringList out;
    QDirIterator it(test::corpusDir(), {QStringLiteral("*.h5"), QStringLiteral("*.keras")},
                    QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        out << it.next();
    out.sort();
    return out;
}

const QString kSmall = QStringLiteral("keras3/diabetes-weights-h5/model.weights.h5");

// A 40 x 50 int32 dataset /x in chunks of 7 x 9, through the N-bit (12 bits) or the
// scale-offset filter, then damaged the way published HDF5 1.10 CVEs describe. Each damage is
// found by the bytes around it, so the files do not depend on where the library put them.
QByteArray damagedFile(const QString &path, const QByteArray &damage)
{
    std::vector<int> values(40 * 50);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = int(i % 1000);
    const bool nbit = damage.startsWith("nbit") || damage == "chunk dims";
    hid_t f = kt::createFile(path);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[] = {7, 9};
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t type = H5Tcopy(H5T_STD_I32LE);
    if (nbit) {
        H5Tset_precision(type, 12);
        H5Pset_nbit(dcpl);
    } else {
        H5Pset_scaleoffset(dcpl, H5Z_SO_INT, H5Z_SO_INT_MINBITS_DEFAULT);
    }
    kt::dataset(f, QStringLiteral("x"), type, H5T_NATIVE_INT, {40, 50}, values.data(), dcpl);
    H5Tclose(type);
    H5Pclose(dcpl);
    H5Fclose(f);
    QByteArray bytes = test::readFile(path);
    auto at = [&](const QByteArray &needle) {
        const qsizetype i = bytes.indexOf(needle);
        return i >= 0 && bytes.indexOf(needle, i + 1) < 0 ? i : -1;
    };
    auto u32 = [](std::uint32_t v) { return QByteArray(reinterpret_cast<const char *>(&v), 4); };
    auto u64 = [](std::uint64_t v) { return QByteArray(reinterpret_cast<const char *>(&v), 8); };
    qsizetype i = -1;
    if (damage == "nbit parameters" || damage == "scale-offset parameters") {
        // The filter's third client value is the number of elements in a chunk (63), which the
        // N-bit and scale-offset decoders trust: raised to about 2^24, they write past the chunk.
        const QByteArray name =
            nbit ? QByteArray("nbit\0\0\0\0", 8) : QByteArray("scaleoffset\0\0\0\0\0", 16);
        i = at(name);
        if (i >= 0 && bytes.mid(i + name.size() + 8, 4) == u32(63))
            i += name.size() + 8 + 2;
        else
            i = -1;
    } else if (damage == "chunk dims") {
        // Layout message: chunk dimensions 7, 9 and the element size 4; the second made huge.
        i = at(u32(7) + u32(9) + u32(4));
        if (i >= 0)
            i += 5;
    } else if (damage == "dataspace rank") {
        // Dataspace message version 1, rank 2, maximum dimensions present, then 40 and 50.
        i = at(QByteArray("\x01\x02\x01\0\0\0\0\0", 8) + u64(40) + u64(50));
        if (i >= 0) {
            bytes[i + 1] = 0;
            return bytes;
        }
    }
    if (i < 0)
        return {};
    bytes[i] = char(0xff);
    return bytes;
}

} // namespace

class TestIsolation : public QObject
{
    Q_OBJECT

private slots:
    void init() { WL_REQUIRE_CORPUS(); }
    void cleanup()
    {
        h5::stopIdleWorkers();
        QCOMPARE(childProcesses().size(), 0);
    }

    void corpusReadsAsInProcess();
    void workerFaults_data();
    void workerFaults();
    void readFaultsNameTheDataset();
    void cliReportsAFailedReader();
    void damagedAttributeStaysInItsReader();
    void sandboxRefusesWritesAndSockets();
    void damagedFilesStopOnlyTheirReader_data();
    void damagedFilesStopOnlyTheirReader();
};

void TestIsolation::corpusReadsAsInProcess()
{
    const QStringList files = corpusHdf5Files();
    QVERIFY(files.size() >= 7);
    for (const auto &f : files) {
        Result<QList<Digest>> isolated = LoadError{};
        {
            EnvScope on("WEIGHTLENS_ISOLATION", "on");
            isolated = digest(f);
        }
        EnvScope off("WEIGHTLENS_ISOLATION", "off");
        auto inProcess = digest(f);
        if (!isolated || !inProcess)
            QFAIL(qPrintable((isolated ? inProcess : isolated).error().message()));
        QVERIFY2(!isolated->isEmpty(), qPrintable(f));
        QCOMPARE(*isolated, *inProcess);
    }
}

void TestIsolation::workerFaults_data()
{
    QTest::addColumn<QByteArray>("fault");
    QTest::addColumn<QString>("found");
    QTest::newRow("crash") << QByteArray("crash@walk")
                           << QStringLiteral("the reader stopped (SIGSEGV)");
    QTest::newRow("crash at open")
        << QByteArray("crash@open") << QStringLiteral("the reader stopped (SIGSEGV)");
    QTest::newRow("hang") << QByteArray("hang@walk")
                          << QStringLiteral("the reader took longer than 5 s");
    QTest::newRow("out of memory")
        << QByteArray("oom@walk") << QStringLiteral("the reader needed more than 2 GiB");
    QTest::newRow("garbage") << QByteArray("garbage@reply")
                             << QStringLiteral("a malformed reply from the reader");
}

void TestIsolation::workerFaults()
{
    QFETCH(QByteArray, fault);
    QFETCH(QString, found);
    const QString path = test::corpus(kSmall);
    // Long enough for a sanitized reader on a loaded machine to reach the walk it hangs in.
    EnvScope timeout("WEIGHTLENS_WORKER_TIMEOUT", fault.startsWith("hang") ? "5" : "20");
    {
        EnvScope on("WEIGHTLENS_WORKER_FAULT", fault);
        auto r = ReaderRegistry::builtin().open(path);
        QVERIFY(!r);
        const QString msg = r.error().message();
        QVERIFY2(msg.contains(path), qPrintable(msg));
        QVERIFY2(msg.contains(QStringLiteral("expected HDF5 to read it safely, found ") + found),
                 qPrintable(msg));
        if (fault.endsWith("@walk")) // the worker noted the dataset it was reading
            QVERIFY2(msg.contains(QStringLiteral(" at /")), qPrintable(msg));
        for (const auto &c : childProcesses())
            QVERIFY2(c.second != QLatin1Char('Z'), "a zombie reader process");
    }
    // The failed worker was discarded: the next open reads the file.
    auto again = ReaderRegistry::builtin().open(path);
    if (!again)
        QFAIL(qPrintable(again.error().message()));
}

void TestIsolation::readFaultsNameTheDataset()
{
    // A compressed dataset's bytes are decoded by the worker into shared memory and arrive
    // unchanged, in the pieces asked for.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("deflated.h5"));
    std::vector<float> values(40 * 50);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = float(i) * 0.5f - 100.0f;
    hid_t f = kt::createFile(path);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[] = {7, 9};
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_deflate(dcpl, 6);
    kt::dataset(f, QStringLiteral("w"), H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {40, 50}, values.data(),
                dcpl);
    H5Pclose(dcpl);
    H5Fclose(f);
    auto cp = test::openOne(path);
    QVERIFY(cp);
    QCOMPARE(cp->index().tensors.size(), 1);
    QCOMPARE(cp->index().tensors[0].location.storage, TensorLocation::Storage::ReaderDecoded);
    QByteArray got;
    int pieces = 0;
    StreamOptions small;
    small.window = 1000;
    auto st = cp->streamTensor(
        0,
        [&](const std::uint8_t *p, std::size_t n) {
            got.append(reinterpret_cast<const char *>(p), qsizetype(n));
            ++pieces;
            return true;
        },
        small);
    QVERIFY(st.ok());
    QVERIFY(pieces > 1);
    QCOMPARE(got, QByteArray(reinterpret_cast<const char *>(values.data()),
                             qsizetype(values.size() * sizeof(float))));

    // A part of it, from both sides: hyperslabs around the range are skipped, not delivered.
    const QByteArray whole = got;
    for (bool isolated : {true, false}) {
        h5::IsolatedScope scope(isolated);
        auto f = h5::File::open(path);
        QVERIFY(f);
        auto info = (*f)->dataset(QStringLiteral("w"));
        QVERIFY(info);
        QCOMPARE(info->contiguous, false);
        QByteArray part;
        QVERIFY((*f)->read(
            *info, 400,
            [&](const std::uint8_t *p, std::size_t n) {
                part.append(reinterpret_cast<const char *>(p), qsizetype(n));
                return true;
            },
            1004, 3000));
        QCOMPARE(part, whole.mid(1004, 3000));
    }

    // A reader that crashes, or returns too much, too little or memory it still writes to, is
    // an error naming the file and the dataset.
    const QList<QPair<QByteArray, QString>> faults{
        {"crash@read", QStringLiteral("the reader stopped (SIGSEGV)")},
        {"garbage@read", QStringLiteral("12096 of 8000 bytes at byte 0 from the reader")},
        {"short@read", QStringLiteral("4000 of 8000 bytes at byte 0 from the reader")},
        {"keepmap@read", QStringLiteral("shared memory the reader still writes to")}};
    for (const auto &[fault, found] : faults) {
        EnvScope on("WEIGHTLENS_WORKER_FAULT", fault);
        bool delivered = false;
        auto failed = cp->streamTensor(0, [&](const std::uint8_t *, std::size_t) {
            delivered = true;
            return true;
        });
        QVERIFY2(!failed, fault.constData());
        QVERIFY(!delivered);
        const QString msg = failed.error().message();
        QVERIFY2(msg.startsWith(path) && msg.contains(QStringLiteral(" at /w:")), qPrintable(msg));
        QVERIFY2(msg.contains(QStringLiteral("expected HDF5 to read it safely, found ") + found),
                 qPrintable(msg));
    }
}

void TestIsolation::cliReportsAFailedReader()
{
    const QString path = test::corpus(kSmall);
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("WEIGHTLENS_WORKER_FAULT"), QStringLiteral("crash@walk"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(WEIGHTLENS_BINARY), {QStringLiteral("ls"), path});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 1);
    const QString err = QString::fromLocal8Bit(p.readAllStandardError());
    QVERIFY2(err.contains(path) && err.contains(QStringLiteral("the reader stopped (SIGSEGV)")),
             qPrintable(err));
}

void TestIsolation::damagedAttributeStaysInItsReader()
{
#if defined(__SANITIZE_ADDRESS__)
    QSKIP("the reader has no memory limit under ASan: HDF5 would fill 16 GiB here");
#else
    // One byte of the dataspace of /layers/dense_2/vars's string attribute `name` (found by
    // mutating the corpus file) makes its element count about 2^31: HDF5 1.10 then converts
    // that many variable-length strings, in-process filling 16 GiB for minutes. The reader
    // process hits its memory limit, HDF5 fails the allocation, and the attribute is a warning.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("damaged.weights.h5"));
    QByteArray bytes = test::readFile(test::corpus(kSmall));
    QCOMPARE(bytes.size(), 25736);
    QCOMPARE(bytes[16331], '\0');
    bytes[16331] = char(0x80);
    QVERIFY(test::writeFile(path, bytes));
    QElapsedTimer t;
    t.start();
    auto r = ReaderRegistry::builtin().open(path);
    if (!r)
        QFAIL(qPrintable(r.error().message()));
    QVERIFY(t.elapsed() < 15000);
    QCOMPARE(r->checkpoints.front()->index().tensors.size(), 20);
    const auto &problems = r->checkpoints.front()->index().problems;
    QVERIFY(std::any_of(problems.begin(), problems.end(), [](const Problem &p) {
        return p.where == QLatin1String("/layers/dense_2/vars attribute name") &&
               p.text.contains(QLatin1String("memory allocation failed"));
    }));
#endif
}

void TestIsolation::sandboxRefusesWritesAndSockets()
{
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("written"));
    auto run = [&](const QStringList &extra) {
        return test::runWeightLens(
            QStringList{QStringLiteral("__hdf5-worker"), QStringLiteral("--self-test"), target} +
            extra);
    };
    // Without the filter every attempt goes through: the self-test can tell.
    auto open = run({QStringLiteral("--no-sandbox")});
    QCOMPARE(open.exitCode, 1);
    QVERIFY(QFile::exists(target));
    QVERIFY(QFile::remove(target));

    auto boxed = run({});
    QCOMPARE(boxed.exitCode, 0);
    for (const char *line : {"open for writing: refused", "open for reading: refused",
                             "network socket: refused", "exec: refused"})
        QVERIFY2(boxed.err.contains(line), boxed.err.constData());
    QVERIFY(!QFile::exists(target));
}

void TestIsolation::damagedFilesStopOnlyTheirReader_data()
{
    QTest::addColumn<QByteArray>("damage");
    for (const char *d :
         {"nbit parameters", "scale-offset parameters", "chunk dims", "dataspace rank"})
        QTest::newRow(d) << QByteArray(d);
}

void TestIsolation::damagedFilesStopOnlyTheirReader()
{
    QFETCH(QByteArray, damage);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("damaged.h5"));
    const QByteArray bytes = damagedFile(path, damage);
    QVERIFY2(!bytes.isEmpty(), "the bytes to damage were not found");
    QVERIFY(test::writeFile(path, bytes));
    EnvScope timeout("WEIGHTLENS_WORKER_TIMEOUT", "3");

    // In-process, HDF5 1.10 crashes or hangs on each (a sanitizer build reports it first).
    {
        EnvScope off("WEIGHTLENS_ISOLATION", "off");
        const auto r = test::runWeightLens({QStringLiteral("stats"), path}, 15000);
        QVERIFY2(r.exitCode == -1 || r.err.contains("Sanitizer"), r.err.constData());
    }
    // Isolated, the command says which file and dataset failed. Mostly the reader process
    // stops; under its memory limit HDF5 may instead fail an allocation and say so.
    const auto stats = test::runWeightLens({QStringLiteral("stats"), path});
    QCOMPARE(stats.exitCode, 1);
    const QString err = QString::fromLocal8Bit(stats.err);
    QVERIFY2(err.contains(path + QStringLiteral(": unreadable at /x: expected HDF5 to read it "
                                                "safely, found the reader ")) ||
                 err.contains(path + QStringLiteral(": corrupt at /x: ")),
             qPrintable(err));
    const auto ls = test::runWeightLens({QStringLiteral("ls"), path});
    QVERIFY2(ls.exitCode == 0 || (ls.exitCode == 1 && ls.err.contains(path.toLocal8Bit())),
             ls.err.constData());
    if (ls.exitCode == 0)
        QVERIFY(ls.out.contains("x"));
}

QTEST_GUILESS_MAIN(TestIsolation)
#include "tst_isolation.moc"
