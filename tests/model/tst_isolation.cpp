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
                          << QStringLiteral("the reader took longer than 1 s");
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
    EnvScope timeout("WEIGHTLENS_WORKER_TIMEOUT", fault.startsWith("hang") ? "1" : "20");
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
    // A compressed dataset's bytes come from the worker, in pieces, and arrive unchanged.
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
    auto cp = kt::openOne(path);
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

    EnvScope on("WEIGHTLENS_WORKER_FAULT", "crash@read");
    auto failed = cp->streamTensor(0, [](const std::uint8_t *, std::size_t) { return true; });
    QVERIFY(!failed);
    const QString msg = failed.error().message();
    QVERIFY2(msg.startsWith(path) && msg.contains(QStringLiteral(" at /w:")), qPrintable(msg));
    QVERIFY2(msg.contains(QStringLiteral("the reader stopped (SIGSEGV)")), qPrintable(msg));
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

QTEST_GUILESS_MAIN(TestIsolation)
#include "tst_isolation.moc"
