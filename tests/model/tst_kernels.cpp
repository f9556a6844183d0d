#include "core/dtype.h"
#include "io/crc32c.h"
#include "stats/kernels.h"
#include "stats/tensorstats.h"
#include "testutil.h"

#include <QTest>
#include <bit>
#include <hwy/targets.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace wl;
using Moments = StatsAccumulator::Moments;

namespace
{

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::uint16_t toBf16(float f)
{
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return std::uint16_t(u >> 16); // truncation is fine: any bit pattern is a valid input
}

std::uint16_t toF16(float f)
{
    const _Float16 h = _Float16(f);
    std::uint16_t u;
    std::memcpy(&u, &h, 2);
    return u;
}

enum Profile { Gaussian, RandomBits, LargeMean, WithSpecials, Constant, ProfileCount };

// Elements of one dtype as raw bytes, with room for an unaligned start.
std::vector<std::uint8_t> makeData(DType t, Profile p, std::size_t n, std::mt19937 &rng)
{
    const int item = dtypeSize(t);
    std::vector<std::uint8_t> out(n * std::size_t(item));
    std::normal_distribution<float> normal(0.f, 1.f);
    std::uniform_int_distribution<int> pick(0, 19);
    const float mean = t == DType::Float32 ? 1e6f : t == DType::BFloat16 ? 1e6f : 3e4f;
    const float noise = t == DType::Float32 ? 1.f : t == DType::BFloat16 ? 1e4f : 100.f;
    for (std::size_t i = 0; i < n; ++i) {
        float f = 0;
        std::uint32_t bits = rng();
        bool useBits = false;
        switch (p) {
        case Gaussian:
            f = normal(rng);
            break;
        case RandomBits:
            useBits = true;
            break;
        case LargeMean:
            f = mean + noise * normal(rng);
            break;
        case WithSpecials:
            switch (pick(rng)) {
            case 0:
                f = float(kNaN);
                break;
            case 1:
                f = INFINITY;
                break;
            case 2:
                f = -INFINITY;
                break;
            case 3:
                f = 0.f;
                break;
            case 4:
                f = -0.f;
                break;
            case 5: // a denormal of the element type
                useBits = true;
                bits = t == DType::Float32 ? (bits & 0x807FFFFFu)
                                           : (bits & (t == DType::Float16 ? 0x83FFu : 0x807Fu));
                break;
            default:
                f = normal(rng) * 3.f;
            }
            break;
        default:
            f = 2.5f;
        }
        std::uint8_t *dst = out.data() + i * std::size_t(item);
        if (t == DType::Float32) {
            if (useBits)
                std::memcpy(&f, &bits, 4);
            std::memcpy(dst, &f, 4);
        } else {
            std::uint16_t h =
                useBits ? std::uint16_t(bits) : (t == DType::BFloat16 ? toBf16(f) : toF16(f));
            std::memcpy(dst, &h, 2);
        }
    }
    return out;
}

double stdOf(const Moments &m)
{
    return std::sqrt(m.m2 / double(m.n));
}

void compareMoments(const Moments &simd, const Moments &ref)
{
    QCOMPARE(simd.count, ref.count);
    QCOMPARE(simd.nan, ref.nan);
    QCOMPARE(simd.inf, ref.inf);
    QCOMPARE(simd.zeros, ref.zeros);
    QCOMPARE(simd.n, ref.n);
    if (ref.n == 0)
        return;
    QCOMPARE(simd.min, ref.min);
    QCOMPARE(simd.max, ref.max);
    const double scale = std::max(std::abs(ref.min), std::abs(ref.max));
    QVERIFY2(
        std::abs(simd.mean - ref.mean) <= 1e-12 * scale,
        qPrintable(
            QStringLiteral("mean %1 vs %2").arg(simd.mean, 0, 'g', 17).arg(ref.mean, 0, 'g', 17)));
    const double sa = stdOf(simd), sb = stdOf(ref);
    QVERIFY2(std::abs(sa - sb) <= 1e-9 * sb + 1e-14 * scale,
             qPrintable(QStringLiteral("std %1 vs %2").arg(sa, 0, 'g', 17).arg(sb, 0, 'g', 17)));
    QVERIFY(std::abs(simd.sumSq - ref.sumSq) <= 1e-12 * ref.sumSq);
}

const DType kTypes[] = {DType::Float32, DType::BFloat16, DType::Float16};

} // namespace

class TestKernels : public QObject
{
    Q_OBJECT

    // Runs every check once per SIMD instruction set this CPU supports.
    template <class F> void forEachTarget(F &&f)
    {
        const auto targets = kernels::simdTargets();
        QVERIFY(!targets.empty());
        for (const auto &name : targets) {
            QVERIFY(kernels::useSimdTarget(name));
            QCOMPARE(kernels::activeSimdTarget(), name);
            f(name);
            if (QTest::currentTestFailed())
                qWarning("failed on target %s", name.c_str());
            kernels::useSimdTarget({});
            if (QTest::currentTestFailed())
                return;
        }
    }

private slots:
    // The kernels dispatch with their own CPU checks; Highway's run-time library (linked
    // only here) is the independent opinion on what this CPU supports.
    void dispatchAgreesWithHighway()
    {
        std::vector<std::string> expected;
        for (std::int64_t t : hwy::SupportedAndGeneratedTargets())
            expected.emplace_back(hwy::TargetName(t));
        QCOMPARE(kernels::simdTargets(), expected);
        QCOMPARE(kernels::activeSimdTarget(), expected.front());
    }

    void bfloat16Decoding()
    {
        QCOMPARE(kernels::bfloat16ToDouble(0x3F80), 1.0);
        QCOMPARE(kernels::bfloat16ToDouble(0xC000), -2.0);
        QCOMPARE(kernels::bfloat16ToDouble(0x4049), 3.140625);
        QCOMPARE(kernels::bfloat16ToDouble(0x0001), std::ldexp(1.0, -133));
        QCOMPARE(kernels::bfloat16ToDouble(0x7F7F), std::ldexp(255.0, 120));
        QCOMPARE(kernels::bfloat16ToDouble(0x7F80), INFINITY);
        QCOMPARE(kernels::bfloat16ToDouble(0xFF80), -INFINITY);
        QVERIFY(std::isnan(kernels::bfloat16ToDouble(0x7FC1)));
    }

    void float16Decoding()
    {
        QCOMPARE(kernels::halfToDouble(0x3C00), 1.0);
        QCOMPARE(kernels::halfToDouble(0xC000), -2.0);
        QCOMPARE(kernels::halfToDouble(0x7BFF), 65504.0);
        QCOMPARE(kernels::halfToDouble(0x3555), 0.333251953125);
        QCOMPARE(kernels::halfToDouble(0x0400), std::ldexp(1.0, -14));
        QCOMPARE(kernels::halfToDouble(0x0001), std::ldexp(1.0, -24));
        QCOMPARE(kernels::halfToDouble(0x83FF), -1023 * std::ldexp(1.0, -24));
        QCOMPARE(kernels::halfToDouble(0x7C00), INFINITY);
        QCOMPARE(kernels::halfToDouble(0xFC00), -INFINITY);
        QVERIFY(std::isnan(kernels::halfToDouble(0x7E00)));
        QVERIFY(std::signbit(kernels::halfToDouble(0x8000)));
    }

    // The vector loads decode the same known patterns (each repeated so the vector loop runs).
    void simdDecodingKnownPatterns()
    {
        struct Case {
            DType t;
            std::uint16_t bits;
            double value; // NaN: expect NaN
        };
        const Case cases[] = {
            {DType::BFloat16, 0x3F80, 1.0},
            {DType::BFloat16, 0xC000, -2.0},
            {DType::BFloat16, 0x0001, std::ldexp(1.0, -133)},
            {DType::BFloat16, 0x7F80, INFINITY},
            {DType::BFloat16, 0xFF80, -INFINITY},
            {DType::BFloat16, 0xFFC1, kNaN},
            {DType::Float16, 0x3C00, 1.0},
            {DType::Float16, 0x7BFF, 65504.0},
            {DType::Float16, 0x0001, std::ldexp(1.0, -24)},
            {DType::Float16, 0x83FF, -1023 * std::ldexp(1.0, -24)},
            {DType::Float16, 0x3555, 0.333251953125},
            {DType::Float16, 0x7C00, INFINITY},
            {DType::Float16, 0xFC00, -INFINITY},
            {DType::Float16, 0x7E00, kNaN},
            {DType::Float16, 0xFC01, kNaN},
        };
        forEachTarget([&](const std::string &) {
            for (const auto &c : cases) {
                const std::vector<std::uint16_t> data(100, c.bits);
                Moments m;
                kernels::accumulate(c.t, data.data(), data.size(), m);
                QCOMPARE(m.count, 100);
                if (std::isnan(c.value)) {
                    QCOMPARE(m.nan, 100);
                } else if (std::isinf(c.value)) {
                    QCOMPARE(m.inf, 100);
                } else {
                    QCOMPARE(m.n, 100);
                    QCOMPARE(m.min, c.value);
                    QCOMPARE(m.max, c.value);
                    QCOMPARE(m.mean, c.value);
                    QCOMPARE(m.sumSq, 100 * c.value * c.value);
                }
            }
        });
    }

    // The spec's example, [1, NaN, +Inf, -Inf, 3], repeated 20 times.
    void specExampleRepeated()
    {
        std::vector<float> data;
        for (int i = 0; i < 20; ++i)
            data.insert(data.end(), {1.f, float(kNaN), INFINITY, -INFINITY, 3.f});
        forEachTarget([&](const std::string &) {
            StatsAccumulator acc(DType::Float32);
            acc.add(data.data(), data.size() * 4);
            const auto s = acc.result();
            QCOMPARE(s.count, 100);
            QCOMPARE(s.nan, 20);
            QCOMPARE(s.inf, 40);
            QCOMPARE(*s.min, 1.0);
            QCOMPARE(*s.max, 3.0);
            QCOMPARE(*s.mean, 2.0);
            QCOMPARE(*s.std, 1.0);
            QVERIFY(std::abs(s.l2 - std::sqrt(20 * 10.0)) < 1e-12);
        });
    }

    // Bin edges: [0, 1] in 4 bins; 1.0 == hi goes into the last bin, outside values are dropped.
    void histogramEdges()
    {
        std::vector<float> data;
        for (int i = 0; i < 25; ++i)
            data.insert(data.end(),
                        {0.f, 0.25f, 0.5f, 0.75f, 1.f, -0.01f, 1.01f, float(kNaN), INFINITY, 0.3f});
        forEachTarget([&](const std::string &) {
            std::vector<std::uint64_t> counts(4, 0);
            kernels::histogram(DType::Float32, data.data(), data.size(), 0.0, 1.0, counts.data(),
                               4);
            QCOMPARE(counts, (std::vector<std::uint64_t>{25, 50, 25, 50}));
        });
    }

    // Membership of [lo, hi] is exact on every target: −0 counts with +0 at lo = 0, the floats
    // next to the range and NaNs of either sign are left out.
    void histogramRangeMembership()
    {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        std::vector<float> data;
        for (int i = 0; i < 40; ++i)
            data.insert(data.end(), {-0.f, 0.f, std::nextafter(0.f, -1.f), 1.f,
                                     std::nextafter(1.f, 2.f), nan, -nan, -INFINITY, 0.5f});
        forEachTarget([&](const std::string &) {
            std::vector<std::uint64_t> counts(8, 0);
            kernels::histogram(DType::Float32, data.data(), data.size(), 0.0, 1.0, counts.data(),
                               8);
            QCOMPARE(counts, (std::vector<std::uint64_t>{80, 0, 0, 0, 40, 0, 0, 40}));
        });
    }

    // Bins in float arithmetic (kernels.h) against the exact bins, computed here in double:
    // a value far from an edge lands in its exact bin on every target; one within 1e-4 of a
    // bin width from an edge may land on either side of it.
    void histogramAgainstExactBins()
    {
        const auto data = test::normalFloats(300000, 0.1f, 0.4f, 7);
        const std::pair<double, double> ranges[] = {{-1.0, 1.0}, {-0.73, 1.21}, {0.0, 0.35}};
        for (const auto &[lo, hi] : ranges)
            for (int bins : {10, 256, 1000}) {
                std::vector<std::int64_t> sure(std::size_t(bins), 0), maybe(std::size_t(bins), 0);
                for (float v : data) {
                    if (!(v >= lo && v <= hi))
                        continue;
                    const double t = (double(v) - lo) * bins / (hi - lo);
                    const double edge = std::round(t);
                    if (std::abs(t - edge) > 1e-4 || edge == 0 || edge == bins) {
                        ++sure[std::min(std::size_t(t), std::size_t(bins) - 1)];
                    } else {
                        ++maybe[std::size_t(edge) - 1];
                        ++maybe[std::size_t(edge)];
                    }
                }
                forEachTarget([&](const std::string &) {
                    std::vector<std::uint64_t> counts(std::size_t(bins), 0);
                    kernels::histogram(DType::Float32, data.data(), data.size(), lo, hi,
                                       counts.data(), bins);
                    for (std::size_t b = 0; b < std::size_t(bins); ++b) {
                        const auto c = std::int64_t(counts[b]);
                        if (c < sure[b] || c > sure[b] + maybe[b])
                            QFAIL(qPrintable(QStringLiteral("[%1, %2] in %3 bins: bin %4 has %5, "
                                                            "expected %6 + up to %7")
                                                 .arg(lo)
                                                 .arg(hi)
                                                 .arg(bins)
                                                 .arg(b)
                                                 .arg(c)
                                                 .arg(sure[b])
                                                 .arg(maybe[b])));
                    }
                });
            }
    }

    // A range between two neighbouring floats holds no float value: nothing is counted, on
    // every target, as in the scalar reference.
    void histogramRangeBetweenFloats()
    {
        const float a = 0.1f, b = std::nextafter(a, 1.f);
        const double lo = double(a) + (double(b) - double(a)) / 4;
        const double hi = double(a) + (double(b) - double(a)) / 2;
        std::vector<float> data(1000, a);
        data.insert(data.end(), 1000, b);
        forEachTarget([&](const std::string &) {
            std::vector<std::uint64_t> counts(16, 0), ref(16, 0);
            kernels::histogram(DType::Float32, data.data(), data.size(), lo, hi, counts.data(), 16);
            kernels::histogramScalar(DType::Float32, data.data(), data.size(), lo, hi, ref.data(),
                                     16);
            QCOMPARE(counts, std::vector<std::uint64_t>(16, 0));
            QCOMPARE(counts, ref);
        });
    }

    // The sum of squares is derived from sums shifted by the first value; when that value is
    // an outlier the derivation cancels, and the kernel must sum the squares directly.
    void sumOfSquaresWithOutlierFirst()
    {
        auto data = test::normalFloats(200000, 0.f, 1e-3f, 7);
        data[0] = 1000.f;
        data[5] = NAN;
        data[77] = -INFINITY;
        long double exact = 0;
        for (float v : data)
            if (std::isfinite(v))
                exact += (long double)v * v;
        forEachTarget([&](const std::string &) {
            Moments m;
            kernels::accumulate(DType::Float32, data.data(), data.size(), m);
            QVERIFY2(std::abs(m.sumSq - double(exact)) <= 1e-12 * double(exact),
                     qPrintable(QString::number(m.sumSq, 'g', 17) + QLatin1Char(' ') +
                                QString::number(double(exact), 'g', 17)));
        });
    }

    // Types without a SIMD kernel, and bytes the statistics do not read, are checksummed too.
    void checksumWithoutSimdKernel()
    {
        std::vector<std::uint8_t> bytes(3000);
        std::mt19937 rng(7);
        for (auto &b : bytes)
            b = std::uint8_t(rng());
        for (DType t : {DType::Int32, DType::Float64, DType::UInt8, DType::String}) {
            const std::size_t item = std::size_t(std::max(1, dtypeSize(t)));
            const std::size_t size = bytes.size() / item * item;
            std::uint32_t crc = 0;
            StatsAccumulator acc(t);
            acc.add(bytes.data(), size, &crc);
            QCOMPARE(crc, crc32c(bytes.data(), size));
        }
    }

    void matchesScalarReference()
    {
        std::mt19937 rng(12345);
        forEachTarget([&](const std::string &) {
            for (DType t : kTypes)
                for (int p = 0; p < ProfileCount; ++p) {
                    std::vector<std::size_t> lengths;
                    for (std::size_t n = 0; n <= 16 * 4 + 3; ++n)
                        lengths.push_back(n);
                    lengths.insert(lengths.end(), {1000, 4099});
                    for (std::size_t n : lengths)
                        for (std::size_t start : {0, 1, 2, 3}) {
                            checkOne(t, Profile(p), n, start, rng);
                            if (QTest::currentTestFailed()) {
                                qWarning("dtype %s profile %d n %zu start %zu",
                                         qPrintable(dtypeName(t)), p, n, start);
                                return;
                            }
                        }
                }
        });
    }

private:
    void checkOne(DType t, Profile p, std::size_t n, std::size_t start, std::mt19937 &rng)
    {
        const std::size_t item = std::size_t(dtypeSize(t));
        const auto data = makeData(t, p, n + 1, rng);
        // start 3 is a byte offset (misaligned for the element type), 0..2 are element offsets.
        std::vector<std::uint8_t> buf(data.size() + 8);
        const std::size_t offset = start == 3 ? 1 : start * item;
        std::memcpy(buf.data() + offset, data.data(), n * item);
        const void *ptr = buf.data() + offset;

        Moments ref, simd;
        kernels::accumulateScalar(t, ptr, n, ref);
        kernels::accumulate(t, ptr, n, simd);
        compareMoments(simd, ref);
        if (QTest::currentTestFailed())
            return;

        // The checksum taken block by block as the kernel reads extends the one it is given
        // over every byte, once and in order; the moments are those of a pass without it.
        const std::uint32_t seed = crc32c("seed", 4);
        std::uint32_t crc = seed;
        Moments checked;
        kernels::accumulate(t, ptr, n, checked, &crc);
        QCOMPARE(crc, crc32cExtend(seed, ptr, n * item));
        compareMoments(checked, ref);
        if (QTest::currentTestFailed())
            return;

        // Full range and a narrower one, several bin counts.
        std::vector<std::pair<double, double>> ranges = {{-1.0, 1.0}};
        if (ref.n > 0 && ref.max > ref.min) {
            ranges.push_back({ref.min, ref.max});
            ranges.push_back(
                {ref.min + (ref.max - ref.min) / 3, ref.max - (ref.max - ref.min) / 5});
        }
        for (const auto &[lo, hi] : ranges)
            for (int bins : {1, 7, 256}) {
                std::vector<std::uint64_t> a(std::size_t(bins), 0), b(std::size_t(bins), 0),
                    c(std::size_t(bins), 0);
                kernels::histogramScalar(t, ptr, n, lo, hi, a.data(), bins);
                kernels::histogram(t, ptr, n, lo, hi, b.data(), bins);
                QCOMPARE(b, a);
                Moments fused;
                kernels::accumulateWithHistogram(t, ptr, n, fused, lo, hi, c.data(), bins);
                QCOMPARE(c, a);
                compareMoments(fused, ref);
                if (QTest::currentTestFailed())
                    return;
                // The engine takes moments in the fused loop when --bins is given: they must be
                // those of the moments loop to the bit.
                const auto bits = [](double d) { return std::bit_cast<std::uint64_t>(d); };
                QCOMPARE(bits(fused.mean), bits(simd.mean));
                QCOMPARE(bits(fused.m2), bits(simd.m2));
                QCOMPARE(bits(fused.sumSq), bits(simd.sumSq));
                QCOMPARE(bits(fused.min), bits(simd.min));
                QCOMPARE(bits(fused.max), bits(simd.max));
                QCOMPARE(fused.zeros, simd.zeros);
            }

        // The range pass finds the moments' min and max, and checksums every byte once.
        kernels::Range range;
        std::uint32_t rangeCrc = seed;
        kernels::finiteRange(t, ptr, n, range, &rangeCrc);
        QCOMPARE(rangeCrc, crc32cExtend(seed, ptr, n * item));
        if (ref.n > 0) {
            QVERIFY(range.min == ref.min); // exactly; -0 and +0 alike
            QVERIFY(range.max == ref.max);
        } else {
            QVERIFY(range.min > range.max);
        }
    }
};

QTEST_GUILESS_MAIN(TestKernels)
#include "tst_kernels.moc"
