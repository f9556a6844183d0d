#include "io/pickle.h"
#include "picklewriter.h"
#include "testutil.h"

#include <QRandomGenerator>
#include <QTest>

using namespace wl;
using namespace wl::test;
using pickle::Value;
using K = pickle::Value::Kind;

namespace
{

std::span<const std::uint8_t> span(const QByteArray &b)
{
    return {reinterpret_cast<const std::uint8_t *>(b.constData()), std::size_t(b.size())};
}

// A small state_dict: {"w": tensor, "n": 7, "lr": 0.5, "name": "x"}.
QByteArray stateDict()
{
    PickleWriter w;
    w.global("collections", "OrderedDict").emptyTuple().reduce().put(0).mark();
    w.str("w").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1});
    w.str("n").integer(7).str("lr").real(0.5).str("name").str("x");
    w.setItems().stop();
    return w.bytes();
}

QString errorOf(const Result<Value *> &r)
{
    return r.ok() ? QString() : r.error().message();
}

} // namespace

class TstPickle : public QObject
{
    Q_OBJECT

private slots:
    void stateDictValues()
    {
        pickle::Unpickler u(QStringLiteral("sd.pkl"));
        auto r = u.load(span(stateDict()));
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const Value *root = *r;
        QCOMPARE(root->kind, K::Dict);
        QCOMPARE(root->entries.size(), std::size_t(4));
        const Value *t = root->get("w");
        QVERIFY(t && t->kind == K::Tensor);
        QCOMPARE(t->size, (std::vector<std::int64_t>{2, 3}));
        QCOMPARE(t->stride, (std::vector<std::int64_t>{3, 1}));
        QVERIFY(t->storage && t->storage->kind == K::PersistentId);
        QCOMPARE(t->storage->items.size(), std::size_t(5));
        QCOMPARE(pickle::globalName(t->storage->items[1]), std::string("torch.FloatStorage"));
        QCOMPARE(root->get("n")->integer, 7);
        QCOMPARE(root->get("lr")->real, 0.5);
        QCOMPARE(root->get("name")->text, std::string("x"));
        QCOMPARE(u.globals(),
                 (QStringList{"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                              "torch.FloatStorage"}));
        QVERIFY(u.inertGlobals().isEmpty());
    }

    // os.system is named but never called: it becomes an inert object holding its argument.
    void offListGlobalIsInert()
    {
        PickleWriter w;
        w.emptyDict().mark().str("evil");
        w.global("os", "system").mark().str("touch pwned").tuple().reduce();
        w.str("ns").global("argparse", "Namespace").emptyTuple().op(0x81);
        w.emptyDict().mark().str("lr").real(0.1).setItems().build();
        w.setItems().stop();
        pickle::Unpickler u(QStringLiteral("evil.pkl"));
        auto r = u.load(span(w.bytes()));
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        const Value *evil = (*r)->get("evil");
        QCOMPARE(evil->kind, K::Object);
        QCOMPARE(evil->text, std::string("os.system"));
        QCOMPARE(evil->items.front()->items.front()->text, std::string("touch pwned"));
        const Value *ns = (*r)->get("ns");
        QCOMPARE(ns->kind, K::Object);
        QCOMPARE(ns->get("lr")->real, 0.1);
        QCOMPARE(u.inertGlobals(), (QStringList{"os.system", "argparse.Namespace"}));
        QVERIFY(!QFile::exists(QStringLiteral("pwned")));
    }

    // Protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL; protocol 2's bytes.
    void protocol4AndBytes()
    {
        PickleWriter w(4);
        w.op(0x95).raw(QByteArray(8, '\0'));
        w.op(0x8c).raw(QByteArray(1, char(8)) + "builtins").op(0x94);
        w.op(0x8c).raw(QByteArray(1, char(3)) + "set").op(0x94).op(0x93).op(0x94);
        w.mark().integer(1).integer(2).op('l').op(0x85).reduce();
        w.global("_codecs", "encode").mark().str(QString::fromLatin1("\xff\x01")).str("latin1");
        w.tuple().reduce().op(0x86).stop();
        pickle::Unpickler u(QStringLiteral("p4.pkl"));
        auto r = u.load(span(w.bytes()));
        QVERIFY2(r.ok(), qPrintable(errorOf(r)));
        QCOMPARE((*r)->kind, K::Tuple);
        const Value *set = (*r)->items[0];
        QCOMPARE(set->kind, K::Set);
        QCOMPARE(set->items.size(), std::size_t(2));
        const Value *bytes = (*r)->items[1];
        QCOMPARE(bytes->kind, K::Bytes);
        QCOMPARE(bytes->text, std::string("\xff\x01"));
    }

    void refusedOpcodes()
    {
        for (const char op : {'i', 'o', '\x82', '\x97'}) {
            PickleWriter w;
            w.op(std::uint8_t(op)).raw(QByteArray(8, 'a')).stop();
            pickle::Unpickler u(QStringLiteral("op.pkl"));
            auto r = u.load(span(w.bytes()));
            QVERIFY(!r.ok());
            QVERIFY2(r.error().message().contains(QLatin1String("pickle offset 2")),
                     qPrintable(r.error().message()));
            QVERIFY(r.error().message().contains(QLatin1String("refused")));
        }
    }

    void deepNestingRefused()
    {
        // 100,000 open MARKs, and a chain of 100,000 one-element tuples without any.
        PickleWriter marks;
        marks.raw(QByteArray(100000, '(')).none().stop();
        PickleWriter tuples;
        tuples.none().raw(QByteArray(100000, '\x85')).stop();
        for (const auto &bytes : {marks.bytes(), tuples.bytes()}) {
            pickle::Unpickler u(QStringLiteral("deep.pkl"));
            auto r = u.load(span(bytes));
            QVERIFY(!r.ok());
            QVERIFY2(r.error().message().contains(QLatin1String("deep.pkl")) &&
                         r.error().message().contains(QLatin1String("nest")),
                     qPrintable(r.error().message()));
        }
    }

    void hugeMemoRefused()
    {
        PickleWriter w;
        w.none();
        const std::uint32_t n = std::uint32_t(pickle::Limits{}.maxMemo) + 1;
        for (std::uint32_t i = 0; i < n; ++i)
            w.put(i);
        w.stop();
        pickle::Unpickler u(QStringLiteral("memo.pkl"));
        auto r = u.load(span(w.bytes()));
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message().contains(QLatin1String("memo")),
                 qPrintable(r.error().message()));
    }

    void hugeLengthRefused()
    {
        // A BINUNICODE8 declaring 2^60 bytes, and a BINUNICODE longer than the data.
        PickleWriter a;
        a.op(0x8d).raw(QByteArray::fromHex("0000000000000010")).stop();
        PickleWriter b;
        b.op('X').raw(QByteArray::fromHex("00010000")).raw("abc").stop();
        for (const auto &bytes : {a.bytes(), b.bytes()}) {
            pickle::Unpickler u(QStringLiteral("len.pkl"));
            auto r = u.load(span(bytes));
            QVERIFY(!r.ok());
            QVERIFY2(r.error().message().contains(QLatin1String("pickle offset")),
                     qPrintable(r.error().message()));
        }
    }

    // Every truncation of a valid pickle is an error naming an offset, never a crash.
    void truncatedPickles()
    {
        const QByteArray full = stateDict();
        for (qsizetype n = 0; n < full.size(); ++n) {
            pickle::Unpickler u(QStringLiteral("cut.pkl"));
            auto r = u.load(span(full.left(n)));
            QVERIFY2(!r.ok(), qPrintable(QString::number(n)));
            QVERIFY(r.error().message().contains(QLatin1String("cut.pkl")));
        }
    }

    // Mutated pickles (bytes replaced, cycles through the memo) load or fail; none crashes.
    void mutatedPickles()
    {
        const QByteArray full = stateDict();
        QRandomGenerator rng(20);
        int failed = 0;
        for (int i = 0; i < 20000; ++i) {
            const QByteArray b = mutated(full, rng);
            pickle::Unpickler u(QStringLiteral("m.pkl"));
            failed += !u.load(span(b)).ok();
        }
        QVERIFY(failed > 0);
        // A list that holds itself.
        PickleWriter w;
        w.emptyList().put(0).get(0).op('a').stop();
        pickle::Unpickler u(QStringLiteral("cycle.pkl"));
        auto r = u.load(span(w.bytes()));
        QVERIFY(r.ok());
        QCOMPARE((*r)->items.front(), *r);
    }
};

QTEST_GUILESS_MAIN(TstPickle)
#include "tst_pickle.moc"
