// Legacy V1 checkpoints (formats-tensorflow.md 4.2): one SSTable whose "" entry lists the
// tensors and whose OrderedCode slice keys hold TensorProto values.

#include "core/plural.h"
#include "proto/tensor_bundle.pb.h"
#include "tfbundle.h"
#include "tfbundleopen.h"
#include "tfcheckpoint.h"
#include "tfmetagraph.h"

#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>

namespace wl::tfopen
{

Result<Opened> openV1(const QString &path, const JobContext &job)
{
    auto table = tfbundle::SsTable::open(path);
    if (!table.ok())
        return table.error();
    tf::SavedTensorSlices head;
    bool first = true;
    QHash<QByteArray, std::vector<TfSlicePart>> stored;
    Problems problems;
    int visited = 0;
    auto st = (*table)->forEach([&](QByteArrayView key, QByteArrayView value) -> Status {
        if (++visited % 1024 == 0 && job.cancelled())
            return makeError(LoadError::Code::Cancelled, path, {}, {});
        if (first) {
            first = false;
            if (!key.isEmpty())
                return makeError(LoadError::Code::UnknownFormat, path, QStringLiteral("first key"),
                                 QStringLiteral("the header key \"\" of a V1 checkpoint"),
                                 tfbundle::printableKey(key));
            if (!head.ParseFromArray(value.data(), int(value.size())) || !head.has_meta())
                return makeError(LoadError::Code::UnknownFormat, path, QStringLiteral("key \"\""),
                                 QStringLiteral("a SavedTensorSlices with meta"),
                                 counted(value.size(), "byte") +
                                     QLatin1String(value.size() == 1 ? " that is not one"
                                                                     : " that are not one"));
            return Ok{};
        }
        auto sk = tfbundle::decodeSliceKey(key);
        if (!sk) {
            problems << Problem{Problem::Severity::Warning, path, tfbundle::printableKey(key),
                                QStringLiteral("not a slice key; entry ignored")};
            return Ok{};
        }
        TfSlicePart part;
        part.start = sk->start;
        part.length = sk->length;
        part.v1Key = key.toByteArray(); // values are decoded only when the tensor is read
        stored[sk->name].push_back(std::move(part));
        return Ok{};
    });
    if (!st.ok())
        return st.error();
    if (first)
        return makeError(LoadError::Code::UnknownFormat, path, {},
                         QStringLiteral("the header key \"\" of a V1 checkpoint"),
                         QStringLiteral("an empty table"));

    CheckpointIndex index;
    index.path = QFileInfo(path).absoluteFilePath();
    index.displayName = QFileInfo(path).fileName();
    index.readerId = kReaderId;
    index.formatName = QStringLiteral("TensorFlow checkpoint (legacy V1)");
    index.subtype = QStringLiteral("legacy V1");
    std::vector<std::vector<TfSlicePart>> parts;
    for (const auto &m : head.meta().tensor()) {
        TensorInfo t;
        t.key = QString::fromStdString(m.name());
        t.sourceDType = m.type();
        t.dtype = dtypeFromTensorFlow(m.type());
        for (const auto &d : m.shape().dim())
            t.shape.dims.push_back(d.size());
        t.shape.unknownRank = m.shape().unknown_rank();
        t.location.storage = TensorLocation::Storage::ReaderDecoded;
        t.location.file = index.path;
        t.location.size =
            std::max<std::int64_t>(0, tfByteSize(t.numElements(), dtypeSize(t.dtype)));
        auto list = stored.take(QByteArray::fromStdString(m.name()));
        if (int(list.size()) != m.slice_size())
            index.problems << Problem{Problem::Severity::Warning, path,
                                      QStringLiteral("tensor \"%1\"").arg(t.key),
                                      QStringLiteral("%1 listed, %2 stored")
                                          .arg(counted(m.slice_size(), "slice"))
                                          .arg(list.size())};
        if (dtypeSize(t.dtype) <= 0)
            index.problems << Problem{Problem::Severity::Warning, path,
                                      QStringLiteral("tensor \"%1\"").arg(t.key),
                                      QStringLiteral("values of type %1 cannot be decoded")
                                          .arg(tensorFlowDTypeName(m.type()))};
        parts.push_back(std::move(list));
        index.tensors << t;
    }
    for (auto it = stored.cbegin(); it != stored.cend(); ++it)
        problems << Problem{Problem::Severity::Warning, path,
                            QStringLiteral("slices of \"%1\"").arg(QString::fromUtf8(it.key())),
                            QStringLiteral("stored but not listed in the header")};
    index.problems << problems;
    QStringList consumed{index.path};
    const QString metaPath = path + QLatin1String(".meta");
    const QString stripped = index.displayName.section(QLatin1Char('-'), 0, 0);
    const QString sideMeta =
        QFileInfo(path).absolutePath() + QLatin1Char('/') + stripped + QLatin1String(".meta");
    std::optional<QHash<QString, bool>> trainable;
    for (const QString &m : {metaPath, sideMeta}) {
        if (!QFileInfo(m).isFile() || consumed.contains(QFileInfo(m).absoluteFilePath()))
            continue;
        consumed << QFileInfo(m).absoluteFilePath();
        auto meta = readMetaGraphFile(m);
        if (!meta.ok()) {
            index.problems << problemFrom(meta.error(), m);
            continue;
        }
        trainable = trainableByCheckpointKey(*meta);
        if (!meta->tensorflowVersion.isEmpty())
            index.metadata << qMakePair(QStringLiteral("TensorFlow version"),
                                        meta->tensorflowVersion);
        index.metadata << qMakePair(QStringLiteral("graph ops"), QString::number(meta->graphNodes));
        break;
    }
    nameTf1Tensors(index.tensors, trainable ? &*trainable : nullptr);
    index.step = stepSuffix(index.displayName);
    if (QRegularExpression(QStringLiteral("-\\d{5}-of-\\d{5}$"))
            .match(index.displayName)
            .hasMatch())
        index.step.reset(); // a shard number, not a step
    index.metadata << qMakePair(QStringLiteral("format"), QStringLiteral("legacy V1"));
    index.summary = QJsonObject{{QStringLiteral("kind"), QStringLiteral("tf-checkpoint")},
                                {QStringLiteral("format"), QStringLiteral("v1")},
                                {QStringLiteral("subtype"), index.subtype},
                                {QStringLiteral("tensors"), int(index.tensors.size())}};
    Opened out;
    out.checkpoint =
        std::make_shared<TfCheckpoint>(std::move(index), std::move(parts), table.value());
    out.consumed = consumed;
    return out;
}

} // namespace wl::tfopen
