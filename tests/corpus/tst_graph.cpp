// Model graphs (model/graph) against the corpus: Keras configs read here with HDF5 and libzip,
// GraphDefs counted here with the protobuf messages, and a generated 10,000-op graph.
#include "core/checkpointindex.h"
#include "formats/readerregistry.h"
#include "graph/modelgraph.h"
#include "jobs/jobcontext.h"
#include "proto/meta_graph.pb.h"
#include "testutil.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QtTest>
#include <hdf5.h>
#include <zip.h>

using namespace wl;

namespace
{

// Corpus paths of MANIFEST.tsv whose name ends with one of `suffixes`.
QStringList manifestFiles(const QStringList &suffixes)
{
    QStringList out;
    const auto lines = test::readFile(test::corpus(QStringLiteral("MANIFEST.tsv"))).split('\n');
    for (const auto &line : lines) {
        const QString id = QString::fromUtf8(line.split('\t').first());
        for (const auto &s : suffixes)
            if (id.endsWith(s))
                out << id;
    }
    return out;
}

// The root attribute model_config of an .h5, through the HDF5 C library; empty when absent.
QByteArray h5ModelConfig(const QString &path)
{
    QByteArray out;
    hid_t f = H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return out;
    if (H5Aexists(f, "model_config") > 0) {
        hid_t a = H5Aopen(f, "model_config", H5P_DEFAULT);
        hid_t t = H5Aget_type(a);
        if (H5Tis_variable_str(t) > 0) {
            hid_t mem = H5Tcopy(H5T_C_S1);
            H5Tset_size(mem, H5T_VARIABLE);
            char *s = nullptr;
            if (H5Aread(a, mem, &s) >= 0 && s)
                out = QByteArray(s);
            H5free_memory(s);
            H5Tclose(mem);
        } else {
            QByteArray buf(qsizetype(H5Tget_size(t)), '\0');
            if (H5Aread(a, t, buf.data()) >= 0)
                out = buf;
        }
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Fclose(f);
    return out;
}

QByteArray zipMember(const QString &path, const char *name)
{
    int err = 0;
    zip_t *z = zip_open(path.toLocal8Bit().constData(), ZIP_RDONLY, &err);
    if (!z)
        return {};
    QByteArray out;
    zip_stat_t st;
    if (zip_stat(z, name, 0, &st) == 0) {
        if (zip_file_t *f = zip_fopen(z, name, 0)) {
            out.resize(qsizetype(st.size));
            if (zip_fread(f, out.data(), st.size) != zip_int64_t(st.size))
                out.clear();
            zip_fclose(f);
        }
    }
    zip_close(z);
    return out;
}

// Every keras_history layer name, and every Keras 2 [name, node, tensor, ...] reference.
void inboundNames(const QJsonValue &v, QStringList &out)
{
    if (v.isObject()) {
        const auto o = v.toObject();
        if (o.contains("keras_history")) {
            out << o.value("keras_history").toArray().first().toString();
            return;
        }
        for (const auto &x : o)
            inboundNames(x, out);
    } else if (v.isArray()) {
        const auto a = v.toArray();
        if (a.size() >= 3 && a[0].isString() && a[1].isDouble()) {
            out << a[0].toString();
            return;
        }
        for (const auto &x : a)
            inboundNames(x, out);
    }
}

QSet<QPair<QString, QString>> edgeSet(const graph::ModelGraph &g)
{
    QSet<QPair<QString, QString>> out;
    for (const auto &e : g.edges)
        out.insert({g.nodes[std::size_t(e.from)].id, g.nodes[std::size_t(e.to)].id});
    return out;
}

// A MetaGraphDef of `scopes` name scopes with `perScope` chained ops each, every scope reading
// the previous one's last op, and one variable per scope read by its first MatMul.
QByteArray generatedMetaGraph(int scopes, int perScope)
{
    tf::MetaGraphDef mg;
    auto *gd = mg.mutable_graph_def();
    QString previous;
    for (int s = 0; s < scopes; ++s) {
        const std::string scope = "block_" + std::to_string(s) + "/";
        auto *var = gd->add_node();
        var->set_name(scope + "kernel");
        var->set_op("VariableV2");
        auto *read = gd->add_node();
        read->set_name(scope + "kernel/read");
        read->set_op("Identity");
        read->add_input(scope + "kernel");
        for (int i = 0; i < perScope - 2; ++i) {
            auto *n = gd->add_node();
            n->set_name(scope + "op_" + std::to_string(i));
            n->set_op(i == 0 ? "MatMul" : "Relu");
            if (i == 0) {
                if (!previous.isEmpty())
                    n->add_input(previous.toStdString());
                n->add_input(scope + "kernel/read");
            } else {
                n->add_input(scope + "op_" + std::to_string(i - 1) + ":0");
            }
        }
        previous = QString::fromStdString(scope + "op_" + std::to_string(perScope - 3));
    }
    std::string bytes;
    mg.SerializeToString(&bytes);
    return QByteArray::fromStdString(bytes);
}

} // namespace

class TestGraph : public QObject
{
    Q_OBJECT

private slots:
    void kerasCorpus_data();
    void kerasCorpus();
    void weightsOnlyFileNamesTheMissingConfig();
    void functionalKeras2SharedAndNested();
    void functionalKeras3();
    void graphDefCorpus_data();
    void graphDefCorpus();
    void estimatorVariablesAttachToTheirOps();
    void collapsedGroupsAreTheTopScopes();
    void generatedTenThousandOps();
    void damagedMetaGraphIsAnError();
    void objectGraphs_data();
    void objectGraphs();
    void savedModelVariablesLinkToObjectKeys_data();
    void savedModelVariablesLinkToObjectKeys();
};

void TestGraph::kerasCorpus_data()
{
    QTest::addColumn<QString>("file");
    for (const auto &f : manifestFiles({QStringLiteral(".h5"), QStringLiteral(".keras")}))
        QTest::newRow(qPrintable(f)) << f;
}

void TestGraph::kerasCorpus()
{
    QFETCH(QString, file);
    const QString path = test::corpus(file);
    const QByteArray json = file.endsWith(QLatin1String(".keras")) ? zipMember(path, "config.json")
                                                                   : h5ModelConfig(path);
    auto graphs = graph::loadGraphs(path, JobContext::none());
    if (json.isEmpty()) {
        QVERIFY(!graphs);
        QVERIFY2(graphs.error().message().contains(QFileInfo(path).fileName()),
                 qPrintable(graphs.error().message()));
        return;
    }
    QVERIFY2(graphs, qPrintable(graphs ? QString() : graphs.error().message()));
    QCOMPARE(graphs->size(), std::size_t(1));
    const auto &g = graphs->front();
    const auto root = QJsonDocument::fromJson(json).object();
    const auto cfg = root.value("config");
    const QJsonArray layers =
        cfg.isArray() ? cfg.toArray() : cfg.toObject().value("layers").toArray();
    QVERIFY(!layers.isEmpty());
    QCOMPARE(int(g.nodes.size()), int(layers.size()));

    QSet<QPair<QString, QString>> expected;
    QStringList names;
    bool anyInbound = false;
    for (const auto &v : layers) {
        const auto l = v.toObject();
        const QString name =
            l.value("config").toObject().value("name").toString(l.value("name").toString());
        const int i = g.indexOf(name);
        QVERIFY2(i >= 0, qPrintable(name));
        QCOMPARE(g.nodes[std::size_t(i)].type, l.value("class_name").toString());
        QStringList in;
        inboundNames(l.value("inbound_nodes"), in);
        anyInbound = anyInbound || !in.isEmpty();
        for (const auto &src : in)
            expected.insert({src, name});
        names << name;
    }
    if (!anyInbound)
        for (int i = 1; i < names.size(); ++i)
            expected.insert({names[i - 1], names[i]});
    QCOMPARE(edgeSet(g), expected);

    // Parameter counts: the layer table's, and the element count of the node's own weights.
    auto opened = ReaderRegistry::builtin().open(path);
    QVERIFY(opened);
    const auto &index = opened->checkpoints.front()->index();
    const auto table = index.summary.value("layers").toArray();
    QVERIFY(!table.isEmpty());
    for (const auto &v : table) {
        const auto row = v.toObject();
        const int i = g.indexOf(row.value("name").toString());
        QVERIFY2(i >= 0, qPrintable(row.value("name").toString()));
        const auto &n = g.nodes[std::size_t(i)];
        QCOMPARE(n.params, std::int64_t(row.value("params").toDouble()));
        QCOMPARE(n.outputShape, row.value("output_shape").toString());
        std::int64_t elements = 0;
        for (const auto &key : n.tensors)
            elements += index.tensors[index.indexOfKey(key)].numElements();
        QCOMPARE(elements, n.params);
    }
}

void TestGraph::weightsOnlyFileNamesTheMissingConfig()
{
    const QString path =
        test::corpus(QStringLiteral("keras3/diabetes-weights-h5/model.weights.h5"));
    auto graphs = graph::loadGraphs(path, JobContext::none());
    QVERIFY(!graphs);
    QVERIFY(graphs.error().message().contains(QStringLiteral("model.weights.h5")));
    QVERIFY(graphs.error().message().contains(QStringLiteral("model_config")));
}

void TestGraph::functionalKeras2SharedAndNested()
{
    // Two inputs through one shared Dense, added, then a nested Sequential.
    const auto ref = [](const char *n) {
        return QJsonArray{QString::fromLatin1(n), 0, 0, QJsonObject()};
    };
    const QJsonObject inner{
        {"class_name", "Sequential"},
        {"config",
         QJsonObject{{"name", "head"},
                     {"layers", QJsonArray{QJsonObject{{"class_name", "Dense"},
                                                       {"config", QJsonObject{{"name", "h1"}}}},
                                           QJsonObject{{"class_name", "Dense"},
                                                       {"config", QJsonObject{{"name", "h2"}}}}}}}},
        {"name", "head"},
        {"inbound_nodes", QJsonArray{QJsonArray{ref("add")}}}};
    auto layer = [&](const char *cls, const char *name, QJsonArray nodes) {
        return QJsonObject{{"class_name", QString::fromLatin1(cls)},
                           {"name", QString::fromLatin1(name)},
                           {"config", QJsonObject{{"name", QString::fromLatin1(name)}}},
                           {"inbound_nodes", nodes}};
    };
    const QJsonArray layers{
        layer("InputLayer", "a", {}), layer("InputLayer", "b", {}),
        layer("Dense", "shared", QJsonArray{QJsonArray{ref("a")}, QJsonArray{ref("b")}}),
        layer("Add", "add",
              QJsonArray{QJsonArray{QJsonArray{"shared", 0, 0, QJsonObject()},
                                    QJsonArray{"shared", 1, 0, QJsonObject()}}}),
        inner};
    const QJsonObject model{
        {"class_name", "Functional"},
        {"config",
         QJsonObject{{"name", "m"},
                     {"layers", layers},
                     {"input_layers", QJsonArray{QJsonArray{"a", 0, 0}, QJsonArray{"b", 0, 0}}},
                     {"output_layers", QJsonArray{QJsonArray{"head", 0, 0}}}}}};
    auto g = graph::fromKerasConfig(model, QStringLiteral("m.h5"), nullptr);
    QVERIFY(g);
    QCOMPARE(int(g->nodes.size()), 6);
    QCOMPARE(g->nodes[std::size_t(g->indexOf("head/h1"))].group, QStringLiteral("head"));
    const QSet<QPair<QString, QString>> expected{{"a", "shared"},
                                                 {"b", "shared"},
                                                 {"shared", "add"},
                                                 {"add", "head/h1"},
                                                 {"head/h1", "head/h2"}};
    QCOMPARE(edgeSet(*g), expected);
    // Collapsed, the nested model is one item between add and nothing.
    const auto v = graph::collapse(*g, {});
    QCOMPARE(int(v.items.size()), 5);
    QCOMPARE(int(v.edges.size()), 4);
}

void TestGraph::functionalKeras3()
{
    auto tensor = [](const char *layer) {
        return QJsonObject{{"class_name", "__keras_tensor__"},
                           {"config", QJsonObject{{"shape", QJsonArray{QJsonValue(), 4}},
                                                  {"keras_history",
                                                   QJsonArray{QString::fromLatin1(layer), 0, 0}}}}};
    };
    auto layer = [](const char *cls, const char *name, QJsonArray nodes) {
        return QJsonObject{{"class_name", QString::fromLatin1(cls)},
                           {"name", QString::fromLatin1(name)},
                           {"config", QJsonObject{{"name", QString::fromLatin1(name)}}},
                           {"inbound_nodes", nodes}};
    };
    const QJsonArray layers{
        layer("InputLayer", "x", {}),
        layer("Dense", "d1", QJsonArray{QJsonObject{{"args", QJsonArray{tensor("x")}}}}),
        layer("Dense", "d2", QJsonArray{QJsonObject{{"args", QJsonArray{tensor("x")}}}}),
        layer(
            "Concatenate", "cat",
            QJsonArray{QJsonObject{{"args", QJsonArray{QJsonArray{tensor("d1"), tensor("d2")}}}}}),
        layer("Dense", "gate",
              QJsonArray{QJsonObject{{"args", QJsonArray{tensor("cat")}},
                                     {"kwargs", QJsonObject{{"mask", tensor("x")}}}}})};
    const QJsonObject model{{"class_name", "Functional"},
                            {"config", QJsonObject{{"name", "k3"}, {"layers", layers}}}};
    auto g = graph::fromKerasConfig(model, QStringLiteral("m.keras"), nullptr);
    QVERIFY(g);
    const QSet<QPair<QString, QString>> expected{{"x", "d1"},   {"x", "d2"},     {"d1", "cat"},
                                                 {"d2", "cat"}, {"cat", "gate"}, {"x", "gate"}};
    QCOMPARE(edgeSet(*g), expected);
}

void TestGraph::graphDefCorpus_data()
{
    QTest::addColumn<QString>("file");
    for (const auto &f : manifestFiles({QStringLiteral(".meta"), QStringLiteral("saved_model.pb")}))
        QTest::newRow(qPrintable(f)) << f;
}

void TestGraph::graphDefCorpus()
{
    QFETCH(QString, file);
    const QString path = test::corpus(file);
    const QByteArray bytes = test::readFile(path);
    std::vector<tf::MetaGraphDef> metas;
    if (file.endsWith(QLatin1String(".meta"))) {
        tf::MetaGraphDef mg;
        QVERIFY(mg.ParseFromArray(bytes.constData(), int(bytes.size())));
        metas.push_back(mg);
    } else {
        tf::SavedModel sm;
        QVERIFY(sm.ParseFromArray(bytes.constData(), int(bytes.size())));
        metas.assign(sm.meta_graphs().begin(), sm.meta_graphs().end());
    }
    auto graphs = graph::loadGraphs(path, JobContext::none());
    QVERIFY2(graphs, qPrintable(graphs ? QString() : graphs.error().message()));
    QCOMPARE(graphs->size(), metas.size());
    for (std::size_t m = 0; m < metas.size(); ++m) {
        const auto &gd = metas[m].graph_def();
        int ops = gd.node_size();
        for (const auto &fn : gd.library().function())
            ops += fn.node_def_size();
        const auto &g = (*graphs)[m];
        QCOMPARE(int(g.nodes.size()), ops);
        int variables = 0;
        for (const auto &n : gd.node()) {
            if (n.op() != "VariableV2" && n.op() != "Variable" && n.op() != "VarHandleOp")
                continue;
            ++variables;
            const int i = g.indexOf(QString::fromStdString(n.name()));
            QVERIFY(i >= 0);
            const auto &v = g.nodes[std::size_t(i)];
            QCOMPARE(v.tensors.size(), 1);
            // Attached to a drawn op that carries its key, or drawn itself with it.
            if (v.attachedTo >= 0) {
                const auto &user = g.nodes[std::size_t(v.attachedTo)];
                QCOMPARE(user.attachedTo, -1);
                QVERIFY2(user.tensors.contains(v.tensors.first()), qPrintable(v.id));
            }
        }
        qInfo("%s: %d ops, %d variables", qPrintable(g.title), ops, variables);
    }
}

void TestGraph::estimatorVariablesAttachToTheirOps()
{
    const QString path =
        test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run/model.ckpt-20000.meta"));
    auto graphs = graph::loadGraphs(path, JobContext::none());
    QVERIFY(graphs);
    const auto &g = graphs->front();
    const int conv = g.indexOf(QStringLiteral("conv2d/Conv2D"));
    QVERIFY(conv >= 0);
    QCOMPARE(g.nodes[std::size_t(conv)].type, QStringLiteral("Conv2D"));
    QVERIFY(g.nodes[std::size_t(conv)].tensors.contains(QStringLiteral("conv2d/kernel")));
    QCOMPARE(g.nodes[std::size_t(g.indexOf(QStringLiteral("conv2d/kernel/read")))].attachedTo,
             conv);
    // The checkpoint beside it holds every key the graph attaches.
    auto opened = ReaderRegistry::builtin().open(
        test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run/model.ckpt-20000.index")));
    QVERIFY(opened);
    const auto &index = opened->checkpoints.front()->index();
    int found = 0;
    for (const auto &n : g.nodes)
        if (n.attachedTo < 0)
            for (const auto &k : n.tensors)
                found += index.indexOfKey(k) >= 0;
    QVERIFY(found > 0);
    for (const auto &n : g.nodes)
        for (const auto &k : n.tensors)
            QVERIFY2(index.indexOfKey(k) >= 0, qPrintable(k));
}

void TestGraph::collapsedGroupsAreTheTopScopes()
{
    const QString path =
        test::corpus(QStringLiteral("tf1-checkpoint/houseprices-saver/model.ckpt.meta"));
    auto graphs = graph::loadGraphs(path, JobContext::none());
    QVERIFY(graphs);
    const auto &g = graphs->front();
    QSet<QString> top;
    int drawn = 0;
    for (const auto &n : g.nodes) {
        if (n.attachedTo >= 0)
            continue;
        ++drawn;
        top.insert(n.group.isEmpty() ? n.id : QStringLiteral("/") + n.group.section('/', 0, 0));
    }
    QCOMPARE(int(graph::collapse(g, {}).items.size()), int(top.size()));
    const QStringList all = g.groups();
    QCOMPARE(int(graph::collapse(g, QSet<QString>(all.begin(), all.end())).items.size()), drawn);
}

void TestGraph::generatedTenThousandOps()
{
    const QByteArray bytes = generatedMetaGraph(100, 100);
    QElapsedTimer t;
    t.start();
    auto g = graph::fromMetaGraphBytes(bytes, QStringLiteral("generated.meta"));
    QVERIFY(g);
    const auto v = graph::collapse(*g, {});
    const qint64 openMs = t.elapsed();
    QCOMPARE(int(g->nodes.size()), 10000);
    QCOMPARE(int(v.items.size()), 100);
    QCOMPARE(int(v.edges.size()), 99);
    t.restart();
    const auto expanded = graph::collapse(*g, {QStringLiteral("block_50")});
    const qint64 expandMs = t.elapsed();
    QCOMPARE(int(expanded.items.size()), 99 + 98); // kernel and kernel/read are attached
    qInfo("10,000 ops: parse + build + collapse %lld ms, expand one group %lld ms", openMs,
          expandMs);
}

void TestGraph::damagedMetaGraphIsAnError()
{
    QByteArray bytes = generatedMetaGraph(2, 5);
    bytes.truncate(bytes.size() / 2);
    auto g = graph::fromMetaGraphBytes(bytes, QStringLiteral("cut.meta"));
    QVERIFY(!g);
    QVERIFY(g.error().message().contains(QStringLiteral("cut.meta")));
}

QTEST_GUILESS_MAIN(TestGraph)
#include "tst_graph.moc"

namespace
{

// Corpus folders with a GROUND_TRUTH_TF.json, relative to the corpus.
QStringList tfGroundTruths()
{
    QStringList out;
    QDirIterator it(test::corpusDir(), {QStringLiteral("GROUND_TRUTH_TF.json")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        out << QDir(test::corpusDir()).relativeFilePath(QFileInfo(it.next()).path());
    out.sort();
    return out;
}

QJsonObject groundTruth(const QString &folder)
{
    return QJsonDocument::fromJson(
               test::readFile(test::corpus(folder + QStringLiteral("/GROUND_TRUTH_TF.json"))))
        .object();
}

} // namespace

void TestGraph::objectGraphs_data()
{
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QJsonObject>("truth");
    for (const auto &folder : tfGroundTruths()) {
        const auto graphs = groundTruth(folder).value("object_graphs").toObject();
        for (auto it = graphs.begin(); it != graphs.end(); ++it)
            QTest::newRow(qPrintable(folder + QLatin1Char('/') + it.key()))
                << folder + QLatin1Char('/') + it.key() << it.value().toObject();
    }
}

void TestGraph::objectGraphs()
{
    QFETCH(QString, prefix);
    QFETCH(QJsonObject, truth);
    auto opened = ReaderRegistry::builtin().open(test::corpus(prefix + QStringLiteral(".index")));
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().message()));
    QCOMPARE(opened->checkpoints.size(), std::size_t(1));
    auto g = graph::objectGraphOf(*opened->checkpoints.front());
    QVERIFY2(g, qPrintable(g ? QString() : g.error().message()));
    QCOMPARE(g->kind, QStringLiteral("objects"));
    QCOMPARE(int(g->nodes.size()), truth.value("num_nodes").toInt());
    // Every variable is the node of its path, holding its key; every object but the root is
    // some object's child.
    const auto variables = truth.value("variables").toArray();
    QVERIFY(!variables.isEmpty());
    for (const auto &v : variables) {
        const auto o = v.toObject();
        const int i = g->indexOf(o.value("path").toString());
        QVERIFY2(i >= 0, qPrintable(o.value("path").toString()));
        QVERIFY2(g->nodes[std::size_t(i)].tensors.contains(o.value("key").toString()),
                 qPrintable(o.value("key").toString()));
        QVERIFY(opened->checkpoints.front()->index().indexOfKey(o.value("key").toString()) >= 0);
    }
    QSet<int> children;
    for (const auto &e : g->edges)
        children.insert(e.to);
    int unreachable = 0;
    for (int i = 1; i < int(g->nodes.size()); ++i)
        unreachable += !children.contains(i);
    QCOMPARE(unreachable, 0);
    // A slot variable is a node of its own, reached from its optimizer.
    for (const auto &l : truth.value("slot_links").toArray()) {
        const auto link = l.toObject();
        for (const auto &key : link.value("slot_keys").toArray()) {
            int found = -1;
            for (int i = 0; i < int(g->nodes.size()); ++i)
                if (g->nodes[std::size_t(i)].tensors.contains(key.toString()))
                    found = i;
            QVERIFY2(found >= 0, qPrintable(key.toString()));
            const int optimizer = g->indexOf(link.value("optimizer_path").toString());
            QVERIFY(optimizer >= 0);
            QVERIFY(std::any_of(g->edges.begin(), g->edges.end(), [&](const graph::Edge &e) {
                return e.from == optimizer && e.to == found;
            }));
        }
    }
    qInfo("%s: %d objects, %d variables", qPrintable(prefix), int(g->nodes.size()),
          int(variables.size()));
}

void TestGraph::savedModelVariablesLinkToObjectKeys_data()
{
    QTest::addColumn<QString>("folder");
    for (const auto &folder : tfGroundTruths()) {
        const auto mgs = groundTruth(folder)
                             .value("savedmodels")
                             .toObject()
                             .value(".")
                             .toObject()
                             .value("meta_graphs")
                             .toArray();
        if (!mgs.isEmpty() && mgs.first().toObject().value("object_graph").isObject())
            QTest::newRow(qPrintable(folder)) << folder;
    }
}

void TestGraph::savedModelVariablesLinkToObjectKeys()
{
    QFETCH(QString, folder);
    const auto mg = groundTruth(folder)
                        .value("savedmodels")
                        .toObject()
                        .value(".")
                        .toObject()
                        .value("meta_graphs")
                        .toArray()
                        .first()
                        .toObject();
    auto graphs = graph::loadGraphs(test::corpus(folder), JobContext::none());
    QVERIFY(graphs);
    const auto &g = graphs->front();
    auto opened = ReaderRegistry::builtin().open(test::corpus(folder));
    QVERIFY(opened);
    const auto &index = opened->checkpoints.front()->index();
    int linked = 0;
    for (const auto &v : mg.value("object_graph").toObject().value("variables").toArray()) {
        const auto o = v.toObject();
        const int i = g.indexOf(o.value("name").toString());
        if (i < 0)
            continue; // a variable no graph op holds
        const auto &tensors = g.nodes[std::size_t(i)].tensors;
        QCOMPARE(tensors.size(), 1);
        QVERIFY2(index.indexOfKey(tensors.first()) >= 0, qPrintable(tensors.first()));
        // An optimizer slot has no path of children; the others are keyed by theirs.
        if (!o.value("path").toString().isEmpty())
            QCOMPARE(tensors.first(),
                     o.value("path").toString() + QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE"));
        else
            QVERIFY2(tensors.first().contains(QLatin1String("/.OPTIMIZER_SLOT/")),
                     qPrintable(tensors.first()));
        ++linked;
    }
    QVERIFY(linked > 0);
}
