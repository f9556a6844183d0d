#include "core/jsonline.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace wl;

// JsonLine must write byte for byte what QJsonDocument writes for the same object: scripts
// compare `stats --json` output across versions.
class TestJsonLine : public QObject
{
    Q_OBJECT

    static QByteArray viaQt(const QJsonObject &o)
    {
        return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
    }

    static QByteArray viaLine(JsonLine &l)
    {
        QByteArray out;
        l.appendTo(out);
        return out;
    }

    static std::vector<double> awkwardDoubles()
    {
        const double p53 = 9007199254740992.0;
        std::vector<double> v = {0.0,
                                 -0.0,
                                 1.0,
                                 -1.0,
                                 0.5,
                                 100.0,
                                 1e6,
                                 1e15,
                                 8e15,
                                 1e16,
                                 1e17,
                                 1e20,
                                 1e21,
                                 p53,
                                 -p53,
                                 p53 - 1,
                                 p53 + 2,
                                 -p53 - 2,
                                 std::ldexp(1.0, 62),
                                 std::ldexp(1.0, 63),
                                 -std::ldexp(1.0, 63),
                                 std::ldexp(1.0, 64),
                                 1e-5,
                                 1e-4,
                                 123456.7,
                                 1234567.0,
                                 -3.25e-7,
                                 std::numeric_limits<double>::denorm_min(),
                                 std::numeric_limits<double>::max(),
                                 std::numeric_limits<double>::lowest(),
                                 std::numeric_limits<double>::min(),
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 std::numeric_limits<double>::quiet_NaN()};
        std::mt19937_64 rng(17);
        std::uniform_int_distribution<int> exp(-40, 40);
        std::uniform_real_distribution<double> mant(-1, 1);
        for (int i = 0; i < 100000; ++i) {
            const double d = std::ldexp(mant(rng), exp(rng));
            v.push_back(d);
            v.push_back(std::round(d * 1e6)); // whole numbers of every size up to 2^46
            v.push_back(double(float(d)));    // float32 values as doubles, like the edges
            v.push_back(std::round(d * 1e6) / std::pow(10.0, i % 13)); // few digits
        }
        for (int e = 0; e < 64; ++e) // whole numbers around every power of two
            for (double d : {std::ldexp(1.0, e) - 1, std::ldexp(1.0, e), std::ldexp(1.0, e) + 1})
                v.push_back(d), v.push_back(-d);
        return v;
    }

private slots:
    void numbersAsQtWritesThem()
    {
        const auto values = awkwardDoubles();
        // One value per object, so a mismatch names it.
        for (double d : values) {
            QJsonObject o;
            o[QLatin1String("v")] = d;
            JsonLine l;
            l.add(QLatin1String("v"), std::optional<double>(d));
            const QByteArray want = viaQt(o);
            const QByteArray got = viaLine(l);
            if (got != want)
                QFAIL(qPrintable(QStringLiteral("%1: %2 vs Qt %3")
                                     .arg(QString::number(d, 'g', 17), QString::fromUtf8(got),
                                          QString::fromUtf8(want))));
        }
        QJsonArray a;
        for (double d : values)
            a.append(d);
        QJsonObject o;
        o[QLatin1String("edges")] = a;
        JsonLine l;
        l.add(QLatin1String("edges"), std::span<const double>(values));
        QCOMPARE(viaLine(l), viaQt(o));
    }

    void integersAsQtWritesThem()
    {
        const std::vector<std::int64_t> ints = {0,
                                                1,
                                                -1,
                                                std::numeric_limits<std::int64_t>::max(),
                                                std::numeric_limits<std::int64_t>::min(),
                                                9007199254740993};
        const std::vector<std::uint64_t> counts = {0, 7, 1ull << 40, (1ull << 53) + 1};
        QJsonArray a, c;
        for (auto v : ints)
            a.append(qint64(v));
        for (auto v : counts)
            c.append(qint64(v));
        QJsonObject o;
        o[QLatin1String("shape")] = a;
        o[QLatin1String("counts")] = c;
        o[QLatin1String("count")] = qint64(-5);
        o[QLatin1String("trainable")] = false;
        o[QLatin1String("ok")] = true;
        o[QLatin1String("missing")] = QJsonValue(QJsonValue::Null);
        JsonLine l;
        l.add(QLatin1String("shape"), std::span<const std::int64_t>(ints));
        l.add(QLatin1String("counts"), std::span<const std::uint64_t>(counts));
        l.add(QLatin1String("count"), std::int64_t(-5));
        l.add(QLatin1String("trainable"), false);
        l.add(QLatin1String("ok"), true);
        l.addNull(QLatin1String("missing"));
        QCOMPARE(viaLine(l), viaQt(o));
    }

    void stringsAsQtWritesThem()
    {
        QString all;
        for (char16_t u = 0; u < 0x100; ++u)
            all += QChar(u);
        const QStringList texts = {
            QString(),
            QStringLiteral("model_weights/conv1/kernel:0"),
            all,
            QString::fromUtf8("\xc3\xa9t\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80 \xe4\xb8\xad"),
            QString(QChar(0xD800)) + QStringLiteral("x"),           // lone high surrogate
            QStringLiteral("x") + QChar(0xDC00),                    // lone low surrogate
            QString(QChar(0xDBFF)) + QChar(0xDFFF) + QChar(0xFFFF), // pair, then a non-character
        };
        for (const auto &t : texts) {
            QJsonObject o;
            o[QLatin1String("key")] = t;
            JsonLine l;
            l.add(QLatin1String("key"), t);
            QCOMPARE(viaLine(l), viaQt(o));
        }
    }

    // Keys come out sorted as QJsonObject sorts them; a repeated key keeps its last value.
    void keysSortedLastWins()
    {
        QJsonObject o;
        JsonLine l;
        const char *keys[] = {"zeros", "checkpoint", "slot_of", "slot", "std", "sha256",
                              "l2",    "B",          "_",       "a",    "aa"};
        int i = 0;
        for (const char *k : keys) {
            o[QLatin1String(k)] = ++i;
            l.add(QLatin1String(k), std::int64_t(i));
        }
        o[QLatin1String("slot")] = QStringLiteral("m");
        l.add(QLatin1String("slot"), QStringLiteral("m"));
        QCOMPARE(viaLine(l), viaQt(o));
        JsonLine empty;
        QCOMPARE(viaLine(empty), viaQt(QJsonObject()));
    }
};

QTEST_GUILESS_MAIN(TestJsonLine)
#include "tst_jsonline.moc"
