// Object graphs, checkpoint state files and TF1 MetaGraphs against GROUND_TRUTH_TF.json and
// the facts of formats-tensorflow.md sections 2, 3 and 4.1.
#include "formats/tfmetagraph.h"
#include "formats/tfobjectgraph.h"
#include "formats/tfstatefile.h"
#include "testutil.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>

using namespace wl;

namespace
{

const QStringList kItems = {
    QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"),
    QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs"),
    QStringLiteral("keras-tf-weights/lstm-sharded-weights"),
    QStringLiteral("savedmodel/tfs-half-plus-two-tf2"),
    QStringLiteral("savedmodel/tfs-half-plus-two-tf1"),
    QStringLiteral("savedmodel/tetris-dqn-keras-savedmodel"),
    QStringLiteral("savedmodel/lstm-test-sharded-savedmodel"),
    QStringLiteral("tf1-checkpoint/houseprices-saver"),
    QStringLiteral("tf1-checkpoint/mnist-estimator-run"),
    QStringLiteral("tf1-checkpoint/tfserving-bad-half-plus-two"),
    QStringLiteral("tfevents/od-tensorboard-mixed"),
};

QJsonObject groundTruth(const QString &item)
{
    return test::loadJson(test::corpus(item + QStringLiteral("/GROUND_TRUTH_TF.json")));
}

// The object-graph string cut from the data file at the ground truth's offset: a varint
// length, a 4-byte masked CRC of that length, then the serialized graph.
QByteArray objectGraphBytes(const QString &item, const QString &bundle)
{
    const QJsonObject b = groundTruth(item)[QStringLiteral("bundles")][bundle].toObject();
    for (const auto &tv : b[QStringLiteral("tensors")].toArray()) {
        const QJsonObject t = tv.toObject();
        if (t[QStringLiteral("key")].toString() != QLatin1String("_CHECKPOINTABLE_OBJECT_GRAPH"))
            continue;
        const QString prefix = test::corpus(item + QLatin1Char('/') + bundle);
        const QFileInfo pi(prefix);
        const QStringList data = pi.dir().entryList(
            {pi.fileName() + QStringLiteral(".data-%1-of-*")
                                 .arg(t[QStringLiteral("shard")].toInt(), 5, 10, QLatin1Char('0'))},
            QDir::Files);
        if (data.size() != 1)
            return {};
        QFile f(pi.dir().filePath(data.first()));
        if (!f.open(QIODevice::ReadOnly) || !f.seek(t[QStringLiteral("offset")].toInteger()))
            return {};
        const QByteArray raw = f.read(t[QStringLiteral("size")].toInteger());
        quint64 len = 0;
        int i = 0;
        for (int shift = 0; i < raw.size(); ++i, shift += 7) {
            len |= quint64(quint8(raw[i]) & 0x7f) << shift;
            if (!(quint8(raw[i]) & 0x80))
                break;
        }
        const qsizetype start = i + 1 + 4;
        if (start + qsizetype(len) != raw.size())
            return {};
        return raw.mid(start, qsizetype(len));
    }
    return {};
}

// Minimal protobuf encoding for hand-made graphs.
QByteArray varint(quint64 v)
{
    QByteArray out;
    do {
        quint8 b = v & 0x7f;
        v >>= 7;
        out.append(char(v ? b | 0x80 : b));
    } while (v);
    return out;
}
QByteArray field(int number, const QByteArray &payload)
{
    return varint(quint64(number) << 3 | 2) + varint(quint64(payload.size())) + payload;
}
QByteArray fieldInt(int number, qint64 v)
{
    return varint(quint64(number) << 3) + varint(quint64(v));
}
QByteArray child(int id, const QByteArray &name)
{
    return field(1, fieldInt(1, id) + field(2, name));
}
QByteArray attribute(const QByteArray &name, const QByteArray &key)
{
    return field(2, field(1, name) + field(3, key));
}

QString copyToTemp(const QTemporaryDir &dir, const QString &source, const QString &name)
{
    const QString to = dir.filePath(name);
    QFile::copy(source, to);
    QFile::setPermissions(to, QFile::ReadOwner | QFile::WriteOwner);
    return to;
}

} // namespace

class TestTfMeta : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void objectGraphsMatchGroundTruth_data()
    {
        QTest::addColumn<QString>("item");
        QTest::addColumn<QString>("bundle");
        int rows = 0;
        for (const QString &item : kItems) {
            const QJsonObject graphs =
                groundTruth(item)[QStringLiteral("object_graphs")].toObject();
            for (auto it = graphs.begin(); it != graphs.end(); ++it, ++rows)
                QTest::newRow(qPrintable(item + QLatin1Char(':') + it.key())) << item << it.key();
        }
        QVERIFY(rows >= 35);
    }

    void objectGraphsMatchGroundTruth()
    {
        QFETCH(QString, item);
        QFETCH(QString, bundle);
        const QJsonObject gt =
            groundTruth(item)[QStringLiteral("object_graphs")][bundle].toObject();
        const QByteArray bytes = objectGraphBytes(item, bundle);
        QVERIFY(!bytes.isEmpty());
        auto info = parseObjectGraph(bytes, bundle);
        QVERIFY2(info.ok(), qPrintable(info.ok() ? QString() : info.error().message()));
        QCOMPARE(info->nodeCount, gt[QStringLiteral("num_nodes")].toInt());

        const QJsonArray vars = gt[QStringLiteral("variables")].toArray();
        int variableValues = 0;
        for (const auto &e : std::as_const(info->byKey))
            variableValues += e.key.endsWith(QLatin1String("/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(variableValues, int(vars.size()));
        QCOMPARE(info->summary[QStringLiteral("variable_values")].toInt(), int(vars.size()));
        for (const auto &v : vars) {
            const QJsonObject o = v.toObject();
            const QString key = o[QStringLiteral("key")].toString();
            QVERIFY2(info->byKey.contains(key), qPrintable(key));
            const ObjectGraphEntry &e = info->byKey[key];
            QCOMPARE(e.path, o[QStringLiteral("path")].toString());
            if (o.contains(QStringLiteral("slot_of"))) {
                QCOMPARE(e.role, TensorRole::OptimizerSlot);
                QCOMPARE(e.slotOf, o[QStringLiteral("slot_of")].toString());
                QCOMPARE(e.slotName, o[QStringLiteral("slot_name")].toString());
                QCOMPARE(e.optimizerPath, o[QStringLiteral("optimizer")].toString());
            } else {
                // The ground truth lists slot_variables links; list links are checked below.
                QVERIFY(e.role != TensorRole::OptimizerSlot || e.linkedByOrder);
            }
        }
        const QJsonArray links = gt[QStringLiteral("slot_links")].toArray();
        QCOMPARE(info->slotLinks - info->orderedLinks, int(links.size()));
        for (const auto &l : links) {
            const QJsonObject o = l.toObject();
            for (const auto &k : o[QStringLiteral("slot_keys")].toArray()) {
                const ObjectGraphEntry e = info->byKey.value(k.toString());
                QCOMPARE(e.role, TensorRole::OptimizerSlot);
                QCOMPARE(e.slotOf, o[QStringLiteral("variable_path")].toString());
                QCOMPARE(e.optimizerPath, o[QStringLiteral("optimizer_path")].toString());
                QCOMPARE(e.slotName, o[QStringLiteral("slot_name")].toString());
            }
        }
        // Spec 2.2: every rebuilt path matches its stored key.
        QCOMPARE(info->summary[QStringLiteral("key_mismatches")].toArray().size(), 0);
    }

    void a2cFacts()
    {
        const QString item = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts");
        auto info = parseObjectGraph(objectGraphBytes(item, QStringLiteral("ckpt-9")), "ckpt-9");
        QVERIFY(info.ok());
        QCOMPARE(info->nodeCount, 80);
        QCOMPARE(info->slotLinks, 36);
        QCOMPARE(info->summary[QStringLiteral("variable_values")].toInt(), 66);
        const auto m = info->byKey.value(QStringLiteral(
            "actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(m.role, TensorRole::OptimizerSlot);
        QCOMPARE(m.slotOf, QStringLiteral("actor/hidden1/kernel"));
        QCOMPARE(m.optimizerPath, QStringLiteral("actor_optimizer"));
        QCOMPARE(m.path, QStringLiteral("actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/m"));
        const auto counter =
            info->byKey.value(QStringLiteral("save_counter/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(counter.role, TensorRole::Metadata);
        const auto iter =
            info->byKey.value(QStringLiteral("actor_optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(iter.role, TensorRole::Optimizer);
        QCOMPARE(iter.path, QStringLiteral("actor_optimizer/iter"));
        const auto kernel =
            info->byKey.value(QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(kernel.role, TensorRole::Variable);
        QCOMPARE(kernel.path, QStringLiteral("actor/hidden1/kernel"));
        const QJsonArray optimizers = info->summary[QStringLiteral("optimizers")].toArray();
        QVERIFY(optimizers.contains(QStringLiteral("actor_optimizer")));
        QVERIFY(optimizers.contains(QStringLiteral("critic_optimizer")));
    }

    void kerasFacts()
    {
        const QString item = QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs");
        auto info = parseObjectGraph(objectGraphBytes(item, QStringLiteral("ckpt_20")), "ckpt_20");
        QVERIFY(info.ok());
        QCOMPARE(info->nodeCount, 29);
        QCOMPARE(info->slotLinks, 12);
        QCOMPARE(info->summary[QStringLiteral("variable_values")].toInt(), 21);
        const auto config = info->byKey.value(QStringLiteral("/.ATTRIBUTES/OBJECT_CONFIG_JSON"));
        QCOMPARE(config.role, TensorRole::Metadata);
        QCOMPARE(config.path, QStringLiteral("/.ATTRIBUTES/OBJECT_CONFIG_JSON"));
        const auto slot =
            info->byKey.value(QStringLiteral("layer_with_weights-0/embeddings/.OPTIMIZER_SLOT/"
                                             "optimizer/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(slot.optimizerPath, QStringLiteral("optimizer/optimizer"));
        QCOMPARE(slot.slotOf, QStringLiteral("layer_with_weights-0/embeddings"));
        QCOMPARE(
            info->byKey
                .value(QStringLiteral("optimizer/optimizer/beta1_power/.ATTRIBUTES/VARIABLE_VALUE"))
                .role,
            TensorRole::Optimizer);
    }

    void kerasOptimizerVariableLists()
    {
        // A Keras 2.11+ optimizer: no slot_variables; `_variables` holds iterations then, per
        // trainable variable, its momentum and velocity, also listed as `_momentums` and
        // `_velocities` in the order of the model's `trainable_variables`.
        const QString item = QStringLiteral("savedmodel/tetris-dqn-keras-savedmodel");
        const QString bundle = QStringLiteral("variables/variables");
        auto info = parseObjectGraph(objectGraphBytes(item, bundle), bundle);
        QVERIFY(info.ok());
        QHash<QString, QJsonArray> shapeOfPath;
        for (const auto &v :
             groundTruth(item)[QStringLiteral("object_graphs")][bundle][QStringLiteral("variables")]
                 .toArray())
            shapeOfPath.insert(v[QStringLiteral("path")].toString(),
                               v[QStringLiteral("shape")].toArray());
        QCOMPARE(shapeOfPath.size(), 22);

        const QString kernel0 = QStringLiteral("layer_with_weights-0/kernel");
        QHash<QString, QStringList> slotsOf;
        for (const auto &e : std::as_const(info->byKey)) {
            if (e.role != TensorRole::OptimizerSlot)
                continue;
            QVERIFY(e.linkedByOrder);
            QCOMPARE(e.optimizerPath, QStringLiteral("optimizer"));
            QVERIFY2(e.path.startsWith(QLatin1String("optimizer/_variables/")), qPrintable(e.path));
            QVERIFY2(shapeOfPath.contains(e.slotOf), qPrintable(e.slotOf));
            QCOMPARE(shapeOfPath.value(e.path), shapeOfPath.value(e.slotOf));
            slotsOf[e.slotOf].append(e.slotName + QLatin1Char('=') + e.path);
        }
        // A velocity (a mean of squared gradients) is never negative; here every momentum is.
        int negativeMomentums = 0;
        for (const auto &t : test::groundTruthTensors(item, bundle)) {
            const auto e = info->byKey.value(t[QStringLiteral("key")].toString());
            const double min = t[QStringLiteral("min")].toDouble();
            if (e.slotName == QLatin1String("velocity"))
                QVERIFY2(min >= 0, qPrintable(e.path));
            negativeMomentums += e.slotName == QLatin1String("momentum") && min < 0;
        }
        QCOMPARE(negativeMomentums, 6);
        QCOMPARE(info->slotLinks, 12);
        QCOMPARE(info->orderedLinks, 12);
        QCOMPARE(info->summary[QStringLiteral("slot_links")].toInt(), 12);
        QCOMPARE(slotsOf.size(), 6); // every kernel and bias of the three Dense layers
        QStringList first = slotsOf.value(kernel0);
        first.sort();
        QCOMPARE(first, (QStringList{"momentum=optimizer/_variables/1",
                                     "velocity=optimizer/_variables/2"}));
        QStringList last = slotsOf.value(QStringLiteral("layer_with_weights-2/bias"));
        last.sort();
        QCOMPARE(last, (QStringList{"momentum=optimizer/_variables/11",
                                    "velocity=optimizer/_variables/12"}));
        for (const char *scalar : {"optimizer/_iterations", "optimizer/_learning_rate"})
            QCOMPARE(
                info->byKey
                    .value(QLatin1String(scalar) + QLatin1String("/.ATTRIBUTES/VARIABLE_VALUE"))
                    .role,
                TensorRole::Optimizer);
        QCOMPARE(info->byKey.value(kernel0 + QLatin1String("/.ATTRIBUTES/VARIABLE_VALUE")).role,
                 TensorRole::Variable);
        QCOMPARE(info->summary[QStringLiteral("key_mismatches")].toArray().size(), 0);
    }

    void savedModelGraph()
    {
        auto info =
            parseObjectGraph(objectGraphBytes(QStringLiteral("savedmodel/tfs-half-plus-two-tf2"),
                                              QStringLiteral("variables/variables")),
                             "variables");
        QVERIFY(info.ok());
        QCOMPARE(info->nodeCount, 24);
        QCOMPARE(info->slotLinks, 0);
        QStringList paths;
        for (const auto &e : std::as_const(info->byKey))
            paths.append(e.path);
        paths.sort();
        QCOMPARE(paths, (QStringList{"a", "b", "c"}));
    }

    void escapedNamesAndMismatches()
    {
        // root -> "a.b" -> "c/d"; keys follow the escape rule, one of them wrongly.
        const QByteArray root = field(1, child(1, "a.b"));
        const QByteArray n1 = field(
            1, child(2, "c/d") + attribute("VARIABLE_VALUE", "a..b/.ATTRIBUTES/VARIABLE_VALUE"));
        const QByteArray n2 =
            field(1, attribute("VARIABLE_VALUE", "a.b/c/d/.ATTRIBUTES/VARIABLE_VALUE"));
        auto info = parseObjectGraph(root + n1 + n2, "made");
        QVERIFY(info.ok());
        QCOMPARE(info->byKey.value("a..b/.ATTRIBUTES/VARIABLE_VALUE").path, QStringLiteral("a.b"));
        const QJsonArray mismatches = info->summary[QStringLiteral("key_mismatches")].toArray();
        QCOMPARE(mismatches.size(), 1);
        QCOMPARE(mismatches[0][QStringLiteral("expected")].toString(),
                 QStringLiteral("a..b/c.Sd/.ATTRIBUTES/VARIABLE_VALUE"));
    }

    void badGraphs()
    {
        // A child id past the end.
        auto r = parseObjectGraph(field(1, child(5, "x")), "made");
        QVERIFY(!r.ok());
        QVERIFY(r.error().where.contains(QStringLiteral("node 0")));
        QCOMPARE(r.error().found, QStringLiteral("5"));
        // A negative slot reference on node 1.
        const QByteArray slot = field(3, fieldInt(1, -3) + field(2, "m") + fieldInt(3, 0));
        r = parseObjectGraph(field(1, child(1, "opt")) + field(1, slot), "made");
        QVERIFY(!r.ok());
        QVERIFY(r.error().where.contains(QStringLiteral("node 1")));
        QCOMPARE(r.error().found, QStringLiteral("-3"));
        // Cycles terminate: 0 -> 1 -> 0, 1 -> 1.
        r = parseObjectGraph(
            field(1, child(1, "a")) + field(1, child(0, "back") + child(1, "self")), "made");
        QVERIFY(r.ok());
        QCOMPARE(r->nodeCount, 2);
        // Garbage and empty input.
        r = parseObjectGraph(QByteArray("\x0a\x7f\x01\x02", 4), "made");
        QVERIFY(!r.ok());
        QCOMPARE(r.error().file, QStringLiteral("made"));
        QVERIFY(r.error().message().contains(QStringLiteral("truncated")));
        QVERIFY(!parseObjectGraph(QByteArray(), "made").ok());
    }

    void stateFilesMatchGroundTruth_data()
    {
        QTest::addColumn<QString>("item");
        int rows = 0;
        for (const QString &item : kItems)
            if (!groundTruth(item)[QStringLiteral("state_files")].toObject().isEmpty()) {
                QTest::newRow(qPrintable(item)) << item;
                ++rows;
            }
        QCOMPARE(rows, 7);
    }

    void stateFilesMatchGroundTruth()
    {
        QFETCH(QString, item);
        const QJsonObject gt =
            groundTruth(item)[QStringLiteral("state_files")][QStringLiteral("checkpoint")]
                .toObject();
        const QString file = test::corpus(item + QStringLiteral("/checkpoint"));
        auto info = readCheckpointState(file);
        QVERIFY2(info.ok(), qPrintable(info.ok() ? QString() : info.error().message()));
        auto check = [&](const CheckpointStateEntry &e, const QJsonObject &o) {
            QCOMPARE(e.written, o[QStringLiteral("path")].toString());
            QCOMPARE(e.absolute, o[QStringLiteral("absolute")].toBool());
            if (o.contains(QStringLiteral("basename_fallback"))) {
                // Spec 3: the sibling is found and it is a V1 file without .index.
                QVERIFY(e.fellBack);
                QCOMPARE(QFileInfo(e.resolved).fileName(),
                         o[QStringLiteral("basename_fallback")].toString());
                QCOMPARE(QFileInfo(e.resolved).absolutePath(), QFileInfo(file).absolutePath());
                QVERIFY(e.v1Exists);
                QVERIFY(!e.indexExists);
            } else {
                QVERIFY(!e.fellBack);
                QCOMPARE(e.resolved, QDir(QFileInfo(file).absolutePath())
                                         .filePath(o[QStringLiteral("resolved")].toString()));
                QCOMPARE(e.indexExists, o[QStringLiteral("index_exists")].toBool());
                QCOMPARE(e.v1Exists, o[QStringLiteral("v1_file_exists")].toBool());
            }
        };
        QCOMPARE(info->latest.written, gt[QStringLiteral("model_checkpoint_path")].toString());
        check(info->latest, gt[QStringLiteral("latest")].toObject());
        const QJsonArray all = gt[QStringLiteral("all")].toArray();
        QCOMPARE(info->all.size(), all.size());
        for (int i = 0; i < all.size(); ++i)
            check(info->all[i], all[i].toObject());
        const QJsonArray ts = gt[QStringLiteral("all_model_checkpoint_timestamps")].toArray();
        QCOMPARE(info->timestamps.size(), ts.size());
        for (int i = 0; i < ts.size(); ++i)
            QCOMPARE(info->timestamps[i], ts[i].toDouble());
        QCOMPARE(info->lastPreserved.has_value(),
                 !gt[QStringLiteral("last_preserved_timestamp")].isNull());
        if (info->lastPreserved)
            QCOMPARE(*info->lastPreserved,
                     gt[QStringLiteral("last_preserved_timestamp")].toDouble());
    }

    void stateFileSpecFacts()
    {
        auto a2c =
            readCheckpointState(test::corpus("tf2-checkpoint/a2c-suspension-ckpts/checkpoint"));
        QVERIFY(a2c.ok());
        QCOMPARE(a2c->latest.written, QStringLiteral("ckpt-9"));
        QCOMPARE(a2c->all.size(), 3);
        QCOMPARE(a2c->all[0].written, QStringLiteral("ckpt-7"));
        QCOMPARE(a2c->timestamps,
                 (QList<double>{1749551857.5064511, 1749554646.9013226, 1749556872.0213294}));
        QCOMPARE(*a2c->lastPreserved, 1749486234.077182);
        QVERIFY(a2c->problems.isEmpty());

        auto mnist =
            readCheckpointState(test::corpus("tf1-checkpoint/mnist-estimator-run/checkpoint"));
        QVERIFY(mnist.ok());
        QCOMPARE(mnist->latest.written, QStringLiteral("model.ckpt-20000"));
        QCOMPARE(mnist->all.size(), 2);
        QCOMPARE(mnist->all[0].written, QStringLiteral("model.ckpt-1"));

        auto bad = readCheckpointState(
            test::corpus("tf1-checkpoint/tfserving-bad-half-plus-two/checkpoint"));
        QVERIFY(bad.ok());
        QVERIFY(bad->latest.absolute);
        QVERIFY(bad->latest.fellBack);
        QVERIFY(bad->latest.v1Exists);
        QVERIFY(bad->latest.written.endsWith(QLatin1String("/bad_half_plus_two/00000123/export")));
        QCOMPARE(bad->problems.size(), 1);
        QVERIFY(bad->problems[0].text.contains(QStringLiteral("does not exist")));

        auto mixed = readCheckpointState(test::corpus("tfevents/od-tensorboard-mixed/checkpoint"));
        QVERIFY(mixed.ok());
        QCOMPARE(mixed->latest.written, QStringLiteral("ckpt-2"));
        QVERIFY(!mixed->latest.indexExists);
        QVERIFY(!mixed->latest.v1Exists);
        QCOMPARE(mixed->problems.size(), 1);
        QVERIFY(mixed->problems[0].text.contains(QStringLiteral("missing")));
        QCOMPARE(mixed->problems[0].where, QStringLiteral("ckpt-2"));
    }

    void stateFileSyntax()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto write = [&](const QByteArray &text) {
            QFile f(dir.filePath("checkpoint"));
            f.open(QIODevice::WriteOnly | QIODevice::Truncate);
            f.write(text);
            f.close();
            return readCheckpointState(dir.filePath("checkpoint"));
        };
        // Comments, unknown fields, escapes, any order; a present checkpoint next to it.
        QFile(dir.filePath("my \"x\".index")).open(QIODevice::WriteOnly);
        auto ok = write("# saved\nall_model_checkpoint_paths: \"old\"\nfuture_field: 7\n"
                        "model_checkpoint_path: \"my \\\"x\\\"\"\nall_model_checkpoint_paths: \"my "
                        "\\\"x\\\"\"\n");
        QVERIFY2(ok.ok(), qPrintable(ok.ok() ? QString() : ok.error().message()));
        QCOMPARE(ok->latest.written, QStringLiteral("my \"x\""));
        QVERIFY(ok->latest.indexExists);
        QCOMPARE(ok->all.size(), 2);
        QCOMPARE(ok->problems.size(), 1); // "old" is missing
        QCOMPARE(ok->problems[0].where, QStringLiteral("old"));

        auto garbage = write("model_checkpoint_path: \"a\"\nthis is { not text format\n");
        QVERIFY(!garbage.ok());
        QCOMPARE(garbage.error().where, QStringLiteral("line 2, column 6"));
        QCOMPARE(garbage.error().file, dir.filePath("checkpoint"));

        QVERIFY(!write(QByteArray("\x00\xff\xfe\x01binary", 10)).ok());
        QVERIFY(!write("").ok());
        QCOMPARE(readCheckpointState(dir.filePath("absent")).error().code,
                 LoadError::Code::NotFound);
    }

    void metaGraphFiles()
    {
        // Spec 4.1: as many variables as VariableV2 nodes and bundle keys; the MetaGraph's
        // dtype and shape agree with the bundle's ground truth.
        struct Case {
            QString item, prefix, version;
            int variables;
        };
        for (const Case &c :
             {Case{"tf1-checkpoint/houseprices-saver", "model.ckpt", "1.10.0", 34},
              Case{"tf1-checkpoint/mnist-estimator-run", "model.ckpt-20000", "1.5.0", 21}}) {
            auto info = readMetaGraphFile(test::corpus(c.item + '/' + c.prefix + ".meta"));
            QVERIFY2(info.ok(), qPrintable(info.ok() ? QString() : info.error().message()));
            QCOMPARE(info->tensorflowVersion, c.version);
            QCOMPARE(info->variables.size(), c.variables);
            QVERIFY(info->collections.contains(QStringLiteral("variables")));
            const QJsonArray tensors =
                groundTruth(c.item)[QStringLiteral("bundles")][c.prefix][QStringLiteral("tensors")]
                    .toArray();
            QCOMPARE(tensors.size(), c.variables);
            QHash<QString, QJsonObject> byKey;
            for (const auto &t : tensors)
                byKey.insert(t[QStringLiteral("key")].toString(), t.toObject());
            for (const MetaGraphVariable &v : std::as_const(info->variables)) {
                QVERIFY2(byKey.contains(v.key), qPrintable(v.key));
                const QJsonObject t = byKey[v.key];
                QCOMPARE(tensorFlowDTypeName(v.sourceDType), t[QStringLiteral("dtype")].toString());
                std::vector<std::int64_t> dims;
                for (const auto &d : t[QStringLiteral("shape")].toArray())
                    dims.push_back(d.toInteger());
                QCOMPARE(v.shape.dims, dims);
                QVERIFY(!v.shape.unknownRank);
            }
        }
        auto mnist = readMetaGraphFile(
            test::corpus("tf1-checkpoint/mnist-estimator-run/model.ckpt-20000.meta"));
        QVERIFY(mnist.ok());
        QCOMPARE(mnist->graphNodes, 520); // spec 4.1: same nodes as graph.pbtxt
        int trainable = 0;
        for (const auto &v : std::as_const(mnist->variables))
            trainable += v.trainable;
        QVERIFY(trainable > 0 && trainable < 21); // global_step is not trainable
        for (const auto &v : std::as_const(mnist->variables))
            if (v.key == QLatin1String("global_step"))
                QVERIFY(!v.trainable);
    }

    void badMetaGraphs()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString source = test::corpus("tf1-checkpoint/houseprices-saver/model.ckpt.meta");
        const QString path = copyToTemp(dir, source, "cut.meta");
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(f.size() / 2));
        f.close();
        auto cut = readMetaGraphFile(path);
        QVERIFY(!cut.ok());
        QCOMPARE(cut.error().file, path);
        QVERIFY2(cut.error().message().contains(QStringLiteral("truncated")),
                 qPrintable(cut.error().message()));

        // Field 1 (meta_info_def) stored as a varint: a wire-type mismatch.
        const QString garbled = copyToTemp(dir, source, "garbled.meta");
        QFile g(garbled);
        QVERIFY(g.open(QIODevice::ReadWrite));
        QByteArray bytes = g.readAll();
        QCOMPARE(quint8(bytes[0]), quint8(0x0a));
        bytes[0] = char(0x08);
        g.seek(0);
        g.write(bytes);
        g.close();
        auto mismatch = readMetaGraphFile(garbled);
        QVERIFY(!mismatch.ok());
        QVERIFY2(mismatch.error().message().contains(QStringLiteral("field 1")),
                 qPrintable(mismatch.error().message()));

        QFile empty(dir.filePath("empty.meta"));
        empty.open(QIODevice::WriteOnly);
        empty.close();
        QVERIFY(!readMetaGraphFile(dir.filePath("empty.meta")).ok());
        QVERIFY(!readMetaGraphFile(dir.filePath("absent.meta")).ok());
    }
};

QTEST_GUILESS_MAIN(TestTfMeta)
#include "tst_tfmeta.moc"
