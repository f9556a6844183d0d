// Every V2 bundle of the corpus against its GROUND_TRUTH_TF.json, plus the facts the specs
// state about particular files.

#include "formats/readerregistry.h"
#include "stats/statsengine.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>

using namespace wl;

namespace
{

bool close(double a, double b)
{
    return std::abs(a - b) <= std::max(1e-12, 1e-9 * std::max(std::abs(a), std::abs(b)));
}

// Items whose ground truth lists bundles: "category/item".
QStringList tfItems()
{
    QStringList out;
    for (const char *category :
         {"tf1-checkpoint", "tf2-checkpoint", "keras-tf-weights", "savedmodel"}) {
        QDir dir(test::corpus(QString::fromLatin1(category)));
        for (const QString &item : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
            if (QFileInfo::exists(dir.filePath(item + QStringLiteral("/GROUND_TRUTH_TF.json"))))
                out << QString::fromLatin1(category) + QLatin1Char('/') + item;
    }
    return out;
}

// test::openOne, saying why an open failed so that a failing case shows the reader's message.
std::shared_ptr<Checkpoint> openOne(const QString &path)
{
    QString error;
    auto cp = test::openOne(path, &error);
    if (!error.isEmpty())
        qWarning() << error;
    return cp;
}

const TensorInfo *byKey(const Checkpoint &cp, const QString &key)
{
    const int i = cp.index().indexOfKey(key);
    return i < 0 ? nullptr : &cp.tensor(i);
}

template <class T> T scalar(const Checkpoint &cp, const QString &key)
{
    T v{};
    auto bytes = cp.readTensor(cp.index().indexOfKey(key));
    if (bytes.ok() && bytes->size() == qsizetype(sizeof(T)))
        std::memcpy(&v, bytes->constData(), sizeof(T));
    return v;
}

} // namespace

class TstTfBundles : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void groundTruth_data()
    {
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<QJsonArray>("expected");
        int bundles = 0;
        for (const QString &item : tfItems()) {
            const auto gt =
                test::loadJson(test::corpus(item + QStringLiteral("/GROUND_TRUTH_TF.json")));
            const auto b = gt.value(QStringLiteral("bundles")).toObject();
            for (auto it = b.begin(); it != b.end(); ++it) {
                QTest::newRow(qPrintable(item + QLatin1Char('/') + it.key()))
                    << test::corpus(item + QLatin1Char('/') + it.key())
                    << it.value().toObject().value(QStringLiteral("tensors")).toArray();
                ++bundles;
            }
        }
        QVERIFY2(bundles >= 40, qPrintable(QString::number(bundles)));
    }
    void groundTruth()
    {
        QFETCH(QString, prefix);
        QFETCH(QJsonArray, expected);
        auto cp = openOne(prefix);
        QVERIFY(cp);
        const auto &idx = cp->index();
        QStringList keys, expectedKeys;
        for (const auto &t : idx.tensors)
            keys << t.key;
        for (const auto &v : expected)
            expectedKeys << v.toObject().value(QStringLiteral("key")).toString();
        QCOMPARE(keys, expectedKeys);

        StatsRequest req;
        req.hash = true;
        const auto reports = computeStats(*cp, allTensors(cp->index()), req);
        QCOMPARE(reports.size(), expected.size());
        for (int i = 0; i < expected.size(); ++i) {
            const auto e = expected[i].toObject();
            const auto &t = idx.tensors[i];
            const auto &r = reports[i];
            const QByteArray where = t.key.toUtf8();
            QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
            QCOMPARE(tensorFlowDTypeName(t.sourceDType), e[QStringLiteral("dtype")].toString());
            Shape shape;
            for (const auto &d : e[QStringLiteral("shape")].toArray())
                shape.dims.push_back(d.toInteger());
            QVERIFY2(t.shape == shape, where);
            QCOMPARE(t.location.shard, e[QStringLiteral("shard")].toInt());
            QCOMPARE(t.location.offset, e[QStringLiteral("offset")].toInteger());
            QCOMPARE(t.location.size, e[QStringLiteral("size")].toInteger());
            QVERIFY2(
                t.location.file.endsWith(
                    QStringLiteral(".data-%1-of-").arg(t.location.shard, 5, 10, QLatin1Char('0')) +
                    t.location.file.right(5)),
                qPrintable(t.location.file));
            QCOMPARE(r.checksum == ChecksumState::Ok, e[QStringLiteral("crc_ok")].toBool());
            QCOMPARE(r.stats.count, e[QStringLiteral("count")].toInteger());
            QCOMPARE(QString::fromLatin1(r.sha256.toHex()), e[QStringLiteral("sha256")].toString());
            if (e[QStringLiteral("min")].isNull()) {
                QVERIFY2(!r.reduced, where);
                continue;
            }
            QVERIFY2(r.reduced, where);
            QCOMPARE(r.stats.nan + r.stats.inf, e[QStringLiteral("nonfinite")].toInteger());
            for (const auto &[name, value] :
                 {std::pair{"min", *r.stats.min}, std::pair{"max", *r.stats.max},
                  std::pair{"mean", *r.stats.mean}, std::pair{"std", *r.stats.std},
                  std::pair{"sum", r.stats.sum}}) {
                const double want = e[QLatin1String(name)].toDouble();
                QVERIFY2(close(value, want), qPrintable(QStringLiteral("%1 %2: %3 vs %4")
                                                            .arg(t.key, QLatin1String(name))
                                                            .arg(value, 0, 'g', 17)
                                                            .arg(want, 0, 'g', 17)));
            }
        }
    }

    void halfPlusTwo()
    {
        auto cp =
            openOne(test::corpus(QStringLiteral("savedmodel/tfs-half-plus-two-tf2/variables")));
        QVERIFY(cp);
        QCOMPARE(cp->index().displayName, QStringLiteral("variables"));
        QCOMPARE(cp->index().subtype, QStringLiteral("object-based"));
        QCOMPARE(scalar<float>(*cp, QStringLiteral("a/.ATTRIBUTES/VARIABLE_VALUE")), 0.5f);
        QCOMPARE(scalar<float>(*cp, QStringLiteral("b/.ATTRIBUTES/VARIABLE_VALUE")), 2.0f);
        QCOMPARE(scalar<float>(*cp, QStringLiteral("c/.ATTRIBUTES/VARIABLE_VALUE")), 3.0f);
        QCOMPARE(byKey(*cp, QStringLiteral("a/.ATTRIBUTES/VARIABLE_VALUE"))->name,
                 QStringLiteral("a"));
        // The object-graph string (spec 1.4): exact stored bytes and the TF string CRC rule.
        const int og = cp->index().indexOfKey(QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH"));
        QCOMPARE(cp->tensor(og).role, TensorRole::Metadata);
        QCOMPARE(cp->tensor(og).location.offset, 12);
        QCOMPARE(cp->tensor(og).location.size, 619);
        QByteArray stored;
        auto state = cp->streamTensor(og, [&](const std::uint8_t *p, std::size_t n) {
            stored.append(reinterpret_cast<const char *>(p), qsizetype(n));
            return true;
        });
        QVERIFY(state.ok());
        QCOMPARE(state.value(), ChecksumState::Ok);
        QCOMPARE(stored.size(), 619);
        QCOMPARE(stored.left(6).toHex(), QByteArray("e504b1a65e36"));
        QCOMPARE(QCryptographicHash::hash(stored, QCryptographicHash::Sha256).toHex(),
                 QByteArray("74cfab043a2c025e6e398455ec2af85a061254d38ea0fbc9f666d121950141ce"));
        // Opening the folder, the prefix, the index and the data shard give the same bundle.
        const QString dir =
            test::corpus(QStringLiteral("savedmodel/tfs-half-plus-two-tf2/variables"));
        for (const QString &p :
             {dir + QStringLiteral("/variables"), dir + QStringLiteral("/variables.index"),
              dir + QStringLiteral("/variables.data-00000-of-00001")}) {
            auto other = openOne(p);
            QVERIFY2(other, qPrintable(p));
            QCOMPARE(other->index().tensors.size(), 4);
            QCOMPARE(other->index().path, dir + QStringLiteral("/variables"));
        }
    }

    void mnistEstimator()
    {
        const QString dir = test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run"));
        auto cp = openOne(dir + QStringLiteral("/model.ckpt-20000"));
        QVERIFY(cp);
        const auto &idx = cp->index();
        QCOMPARE(idx.subtype, QStringLiteral("name-based (TF1 Saver)"));
        QCOMPARE(idx.step, std::optional<std::int64_t>(20000));
        QCOMPARE(scalar<std::int64_t>(*cp, QStringLiteral("global_step")), std::int64_t(20000));
        QCOMPARE(byKey(*cp, QStringLiteral("global_step"))->role, TensorRole::Metadata);
        // formats-keras-pytorch.md section 8.
        const int k = idx.indexOfKey(QStringLiteral("conv2d/kernel"));
        QCOMPARE(cp->tensor(k).location.offset, 56);
        QCOMPARE(cp->tensor(k).location.size, 400);
        QCOMPARE(cp->tensor(k).trainable, std::optional<bool>(true));
        StatsRequest req;
        req.hash = true;
        const auto r = computeStats(*cp, {k}, req).at(0);
        QCOMPARE(r.stats.count, 100);
        QCOMPARE(r.stats.nan + r.stats.inf + r.stats.zeros, 0);
        QVERIFY(close(*r.stats.min, -0.803230345249176));
        QVERIFY(close(*r.stats.max, 1.0361934900283813));
        QVERIFY(close(*r.stats.mean, 0.07107327550183981));
        QVERIFY(close(*r.stats.std, 0.4030300451111308));
        QVERIFY(close(r.stats.l2, 4.092488579737768));
        QCOMPARE(r.sha256.toHex(),
                 QByteArray("95d10db0d376ef832ce66f0122a5ffc86c8051737dd7771a0aed61f5e4abaed4"));
        QCOMPARE(r.checksum, ChecksumState::Ok);
        // TF1 optimizer naming.
        const auto *slot = byKey(*cp, QStringLiteral("dense/kernel/Adam_1"));
        QVERIFY(slot);
        QCOMPARE(slot->role, TensorRole::OptimizerSlot);
        QCOMPARE(slot->slotOf, QStringLiteral("dense/kernel"));
        QCOMPARE(slot->trainable, std::optional<bool>(false));
        QCOMPARE(byKey(*cp, QStringLiteral("beta1_power"))->role, TensorRole::Optimizer);
        // Through its .meta.
        auto viaMeta = openOne(dir + QStringLiteral("/model.ckpt-20000.meta"));
        QVERIFY(viaMeta);
        QCOMPARE(viaMeta->index().tensors.size(), 21);

        // The folder: state-file order, latest, the files it accounts for.
        auto run = ReaderRegistry::builtin().open(dir);
        QVERIFY(run.ok());
        QCOMPARE(run->kind, QStringLiteral("run"));
        QCOMPARE(run->latest, QStringLiteral("model.ckpt-20000"));
        QStringList names;
        for (const auto &c : run->checkpoints)
            names << c->index().displayName;
        QCOMPARE(names, (QStringList{"model.ckpt-1", "model.ckpt-20000"}));
        for (const char *f : {"checkpoint", "model.ckpt-1.index", "model.ckpt-1.meta",
                              "model.ckpt-20000.data-00000-of-00001"})
            QVERIFY2(run->consumedFiles.contains(dir + QLatin1Char('/') + QLatin1String(f)), f);
    }

    void a2cRun()
    {
        const QString dir = test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"));
        auto cp = openOne(dir + QStringLiteral("/ckpt-9.index"));
        QVERIFY(cp);
        const auto &idx = cp->index();
        QCOMPARE(idx.step, std::optional<std::int64_t>(9));
        QCOMPARE(
            scalar<std::int64_t>(*cp, QStringLiteral("save_counter/.ATTRIBUTES/VARIABLE_VALUE")),
            std::int64_t(9));
        int slotCount = 0;
        for (const auto &t : idx.tensors)
            slotCount += t.role == TensorRole::OptimizerSlot ? 1 : 0;
        QCOMPARE(slotCount, 36);
        const auto *m = byKey(*cp, QStringLiteral("actor/hidden1/kernel/.OPTIMIZER_SLOT/"
                                                  "actor_optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"));
        QVERIFY(m);
        QCOMPARE(m->slotName, QStringLiteral("m"));
        QCOMPARE(m->slotOf, QStringLiteral("actor/hidden1/kernel"));
        QCOMPARE(m->shape, (Shape{{1, 5}}));
        QCOMPARE(
            byKey(*cp, QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE"))->name,
            QStringLiteral("actor/hidden1/kernel"));
        QCOMPARE(byKey(*cp, QStringLiteral("save_counter/.ATTRIBUTES/VARIABLE_VALUE"))->role,
                 TensorRole::Metadata);
        QCOMPARE(idx.summary.value(QStringLiteral("kind")).toString(),
                 QStringLiteral("tf-checkpoint"));

        auto run = ReaderRegistry::builtin().open(dir);
        QVERIFY(run.ok());
        QCOMPARE(run->kind, QStringLiteral("run"));
        QCOMPARE(run->latest, QStringLiteral("ckpt-9"));
        QStringList names;
        for (const auto &c : run->checkpoints)
            names << c->index().displayName;
        QCOMPARE(names, (QStringList{"ckpt-7", "ckpt-8", "ckpt-9"}));
        QCOMPARE(run->checkpoints[0]->index().step, std::optional<std::int64_t>(7));
        QCOMPARE(run->consumedFiles.size(), 1 + 3 * 3); // state file; prefix, index, data each
    }

    void legacyV1()
    {
        auto v1 = openOne(test::corpus(
            QStringLiteral("tf1-checkpoint/tfserving-session-bundle-v1/export-00000-of-00001")));
        QVERIFY(v1);
        QCOMPARE(v1->index().formatName, QStringLiteral("TensorFlow checkpoint (legacy V1)"));
        QCOMPARE(scalar<float>(*v1, QStringLiteral("a")), 0.5f);
        QCOMPARE(scalar<float>(*v1, QStringLiteral("b")), 2.0f);

        const QString dir =
            test::corpus(QStringLiteral("tf1-checkpoint/tfserving-bad-half-plus-two"));
        auto run = ReaderRegistry::builtin().open(dir);
        QVERIFY2(run.ok(), qPrintable(run.ok() ? QString() : run.error().message()));
        QCOMPARE(run->checkpoints.size(), std::size_t(1));
        QCOMPARE(run->latest, QStringLiteral("export")); // via the basename fallback
        const auto &cp = *run->checkpoints.front();
        QCOMPARE(cp.index().subtype, QStringLiteral("legacy V1"));
        QCOMPARE(scalar<float>(cp, QStringLiteral("Variable")), 0.5f);
        QCOMPARE(scalar<float>(cp, QStringLiteral("Variable_1")), 2.0f);
        QVERIFY(run->consumedFiles.contains(dir + QStringLiteral("/export.meta")));
        // The stale absolute path of the state file is reported.
        QVERIFY(!run->problems.isEmpty());
    }

    void shardedBundle()
    {
        auto cp = openOne(test::corpus(
            QStringLiteral("keras-tf-weights/lstm-sharded-weights/16LSTM_Neurons10Epochs.ckpt")));
        QVERIFY(cp);
        QCOMPARE(cp->index().metadata.first(),
                 qMakePair(QStringLiteral("num_shards"), QStringLiteral("2")));
        QSet<int> shards;
        for (const auto &t : cp->index().tensors)
            shards.insert(t.location.shard);
        QCOMPARE(shards, (QSet<int>{0, 1}));
    }

    void folderOrderIsNumeric()
    {
        // The state file lists only ckpt_20; the other 19 follow by number, not by text.
        auto run = ReaderRegistry::builtin().open(
            test::corpus(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs")));
        QVERIFY(run.ok());
        QCOMPARE(run->checkpoints.size(), std::size_t(20));
        for (std::size_t i = 0; i < 20; ++i)
            QCOMPARE(run->checkpoints[i]->index().displayName,
                     QStringLiteral("ckpt_%1").arg(i + 1));
        QCOMPARE(run->latest, QStringLiteral("ckpt_20"));
    }

    void missingListedCheckpoint()
    {
        // A state file naming a deleted ckpt-2 beside a present ckpt-9 and an unlisted ckpt-10.
        QTemporaryDir dir;
        const QString src =
            test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts")) + QLatin1Char('/');
        for (const QString &n : {QStringLiteral("ckpt-9"), QStringLiteral("ckpt-10")})
            for (const char *ext : {".index", ".data-00000-of-00001"})
                QVERIFY(QFile::copy(src + QStringLiteral("ckpt-9") + QLatin1String(ext),
                                    dir.filePath(n + QLatin1String(ext))));
        QFile state(dir.filePath(QStringLiteral("checkpoint")));
        QVERIFY(state.open(QIODevice::WriteOnly));
        state.write("model_checkpoint_path: \"ckpt-9\"\n"
                    "all_model_checkpoint_paths: \"ckpt-2\"\n"
                    "all_model_checkpoint_paths: \"ckpt-9\"\n");
        state.close();
        QVERIFY(QFile(dir.filePath(QStringLiteral("ckpt-9.index.tempstate123")))
                    .open(QIODevice::WriteOnly));
        auto run = ReaderRegistry::builtin().open(dir.path());
        QVERIFY2(run.ok(), qPrintable(run.ok() ? QString() : run.error().message()));
        QStringList names;
        for (const auto &c : run->checkpoints)
            names << c->index().displayName;
        QCOMPARE(names, (QStringList{"ckpt-9", "ckpt-10"}));
        QCOMPARE(run->latest, QStringLiteral("ckpt-9"));
        bool reported = false;
        for (const auto &p : run->problems)
            reported = reported || p.text.contains(QStringLiteral("ckpt-2")) ||
                       p.where.contains(QStringLiteral("ckpt-2"));
        QVERIFY(reported);
    }
};

QTEST_GUILESS_MAIN(TstTfBundles)
#include "tst_tfbundles.moc"
