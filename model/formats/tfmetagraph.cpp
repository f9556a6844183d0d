#include "tfmetagraph.h"

#include "core/plural.h"
#include "io/mappedfile.h"
#include "proto/meta_graph.pb.h"
#include "tfprotoscan.h"

#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <algorithm>

namespace wl
{
namespace
{

bool isVariableOp(const std::string &op)
{
    return op == "VariableV2" || op == "Variable" || op == "VarHandleOp";
}

QString stripOutputIndex(const QString &name)
{
    static const QRegularExpression re(QStringLiteral(":\\d+$"));
    QString s = name;
    s.remove(re);
    return s;
}

void fillFromNode(MetaGraphVariable &v, const tf::NodeDef *node)
{
    if (!node)
        return;
    const auto &attr = node->attr();
    if (auto it = attr.find("dtype"); it != attr.end() && it->second.has_type()) {
        v.sourceDType = it->second.type();
        v.dtype = dtypeFromTensorFlow(v.sourceDType);
    }
    if (auto it = attr.find("shape"); it != attr.end() && it->second.has_shape())
        v.shape = shapeFromProto(it->second.shape());
}

} // namespace

Shape shapeFromProto(const tf::TensorShapeProto &shape)
{
    Shape s;
    s.unknownRank = shape.unknown_rank();
    if (!s.unknownRank)
        for (const auto &d : shape.dim())
            s.dims.push_back(d.size());
    return s;
}

MetaGraphInfo summarizeMetaGraph(const tf::MetaGraphDef &mg)
{
    MetaGraphInfo info;
    info.tensorflowVersion = str(mg.meta_info_def().tensorflow_version());
    for (const auto &t : mg.meta_info_def().tags())
        info.tags.append(str(t));
    info.graphNodes = mg.graph_def().node_size();
    for (const auto &fn : mg.graph_def().library().function())
        info.libraryFunctionNodes += fn.node_def_size();
    for (const auto &[name, _] : mg.collection_def())
        info.collections.append(str(name));
    std::sort(info.collections.begin(), info.collections.end());

    QHash<QString, const tf::NodeDef *> variableNodes;
    for (const auto &n : mg.graph_def().node())
        if (isVariableOp(n.op()))
            variableNodes.insert(str(n.name()), &n);

    // VariableDefs of one collection, in stored order; undecodable entries are counted.
    int undecodable = 0;
    auto defsOf = [&](const char *collection) {
        QList<tf::VariableDef> out;
        const auto it = mg.collection_def().find(collection);
        if (it == mg.collection_def().end() || !it->second.has_bytes_list())
            return out;
        for (const auto &bytes : it->second.bytes_list().value()) {
            tf::VariableDef def;
            if (def.ParseFromString(bytes))
                out.append(def);
            else
                ++undecodable;
        }
        return out;
    };
    const auto all = defsOf("variables");
    const auto trainable = defsOf("trainable_variables");
    const bool haveCollections = mg.collection_def().contains("variables") ||
                                 mg.collection_def().contains("trainable_variables");

    QSet<QString> trainableKeys;
    for (const auto &d : trainable)
        trainableKeys.insert(stripOutputIndex(str(d.variable_name())));
    QSet<QString> seen;
    for (const auto *list : {&all, &trainable})
        for (const auto &d : *list) {
            MetaGraphVariable v;
            v.key = stripOutputIndex(str(d.variable_name()));
            if (seen.contains(v.key))
                continue;
            seen.insert(v.key);
            const QString whole = str(d.save_slice_info_def().full_name());
            v.checkpointKey = whole.isEmpty() ? v.key : whole;
            v.trainable = trainableKeys.contains(v.key) || d.trainable();
            fillFromNode(v, variableNodes.value(v.key));
            info.variables.append(v);
        }
    if (!haveCollections) {
        // TF2 graphs carry no collections; their resource variables are VarHandleOp nodes.
        for (const auto &n : mg.graph_def().node()) {
            if (n.op() != "VarHandleOp")
                continue;
            MetaGraphVariable v;
            v.key = str(n.name());
            v.checkpointKey = v.key;
            fillFromNode(v, &n);
            info.variables.append(v);
        }
    }

    QJsonArray vars;
    for (const auto &v : info.variables) {
        QJsonObject o{{QStringLiteral("key"), v.key},
                      {QStringLiteral("dtype"),
                       v.sourceDType >= 0 ? tensorFlowDTypeName(v.sourceDType) : QString()},
                      {QStringLiteral("shape"), v.shape.toString()},
                      {QStringLiteral("trainable"), v.trainable}};
        if (v.checkpointKey != v.key)
            o.insert(QStringLiteral("part_of"), v.checkpointKey);
        vars.append(o);
    }
    info.summary = QJsonObject{
        {QStringLiteral("tensorflow_version"), info.tensorflowVersion},
        {QStringLiteral("tags"), QJsonArray::fromStringList(info.tags)},
        {QStringLiteral("graph_nodes"), info.graphNodes},
        {QStringLiteral("library_function_nodes"), info.libraryFunctionNodes},
        {QStringLiteral("collections"), QJsonArray::fromStringList(info.collections)},
        {QStringLiteral("variables"), vars},
    };
    if (mg.has_saver_def())
        info.summary.insert(QStringLiteral("saver_version"), mg.saver_def().version());
    if (undecodable)
        info.summary.insert(QStringLiteral("undecodable_variable_defs"), undecodable);
    return info;
}

QHash<QString, bool> trainableByCheckpointKey(const MetaGraphInfo &info)
{
    QHash<QString, bool> out;
    for (const auto &v : info.variables) {
        bool &t = out[v.checkpointKey];
        t = t || v.trainable;
    }
    return out;
}

Result<MetaGraphInfo> readMetaGraphFile(const QString &path)
{
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.error();
    const auto &file = **mapped;
    if (file.size() == 0)
        return makeError(LoadError::Code::Empty, path, {}, QStringLiteral("a MetaGraphDef"),
                         QStringLiteral("an empty file"));
    if (file.size() > std::size_t(INT32_MAX))
        return makeError(LoadError::Code::Unsupported, path, {},
                         QStringLiteral("a MetaGraphDef under 2 GiB"),
                         counted(file.size(), "byte"));
    // The parser would keep a field with the wrong wire type as unknown; reject it instead.
    const QByteArrayView bytes(reinterpret_cast<const char *>(file.data()), qsizetype(file.size()));
    QString why =
        describeProtoDamage(bytes, {{1, 2}, {2, 2}, {3, 2}, {4, 2}, {5, 2}, {6, 2}, {7, 2}});
    tf::MetaGraphDef mg;
    if (why.isEmpty() && !mg.ParseFromArray(file.data(), int(file.size())))
        why = QStringLiteral("a nested message is malformed");
    if (!why.isEmpty())
        return makeError(LoadError::Code::Corrupt, path, {},
                         QStringLiteral("a binary MetaGraphDef"),
                         QStringLiteral("bytes that do not parse"), why);
    return summarizeMetaGraph(mg);
}

} // namespace wl
