// SavedModel directories against GROUND_TRUTH_TF.json `savedmodels` and the facts of
// formats-tensorflow.md section 5.
#include "formats/readerregistry.h"
#include "testutil.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <cstring>

using namespace wl;

namespace
{

const QStringList kItems = {
    QStringLiteral("savedmodel/tfs-half-plus-two-tf2"),
    QStringLiteral("savedmodel/tfs-half-plus-two-tf1"),
    QStringLiteral("savedmodel/tetris-dqn-keras-savedmodel"),
    QStringLiteral("savedmodel/lstm-test-sharded-savedmodel"),
};

const Reader &reader()
{
    const Reader *r = ReaderRegistry::builtin().find(QStringLiteral("savedmodel"));
    Q_ASSERT(r);
    return *r;
}

Result<OpenResult> openDir(const QString &dir)
{
    return reader().open(Source::fromPath(dir), JobContext::none());
}

QJsonObject gtOf(const QString &item)
{
    return test::loadJson(test::corpus(
        item + QStringLiteral(
                   "/GROUND_TRUTH_TF.json")))[QStringLiteral("savedmodels")][QStringLiteral(".")]
        .toObject();
}

QString shapeText(const QJsonValue &dims)
{
    QStringList parts;
    for (const auto &d : dims.toArray())
        parts << (d.toInteger() < 0 ? QStringLiteral("?") : QString::number(d.toInteger()));
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

// Hashes exceed double precision, so read their digits from the JSON text itself.
quint64 rawUnsigned(const QString &item, const QString &key)
{
    QFile f(test::corpus(item + QStringLiteral("/GROUND_TRUTH_TF.json")));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const auto m = QRegularExpression(QStringLiteral("\"%1\":\\s*(\\d+)").arg(key))
                       .match(QString::fromUtf8(f.readAll()));
    return m.hasMatch() ? m.captured(1).toULongLong() : 0;
}

int indexOfKey(const CheckpointIndex &idx, const QString &key)
{
    for (int i = 0; i < idx.tensors.size(); ++i)
        if (idx.tensors[i].key == key)
            return i;
    return -1;
}

float scalar(const Checkpoint &c, const QString &key)
{
    const int i = indexOfKey(c.index(), key);
    if (i < 0)
        return -1;
    auto bytes = c.readTensor(i);
    if (!bytes || bytes->size() != 4)
        return -1;
    float v;
    std::memcpy(&v, bytes->constData(), 4);
    return v;
}

void copyTree(const QString &from, const QString &to)
{
    QDir().mkpath(to);
    for (const QFileInfo &fi :
         QDir(from).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString target = to + QLatin1Char('/') + fi.fileName();
        if (fi.isDir()) {
            copyTree(fi.absoluteFilePath(), target);
        } else {
            QFile::copy(fi.absoluteFilePath(), target);
            QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner);
        }
    }
}

} // namespace

class TestSavedModel : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void matchesGroundTruth_data()
    {
        QTest::addColumn<QString>("item");
        for (const QString &item : kItems)
            QTest::newRow(qPrintable(item)) << item;
    }

    void matchesGroundTruth()
    {
        QFETCH(QString, item);
        const QJsonObject gt = gtOf(item);
        QVERIFY(!gt.isEmpty());
        const QString dir = test::corpus(item);
        QCOMPARE(reader().probe(Source::fromPath(dir)).score, 95);
        auto r = openDir(dir);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        QCOMPARE(r->kind, QStringLiteral("savedmodel"));
        const QJsonObject s = r->summary;
        QCOMPARE(s[QStringLiteral("kind")].toString(), QStringLiteral("savedmodel"));
        QCOMPARE(s[QStringLiteral("schema_version")].toInteger(),
                 gt[QStringLiteral("saved_model_schema_version")].toInteger());

        const QJsonArray gtGraphs = gt[QStringLiteral("meta_graphs")].toArray();
        const QJsonArray graphs = s[QStringLiteral("meta_graphs")].toArray();
        QCOMPARE(graphs.size(), gtGraphs.size());
        for (int g = 0; g < graphs.size(); ++g) {
            const QJsonObject mg = graphs[g].toObject(), want = gtGraphs[g].toObject();
            QCOMPARE(mg[QStringLiteral("tags")], want[QStringLiteral("tags")]);
            QCOMPARE(mg[QStringLiteral("tensorflow_version")],
                     want[QStringLiteral("tensorflow_version")]);
            QCOMPARE(mg[QStringLiteral("graph_nodes")], want[QStringLiteral("graph_nodes")]);
            QCOMPARE(mg[QStringLiteral("library_functions")],
                     want[QStringLiteral("library_functions")]);
            QCOMPARE(mg[QStringLiteral("library_function_nodes")],
                     want[QStringLiteral("library_function_nodes")]);
            QCOMPARE(mg[QStringLiteral("collections")].toArray().size(),
                     want[QStringLiteral("collections")].toObject().size());

            const QJsonObject sigs = mg[QStringLiteral("signatures")].toObject();
            const QJsonObject wantSigs = want[QStringLiteral("signatures")].toObject();
            QCOMPARE(sigs.keys(), wantSigs.keys());
            for (const QString &name : wantSigs.keys()) {
                const QJsonObject sig = sigs[name].toObject(), ws = wantSigs[name].toObject();
                QCOMPARE(sig[QStringLiteral("method")].toString(),
                         ws[QStringLiteral("method_name")].toString());
                QCOMPARE(sig[QStringLiteral("internal")].toBool(),
                         name == QLatin1String("__saved_model_init_op"));
                for (const char *side : {"inputs", "outputs"}) {
                    const QJsonObject got = sig[QLatin1String(side)].toObject();
                    const QJsonObject exp = ws[QLatin1String(side)].toObject();
                    QCOMPARE(got.keys(), exp.keys());
                    for (const QString &k : exp.keys()) {
                        const QJsonObject a = got[k].toObject(), b = exp[k].toObject();
                        QCOMPARE(a[QStringLiteral("dtype")], b[QStringLiteral("dtype")]);
                        QCOMPARE(a[QStringLiteral("shape")], b[QStringLiteral("shape")]);
                        QCOMPARE(a[QStringLiteral("name")], b[QStringLiteral("name")]);
                    }
                }
                if (ws.contains(QStringLiteral("defaults")))
                    QCOMPARE(sig[QStringLiteral("defaults")], ws[QStringLiteral("defaults")]);
            }

            const QJsonObject og = mg[QStringLiteral("object_graph")].toObject();
            const QJsonObject wantOg = want[QStringLiteral("object_graph")].toObject();
            QCOMPARE(og.isEmpty(), wantOg.isEmpty());
            if (!wantOg.isEmpty()) {
                QCOMPARE(og[QStringLiteral("nodes")], wantOg[QStringLiteral("num_nodes")]);
                QCOMPARE(og[QStringLiteral("kinds")], wantOg[QStringLiteral("kinds")]);
                QCOMPARE(og[QStringLiteral("root_children")],
                         wantOg[QStringLiteral("root_children")]);
                const QJsonArray vars = og[QStringLiteral("variables")].toArray();
                const QJsonArray wantVars = wantOg[QStringLiteral("variables")].toArray();
                QCOMPARE(vars.size(), wantVars.size());
                for (int i = 0; i < vars.size(); ++i) {
                    const QJsonObject a = vars[i].toObject(), b = wantVars[i].toObject();
                    // An absent proto3 string (null in the ground truth) reads as "".
                    for (const char *k : {"node_id", "path", "name", "dtype", "trainable"})
                        QCOMPARE(a[QLatin1String(k)].toVariant().toString(),
                                 b[QLatin1String(k)].toVariant().toString());
                    QCOMPARE(a[QStringLiteral("shape")].toString(),
                             shapeText(b[QStringLiteral("shape")]));
                }
            }
        }

        // Bundle variables: same keys and shapes, readable names from the object graph.
        QCOMPARE(r->checkpoints.size(), std::size_t(1));
        const CheckpointIndex &idx = r->checkpoints.front()->index();
        const QJsonArray wantTensors = gt[QStringLiteral("variables")].toArray();
        QCOMPARE(idx.tensors.size(), wantTensors.size());
        for (const auto &tv : wantTensors) {
            const QJsonObject t = tv.toObject();
            const int i = indexOfKey(idx, t[QStringLiteral("key")].toString());
            QVERIFY2(i >= 0, qPrintable(t[QStringLiteral("key")].toString()));
            QCOMPARE(idx.tensors[i].shape.toString(), shapeText(t[QStringLiteral("shape")]));
        }
        for (const auto &v : gt[QStringLiteral("checkpoint_object_variables")].toArray()) {
            const int i = indexOfKey(idx, v[QStringLiteral("key")].toString());
            QVERIFY(i >= 0);
            QCOMPARE(idx.tensors[i].name, v[QStringLiteral("path")].toString());
        }
        QCOMPARE(s[QStringLiteral("variables")].toInt(),
                 int(wantTensors.size()) - (indexOfKey(idx, "_CHECKPOINTABLE_OBJECT_GRAPH") >= 0));
        int maxShard = 0;
        for (const auto &t : idx.tensors)
            maxShard = std::max(maxShard, t.location.shard);
        QCOMPARE(maxShard + 1,
                 gt[QStringLiteral("variables_header")][QStringLiteral("num_shards")].toInt());

        // Fingerprint as hex, Keras metadata, assets.
        const QJsonObject fp = s[QStringLiteral("fingerprint")].toObject();
        QCOMPARE(fp.isEmpty(), !gt[QStringLiteral("fingerprint")].isObject());
        if (!fp.isEmpty()) {
            for (const char *k :
                 {"saved_model_checksum", "graph_def_program_hash", "signature_def_hash",
                  "saved_object_graph_hash", "checkpoint_hash"}) {
                const QString hex = fp[QLatin1String(k)].toString();
                QCOMPARE(hex.size(), 16);
                QCOMPARE(hex.toULongLong(nullptr, 16), rawUnsigned(item, QLatin1String(k)));
            }
            QCOMPARE(fp[QStringLiteral("version")][QStringLiteral("producer")],
                     gt[QStringLiteral("fingerprint")][QStringLiteral("version")]
                       [QStringLiteral("producer")]);
        }
        const QJsonArray km = s[QStringLiteral("keras_metadata")].toArray();
        const QJsonArray wantKm = gt[QStringLiteral("keras_metadata")].toArray();
        QCOMPARE(km.size(), wantKm.size());
        for (int i = 0; i < km.size(); ++i)
            for (const char *k :
                 {"node_id", "node_path", "identifier", "class_name", "name", "version"})
                QCOMPARE(km[i][QLatin1String(k)], wantKm[i][QLatin1String(k)]);
        const QJsonValue assets = gt[QStringLiteral("assets")];
        QCOMPARE(s[QStringLiteral("assets")].toArray(),
                 assets.isArray() ? assets.toArray() : QJsonArray());
        QCOMPARE(s.contains(QStringLiteral("assets_extra")),
                 gt[QStringLiteral("assets_extra")].isArray());

        // Every file of the SavedModel is accounted for.
        QVERIFY(r->consumedFiles.contains(QDir(dir).absoluteFilePath("saved_model.pb")));
        QVERIFY(r->consumedFiles.contains(QDir(dir).absoluteFilePath("variables/variables.index")));
    }

    void halfPlusTwoTf2()
    {
        auto r = openDir(test::corpus("savedmodel/tfs-half-plus-two-tf2"));
        QVERIFY(r.ok());
        const QJsonObject sigs = r->summary[QStringLiteral("signatures")].toObject();
        QCOMPARE(sigs.keys(), (QStringList{"__saved_model_init_op", "classify_x2_to_y3",
                                           "classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y",
                                           "regress_x_to_y2", "serving_default"}));
        const QJsonObject sd = sigs[QStringLiteral("serving_default")].toObject();
        QCOMPARE(
            sd[QStringLiteral("inputs")][QStringLiteral("x")][QStringLiteral("dtype")].toString(),
            QStringLiteral("DT_FLOAT"));
        QCOMPARE(
            sd[QStringLiteral("inputs")][QStringLiteral("x")][QStringLiteral("shape")].toArray(),
            (QJsonArray{1}));
        QCOMPARE(
            sd[QStringLiteral("inputs")][QStringLiteral("x")][QStringLiteral("name")].toString(),
            QStringLiteral("serving_default_x:0"));
        QCOMPARE(
            sd[QStringLiteral("outputs")][QStringLiteral("y")][QStringLiteral("dtype")].toString(),
            QStringLiteral("DT_FLOAT"));
        QCOMPARE(sd[QStringLiteral("method")].toString(),
                 QStringLiteral("tensorflow/serving/predict"));
        QCOMPARE(sd[QStringLiteral("defaults")].toArray(), (QJsonArray{"x"}));
        QCOMPARE(r->summary[QStringLiteral("tensorflow_version")].toString(),
                 QStringLiteral("2.14.0"));
        QCOMPARE(r->summary[QStringLiteral("fingerprint")][QStringLiteral("version")]
                           [QStringLiteral("producer")]
                               .toInt(),
                 1);
        const Checkpoint &c = *r->checkpoints.front();
        QCOMPARE(scalar(c, "a/.ATTRIBUTES/VARIABLE_VALUE"), 0.5f);
        QCOMPARE(scalar(c, "b/.ATTRIBUTES/VARIABLE_VALUE"), 2.0f);
        QCOMPARE(scalar(c, "c/.ATTRIBUTES/VARIABLE_VALUE"), 3.0f);
        QVERIFY(r->summaryText.contains(
            QStringLiteral("serving_default(x: DT_FLOAT [1]) -> y: DT_FLOAT [1]")));
        // The init op is no signature people call: a note names it, the JSON keeps it.
        QVERIFY(r->summaryText.contains(QStringLiteral("signatures (6):")));
        QVERIFY(!r->summaryText.contains(QStringLiteral("__saved_model_init_op(")));
        QVERIFY(r->summaryText.contains(
            QStringLiteral("internal init op not listed: __saved_model_init_op")));
    }

    void halfPlusTwoTf1()
    {
        auto r = openDir(test::corpus("savedmodel/tfs-half-plus-two-tf1"));
        QVERIFY(r.ok());
        QCOMPARE(r->summary[QStringLiteral("tensorflow_version")].toString(),
                 QStringLiteral("1.14.0"));
        const QJsonObject in =
            r->summary[QStringLiteral("signatures")][QStringLiteral("classify_x_to_y")]
                      [QStringLiteral("inputs")][QStringLiteral("inputs")]
                          .toObject();
        QCOMPARE(in[QStringLiteral("dtype")].toString(), QStringLiteral("DT_STRING"));
        QVERIFY(in[QStringLiteral("shape")].isNull());
        QVERIFY(in[QStringLiteral("unknown_rank")].toBool());
        QVERIFY(!r->summary[QStringLiteral("meta_graphs")][0].toObject().contains(
            QStringLiteral("object_graph")));
        const Checkpoint &c = *r->checkpoints.front();
        QCOMPARE(scalar(c, "a"), 0.5f);
        QCOMPARE(scalar(c, "a2"), 0.5f);
        QCOMPARE(scalar(c, "b"), 2.0f);
        QCOMPARE(scalar(c, "c"), 3.0f);
        QCOMPARE(scalar(c, "c2"), 3.0f);
        const auto &t = c.index().tensors[indexOfKey(c.index(), "a")];
        QVERIFY(t.trainable.has_value() && *t.trainable); // from the trainable_variables collection
        QCOMPARE(r->summary[QStringLiteral("assets")][0][QStringLiteral("path")].toString(),
                 QStringLiteral("foo.txt"));
    }

    void tetris()
    {
        auto r = openDir(test::corpus("savedmodel/tetris-dqn-keras-savedmodel"));
        QVERIFY(r.ok());
        QCOMPARE(r->summary[QStringLiteral("tensorflow_version")].toString(),
                 QStringLiteral("2.12.0"));
        const QJsonObject sd =
            r->summary[QStringLiteral("signatures")][QStringLiteral("serving_default")].toObject();
        QCOMPARE(
            sd[QStringLiteral("inputs")][QStringLiteral("dense_input")][QStringLiteral("shape")]
                .toArray(),
            (QJsonArray{-1, 4}));
        QCOMPARE(sd[QStringLiteral("outputs")][QStringLiteral("dense_2")][QStringLiteral("shape")]
                     .toArray(),
                 (QJsonArray{-1, 1}));
        QCOMPARE(r->summary[QStringLiteral("variables")].toInt(), 22);
        QCOMPARE(r->summary[QStringLiteral("meta_graphs")][0][QStringLiteral("object_graph")]
                           [QStringLiteral("variables")]
                               .toArray()
                               .size(),
                 22);
        const QJsonArray km = r->summary[QStringLiteral("keras_metadata")].toArray();
        QCOMPARE(km.size(), 5);
        QCOMPARE(km[0][QStringLiteral("node_path")].toString(), QStringLiteral("root"));
        QCOMPARE(km[0][QStringLiteral("identifier")].toString(),
                 QStringLiteral("_tf_keras_sequential"));
        QCOMPARE(km[0][QStringLiteral("version")].toObject(),
                 (QJsonObject{{"producer", 2}, {"min_consumer", 1}}));
        const CheckpointIndex &idx = r->checkpoints.front()->index();
        const int k = indexOfKey(idx, "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        QVERIFY(k >= 0);
        QCOMPARE(idx.tensors[k].name, QStringLiteral("layer_with_weights-0/kernel"));
        QCOMPARE(idx.tensors[k].shape.dims, (std::vector<std::int64_t>{4, 32}));
        QVERIFY(idx.tensors[k].trainable.value_or(false));
    }

    void shardedWithoutFingerprint()
    {
        auto r = openDir(test::corpus("savedmodel/lstm-test-sharded-savedmodel"));
        QVERIFY(r.ok());
        QCOMPARE(r->summary[QStringLiteral("tensorflow_version")].toString(),
                 QStringLiteral("2.1.0"));
        QVERIFY(!r->summary.contains(QStringLiteral("fingerprint")));
        QVERIFY(!r->summary.contains(QStringLiteral("keras_metadata")));
        QVERIFY(r->consumedFiles.contains(
            QDir(test::corpus("savedmodel/lstm-test-sharded-savedmodel"))
                .absoluteFilePath("variables/variables.data-00001-of-00002")));
    }

    void registryAndFileProbe()
    {
        const QString dir = test::corpus("savedmodel/tfs-half-plus-two-tf2");
        auto r = ReaderRegistry::builtin().open(dir);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        QCOMPARE(r->readerId, QStringLiteral("savedmodel"));
        QCOMPARE(r->kind, QStringLiteral("savedmodel"));
        QCOMPARE(r->checkpoints.size(), std::size_t(1));
        QCOMPARE(reader().probe(Source::fromPath(dir + "/saved_model.pb")).score, 95);
        QCOMPARE(reader().probe(Source::fromPath(dir + "/variables")).score, 0);
        auto viaFile = reader().open(Source::fromPath(dir + "/saved_model.pb"), JobContext::none());
        QVERIFY(viaFile.ok());
        QCOMPARE(viaFile->summary[QStringLiteral("signatures")].toObject().size(), 7);
    }

    void brokenSavedModelKeepsVariables()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString src = test::corpus("savedmodel/tfs-half-plus-two-tf2");
        copyTree(src, tmp.path());
        const QString pb = tmp.filePath("saved_model.pb");
        QVERIFY(test::writeFile(pb, QByteArray("\x0d\x0a", 2))); // line-ending damage
        QVERIFY(test::writeFile(tmp.filePath("fingerprint.pb"), QByteArray("\x0d\x0a", 2)));
        QVERIFY(test::writeFile(tmp.filePath("keras_metadata.pb"), QByteArray("\x0a\x7f", 2)));
        auto r = openDir(tmp.path());
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        bool reported = false, fingerprint = false, kerasMetadata = false;
        for (const Problem &p : r->problems) {
            // The file stands in its own field, not again in the text.
            QVERIFY2(!p.text.contains(tmp.path()), qPrintable(p.toString()));
            reported = reported || (p.file == pb &&
                                    p.text.startsWith(QStringLiteral("not a valid SavedModel")));
            fingerprint =
                fingerprint || (p.file == tmp.filePath("fingerprint.pb") &&
                                p.text.startsWith(QStringLiteral(
                                    "fingerprint unreadable: corrupt: expected a FingerprintDef")));
            kerasMetadata =
                kerasMetadata ||
                (p.file == tmp.filePath("keras_metadata.pb") &&
                 p.text.startsWith(QStringLiteral(
                     "Keras metadata unreadable: corrupt: expected Keras SavedMetadata")));
        }
        QVERIFY(reported);
        QVERIFY(fingerprint);
        QVERIFY(kerasMetadata);
        QCOMPARE(r->checkpoints.size(), std::size_t(1));
        QCOMPARE(scalar(*r->checkpoints.front(), "b/.ATTRIBUTES/VARIABLE_VALUE"), 2.0f);
        QCOMPARE(r->summary[QStringLiteral("variables")].toInt(), 3);
        QVERIFY(!r->summary.contains(QStringLiteral("signatures")));
    }

    void truncatedSavedModel()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QByteArray whole =
            test::readFile(test::corpus("savedmodel/tfs-half-plus-two-tf2/saved_model.pb"));
        QVERIFY(!whole.isEmpty());
        const QString pb = tmp.filePath("saved_model.pb");
        QVERIFY(test::writeFile(pb, whole.left(whole.size() / 3)));
        auto r = openDir(tmp.path()); // nothing else there: a clear error
        QVERIFY(!r.ok());
        QCOMPARE(r.error().file, pb);
        QVERIFY2(r.error().message().contains(QStringLiteral("truncated")),
                 qPrintable(r.error().message()));
        QVERIFY(r.error().message().contains(QStringLiteral("not a valid SavedModel")));

        copyTree(test::corpus("savedmodel/tfs-half-plus-two-tf2/variables"),
                 tmp.filePath("variables"));
        auto withVars = openDir(tmp.path());
        QVERIFY(withVars.ok());
        QCOMPARE(withVars->checkpoints.size(), std::size_t(1));
        QVERIFY(!withVars->problems.isEmpty());
        QCOMPARE(withVars->problems.front().file, pb);
    }

    void onlyBrokenPb()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        QVERIFY(test::writeFile(tmp.filePath("saved_model.pb"), QByteArray("\x0d\x0a", 2)));
        auto r = openDir(tmp.path());
        QVERIFY(!r.ok());
        QCOMPARE(r.error().file, tmp.filePath("saved_model.pb"));
        QVERIFY(r.error().message().contains(QStringLiteral("not a valid SavedModel")));
        QVERIFY(r.error().message().contains(QStringLiteral("field 1")));
        // An empty file and garbage text format fail the same way.
        QVERIFY(test::writeFile(tmp.filePath("saved_model.pb"), QByteArray()));
        QVERIFY(!openDir(tmp.path()).ok());
        QFile::remove(tmp.filePath("saved_model.pb"));
        QVERIFY(test::writeFile(tmp.filePath("saved_model.pbtxt"),
                                "meta_graphs { meta_info_def { tags: \"serve\" }\n"));
        auto txt = openDir(tmp.path());
        QVERIFY(!txt.ok());
        QVERIFY(txt.error().message().contains(QStringLiteral("line")));
    }

    void textFormat()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        // As TensorFlow writes it: enum names, nested OpDefs, and ints for dtypes too.
        QVERIFY(test::writeFile(
            tmp.filePath("saved_model.pbtxt"),
            "saved_model_schema_version: 1\n"
            "meta_graphs {\n"
            "  meta_info_def { stripped_op_list { op { name: \"Const\" } } tags: \"serve\"\n"
            "    tensorflow_version: \"2.9.0\" }\n"
            "  graph_def {\n"
            "    node { name: \"w\" op: \"VarHandleOp\" attr { key: \"dtype\" value { type: "
            "DT_HALF } }\n"
            "      attr { key: \"shape\" value { shape { dim { size: 2 } dim { size: 5 } } } } }\n"
            "    library { function { signature { name: \"f\" input_arg { name: \"x\" } }\n"
            "      node_def { name: \"n\" op: \"Identity\" } } }\n"
            "    versions { producer: 1205 } }\n"
            "  signature_def { key: \"serving_default\" value {\n"
            "    inputs { key: \"x\" value { name: \"x:0\" dtype: DT_FLOAT\n"
            "      tensor_shape { dim { size: -1 } dim { size: 3 } } } }\n"
            "    outputs { key: \"y\" value { name: \"y:0\" dtype: DT_FLOAT_REF\n"
            "      tensor_shape { unknown_rank: true } } }\n"
            "    outputs { key: \"z\" value { name: \"z:0\" dtype: 99 } }\n"
            "    method_name: \"tensorflow/serving/predict\" } }\n"
            "}\n"));
        copyTree(test::corpus("savedmodel/tfs-half-plus-two-tf2/variables"),
                 tmp.filePath("variables"));
        auto r = openDir(tmp.path());
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        QCOMPARE(r->summary[QStringLiteral("format")].toString(), QStringLiteral("pbtxt"));
        const QJsonObject sd =
            r->summary[QStringLiteral("signatures")][QStringLiteral("serving_default")].toObject();
        const QJsonObject out = sd[QStringLiteral("outputs")].toObject();
        QCOMPARE(
            sd[QStringLiteral("inputs")][QStringLiteral("x")][QStringLiteral("shape")].toArray(),
            (QJsonArray{-1, 3}));
        QCOMPARE(
            sd[QStringLiteral("inputs")][QStringLiteral("x")][QStringLiteral("dtype")].toString(),
            QStringLiteral("DT_FLOAT"));
        QCOMPARE(out[QStringLiteral("y")][QStringLiteral("dtype")].toString(),
                 QStringLiteral("DT_FLOAT_REF"));
        QVERIFY(out[QStringLiteral("y")][QStringLiteral("shape")].isNull());
        QCOMPARE(out[QStringLiteral("z")][QStringLiteral("dtype")].toString(),
                 QStringLiteral("unknown dtype 99"));
        const QJsonObject mg = r->summary[QStringLiteral("meta_graphs")][0].toObject();
        QCOMPARE(mg[QStringLiteral("graph_nodes")].toInt(), 1);
        QCOMPARE(mg[QStringLiteral("library_function_nodes")].toInt(), 1);
        const QJsonObject w = mg[QStringLiteral("graph_variables")][0].toObject();
        QCOMPARE(w[QStringLiteral("key")].toString(), QStringLiteral("w"));
        QCOMPARE(w[QStringLiteral("dtype")].toString(), QStringLiteral("DT_HALF"));
        QCOMPARE(w[QStringLiteral("shape")].toString(), QStringLiteral("[2, 5]"));
    }

    void cliListsSignatures()
    {
        const QString dir = test::corpus("savedmodel/tfs-half-plus-two-tf2");
        const auto text = test::runWeightLens({QStringLiteral("ls"), dir});
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains("serving_default(x: DT_FLOAT [1]) -> y: DT_FLOAT [1]"));
        QVERIFY(text.out.contains("classify_x2_to_y3("));
        QVERIFY(!text.out.contains("__saved_model_init_op("));
        QVERIFY(text.out.contains("internal init op not listed: __saved_model_init_op"));
        const auto json =
            test::runWeightLens({QStringLiteral("ls"), QStringLiteral("--json"), dir});
        QCOMPARE(json.exitCode, 0);
        const QJsonObject first = QJsonDocument::fromJson(json.out.split('\n').first()).object();
        QCOMPARE(first[QStringLiteral("kind")].toString(), QStringLiteral("savedmodel"));
        QVERIFY(first[QStringLiteral("signatures")].toObject().contains(
            QStringLiteral("serving_default")));
        QVERIFY(first[QStringLiteral("signatures")][QStringLiteral("__saved_model_init_op")]
                     [QStringLiteral("internal")]
                         .toBool());
        QCOMPARE(first[QStringLiteral("tags")].toArray(), (QJsonArray{"serve"}));
    }
};

QTEST_GUILESS_MAIN(TestSavedModel)
#include "tst_savedmodel.moc"
