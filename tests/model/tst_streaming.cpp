#include "formats/checkpoint.h"
#include "io/crc32c.h"
#include "io/mappedfile.h"
#include "stats/statsengine.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>

using namespace wl;

namespace
{

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        return {};
    return path;
}

// A checkpoint over one file whose tensors are raw ranges of it.
class RawCheckpoint : public Checkpoint
{
public:
    using Checkpoint::Checkpoint;
};

TensorInfo rawTensor(const QString &file, DType dtype, std::int64_t n, std::int64_t offset)
{
    TensorInfo t;
    t.key = t.name = QStringLiteral("t%1").arg(offset);
    t.dtype = dtype;
    t.shape.dims = {n};
    t.location.file = file;
    t.location.offset = offset;
    t.location.size = n * dtypeSize(dtype);
    return t;
}

} // namespace

class TestStreaming : public QObject
{
    Q_OBJECT
private slots:
    void windowsCoverRangeOnElementBoundaries()
    {
        QTemporaryDir dir;
        QByteArray bytes(1 << 20, Qt::Uninitialized);
        for (int i = 0; i < bytes.size(); ++i)
            bytes[i] = char(i * 7 + 3);
        const QString path = writeFile(dir, QStringLiteral("data"), bytes);
        for (std::int64_t offset : {0, 1, 4095, 4097}) {
            QByteArray got;
            std::size_t pieces = 0;
            bool aligned = true;
            const std::int64_t size = (bytes.size() - offset) / 12 * 12;
            auto st = streamFileRange(
                path, offset, size, 5 * 4096, 12, [&](const std::uint8_t *p, std::size_t n) {
                    aligned = aligned && n % 12 == 0;
                    got.append(reinterpret_cast<const char *>(p), qsizetype(n));
                    ++pieces;
                    return true;
                });
            QVERIFY(st.ok());
            QVERIFY(aligned);
            QVERIFY(pieces > 1);
            QCOMPARE(got, bytes.mid(offset, size));
        }
    }

    // One streamer across many ranges and two files: every range comes out right, whole or in
    // element-aligned pieces, and a range inside the mapped window is served from it.
    void streamerReusesItsWindow()
    {
        QTemporaryDir dir;
        QByteArray a(3 << 20, Qt::Uninitialized), b(1 << 20, Qt::Uninitialized);
        for (int i = 0; i < a.size(); ++i)
            a[i] = char(i * 13 + 5);
        for (int i = 0; i < b.size(); ++i)
            b[i] = char(i * 3 + 1);
        const QString pa = writeFile(dir, QStringLiteral("a"), a);
        const QString pb = writeFile(dir, QStringLiteral("b"), b);
        const std::size_t window = 1 << 20;
        RangeStreamer streamer;
        auto read = [&](const QString &path, std::int64_t offset, std::int64_t size,
                        std::size_t align, const std::uint8_t **first = nullptr) {
            QByteArray got;
            bool aligned = true;
            auto st = streamer.stream(
                path, offset, size, window, align, [&](const std::uint8_t *p, std::size_t n) {
                    if (first && got.isEmpty())
                        *first = p;
                    got.append(reinterpret_cast<const char *>(p), qsizetype(n));
                    aligned = aligned && (n % align == 0 || got.size() == size);
                    return true;
                });
            return st.ok() && aligned ? got : QByteArray("failed");
        };
        // Neighbouring small ranges, one straddling the window's end, one behind it, one
        // larger than the window, then the other file and back.
        const struct {
            bool inA;
            std::int64_t offset, size;
            std::size_t align;
        } ranges[] = {{true, 100, 256, 4},    {true, 356, 1024, 4},
                      {true, 5000, 64, 8},    {true, (1 << 20) - 30, 64, 2},
                      {true, 40, 16, 4},      {true, 12, (2 << 20) + 36, 12},
                      {false, 4096, 4096, 4}, {true, (3 << 20) - 8, 8, 8},
                      {false, 0, 1 << 20, 16}};
        for (const auto &r : ranges) {
            const QByteArray &bytes = r.inA ? a : b;
            QCOMPARE(read(r.inA ? pa : pb, r.offset, r.size, r.align), bytes.mid(r.offset, r.size));
        }
        const std::uint8_t *p1 = nullptr, *p2 = nullptr;
        QCOMPARE(read(pa, 8192, 100, 4, &p1), a.mid(8192, 100));
        QCOMPARE(read(pa, 9000, 100, 4, &p2), a.mid(9000, 100));
        QCOMPARE(p2, p1 + (9000 - 8192));
    }

    // A failure leaves the streamer usable: a missing file, then a range past the end, then
    // a good range again.
    void streamerRecoversFromErrors()
    {
        QTemporaryDir dir;
        const QByteArray bytes(8192, 'q');
        const QString path = writeFile(dir, QStringLiteral("data"), bytes);
        RangeStreamer streamer;
        auto ok = [](const std::uint8_t *, std::size_t) { return true; };
        QVERIFY(streamer.stream(path, 0, 100, 1 << 20, 1, ok).ok());
        const QString missing = dir.filePath(QStringLiteral("missing"));
        auto st = streamer.stream(missing, 0, 4, 1 << 20, 1, ok);
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, LoadError::Code::NotFound);
        QCOMPARE(st.error().file, missing);
        st = streamer.stream(path, 8000, 200, 1 << 20, 1, ok);
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, LoadError::Code::Truncated);
        QByteArray got;
        QVERIFY(streamer
                    .stream(path, 4000, 192, 1 << 20, 1,
                            [&](const std::uint8_t *p, std::size_t n) {
                                got.append(reinterpret_cast<const char *>(p), qsizetype(n));
                                return true;
                            })
                    .ok());
        QCOMPARE(got, bytes.mid(4000, 192));
    }

    void rangeBeyondEndIsTruncation()
    {
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("short"), QByteArray(100, 'x'));
        auto st = streamFileRange(path, 90, 20, 1 << 20, 1,
                                  [](const std::uint8_t *, std::size_t) { return true; });
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, LoadError::Code::Truncated);
        QVERIFY(st.error().message().contains(QLatin1String("short")));
        QVERIFY(st.error().message().contains(QLatin1String("file ends at 100")));
    }

    void missingFileNamesIt()
    {
        auto st = streamFileRange(QStringLiteral("/nonexistent/wl-data"), 0, 4, 1 << 20, 1,
                                  [](const std::uint8_t *, std::size_t) { return true; });
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, LoadError::Code::NotFound);
        QVERIFY(st.error().message().startsWith(QLatin1String("/nonexistent/wl-data")));
    }

    void bigEndianIsSwappedAndCrcChecked()
    {
        QTemporaryDir dir;
        const float values[] = {1.5f, -2.0f, 3.25f};
        QByteArray be;
        for (float v : values) {
            std::uint32_t u;
            std::memcpy(&u, &v, 4);
            for (int s = 24; s >= 0; s -= 8)
                be.append(char((u >> s) & 0xFF));
        }
        const QString path = writeFile(dir, QStringLiteral("be"), be);
        CheckpointIndex idx;
        auto t = rawTensor(path, DType::Float32, 3, 0);
        t.location.bigEndian = true;
        t.location.maskedCrc32c = crc32cMask(crc32c(be.constData(), std::size_t(be.size())));
        idx.tensors << t;
        RawCheckpoint cp(idx);
        auto bytes = cp.readTensor(0);
        QVERIFY(bytes.ok());
        QCOMPARE(bytes->size(), qsizetype(12));
        QVERIFY(std::memcmp(bytes->constData(), values, 12) == 0);
        auto state = cp.streamTensor(0, [](const std::uint8_t *, std::size_t) { return true; });
        QCOMPARE(state.value(), ChecksumState::Ok);
    }

    // Split ranges, merged moments and combined CRCs equal a single pass computed here.
    void engineSplitEqualsIndependentComputation()
    {
        QTemporaryDir dir;
        std::mt19937 rng(42);
        std::normal_distribution<float> dist(0.25f, 2.0f);
        const int n = 300001;
        std::vector<float> v(static_cast<std::size_t>(n));
        for (auto &x : v)
            x = dist(rng);
        v[17] = std::nanf("");
        v[400] = INFINITY;
        v[999] = 0.0f;
        QByteArray bytes(reinterpret_cast<const char *>(v.data()), n * 4);
        bytes.prepend(QByteArray(3, '\0')); // unaligned start
        const QString path = writeFile(dir, QStringLiteral("f32"), bytes);

        CheckpointIndex idx;
        auto good = rawTensor(path, DType::Float32, n, 3);
        good.location.maskedCrc32c = crc32cMask(crc32c(bytes.constData() + 3, std::size_t(n) * 4));
        auto bad = good;
        bad.key = QStringLiteral("bad");
        bad.location.maskedCrc32c = *good.location.maskedCrc32c ^ 1u;
        idx.tensors << good << bad;
        RawCheckpoint cp(idx);

        double sum = 0, sumSq = 0, lo = INFINITY, hi = -INFINITY;
        std::int64_t finite = 0, zeros = 0;
        for (float x : v) {
            if (!std::isfinite(x))
                continue;
            sum += x, sumSq += double(x) * x, ++finite;
            lo = std::min(lo, double(x)), hi = std::max(hi, double(x));
            zeros += x == 0.0f;
        }
        const double mean = sum / double(finite);
        double m2 = 0;
        for (float x : v)
            if (std::isfinite(x))
                m2 += (x - mean) * (x - mean);

        for (std::size_t split : {std::size_t(64) << 10, std::size_t(1) << 30}) {
            StatsRequest req;
            req.splitBytes = split;
            req.window = 64 << 10;
            req.bins = 16;
            req.threads = 2;
            const auto reports = computeStats(cp, allTensors(cp.index()), req);
            QCOMPARE(reports.size(), 2);
            const auto &s = reports[0].stats;
            QVERIFY(reports[0].reduced);
            QCOMPARE(s.count, std::int64_t(n));
            QCOMPARE(s.nan, std::int64_t(1));
            QCOMPARE(s.inf, std::int64_t(1));
            QCOMPARE(s.zeros, zeros);
            QCOMPARE(*s.min, lo);
            QCOMPARE(*s.max, hi);
            QVERIFY(std::abs(*s.mean - mean) < 1e-12 * std::abs(mean) + 1e-15);
            QVERIFY(std::abs(*s.std - std::sqrt(m2 / double(finite))) < 1e-10);
            QVERIFY(std::abs(s.l2 - std::sqrt(sumSq)) < 1e-9 * std::sqrt(sumSq));
            std::uint64_t binned = 0;
            for (auto c : s.histogram.counts)
                binned += c;
            QCOMPARE(std::int64_t(binned), finite);
            QCOMPARE(reports[0].checksum, ChecksumState::Ok);
            QCOMPARE(reports[1].checksum, ChecksumState::Mismatch);

            // Each bin counted here, in float as the kernels bin (kernels.h): v in [lo, hi] goes
            // to floor((v - lo) * float(bins / (hi - lo))), the last bin taking v == hi.
            std::vector<std::uint64_t> counts(16, 0);
            const float scale = float(16.0 / (hi - lo));
            for (float x : v)
                if (std::isfinite(x))
                    ++counts[std::size_t(std::min(15, int((x - float(lo)) * scale)))];
            QCOMPARE(s.histogram.counts, counts);
            QCOMPARE(s.histogram.lo, lo);
            QCOMPARE(s.histogram.hi, hi);

            // A histogram (a range pass, then moments fused with binning) leaves the moments
            // exactly as they are without one.
            StatsRequest plain = req;
            plain.bins = 0;
            const auto without = computeStats(cp, {0}, plain);
            const auto &w = without[0].stats;
            const auto bits = [](double d) { return std::bit_cast<std::uint64_t>(d); };
            QCOMPARE(bits(*w.mean), bits(*s.mean));
            QCOMPARE(bits(*w.std), bits(*s.std));
            QCOMPARE(bits(w.l2), bits(s.l2));
            QCOMPARE(without[0].checksum, ChecksumState::Ok);
        }

        StatsRequest hashed;
        hashed.hash = true;
        const auto r = computeStats(cp, {0}, hashed);
        QCOMPARE(r[0].sha256, QCryptographicHash::hash(bytes.mid(3), QCryptographicHash::Sha256));
    }

    void cancelledJobReportsCancelled()
    {
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("z"), QByteArray(4096, '\0'));
        CheckpointIndex idx;
        idx.tensors << rawTensor(path, DType::Float32, 1024, 0);
        RawCheckpoint cp(idx);
        std::atomic<bool> cancel{true};
        const auto r =
            computeStats(cp, allTensors(cp.index()), StatsRequest{}, JobContext(&cancel));
        QCOMPARE(r[0].error, QStringLiteral("cancelled"));
        QVERIFY(!r[0].reduced);
    }
};

QTEST_GUILESS_MAIN(TestStreaming)
#include "tst_streaming.moc"
