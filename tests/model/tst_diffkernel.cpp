// The diff kernel against a plain loop written here: float32 (the vector path, at odd lengths
// and alignments, with NaN, infinities and signed zeros), float16, bfloat16, float64 and ints.

#include "compare/diffkernel.h"

#include <QByteArray>
#include <QTest>

#include <cmath>
#include <cstring>
#include <random>

using namespace wl;

namespace
{

struct Ref {
    double maxAbs = 0, sumAbs = 0, sumSq = 0, a2 = 0, b2 = 0, ab = 0;
    qint64 changed = 0, finite = 0;
};

Ref reference(const std::vector<double> &x, const std::vector<double> &y)
{
    Ref r;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i] != y[i] && !(std::isnan(x[i]) && std::isnan(y[i])))
            ++r.changed;
        if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
            continue;
        ++r.finite;
        const double d = std::fabs(x[i] - y[i]);
        r.maxAbs = std::max(r.maxAbs, d);
        r.sumAbs += d;
        r.sumSq += d * d;
        r.a2 += x[i] * x[i];
        r.b2 += y[i] * y[i];
        r.ab += x[i] * y[i];
    }
    return r;
}

// IEEE half and bfloat16 from their bits, written out here rather than taken from the kernels.
double half(std::uint16_t h)
{
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const double s = (h & 0x8000) ? -1 : 1;
    if (e == 0x1f)
        return m ? NAN : s * INFINITY;
    return s * (e ? std::ldexp(1024 + m, e - 25) : std::ldexp(m, -24));
}
double bf16(std::uint16_t h)
{
    const std::uint32_t bits = std::uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

void check(const DiffSums &s, const Ref &r, std::size_t n, double tol)
{
    QCOMPARE(s.count, qint64(n));
    QCOMPARE(s.finite, r.finite);
    QCOMPARE(s.changed, r.changed);
    QCOMPARE(s.maxAbs, r.maxAbs);
    for (auto [got, want] : {std::pair{s.sumAbs, r.sumAbs},
                             {s.sumSq, r.sumSq},
                             {s.sumA2, r.a2},
                             {s.sumB2, r.b2},
                             {s.sumAB, r.ab}})
        QVERIFY2(std::fabs(got - want) <= tol * (std::fabs(want) + 1e-30),
                 qPrintable(QString("%1 vs %2").arg(got).arg(want)));
}

} // namespace

class TstDiffKernel : public QObject
{
    Q_OBJECT
private slots:
    void float32_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("misalign");
        QTest::addColumn<bool>("specials");
        for (int n : {0, 1, 511, 512, 513, 5000, 100003})
            for (int mis : {0, 1, 4})
                for (bool sp : {false, true})
                    QTest::addRow("n%d+%d%s", n, mis, sp ? " specials" : "") << n << mis << sp;
    }
    void float32()
    {
        QFETCH(int, n);
        QFETCH(int, misalign);
        QFETCH(bool, specials);
        std::mt19937 rng(unsigned(n * 7 + misalign));
        std::normal_distribution<float> normal(0.f, 1.f);
        const std::size_t count = std::size_t(n);
        std::vector<float> a(count), b(count);
        std::vector<double> x(a.size()), y(a.size());
        for (int i = 0; i < n; ++i) {
            a[i] = normal(rng);
            // Every third equal; others perturbed.
            b[i] = i % 3 == 0 ? a[i] : a[i] + 1e-3f * normal(rng);
            if (specials && i % 97 == 5)
                a[i] = NAN;
            if (specials && i % 97 == 6)
                b[i] = INFINITY;
            if (specials && i % 97 == 7)
                a[i] = b[i] = NAN;
            if (specials && i % 97 == 8)
                a[i] = 0.f, b[i] = -0.f;
            x[i] = a[i];
            y[i] = b[i];
        }
        // Bytes views: an empty vector's data() may be null, which memcpy must not see.
        const QByteArrayView va(reinterpret_cast<const char *>(a.data()), qsizetype(count * 4));
        const QByteArrayView vb(reinterpret_cast<const char *>(b.data()), qsizetype(count * 4));
        const QByteArray ba = QByteArray(misalign, 0).append(va);
        const QByteArray bb = QByteArray(misalign, 0).append(vb);
        DiffSums s;
        kernels::diff(DType::Float32, ba.constData() + misalign, bb.constData() + misalign,
                      std::size_t(n), s);
        check(s, reference(x, y), std::size_t(n), 2e-6);
        QCOMPARE(s.identical, va == vb);

        DiffSums same;
        kernels::diff(DType::Float32, ba.constData() + misalign, ba.constData() + misalign,
                      std::size_t(n), same);
        QVERIFY(same.identical);
        QCOMPARE(same.maxAbs, 0.0);
        QCOMPARE(same.changed, qint64(0));
    }

    void otherTypes()
    {
        std::mt19937 rng(5);
        const std::size_t n = 3001;
        std::vector<std::uint16_t> h1(n), h2(n);
        std::vector<double> hx(n), hy(n), bx(n), by(n);
        for (std::size_t i = 0; i < n; ++i) {
            h1[i] = std::uint16_t(rng());
            h2[i] = i % 4 ? std::uint16_t(h1[i] ^ (rng() & 7)) : h1[i];
            hx[i] = half(h1[i]);
            hy[i] = half(h2[i]);
            bx[i] = bf16(h1[i]);
            by[i] = bf16(h2[i]);
        }
        DiffSums sh, sb;
        kernels::diff(DType::Float16, h1.data(), h2.data(), n, sh);
        check(sh, reference(hx, hy), n, 1e-12);
        kernels::diff(DType::BFloat16, h1.data(), h2.data(), n, sb);
        check(sb, reference(bx, by), n, 1e-12);

        std::vector<double> d1(n), d2(n);
        std::vector<std::int32_t> i1(n), i2(n);
        std::vector<std::int8_t> c1(n), c2(n);
        std::vector<double> ix(n), iy(n), cx(n), cy(n);
        for (std::size_t i = 0; i < n; ++i) {
            d1[i] = double(rng()) / 3.0;
            d2[i] = i % 2 ? d1[i] : d1[i] * 1.0001;
            i1[i] = std::int32_t(rng());
            i2[i] = i % 5 ? i1[i] : i1[i] - 3;
            c1[i] = std::int8_t(rng());
            c2[i] = std::int8_t(rng());
            ix[i] = i1[i], iy[i] = i2[i], cx[i] = c1[i], cy[i] = c2[i];
        }
        DiffSums sd, si, sc;
        kernels::diff(DType::Float64, d1.data(), d2.data(), n, sd);
        check(sd, reference(d1, d2), n, 1e-12);
        kernels::diff(DType::Int32, i1.data(), i2.data(), n, si);
        check(si, reference(ix, iy), n, 1e-12);
        kernels::diff(DType::Int8, c1.data(), c2.data(), n, sc);
        check(sc, reference(cx, cy), n, 1e-12);
        QVERIFY(!sc.identical);
    }

    void derivedMetrics()
    {
        DiffSums s;
        s.sumA2 = 4, s.sumB2 = 9, s.sumAB = 6, s.sumSq = 1, s.count = 4, s.changed = 1;
        QCOMPARE(*s.relL2(), 0.5);
        QCOMPARE(*s.cosine(), 1.0);
        QCOMPARE(s.changedFraction(), 0.25);
        DiffSums zeroA;
        zeroA.sumB2 = 1, zeroA.sumSq = 1;
        QVERIFY(!zeroA.relL2());
        QVERIFY(!zeroA.cosine());
        DiffSums zeros;
        QCOMPARE(*zeros.relL2(), 0.0);
    }
};

QTEST_GUILESS_MAIN(TstDiffKernel)
#include "tst_diffkernel.moc"
