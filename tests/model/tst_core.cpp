#include "core/doubletext.h"
#include "core/dtype.h"
#include "core/glob.h"
#include "core/plural.h"
#include "core/result.h"
#include "core/shape.h"
#include "io/crc32c.h"
#include "stats/kernels.h"
#include "stats/tensorstats.h"
#include "testutil.h"

#include <QTest>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <random>

using namespace wl;

class TestCore : public QObject
{
    Q_OBJECT
private slots:
    void crcCheckValue()
    {
        QCOMPARE(crc32c("123456789", 9), 0xE3069283u);
        QCOMPARE(crc32cMask(0xE3069283u), 0xC78AB0E5u);
        QCOMPARE(crc32cUnmask(0xC78AB0E5u), 0xE3069283u);
    }

    // The JSON number writer's fast paths against std::to_chars: random doubles, short decimals
    // like wall times, every 257th float, and the edges of each path.
    void shortestDoubleAsToChars()
    {
        int mismatches = 0;
        QString first;
        const auto check = [&](double v) {
            char want[64], got[64];
            const auto w = std::string_view(want, std::to_chars(want, want + 64, v).ptr);
            const auto g = std::string_view(got, shortestDouble(got, v));
            if (w != g && mismatches++ == 0)
                first = QStringLiteral("%1: %2 != %3")
                            .arg(v, 0, 'g', 17)
                            .arg(QLatin1StringView(g.data(), g.size()))
                            .arg(QLatin1StringView(w.data(), w.size()));
        };
        std::mt19937_64 rng(16);
        for (int i = 0; i < 300000; ++i) {
            check(std::bit_cast<double>(rng()));
            const double unit = double(rng() >> 11) / 9007199254740992.0;
            check(std::ldexp(1 + unit, int(rng() % 90) - 40));
            check(-std::ldexp(1 + unit, int(rng() % 90) - 40));
            check(1.7e9 + double(rng() % 4000000) * 0.25 + double(rng() % 10) * 1e-3);
            check(double(rng() % 100000000000000) / std::pow(10.0, int(rng() % 14)));
            check(double(rng() % 1000000) / 100.0);
        }
        for (std::uint64_t bits = 0; bits < 0x7f800000; bits += 257)
            check(std::bit_cast<float>(std::uint32_t(bits)));
        for (const double v : {0.0,
                               -0.0,
                               1.0,
                               0.1,
                               1e-5,
                               1e-4,
                               1e15,
                               1e16,
                               1e17,
                               1e21,
                               1e22,
                               1e23,
                               0.3,
                               1.7e9,
                               5e-324,
                               2.2250738585072014e-308,
                               1.7976931348623157e308,
                               9007199254740993.0,
                               1125899906842624.0,
                               0.000123,
                               123456789.0})
            for (int e = -30; e <= 30; ++e) {
                check(v * std::pow(2.0, e));
                check(-std::nextafter(v * std::pow(10.0, e), 0.0));
            }
        QVERIFY2(mismatches == 0, qPrintable(QString::number(mismatches) + " like " + first));
    }

    // Short buffers take a different path from long ones; both must match the bitwise definition.
    void crcEveryShortLength()
    {
        const auto bitwise = [](const unsigned char *p, std::size_t n) {
            std::uint32_t c = 0xFFFFFFFFu;
            for (std::size_t i = 0; i < n; ++i) {
                c ^= p[i];
                for (int k = 0; k < 8; ++k)
                    c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
            }
            return ~c;
        };
        std::mt19937 rng(11);
        std::vector<unsigned char> data(300);
        for (auto &c : data)
            c = static_cast<unsigned char>(rng());
        for (std::size_t n = 0; n <= data.size(); ++n) {
            QCOMPARE(crc32c(data.data(), n), bitwise(data.data(), n));
            const std::size_t cut = n / 3;
            QCOMPARE(crc32cExtend(crc32c(data.data(), cut), data.data() + cut, n - cut),
                     bitwise(data.data(), n));
        }
    }

    void crcCombineEqualsWhole()
    {
        std::mt19937 rng(7);
        QByteArray data(100000, Qt::Uninitialized);
        for (auto &c : data)
            c = char(rng());
        const auto whole = crc32c(data.constData(), std::size_t(data.size()));
        for (int cut : {0, 1, 4096, 77777, 100000}) {
            const auto a = crc32c(data.constData(), std::size_t(cut));
            const auto b = crc32c(data.constData() + cut, std::size_t(data.size() - cut));
            QCOMPARE(crc32cCombine(a, b, std::uint64_t(data.size() - cut)), whole);
        }
    }

    // Globs follow Python's fnmatch.fnmatchcase; each expected value is what Python 3.11 gives.
    void globLikeFnmatch_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("match");
        const auto row = [](const char *p, const char *t, bool m) {
            QTest::addRow("%s ~ %s", p, t) << QString::fromUtf8(p) << QString::fromUtf8(t) << m;
        };
        row("*kernel*", "compensator/fc2/kernel", true); // '*' crosses '/'
        row("a*b?c", "a/x/b/c", true);
        row("actor/*", "actor/hidden1/kernel", true);
        row("*kernel", "actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE", false); // whole text
        row("dense", "dense_1/kernel", false);
        row("*/kernel", "kernel", false);
        row("dense_?/kernel", "dense_1/kernel", true);
        row("dense_?/kernel", "dense_10/kernel", false);
        row("dense_[0-9]/*", "dense_3/bias", true);
        row("dense_[!0-2]/*", "dense_3/bias", true);
        row("dense_[!0-2]/*", "dense_1/bias", false);
        row("[]]x", "]x", true);
        row("[!]]x", "]x", false);
        row("[a-]", "-", true);
        row("[z-a]", "m", false); // a reversed range is empty
        row("[!z-a]", "m", true);
        row("[z-ab]", "b", true);
        row("a[", "a[", true); // an unclosed '[' is itself
        row("a[b", "a[b", true);
        row("[*]", "*", true);
        row("[*]", "x", false);
        row("a\\b", "a\\b", true); // no escape character
        row("[^a]x", "^x", true);
        row("[^a]x", "bx", false);
        row("*", "", true);
        row("?", "", false);
        row("Kernel", "kernel", false);
        row("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false);
    }
    void globLikeFnmatch()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, text);
        QFETCH(bool, match);
        QCOMPARE(globMatch(pattern, text), match);
    }

    void countsWithTheirNouns()
    {
        QCOMPARE(counted(1, "tensor"), QStringLiteral("1 tensor"));
        QCOMPARE(counted(0, "tensor"), QStringLiteral("0 tensors"));
        QCOMPARE(counted(67, "tensor"), QStringLiteral("67 tensors"));
        QCOMPARE(counted(1, "entry", "entries"), QStringLiteral("1 entry"));
        QCOMPARE(counted(2, "entry", "entries"), QStringLiteral("2 entries"));
        QCOMPARE(nounFor(1, "value"), QStringLiteral("value"));
        QCOMPARE(nounFor(1234567, "value"), QStringLiteral("values"));
    }

    // One error, two shapes: a whole message for a dialog, and a Problems row whose file and
    // place stand in their own columns.
    void errorMessageAndProblem()
    {
        const LoadError e = makeError(LoadError::Code::Corrupt, QStringLiteral("ckpt-9.index"),
                                      QStringLiteral("offset 92"), QStringLiteral("SSTable magic"),
                                      QStringLiteral("49 41"), QStringLiteral("why"));
        QCOMPARE(e.message(), QStringLiteral("ckpt-9.index: corrupt at offset 92: expected "
                                             "SSTable magic, found 49 41 (why)"));
        const Problem p = problemFrom(e, QStringLiteral("elsewhere"), Problem::Severity::Error,
                                      QStringLiteral("index unreadable"));
        QCOMPARE(p.severity, Problem::Severity::Error);
        QCOMPARE(p.file, QStringLiteral("ckpt-9.index"));
        QCOMPARE(p.where, QStringLiteral("offset 92"));
        QCOMPARE(p.text, QStringLiteral("index unreadable: corrupt: expected SSTable magic, "
                                        "found 49 41 (why)"));
        LoadError noFile = e;
        noFile.file.clear();
        QCOMPARE(problemFrom(noFile, QStringLiteral("elsewhere")).file,
                 QStringLiteral("elsewhere"));
    }

    void tensorFlowDTypes()
    {
        QCOMPARE(dtypeFromTensorFlow(1), DType::Float32);
        QCOMPARE(dtypeFromTensorFlow(14), DType::BFloat16);
        QCOMPARE(dtypeFromTensorFlow(19), DType::Float16);
        QCOMPARE(dtypeFromTensorFlow(101), DType::Float32);
        QCOMPARE(dtypeFromTensorFlow(999), DType::Unknown);
        QCOMPARE(dtypeName(DType::Float32), QStringLiteral("float32"));
        QCOMPARE(tensorFlowDTypeName(101), QStringLiteral("DT_FLOAT_REF"));
        QCOMPARE(tensorFlowDTypeName(77), QStringLiteral("unknown dtype 77"));
        QCOMPARE(dtypeSize(DType::Complex128), 16);
    }

    void shapes()
    {
        Shape s{{5, 5, 1, 4}};
        QCOMPARE(s.numElements().value(), std::int64_t(100));
        QCOMPARE(s.toString(), QStringLiteral("[5, 5, 1, 4]"));
        QCOMPARE(Shape{}.numElements().value(), std::int64_t(1));
        QVERIFY(!Shape({{-1, 4}}).numElements());
        QVERIFY(!Shape({{std::int64_t(1) << 40, std::int64_t(1) << 40}}).numElements());
    }

    // The spec's example: [1, NaN, +Inf, -Inf, 3].
    void nonFiniteStats()
    {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        const float v[] = {1, nan, inf, -inf, 3};
        StatsAccumulator acc(DType::Float32);
        acc.add(v, sizeof v);
        const auto s = acc.result();
        QCOMPARE(s.count, std::int64_t(5));
        QCOMPARE(s.nan, std::int64_t(1));
        QCOMPARE(s.inf, std::int64_t(2));
        QCOMPARE(*s.min, 1.0);
        QCOMPARE(*s.max, 3.0);
        QCOMPARE(*s.mean, 2.0);
        QCOMPARE(*s.std, 1.0);
        QCOMPARE(s.l2, std::sqrt(10.0));
    }

    void emptyAndAllNan()
    {
        StatsAccumulator acc(DType::Float64);
        QVERIFY(!acc.result().mean);
        const double v[] = {std::numeric_limits<double>::quiet_NaN()};
        acc.add(v, sizeof v);
        QVERIFY(!acc.result().min);
        QCOMPARE(acc.result().nan, std::int64_t(1));
    }

    // Merged pieces equal one pass, and both equal a two-pass computation.
    void mergeMatchesTwoPass()
    {
        const auto v = test::normalFloats(10001, 1000.0f, 0.01f, 1);
        double sum = 0;
        for (float x : v)
            sum += x;
        const double mean = sum / double(v.size());
        double ss = 0;
        for (float x : v)
            ss += (x - mean) * (x - mean);
        const double sd = std::sqrt(ss / double(v.size()));

        StatsAccumulator a(DType::Float32), b(DType::Float32), whole(DType::Float32);
        a.add(v.data(), 4 * 3333);
        b.add(v.data() + 3333, 4 * (v.size() - 3333));
        a.merge(b);
        whole.add(v.data(), 4 * v.size());
        for (const auto &s : {a.result(), whole.result()}) {
            QVERIFY(std::abs(*s.mean - mean) <= 1e-12 * mean);
            QVERIFY(std::abs(*s.std - sd) <= 1e-6 * sd);
        }
    }

    void halfAndBfloat()
    {
        QCOMPARE(kernels::halfToDouble(0x3C00), 1.0);
        QCOMPARE(kernels::halfToDouble(0xC000), -2.0);
        QCOMPARE(kernels::halfToDouble(0x0001), std::ldexp(1.0, -24));
        QVERIFY(std::isinf(kernels::halfToDouble(0x7C00)));
        QVERIFY(std::isnan(kernels::halfToDouble(0x7E00)));
        QCOMPARE(kernels::bfloat16ToDouble(0x3F80), 1.0);
        QCOMPARE(kernels::bfloat16ToDouble(0xC040), -3.0);
    }

    void histogramBins()
    {
        const float v[] = {0, 0.1f, 0.5f, 0.99f, 1.0f, std::numeric_limits<float>::quiet_NaN()};
        HistogramAccumulator h(DType::Float32, 0.0, 1.0, 4);
        h.add(v, sizeof v);
        const auto r = h.result();
        QCOMPARE(r.counts, (std::vector<std::uint64_t>{2, 0, 1, 2}));
    }

    void integerStats()
    {
        const std::int64_t v[] = {-3, 0, 5};
        StatsAccumulator acc(DType::Int64);
        acc.add(v, sizeof v);
        const auto s = acc.result();
        QCOMPARE(*s.min, -3.0);
        QCOMPARE(*s.max, 5.0);
        QCOMPARE(s.zeros, std::int64_t(1));
        QCOMPARE(s.nan, std::int64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestCore)
#include "tst_core.moc"
