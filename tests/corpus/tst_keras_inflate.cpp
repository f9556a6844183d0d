#include "formats/readerregistry.h"
#include "io/zipmember.h"
#include "stats/statsengine.h"
#include "testutil.h"

#include "kerastestfiles.h"

#include <QTemporaryDir>
#include <QtEndian>
#include <cstring>
#include <unistd.h>

using namespace wl;

namespace
{

const QByteArray kMeta = R"({"keras_version": "3.10.0", "date_saved": "x"})";
const QByteArray kConfig = R"({"class_name": "Sequential", "config": {"name": "s",
    "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}]}})";

// A Keras 3 weights file with one kernel [[1, 2], [3, 4]].
QByteArray weightsFile(const QString &dir)
{
    const QString path = dir + QStringLiteral("/w.h5");
    hid_t f = kt::createFile(path);
    kt::floats(f, "layers/dense/vars/0", {2, 2}, {1, 2, 3, 4});
    H5Fclose(f);
    return test::readFile(path);
}

// Checks the one kernel of weightsFile(): its shape and statistics.
void checkKernel(const Checkpoint &cp)
{
    const auto &idx = cp.index();
    QCOMPARE(idx.tensors.size(), 1);
    QCOMPARE(idx.tensors[0].shape.dims, (std::vector<std::int64_t>{2, 2}));
    const auto r = computeStats(cp, allTensors(idx), StatsRequest{});
    QVERIFY2(r[0].error.isEmpty(), qPrintable(r[0].error));
    QCOMPARE(r[0].stats.sum, 10.0);
    QCOMPARE(*r[0].stats.min, 1.0);
    QCOMPARE(*r[0].stats.max, 4.0);
}

// A member source of `size` bytes: `head`, then zeros, produced as libzip asks, so a member of
// several GiB needs no memory.
struct PaddedSource {
    QByteArray head;
    zip_uint64_t size = 0;
    zip_uint64_t pos = 0;

    static zip_int64_t callback(void *self, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
    {
        auto *s = static_cast<PaddedSource *>(self);
        switch (cmd) {
        case ZIP_SOURCE_OPEN:
            s->pos = 0;
            return 0;
        case ZIP_SOURCE_READ: {
            const zip_uint64_t n = std::min(len, s->size - s->pos);
            auto *out = static_cast<char *>(data);
            std::memset(out, 0, n);
            if (s->pos < zip_uint64_t(s->head.size()))
                std::memcpy(out, s->head.constData() + s->pos,
                            std::min(n, zip_uint64_t(s->head.size()) - s->pos));
            s->pos += n;
            return zip_int64_t(n);
        }
        case ZIP_SOURCE_CLOSE:
        case ZIP_SOURCE_FREE:
            return 0;
        case ZIP_SOURCE_STAT: {
            auto *st = static_cast<zip_stat_t *>(data);
            zip_stat_init(st);
            st->size = s->size;
            st->valid |= ZIP_STAT_SIZE;
            return sizeof(zip_stat_t);
        }
        case ZIP_SOURCE_ERROR: {
            auto *e = static_cast<int *>(data);
            e[0] = e[1] = 0;
            return 2 * sizeof(int);
        }
        case ZIP_SOURCE_SUPPORTS:
            return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
                                                  ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                                  ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
        default:
            return -1;
        }
    }
};

// A .keras archive whose model.weights.h5 is `weights` followed by zeros up to `size` bytes,
// deflated at level 1 (the fastest to write).
bool writePaddedArchive(const QString &path, const QByteArray &weights, zip_uint64_t size)
{
    if (!kt::writeZip(path, {{"metadata.json", kMeta}, {"config.json", kConfig}}))
        return false;
    int err = 0;
    zip_t *z = zip_open(path.toLocal8Bit().constData(), 0, &err);
    if (!z)
        return false;
    PaddedSource padded{weights, size};
    zip_source_t *src = zip_source_function(z, &PaddedSource::callback, &padded);
    const auto idx = zip_file_add(z, "model.weights.h5", src, ZIP_FL_OVERWRITE);
    if (idx < 0 || zip_set_file_compression(z, zip_uint64_t(idx), ZIP_CM_DEFLATE, 1) != 0) {
        zip_discard(z);
        return false;
    }
    return zip_close(z) == 0;
}

// Open descriptors of this process on files in `dir` (named or not).
int descriptorsIn(const QString &dir)
{
    int n = 0;
    const QDir fds(QStringLiteral("/proc/self/fd"));
    for (const auto &fd : fds.entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)) {
        char target[4096];
        const auto len =
            ::readlink(QFile::encodeName(fds.filePath(fd)).constData(), target, sizeof target);
        n += len > 0 && QFile::decodeName(QByteArray(target, len)).startsWith(dir + '/');
    }
    return n;
}

// Points QDir::tempPath() at a folder of the test's own while alive.
struct TempFolder {
    QTemporaryDir dir;
    QByteArray previous = qgetenv("TMPDIR");
    TempFolder() { qputenv("TMPDIR", QFile::encodeName(dir.path())); }
    ~TempFolder()
    {
        if (previous.isNull())
            qunsetenv("TMPDIR");
        else
            qputenv("TMPDIR", previous);
    }
    bool empty() const
    {
        return QDir(dir.path())
            .isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
    }
};

} // namespace

class TestKerasInflate : public QObject
{
    Q_OBJECT
private slots:
    // A deflated weights member of 4.5 GiB (zip64 sizes): refused without permission with a
    // message that says how much it would write, read correctly with it, in process and on the
    // command line. The inflated file has no name and is gone once the checkpoint closes.
    void zip64MemberNeedsPermission()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big.keras"));
        const zip_uint64_t size = (zip_uint64_t(9) << 30) / 2;
        QVERIFY(writePaddedArchive(path, weightsFile(dir.path()), size));
        // Its central directory entry defers both sizes to the zip64 extra field.
        const QByteArray zip = test::readFile(path);
        qsizetype entry = -1;
        for (auto at = zip.indexOf("PK\x01\x02"); at >= 0 && entry < 0;
             at = zip.indexOf("PK\x01\x02", at + 1))
            if (zip.mid(at + 46, 16) == "model.weights.h5")
                entry = at;
        QVERIFY(entry > 0);
        QCOMPARE(qFromLittleEndian<quint32>(zip.constData() + entry + 24), 0xFFFFFFFFu);
        const auto ratio = size / zip_uint64_t(zip.size());
        QVERIFY(ratio > zip_uint64_t(kLargeInflateRatio));

        TempFolder temp;
        auto refused = ReaderRegistry::builtin().open(path);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, LoadError::Code::TooLarge);
        QCOMPARE(refused.error().message(),
                 QStringLiteral("model.weights.h5 in %1 would inflate to 4.5 GiB (%2x the archive)")
                     .arg(path)
                     .arg(ratio));
        QVERIFY(temp.empty());

        JobContext allow;
        allow.setAllowLarge(true);
        {
            auto opened = ReaderRegistry::builtin().open(path, allow);
            QVERIFY2(opened.ok(), opened.ok() ? "" : qPrintable(opened.error().message()));
            QCOMPARE(opened->checkpoints.size(), std::size_t(1));
            checkKernel(*opened->checkpoints.front());
            QVERIFY(descriptorsIn(temp.dir.path()) >= 1); // and a copy in the HDF5 reader's hands
            QVERIFY(temp.empty());                        // no name, even while open
        }
        QCOMPARE(descriptorsIn(temp.dir.path()), 0);

        const auto cli = test::runWeightLens({"ls", path});
        QCOMPARE(cli.exitCode, 1);
        QVERIFY2(cli.err.contains(
                     QStringLiteral("weightlens: model.weights.h5 in %1 would inflate to 4.5 GiB "
                                    "(%2x the archive); pass --allow-large to read it")
                         .arg(path)
                         .arg(ratio)
                         .toUtf8()),
                 cli.err.constData());
        const auto allowed = test::runWeightLens({"stats", "--allow-large", "--json", path});
        QVERIFY2(allowed.exitCode == 0, allowed.err.constData());
        const auto row = QJsonDocument::fromJson(allowed.out.trimmed()).object();
        QCOMPARE(row.value("key").toString(), QStringLiteral("layers/dense/vars/0"));
        QCOMPARE(row.value("max").toDouble(), 4.0);
        QCOMPARE(row.value("mean").toDouble(), 2.5);
        QVERIFY(temp.empty());
    }

    // Headers that declare a size the deflated data does not have: shorter or longer data is an
    // error naming the archive, the member and both sizes. A declared size past the limit is
    // refused first, and with permission the inflation still stops where the data does.
    void declaredSizeMustMatch()
    {
        QTemporaryDir dir;
        const QByteArray weights = weightsFile(dir.path());
        const QString good = dir.filePath(QStringLiteral("good.keras"));
        QVERIFY(kt::writeZip(
            good,
            {{"metadata.json", kMeta}, {"config.json", kConfig}, {"model.weights.h5", weights}},
            true));
        TempFolder temp;
        auto cp = test::openOne(good);
        QVERIFY(cp);
        checkKernel(*cp);
        QCOMPARE(cp->index().tensors[0].location.storage, TensorLocation::Storage::ReaderDecoded);
        QVERIFY(descriptorsIn(temp.dir.path()) >= 1);
        cp.reset();
        QCOMPARE(descriptorsIn(temp.dir.path()), 0);

        const QByteArray zip = test::readFile(good);
        const auto actual = quint32(weights.size());
        struct Case {
            const char *name;
            quint32 declared;
            LoadError::Code code;
            QString found;
        };
        const Case cases[] = {
            {"shorter.keras", actual + 100, LoadError::Code::Truncated,
             QStringLiteral("%1 bytes inflated").arg(actual)},
            {"longer.keras", actual - 100, LoadError::Code::Corrupt,
             QStringLiteral("%1 bytes inflated").arg(actual)},
        };
        for (const auto &c : cases) {
            QByteArray patched = zip;
            QVERIFY(kt::declareSize(patched, "model.weights.h5", c.declared));
            const QString path = dir.filePath(QString::fromLatin1(c.name));
            QVERIFY(test::writeFile(path, patched));
            auto r = ReaderRegistry::builtin().open(path);
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, c.code);
            QCOMPARE(r.error().message(),
                     QStringLiteral("%1: %2 at model.weights.h5: expected %3 bytes, as declared, "
                                    "found %4")
                         .arg(path, LoadError::codeName(c.code))
                         .arg(c.declared)
                         .arg(c.found));
        }

        // 3 GiB declared in an archive of a few KiB.
        QByteArray bomb = zip;
        QVERIFY(kt::declareSize(bomb, "model.weights.h5", quint32(3) << 30));
        const QString path = dir.filePath(QStringLiteral("bomb.keras"));
        QVERIFY(test::writeFile(path, bomb));
        auto refused = ReaderRegistry::builtin().open(path);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, LoadError::Code::TooLarge);
        QCOMPARE(refused.error().message(),
                 QStringLiteral("model.weights.h5 in %1 would inflate to 3.0 GiB (%2x the archive)")
                     .arg(path)
                     .arg((quint64(3) << 30) / quint64(bomb.size())));
        JobContext allow;
        allow.setAllowLarge(true);
        auto shortBomb = ReaderRegistry::builtin().open(path, allow);
        QVERIFY(!shortBomb.ok());
        QCOMPARE(shortBomb.error().code, LoadError::Code::Truncated);
        QVERIFY2(shortBomb.error().message().contains(
                     QStringLiteral("expected %1 bytes, as declared, found %2 bytes inflated")
                         .arg(quint64(3) << 30)
                         .arg(actual)),
                 qPrintable(shortBomb.error().message()));
        QCOMPARE(descriptorsIn(temp.dir.path()), 0);
        QVERIFY(temp.empty());
    }
};

QTEST_GUILESS_MAIN(TestKerasInflate)
#include "tst_keras_inflate.moc"
