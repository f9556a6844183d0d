#include "core/checkpointindex.h"
#include "core/jsonobject.h"
#include "formats/readerregistry.h"
#include "io/hdf5file.h"
#include "io/zipmember.h"
#include "jobs/jobcontext.h"
#include "modelgraph.h"
#include "proto/meta_graph.pb.h"

#include <quazip/quazip.h>
#include <quazip/quazipfile.h>

#include <google/protobuf/text_format.h>

namespace wl::graph
{
ModelGraph fromMetaGraph(const tf::MetaGraphDef &mg, const QString &file, const QString &title);

namespace
{

constexpr qint64 kMaxConfigBytes = qint64(256) << 20;
constexpr qint64 kMaxGraphBytes = qint64(INT32_MAX);

Result<QByteArray> readWhole(const QString &path, qint64 limit)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError(LoadError::Code::Unreadable, path, {}, QStringLiteral("a readable file"),
                         f.errorString());
    if (f.size() > limit)
        return makeError(LoadError::Code::Unsupported, path, {},
                         QStringLiteral("at most %1 bytes").arg(limit),
                         QStringLiteral("%1 bytes").arg(f.size()));
    return f.readAll();
}

// config.json of a .keras archive.
Result<QJsonObject> archiveConfig(const QString &path)
{
    QuaZip zip(path);
    if (!zip.open(QuaZip::mdUnzip))
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("central directory"),
                         QStringLiteral("a zip archive"), QStringLiteral("no readable directory"));
    const QString member = QStringLiteral("config.json");
    auto info = findZipMember(zip, path, member);
    if (!info)
        return info.error();
    if (info->encrypted || info->uncompressedSize > quint64(kMaxConfigBytes))
        return makeError(LoadError::Code::Unsupported, path, member,
                         QStringLiteral("an unencrypted member under 256 MiB"),
                         info->encrypted ? QStringLiteral("encrypted")
                                         : QStringLiteral("%1 bytes").arg(info->uncompressedSize));
    QuaZipFile f(&zip);
    if (!f.open(QIODevice::ReadOnly))
        return makeError(LoadError::Code::Corrupt, path, member,
                         QStringLiteral("a readable member"), zipErrorText(f.getZipError()));
    const QByteArray bytes = f.readAll();
    return parseJsonObject(bytes, path, member);
}

// The model_config root attribute of a Keras .h5, read by the sandboxed reader process.
Result<QJsonObject> h5Config(const QString &path)
{
    const h5::IsolatedScope scope(true);
    auto file = h5::File::open(path);
    if (!file)
        return file.error();
    const QString where = QStringLiteral("/ attribute model_config");
    auto attr = (*file)->attribute({}, QStringLiteral("model_config"));
    if (!attr)
        return attr.error();
    if (!*attr)
        return makeError(LoadError::Code::Unsupported, path, where,
                         QStringLiteral("a model config (the architecture)"),
                         QStringLiteral("weights only"));
    const auto &a = **attr;
    if (!a.isString || a.strings.size() != 1)
        return makeError(LoadError::Code::Corrupt, path, where, QStringLiteral("a JSON string"),
                         a.typeText);
    return parseJsonObject(a.strings.front().toUtf8(), path, where);
}

Result<std::vector<ModelGraph>> savedModelGraphs(const QString &pb)
{
    tf::SavedModel sm;
    auto bytes = readWhole(pb, kMaxGraphBytes);
    if (!bytes)
        return bytes.error();
    bool ok = false;
    if (pb.endsWith(QLatin1String(".pbtxt"))) {
        google::protobuf::TextFormat::Parser parser;
        parser.AllowUnknownField(true);
        ok = parser.ParseFromString(bytes->toStdString(), &sm);
    } else {
        ok = sm.ParseFromArray(bytes->constData(), int(bytes->size()));
    }
    if (!ok)
        return makeError(LoadError::Code::Corrupt, pb, {}, QStringLiteral("a SavedModel"),
                         QStringLiteral("bytes that do not parse"));
    if (sm.meta_graphs_size() == 0)
        return makeError(LoadError::Code::Corrupt, pb, QStringLiteral("meta_graphs"),
                         QStringLiteral("at least one MetaGraphDef"), QStringLiteral("none"));
    std::vector<ModelGraph> out;
    for (const auto &mg : sm.meta_graphs()) {
        QStringList tags;
        for (const auto &t : mg.meta_info_def().tags())
            tags << QString::fromStdString(t);
        out.push_back(fromMetaGraph(
            mg, pb, QFileInfo(pb).fileName() + QStringLiteral(": ") + tags.join(QLatin1Char(','))));
    }
    return out;
}

} // namespace

Result<std::vector<ModelGraph>> loadGraphs(const QString &path, const JobContext &job)
{
    const QFileInfo fi(path);
    if (!fi.exists())
        return makeError(LoadError::Code::NotFound, path, {}, QStringLiteral("a file or folder"),
                         QStringLiteral("nothing"));
    if (fi.isDir()) {
        for (const char *name : {"saved_model.pb", "saved_model.pbtxt"}) {
            const QString pb = QDir(path).filePath(QLatin1String(name));
            if (QFileInfo::exists(pb))
                return savedModelGraphs(pb);
        }
        // A TF1 run folder: the graph of its newest checkpoint.
        const auto metas =
            QDir(path).entryInfoList({QStringLiteral("*.meta")}, QDir::Files, QDir::Time);
        if (!metas.isEmpty())
            return loadGraphs(metas.first().filePath(), job);
        return makeError(LoadError::Code::UnknownFormat, path, {},
                         QStringLiteral("a SavedModel folder (saved_model.pb) or a .meta file"),
                         QStringLiteral("a folder without either"));
    }
    // A checkpoint prefix or its .index: the MetaGraph saved beside it.
    for (const QString &prefix :
         {path, fi.suffix() == QLatin1String("index") ? path.chopped(6) : QString()})
        if (!prefix.isEmpty() && QFileInfo::exists(prefix + QStringLiteral(".meta")))
            return loadGraphs(prefix + QStringLiteral(".meta"), job);
    const QString suffix = fi.suffix().toLower();
    if (fi.fileName().startsWith(QLatin1String("saved_model.")))
        return savedModelGraphs(path);
    if (suffix == QLatin1String("meta")) {
        auto bytes = readWhole(path, kMaxGraphBytes);
        if (!bytes)
            return bytes.error();
        auto g = fromMetaGraphBytes(*bytes, path);
        if (!g)
            return g.error();
        return std::vector<ModelGraph>{std::move(*g)};
    }
    if (suffix == QLatin1String("keras") || suffix == QLatin1String("h5") ||
        suffix == QLatin1String("hdf5")) {
        auto config = suffix == QLatin1String("keras") ? archiveConfig(path) : h5Config(path);
        if (!config)
            return config.error();
        // The opened checkpoint gives the layer table and the weights' keys.
        auto opened = ReaderRegistry::builtin().open(path, job);
        if (!opened)
            return opened.error();
        const CheckpointIndex *index = nullptr;
        if (!opened->checkpoints.empty())
            index = &opened->checkpoints.front()->index();
        auto g = fromKerasConfig(*config, path, index);
        if (!g)
            return g.error();
        return std::vector<ModelGraph>{std::move(*g)};
    }
    return makeError(LoadError::Code::UnknownFormat, path, {},
                     QStringLiteral("a Keras .h5/.keras file, a SavedModel or a .meta file"),
                     fi.fileName());
}

} // namespace wl::graph
