#include "savedmodelreader.h"

#include "readerregistry.h"
#include "savedmodelparts.h"
#include "tfbundleopen.h"

#include <QDir>
#include <QFileInfo>

namespace wl
{
namespace
{

const QString kPb = QStringLiteral("saved_model.pb");
const QString kPbtxt = QStringLiteral("saved_model.pbtxt");

// The variables bundle seen through the SavedModel: readable names and trainable flags from
// the model's graph, bytes from the bundle's own checkpoint.
class SavedModelCheckpoint : public Checkpoint
{
public:
    SavedModelCheckpoint(CheckpointIndex index, std::shared_ptr<Checkpoint> inner)
        : Checkpoint(std::move(index)), m_inner(std::move(inner))
    {
    }
    Result<ChecksumState> streamTensor(int i, const ChunkSink &sink,
                                       const StreamOptions &options) const override
    {
        return m_inner->streamTensor(i, sink, options);
    }

private:
    std::shared_ptr<Checkpoint> m_inner;
};

std::shared_ptr<Checkpoint> adopt(const std::shared_ptr<Checkpoint> &inner,
                                  const savedmodel::Document *doc, const QString &dir)
{
    // The bundle is the SavedModel's own: it is named and placed as the folder, so views show
    // one node for it rather than the folder, then `variables`, then the bundle.
    CheckpointIndex index = inner->index();
    index.path = QFileInfo(dir).absoluteFilePath();
    index.displayName = QFileInfo(dir).fileName();
    if (doc)
        for (TensorInfo &t : index.tensors) {
            const auto path = doc->pathByKey.constFind(t.key);
            if (path != doc->pathByKey.constEnd() && (t.name.isEmpty() || t.name == t.key))
                t.name = *path;
            const auto tr = doc->trainableByKey.constFind(t.key);
            if (tr != doc->trainableByKey.constEnd() && !t.trainable)
                t.trainable = *tr;
        }
    return std::make_shared<SavedModelCheckpoint>(std::move(index), inner);
}

Problem problem(const QString &file, const QString &text,
                Problem::Severity severity = Problem::Severity::Warning)
{
    return {severity, file, {}, text};
}

} // namespace

QString SavedModelReader::id() const
{
    return QStringLiteral("savedmodel");
}

QString SavedModelReader::displayName() const
{
    return QStringLiteral("TensorFlow SavedModel");
}

QStringList SavedModelReader::filePatterns() const
{
    return {kPb, kPbtxt};
}

ProbeResult SavedModelReader::probe(const Source &source) const
{
    if (source.kind() == Source::Kind::Directory &&
        (source.hasEntry(kPb) || source.hasEntry(kPbtxt)))
        return {95, QStringLiteral("SavedModel")};
    if (source.kind() == Source::Kind::File &&
        (source.fileName() == kPb || source.fileName() == kPbtxt))
        return {95, QStringLiteral("SavedModel")};
    return {};
}

Result<OpenResult> SavedModelReader::open(const Source &source, const JobContext &job) const
{
    const QString dir = source.kind() == Source::Kind::Directory
                            ? source.path()
                            : QFileInfo(source.path()).absolutePath();
    const QDir d(dir);
    const QString pbPath = source.kind() == Source::Kind::File ? source.path()
                           : d.exists(kPb)                     ? d.filePath(kPb)
                                                               : d.filePath(kPbtxt);
    if (!QFileInfo(pbPath).isFile())
        return makeError(LoadError::Code::NotFound, dir, {},
                         QStringLiteral("saved_model.pb or saved_model.pbtxt"),
                         QStringLiteral("neither file"));

    OpenResult r;
    r.path = source.path();
    r.kind = QStringLiteral("savedmodel");
    r.readerId = id();

    auto doc = savedmodel::readDocument(pbPath);
    LoadError docError;
    if (!doc) {
        docError = doc.error();
        r.problems << problemFrom(doc.error(), pbPath, Problem::Severity::Error,
                                  QStringLiteral("not a valid SavedModel"));
    }

    // Variables through the checkpoint reader.
    const QString prefix = d.filePath(QStringLiteral("variables/variables"));
    int variableCount = 0;
    QJsonObject variablesJson;
    if (QFileInfo::exists(prefix + QStringLiteral(".index"))) {
        const Reader *bundle = ReaderRegistry::builtin().find(tfopen::kReaderId);
        if (!bundle) {
            r.problems << problem(
                prefix, QStringLiteral("no TensorFlow checkpoint reader to read the variables"));
        } else if (auto vars = bundle->open(Source::fromPath(prefix), job); !vars) {
            r.problems << problemFrom(vars.error(), prefix, Problem::Severity::Error,
                                      QStringLiteral("variables unreadable"));
        } else {
            r.problems << vars->problems;
            r.consumedFiles << vars->consumedFiles;
            for (const auto &c : vars->checkpoints) {
                auto adopted = adopt(c, doc ? &doc.value() : nullptr, dir);
                for (const TensorInfo &t : adopted->index().tensors)
                    variableCount += t.key != tfopen::kObjectGraphKey;
                variablesJson = adopted->index().summary;
                r.consumedFiles << c->index().path; // the prefix names it in folder scans
                r.checkpoints.push_back(std::move(adopted));
            }
        }
    } else {
        r.problems << problem(prefix + QStringLiteral(".index"),
                              QStringLiteral("SavedModel has no variables bundle"),
                              Problem::Severity::Info);
    }
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, dir, {}, QStringLiteral("an open"),
                         QStringLiteral("cancelled"));
    if (!doc && r.checkpoints.empty())
        return makeError(docError.code, pbPath, docError.where,
                         QStringLiteral("a SavedModel (saved_model.pb or variables)"),
                         docError.found,
                         QStringLiteral("not a valid SavedModel: %1; no readable variables either")
                             .arg(docError.detail.isEmpty() ? docError.expected : docError.detail));
    if (!r.checkpoints.empty())
        r.latest = r.checkpoints.front()->index().displayName;

    QJsonObject summary{{QStringLiteral("kind"), QStringLiteral("savedmodel")},
                        {QStringLiteral("format"),
                         pbPath.endsWith(kPbtxt) ? QStringLiteral("pbtxt") : QStringLiteral("pb")},
                        {QStringLiteral("variables"), variableCount}};
    QStringList text;
    if (doc) {
        summary.insert(QStringLiteral("schema_version"), doc->schemaVersion);
        summary.insert(QStringLiteral("meta_graphs"), doc->metaGraphs);
        const QJsonObject first = doc->metaGraphs.first().toObject();
        for (const char *k : {"tags", "tensorflow_version", "signatures"})
            summary.insert(QLatin1String(k), first[QLatin1String(k)]);
        text << doc->text;
    } else {
        text << QStringLiteral("SavedModel: saved_model.pb is not valid (%1)")
                    .arg(docError.reason());
    }
    text << QStringLiteral("variables: %1").arg(variableCount);
    if (!variablesJson.isEmpty())
        summary.insert(QStringLiteral("variables_bundle"), variablesJson);

    const QString fpPath = d.filePath(QStringLiteral("fingerprint.pb"));
    if (QFileInfo(fpPath).isFile()) {
        if (auto fp = savedmodel::readFingerprint(fpPath)) {
            summary.insert(QStringLiteral("fingerprint"), *fp);
            text << QStringLiteral("fingerprint: checksum %1")
                        .arg((*fp)[QStringLiteral("saved_model_checksum")].toString());
        } else {
            r.problems << problemFrom(fp.error(), fpPath, Problem::Severity::Warning,
                                      QStringLiteral("fingerprint unreadable"));
        }
    }
    const QString kmPath = d.filePath(QStringLiteral("keras_metadata.pb"));
    if (QFileInfo(kmPath).isFile()) {
        if (auto km = savedmodel::readKerasMetadata(kmPath)) {
            summary.insert(QStringLiteral("keras_metadata"), *km);
            text << QStringLiteral("Keras objects: %1").arg(km->size());
            for (const auto &n : std::as_const(*km)) {
                const QJsonObject o = n.toObject();
                text << QStringLiteral("  %1  %2 %3 (%4)")
                            .arg(o[QStringLiteral("node_path")].toString(),
                                 o[QStringLiteral("class_name")].toString(),
                                 o[QStringLiteral("name")].toString(),
                                 o[QStringLiteral("identifier")].toString());
            }
        } else {
            r.problems << problemFrom(km.error(), kmPath, Problem::Severity::Warning,
                                      QStringLiteral("Keras metadata unreadable"));
        }
    }
    for (const QString &sub : {QStringLiteral("assets"), QStringLiteral("assets.extra")}) {
        if (!QFileInfo(d.filePath(sub)).isDir())
            continue;
        const QJsonArray files = savedmodel::listFiles(d.filePath(sub));
        summary.insert(sub == QLatin1String("assets") ? QStringLiteral("assets")
                                                      : QStringLiteral("assets_extra"),
                       files);
        QStringList names;
        for (const auto &f : files)
            names << f.toObject()[QStringLiteral("path")].toString();
        text << QStringLiteral("%1: %2").arg(
            sub, names.isEmpty() ? QStringLiteral("(empty)") : names.join(QStringLiteral(", ")));
    }
    r.summary = summary;
    r.summaryText = text.join(QLatin1Char('\n'));
    for (const auto &f : savedmodel::listFiles(dir))
        r.consumedFiles << d.absoluteFilePath(f.toObject()[QStringLiteral("path")].toString());
    r.consumedFiles.removeDuplicates();
    return r;
}

} // namespace wl
