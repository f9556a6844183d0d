#include "savedmodelparts.h"

#include "core/dtype.h"
#include "core/plural.h"
#include "io/mappedfile.h"
#include "proto/meta_graph.pb.h"
#include "tfmetagraph.h"
#include "tfobjectgraph.h"
#include "tfprotoscan.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStringList>
#include <deque>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <map>

namespace wl::savedmodel
{
namespace
{

constexpr qint64 kMaxTextBytes = qint64(512) << 20;
const QString kInitOp = QStringLiteral("__saved_model_init_op");

class FirstError : public google::protobuf::io::ErrorCollector
{
public:
    void AddError(int line, int column, const std::string &message) override
    {
        if (where.isEmpty()) {
            where = QStringLiteral("line %1, column %2").arg(line + 1).arg(column + 1);
            text = QString::fromStdString(message);
        }
    }
    void AddWarning(int, int, const std::string &) override {}
    QString where, text;
};

// Maps a binary protobuf file and parses it, rejecting top-level wire-type mismatches.
template <class Message>
Status parseBinary(const QString &path, Message &msg, const std::map<int, int> &wireTypes,
                   const QString &what)
{
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.error();
    const auto &f = **mapped;
    if (f.size() > std::size_t(INT32_MAX))
        return makeError(LoadError::Code::Unsupported, path, {},
                         what + QStringLiteral(" under 2 GiB"), counted(f.size(), "byte"));
    const QByteArrayView bytes(reinterpret_cast<const char *>(f.data()), qsizetype(f.size()));
    QString why = describeProtoDamage(bytes, wireTypes);
    if (why.isEmpty() && !msg.ParseFromArray(f.data(), int(f.size())))
        why = QStringLiteral("a nested message is malformed");
    if (!why.isEmpty())
        return makeError(LoadError::Code::Corrupt, path, {}, what,
                         counted(f.size(), "byte") + QLatin1String(f.size() == 1
                                                                       ? " that does not parse"
                                                                       : " that do not parse"),
                         why);
    return Ok{};
}

QJsonValue shapeJson(const tf::TensorInfo &t)
{
    if (!t.has_tensor_shape() || t.tensor_shape().unknown_rank())
        return QJsonValue::Null;
    QJsonArray dims;
    for (const auto &d : t.tensor_shape().dim())
        dims.append(qint64(d.size()));
    return dims;
}

QString shapeText(const tf::TensorInfo &t)
{
    if (!t.has_tensor_shape())
        return QStringLiteral("<no shape>");
    return shapeFromProto(t.tensor_shape()).toString();
}

QString tensorName(const tf::TensorInfo &t)
{
    switch (t.encoding_case()) {
    case tf::TensorInfo::kName:
        return str(t.name());
    case tf::TensorInfo::kCooSparse:
        return str(t.coo_sparse().values_tensor_name());
    case tf::TensorInfo::kCompositeTensor:
        return QStringLiteral("<composite>");
    default:
        return {};
    }
}

// Map fields come out in hash order; show them sorted.
template <class Map> std::vector<std::string> sortedKeys(const Map &m)
{
    std::vector<std::string> keys;
    for (const auto &[k, _] : m)
        keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    return keys;
}

QJsonObject tensorsJson(const google::protobuf::Map<std::string, tf::TensorInfo> &m,
                        QStringList &text)
{
    QJsonObject out;
    for (const auto &k : sortedKeys(m)) {
        const auto &t = m.at(k);
        QJsonObject o{{QStringLiteral("dtype"), tensorFlowDTypeName(t.dtype())},
                      {QStringLiteral("shape"), shapeJson(t)},
                      {QStringLiteral("name"), tensorName(t)}};
        if (t.has_tensor_shape() && t.tensor_shape().unknown_rank())
            o.insert(QStringLiteral("unknown_rank"), true);
        if (t.encoding_case() == tf::TensorInfo::kCooSparse)
            o.insert(QStringLiteral("encoding"), QStringLiteral("coo_sparse"));
        else if (t.encoding_case() == tf::TensorInfo::kCompositeTensor)
            o.insert(QStringLiteral("encoding"), QStringLiteral("composite"));
        out.insert(str(k), o);
        text << QStringLiteral("%1: %2 %3")
                    .arg(str(k), tensorFlowDTypeName(t.dtype()), shapeText(t));
    }
    return out;
}

QString kindName(const tf::SavedObject &o)
{
    switch (o.kind_case()) {
    case tf::SavedObject::kUserObject:
        return QStringLiteral("user_object");
    case tf::SavedObject::kAsset:
        return QStringLiteral("asset");
    case tf::SavedObject::kFunction:
        return QStringLiteral("function");
    case tf::SavedObject::kVariable:
        return QStringLiteral("variable");
    case tf::SavedObject::kBareConcreteFunction:
        return QStringLiteral("bare_concrete_function");
    case tf::SavedObject::kConstant:
        return QStringLiteral("constant");
    case tf::SavedObject::kResource:
        return QStringLiteral("resource");
    case tf::SavedObject::kCapturedTensor:
        return QStringLiteral("captured_tensor");
    default:
        return QStringLiteral("other");
    }
}

// SavedObjectGraph paths, built breadth-first as in the object-graph rules (spec 2.2, 5.3).
QJsonObject objectGraphJson(const tf::SavedObjectGraph &g, Document &doc)
{
    const int count = g.nodes_size();
    const auto size = std::size_t(count);
    std::vector<QString> path(size), escaped(size);
    std::vector<char> seen(size, 0);
    int badRefs = 0;
    if (count > 0) {
        std::deque<int> queue{0};
        seen[0] = 1;
        while (!queue.empty()) {
            const int n = queue.front();
            queue.pop_front();
            for (const auto &c : g.nodes(n).children()) {
                const int id = c.node_id();
                if (id < 0 || id >= count) {
                    ++badRefs;
                    continue;
                }
                if (seen[std::size_t(id)])
                    continue;
                seen[std::size_t(id)] = 1;
                const QString name = str(c.local_name());
                path[std::size_t(id)] =
                    n == 0 ? name : path[std::size_t(n)] + QLatin1Char('/') + name;
                escaped[std::size_t(id)] =
                    (n == 0 ? QString() : escaped[std::size_t(n)] + QLatin1Char('/')) +
                    escapeCheckpointKeyPart(name);
                queue.push_back(id);
            }
        }
    }
    QJsonObject kinds;
    QJsonArray variables;
    for (int n = 0; n < count; ++n) {
        const auto &node = g.nodes(n);
        const QString kind = kindName(node);
        kinds[kind] = kinds[kind].toInt() + 1;
        if (node.kind_case() != tf::SavedObject::kVariable)
            continue;
        const auto &v = node.variable();
        const auto i = std::size_t(n);
        variables.append(
            QJsonObject{{QStringLiteral("node_id"), n},
                        {QStringLiteral("path"), path[i]},
                        {QStringLiteral("name"), str(v.name())},
                        {QStringLiteral("dtype"), tensorFlowDTypeName(v.dtype())},
                        {QStringLiteral("shape"), shapeFromProto(v.shape()).toString()},
                        {QStringLiteral("trainable"), v.trainable()}});
        if (seen[i]) {
            const QString key = escaped[i] + QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE");
            doc.pathByKey.insert(key, path[i]);
            doc.trainableByKey.insert(key, v.trainable());
        }
    }
    QJsonArray rootChildren;
    if (count > 0)
        for (const auto &c : g.nodes(0).children())
            rootChildren.append(str(c.local_name()));
    QJsonObject out{{QStringLiteral("nodes"), count},
                    {QStringLiteral("kinds"), kinds},
                    {QStringLiteral("variables"), variables},
                    {QStringLiteral("root_children"), rootChildren}};
    if (badRefs)
        out.insert(QStringLiteral("bad_child_references"), badRefs);
    return out;
}

QJsonObject metaGraphJson(const tf::MetaGraphDef &mg, Document &doc, QStringList &text)
{
    const MetaGraphInfo info = summarizeMetaGraph(mg);
    QJsonObject out{{QStringLiteral("tags"), QJsonArray::fromStringList(info.tags)},
                    {QStringLiteral("tensorflow_version"), info.tensorflowVersion},
                    {QStringLiteral("graph_nodes"), info.graphNodes},
                    {QStringLiteral("library_functions"), mg.graph_def().library().function_size()},
                    {QStringLiteral("library_function_nodes"), info.libraryFunctionNodes},
                    {QStringLiteral("collections"), QJsonArray::fromStringList(info.collections)}};
    text << QStringLiteral("tags: %1").arg(info.tags.join(QStringLiteral(", ")))
         << QStringLiteral("TensorFlow version: %1")
                .arg(info.tensorflowVersion.isEmpty() ? QStringLiteral("?")
                                                      : info.tensorflowVersion);

    QJsonObject signatures;
    const auto sigKeys = sortedKeys(mg.signature_def());
    // Init ops run on load and are not called by users: the JSON keeps them (marked internal),
    // the list people read names them once at its end.
    QStringList lines, internals;
    for (const auto &k : sigKeys) {
        const auto &s = mg.signature_def().at(k);
        const QString name = str(k);
        QStringList in, outs;
        QJsonObject sig{{QStringLiteral("method"), str(s.method_name())},
                        {QStringLiteral("inputs"), tensorsJson(s.inputs(), in)},
                        {QStringLiteral("outputs"), tensorsJson(s.outputs(), outs)}};
        if (!s.defaults().empty()) {
            QJsonArray defaults;
            for (const auto &d : sortedKeys(s.defaults()))
                defaults.append(str(d));
            sig.insert(QStringLiteral("defaults"), defaults);
        }
        const bool internal = name == kInitOp;
        if (internal)
            sig.insert(QStringLiteral("internal"), true);
        signatures.insert(name, sig);
        if (internal) {
            internals << name;
            continue;
        }
        QString line =
            QStringLiteral("  %1(%2) -> %3")
                .arg(name, in.join(QStringLiteral(", ")), outs.join(QStringLiteral(", ")));
        if (!s.method_name().empty())
            line += QStringLiteral("  [%1]").arg(str(s.method_name()));
        lines << line;
    }
    text << QStringLiteral("signatures (%1):").arg(lines.size()) << lines;
    if (!internals.isEmpty())
        text << QStringLiteral("  (internal init op not listed: %1; `ls --json` shows it)")
                    .arg(internals.join(QStringLiteral(", ")));
    out.insert(QStringLiteral("signatures"), signatures);

    QJsonArray assets;
    for (const auto &a : mg.asset_file_def())
        assets.append(QJsonObject{{QStringLiteral("filename"), str(a.filename())},
                                  {QStringLiteral("tensor"), tensorName(a.tensor_info())}});
    out.insert(QStringLiteral("asset_file_def"), assets);

    if (mg.has_object_graph_def()) {
        const QJsonObject og = objectGraphJson(mg.object_graph_def(), doc);
        out.insert(QStringLiteral("object_graph"), og);
        text << QStringLiteral("object graph: %1, %2")
                    .arg(counted(og[QStringLiteral("nodes")].toInt(), "node"),
                         counted(og[QStringLiteral("variables")].toArray().size(), "variable"));
    }
    out.insert(QStringLiteral("graph_variables"), info.summary[QStringLiteral("variables")]);
    for (const auto &v : info.variables)
        doc.pathByKey.insert(v.checkpointKey, v.checkpointKey);
    doc.trainableByKey.insert(trainableByCheckpointKey(info));

    std::map<std::string, int> ops;
    for (const auto &n : mg.graph_def().node())
        ++ops[n.op()];
    for (const auto &f : mg.graph_def().library().function())
        for (const auto &n : f.node_def())
            ++ops[n.op()];
    QJsonObject opCounts;
    for (const auto &[op, c] : ops)
        opCounts.insert(str(op), c);
    out.insert(QStringLiteral("op_counts"), opCounts);
    text << QStringLiteral("graph: %1, %2 in library functions")
                .arg(counted(info.graphNodes, "node"))
                .arg(info.libraryFunctionNodes);
    return out;
}

} // namespace

Result<Document> readDocument(const QString &path)
{
    tf::SavedModel sm;
    if (path.endsWith(QLatin1String(".pbtxt"))) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return makeError(LoadError::Code::Unreadable, path, {},
                             QStringLiteral("a readable file"), f.errorString());
        if (f.size() > kMaxTextBytes)
            return makeError(LoadError::Code::Unsupported, path, {},
                             QStringLiteral("a text SavedModel under 512 MiB"),
                             counted(f.size(), "byte"));
        FirstError errors;
        google::protobuf::TextFormat::Parser parser;
        parser.AllowUnknownField(true);
        parser.RecordErrorsTo(&errors);
        if (!parser.ParseFromString(f.readAll().toStdString(), &sm))
            return makeError(LoadError::Code::Corrupt, path, errors.where,
                             QStringLiteral("a text-format SavedModel"),
                             errors.text.isEmpty() ? QStringLiteral("text that does not parse")
                                                   : errors.text);
    } else if (auto st =
                   parseBinary(path, sm, {{1, 0}, {2, 2}}, QStringLiteral("a binary SavedModel"));
               !st) {
        return st.error();
    }
    if (sm.meta_graphs_size() == 0)
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("meta_graphs"),
                         QStringLiteral("at least one MetaGraphDef"), QStringLiteral("none"));
    Document doc;
    doc.schemaVersion = sm.saved_model_schema_version();
    QStringList text;
    text << QStringLiteral("SavedModel (schema version %1, %2 meta graph%3)")
                .arg(doc.schemaVersion)
                .arg(sm.meta_graphs_size())
                .arg(sm.meta_graphs_size() == 1 ? QString() : QStringLiteral("s"));
    for (const auto &mg : sm.meta_graphs())
        doc.metaGraphs.append(metaGraphJson(mg, doc, text));
    doc.text = text.join(QLatin1Char('\n'));
    return doc;
}

Result<QJsonObject> readFingerprint(const QString &path)
{
    tf::FingerprintDef fp;
    if (auto st = parseBinary(path, fp, {{1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 2}},
                              QStringLiteral("a FingerprintDef"));
        !st)
        return st.error();
    auto hex = [](quint64 v) { return QStringLiteral("%1").arg(v, 16, 16, QLatin1Char('0')); };
    return QJsonObject{
        {QStringLiteral("saved_model_checksum"), hex(fp.saved_model_checksum())},
        {QStringLiteral("graph_def_program_hash"), hex(fp.graph_def_program_hash())},
        {QStringLiteral("signature_def_hash"), hex(fp.signature_def_hash())},
        {QStringLiteral("saved_object_graph_hash"), hex(fp.saved_object_graph_hash())},
        {QStringLiteral("checkpoint_hash"), hex(fp.checkpoint_hash())},
        {QStringLiteral("version"),
         QJsonObject{{QStringLiteral("producer"), fp.version().producer()},
                     {QStringLiteral("min_consumer"), fp.version().min_consumer()}}}};
}

Result<QJsonArray> readKerasMetadata(const QString &path)
{
    tf::KerasSavedMetadata md;
    if (auto st = parseBinary(path, md, {{1, 2}}, QStringLiteral("Keras SavedMetadata")); !st)
        return st.error();
    QJsonArray out;
    for (const auto &n : md.nodes()) {
        const QJsonObject meta =
            QJsonDocument::fromJson(QByteArray::fromStdString(n.metadata())).object();
        out.append(QJsonObject{
            {QStringLiteral("node_id"), n.node_id()},
            {QStringLiteral("node_path"), str(n.node_path())},
            {QStringLiteral("identifier"), str(n.identifier())},
            {QStringLiteral("class_name"), meta[QStringLiteral("class_name")].toString()},
            {QStringLiteral("name"), meta[QStringLiteral("name")].toString()},
            {QStringLiteral("version"),
             QJsonObject{{QStringLiteral("producer"), n.version().producer()},
                         {QStringLiteral("min_consumer"), n.version().min_consumer()}}}});
    }
    return out;
}

QJsonArray listFiles(const QString &dir)
{
    QStringList paths;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    const QDir base(dir);
    while (it.hasNext() && paths.size() < 100000)
        paths << base.relativeFilePath(it.next());
    paths.sort();
    QJsonArray out;
    for (const QString &p : paths)
        out.append(QJsonObject{{QStringLiteral("path"), p},
                               {QStringLiteral("size"), QFileInfo(base.filePath(p)).size()}});
    return out;
}

} // namespace wl::savedmodel
