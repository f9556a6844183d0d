#include "tfbundleopen.h"

#include "core/plural.h"
#include "proto/tensor_bundle.pb.h"
#include "tfbundle.h"
#include "tfcheckpoint.h"
#include "tfmetagraph.h"
#include "tfobjectgraph.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace wl::tfopen
{
namespace
{

Problem problem(const QString &file, const QString &where, const QString &text)
{
    return Problem{Problem::Severity::Warning, file, where, text};
}

Shape shapeOf(const tf::TensorShapeProto &p)
{
    Shape s;
    s.unknownRank = p.unknown_rank();
    for (const auto &d : p.dim())
        s.dims.push_back(d.size());
    return s;
}

QString shardPath(const QString &prefix, int shard, int numShards)
{
    return QStringLiteral("%1.data-%2-of-%3")
        .arg(prefix)
        .arg(shard, 5, 10, QLatin1Char('0'))
        .arg(numShards, 5, 10, QLatin1Char('0'));
}

// A small integer scalar read straight from the data file (save_counter, global_step).
std::optional<std::int64_t> readIntScalar(const TensorInfo &t)
{
    const int item = dtypeSize(t.dtype);
    if ((t.dtype != DType::Int64 && t.dtype != DType::Int32) || t.shape.rank() != 0 ||
        t.location.storage != TensorLocation::Storage::Raw || t.location.size != item)
        return std::nullopt;
    auto bytes = readFileBytes(t.location.file, t.location.offset, item);
    if (!bytes.ok() || bytes->size() != item)
        return std::nullopt;
    QByteArray b = bytes.value();
    if (t.location.bigEndian)
        std::reverse(b.begin(), b.end());
    if (item == 8) {
        std::int64_t v = 0;
        std::memcpy(&v, b.constData(), 8);
        return v;
    }
    std::int32_t v = 0;
    std::memcpy(&v, b.constData(), 4);
    return v;
}

// The serialized TrackableObjectGraph inside the DT_STRING scalar's stored bytes.
Result<QByteArray> readObjectGraphString(const TensorInfo &t)
{
    auto stored = readFileBytes(t.location.file, t.location.offset, t.location.size);
    if (!stored.ok())
        return stored.error();
    if (stored->size() != t.location.size)
        return makeError(LoadError::Code::Truncated, t.location.file,
                         QStringLiteral("offset %1").arg(t.location.offset),
                         counted(t.location.size, "byte"), counted(stored->size(), "byte"));
    auto layout = tfbundle::parseStringLayout(stored.value(), 1);
    if (!layout || layout->lengths.size() != 1 ||
        layout->dataStart + layout->lengths[0] > std::uint64_t(stored->size()))
        return makeError(LoadError::Code::Corrupt, t.location.file, t.key,
                         QStringLiteral("a DT_STRING scalar (varint length, 4-byte CRC, bytes)"),
                         counted(t.location.size, "byte") +
                             QLatin1String(t.location.size == 1 ? " that does not fit that layout"
                                                                : " that do not fit that layout"));
    return stored->mid(qsizetype(layout->dataStart), qsizetype(layout->lengths[0]));
}

QJsonArray shapeJson(const Shape &s)
{
    QJsonArray a;
    for (auto d : s.dims)
        a.append(qint64(d));
    return a;
}

} // namespace

bool isTempName(const QString &fileName)
{
    return fileName.contains(QLatin1String(".tempstate")) ||
           fileName.contains(QLatin1String("_temp")) || fileName.contains(QLatin1String(".tmp"));
}

QString prefixOfShard(const QString &fileName)
{
    static const QRegularExpression re(QStringLiteral("^(.+)\\.data-\\d{5}-of-\\d{5}$"));
    const auto m = re.match(fileName);
    return m.hasMatch() ? m.captured(1) : QString();
}

std::optional<std::int64_t> stepSuffix(const QString &name)
{
    // `ckpt-9` (CheckpointManager, Saver) and `ckpt_20` (Keras ModelCheckpoint epochs).
    static const QRegularExpression re(QStringLiteral("[-_](\\d{1,18})$"));
    const auto m = re.match(name);
    if (!m.hasMatch())
        return std::nullopt;
    return m.captured(1).toLongLong();
}

Result<Opened> openV2(const QString &prefix, const JobContext &job)
{
    const QString indexPath = prefix + QLatin1String(".index");
    auto table = tfbundle::SsTable::open(indexPath);
    if (!table.ok())
        return table.error();

    tf::BundleHeaderProto header;
    bool first = true;
    QVector<TensorInfo> tensors;
    std::vector<tf::BundleEntryProto> entries;
    // Room for as many entries as the index could hold (each takes a few bytes at least), so
    // that thousands of them are not copied as the vectors grow; pages never written cost nothing.
    const auto room = std::min<qint64>(QFileInfo(indexPath).size() / 8, qint64(1) << 22);
    tensors.reserve(room);
    entries.reserve(std::size_t(room));
    std::map<QByteArray, std::vector<std::pair<tfbundle::SliceKey, tf::BundleEntryProto>>> slices;
    Problems problems;
    int visited = 0;
    auto st = (*table)->forEach([&](QByteArrayView key, QByteArrayView value) -> Status {
        if (++visited % 1024 == 0 && job.cancelled())
            return makeError(LoadError::Code::Cancelled, indexPath, {}, {});
        if (first) {
            first = false;
            if (!key.isEmpty())
                return makeError(LoadError::Code::Corrupt, indexPath, QStringLiteral("first key"),
                                 QStringLiteral("the header key \"\""),
                                 tfbundle::printableKey(key));
            if (!header.ParseFromArray(value.data(), int(value.size())))
                return makeError(LoadError::Code::Corrupt, indexPath, QStringLiteral("key \"\""),
                                 QStringLiteral("a BundleHeaderProto"),
                                 counted(value.size(), "unparsable byte"));
            return Ok{};
        }
        tf::BundleEntryProto e;
        if (!e.ParseFromArray(value.data(), int(value.size())))
            return makeError(LoadError::Code::Corrupt, indexPath, tfbundle::printableKey(key),
                             QStringLiteral("a BundleEntryProto"),
                             counted(value.size(), "unparsable byte"));
        if (tfbundle::isSliceKey(key)) {
            auto sk = tfbundle::decodeSliceKey(key);
            if (!sk)
                problems << problem(indexPath, tfbundle::printableKey(key),
                                    QStringLiteral("undecodable slice key; entry ignored"));
            else
                slices[sk->name].emplace_back(std::move(*sk), std::move(e));
            return Ok{};
        }
        TensorInfo t;
        t.key = QString::fromUtf8(key);
        entries.push_back(std::move(e));
        tensors.push_back(std::move(t));
        return Ok{};
    });
    if (!st.ok())
        return st.error();
    if (first)
        return makeError(LoadError::Code::Corrupt, indexPath, {},
                         QStringLiteral("the header key \"\""), QStringLiteral("no entries"));

    const bool big = header.endianness() == tf::BundleHeaderProto::BIG;
    int numShards = header.num_shards();
    if (header.version().producer() > 1)
        problems << problem(indexPath, QStringLiteral("key \"\""),
                            QStringLiteral("written by bundle format version %1; this reader "
                                           "knows version 1")
                                .arg(header.version().producer()));
    if (numShards < 1 || numShards > 99999) {
        problems << problem(indexPath, QStringLiteral("key \"\""),
                            QStringLiteral("num_shards is %1; assuming 1").arg(numShards));
        numShards = 1;
    }
    QStringList consumed{QFileInfo(prefix).absoluteFilePath(),
                         QFileInfo(indexPath).absoluteFilePath()};
    std::vector<std::int64_t> shardSize(std::size_t(numShards), -1);
    for (int s = 0; s < numShards; ++s) {
        const QFileInfo fi(shardPath(prefix, s, numShards));
        if (fi.isFile()) {
            shardSize[std::size_t(s)] = fi.size();
            consumed << fi.absoluteFilePath();
        } else {
            problems << problem(fi.absoluteFilePath(), {},
                                QStringLiteral("data shard %1 of %2 is missing; its tensors "
                                               "cannot be read")
                                    .arg(s)
                                    .arg(numShards));
        }
    }

    // Thousands of tensors share a few shard names: made once, shared by every location.
    std::vector<QString> shardNames(static_cast<std::size_t>(numShards));
    for (int s = 0; s < numShards; ++s)
        shardNames[std::size_t(s)] = shardPath(prefix, s, numShards);
    const auto shardName = [&](int shard) {
        return shard >= 0 && shard < numShards ? shardNames[std::size_t(shard)]
                                               : shardPath(prefix, shard, numShards);
    };
    std::vector<std::vector<TfSlicePart>> parts(std::size_t(tensors.size()));
    for (int i = 0; i < tensors.size(); ++i) {
        auto &t = tensors[i];
        const auto &e = entries[std::size_t(i)];
        const auto where = [&t] { return QStringLiteral("key \"%1\"").arg(t.key); };
        t.sourceDType = e.dtype();
        t.dtype = dtypeFromTensorFlow(e.dtype());
        t.shape = shapeOf(e.shape());
        if (!t.shape.numElements())
            problems << problem(
                indexPath, where(),
                QStringLiteral("shape %1 has no element count").arg(t.shape.toString()));
        const int item = dtypeSize(t.dtype);
        auto &loc = t.location;
        loc.bigEndian = big;
        if (e.slices_size() > 0) {
            loc.storage = TensorLocation::Storage::ReaderDecoded;
            loc.file = indexPath;
            loc.size = std::max<std::int64_t>(0, tfByteSize(t.numElements(), item));
            auto found = slices.find(t.key.toUtf8());
            if (found == slices.end() || int(found->second.size()) != e.slices_size())
                problems << problem(indexPath, where(),
                                    QStringLiteral("partitioned into %1, %2 stored")
                                        .arg(counted(e.slices_size(), "slice"))
                                        .arg(found == slices.end() ? 0 : found->second.size()));
            if (found == slices.end())
                continue;
            for (const auto &[sk, se] : found->second) {
                TfSlicePart part;
                part.start = sk.start;
                part.length = sk.length;
                const int shard = se.shard_id();
                part.location.file = shardName(shard);
                part.location.shard = shard;
                part.location.offset = se.offset();
                part.location.size = se.size();
                part.location.maskedCrc32c = se.crc32c();
                part.location.bigEndian = big;
                parts[std::size_t(i)].push_back(std::move(part));
            }
            continue;
        }
        loc.shard = e.shard_id();
        loc.file = shardName(e.shard_id());
        loc.offset = e.offset();
        loc.size = e.size();
        loc.maskedCrc32c = e.crc32c();
        if (e.shard_id() < 0 || e.shard_id() >= numShards) {
            problems << problem(
                indexPath, where(),
                QStringLiteral("shard %1 is outside 0..%2").arg(e.shard_id()).arg(numShards - 1));
            continue;
        }
        if (t.dtype == DType::Unknown)
            problems << problem(indexPath, where(),
                                QStringLiteral("unknown dtype %1").arg(e.dtype()));
        const auto n = t.shape.numElements();
        if (item > 0 && n && e.size() != tfByteSize(*n, item))
            problems << problem(indexPath, where(),
                                QStringLiteral("size is %1; %2 needed for %3 of %4")
                                    .arg(counted(e.size(), "byte"),
                                         counted(tfByteSize(*n, item), "byte"),
                                         counted(*n, "element"), t.dtypeText()));
        else if (t.dtype == DType::String && n && e.size() != 0 && e.size() < *n + 4)
            problems << problem(indexPath, where(),
                                QStringLiteral("size %1 is too small for %2")
                                    .arg(e.size())
                                    .arg(counted(*n, "string")));
        const auto fileSize = shardSize[std::size_t(e.shard_id())];
        if (fileSize >= 0 && (e.offset() < 0 || e.size() < 0 || e.offset() > fileSize ||
                              e.size() > fileSize - e.offset()))
            problems << problem(loc.file, where(),
                                QStringLiteral("bytes [%1, +%2] lie outside the %3-byte file")
                                    .arg(e.offset())
                                    .arg(e.size())
                                    .arg(fileSize));
    }
    std::set<QByteArray> keys;
    if (!slices.empty())
        for (const auto &t : tensors)
            keys.insert(t.key.toUtf8());
    for (const auto &[name, list] : slices) {
        if (!keys.count(name))
            problems << problem(
                indexPath, QStringLiteral("slices of \"%1\"").arg(QString::fromUtf8(name)),
                counted(list.size(), "slice") + QLatin1String(" without a full-tensor entry"));
    }

    CheckpointIndex index;
    index.path = QFileInfo(prefix).absoluteFilePath();
    index.displayName = QFileInfo(prefix).fileName();
    index.readerId = kReaderId;
    index.formatName = QStringLiteral("TensorFlow checkpoint (V2 bundle)");
    QJsonObject summary{
        {QStringLiteral("kind"), QStringLiteral("tf-checkpoint")},
        {QStringLiteral("format"), QStringLiteral("v2-bundle")},
        {QStringLiteral("num_shards"), numShards},
        {QStringLiteral("endianness"), big ? QStringLiteral("big") : QStringLiteral("little")},
        {QStringLiteral("producer"), header.version().producer()}};
    index.metadata << qMakePair(QStringLiteral("num_shards"), QString::number(numShards));
    if (big)
        index.metadata << qMakePair(QStringLiteral("endianness"), QStringLiteral("big"));

    // Object graph (TF2) or names as stored (TF1 Saver).
    const int ogIndex = [&] {
        for (int i = 0; i < tensors.size(); ++i)
            if (tensors[i].key == kObjectGraphKey)
                return i;
        return -1;
    }();
    std::optional<ObjectGraphInfo> graph;
    const auto &ogLoc = ogIndex >= 0 ? tensors[ogIndex].location : TensorLocation{};
    const bool ogReadable = ogIndex >= 0 && ogLoc.shard >= 0 && ogLoc.shard < numShards &&
                            shardSize[std::size_t(ogLoc.shard)] >= 0;
    if (ogIndex >= 0) {
        auto bytes =
            ogReadable
                ? readObjectGraphString(tensors[ogIndex])
                : Result<QByteArray>(makeError(LoadError::Code::NotFound, ogLoc.file, {}, {}, {}));
        if (bytes.ok()) {
            auto g = parseObjectGraph(bytes.value(), tensors[ogIndex].location.file);
            if (g.ok())
                graph = std::move(g).value();
            else
                problems << problemFrom(g.error(), tensors[ogIndex].location.file);
        } else if (ogReadable) {
            problems << problemFrom(bytes.error(), tensors[ogIndex].location.file);
        }
        index.subtype = QStringLiteral("object-based");
        nameObjectBasedTensors(tensors, graph ? &*graph : nullptr);
        if (graph) {
            index.metadata << qMakePair(QStringLiteral("object graph nodes"),
                                        QString::number(graph->nodeCount))
                           << qMakePair(QStringLiteral("optimizer slot links"),
                                        QString::number(graph->slotLinks));
            summary[QStringLiteral("object_graph")] = graph->summary;
        }
    } else {
        index.subtype = QStringLiteral("name-based (TF1 Saver)");
        const QString metaPath = prefix + QLatin1String(".meta");
        std::optional<QHash<QString, bool>> trainable;
        if (QFileInfo(metaPath).isFile()) {
            consumed << QFileInfo(metaPath).absoluteFilePath();
            auto meta = readMetaGraphFile(metaPath);
            if (meta.ok()) {
                trainable = trainableByCheckpointKey(*meta);
                if (!meta->tensorflowVersion.isEmpty())
                    index.metadata
                        << qMakePair(QStringLiteral("TensorFlow version"), meta->tensorflowVersion);
                index.metadata << qMakePair(QStringLiteral("graph ops"),
                                            QString::number(meta->graphNodes));
                summary[QStringLiteral("tensorflow_version")] = meta->tensorflowVersion;
                summary[QStringLiteral("graph_ops")] = meta->graphNodes;
                summary[QStringLiteral("meta_graph")] = meta->summary;
            } else {
                problems << problemFrom(meta.error(), metaPath);
            }
        }
        nameTf1Tensors(tensors, trainable ? &*trainable : nullptr);
    }
    summary[QStringLiteral("subtype")] = index.subtype;
    summary[QStringLiteral("tensors")] = int(tensors.size());

    // Training-step counters: TF1's global_step, a TF2 checkpoint's own `step` or `global_step`
    // variable, and the iterations of its one optimizer (what Keras's TensorBoard callback and
    // most custom loops log against). The save counter only numbers the saves.
    std::optional<std::int64_t> iterations;
    int optimizers = 0;
    for (const auto &t : tensors) {
        const QString path = graph ? graph->byKey.value(t.key).path : QString();
        if (t.key == kSaveCounterKey || path == QLatin1String("save_counter")) {
            if (auto v = readIntScalar(t)) {
                index.step = *v;
                index.metadata << qMakePair(QStringLiteral("save_counter"), QString::number(*v));
                summary[QStringLiteral("save_counter")] = qint64(*v);
            }
        } else if (t.key == QLatin1String("global_step") || path == QLatin1String("global_step") ||
                   path == QLatin1String("step")) {
            if (auto v = readIntScalar(t)) {
                if (!index.step)
                    index.step = *v;
                index.metadata << qMakePair(QStringLiteral("global_step"), QString::number(*v));
                summary[QStringLiteral("global_step")] = qint64(*v);
            }
        } else if (static const QRegularExpression iter(
                       QStringLiteral("(^|/)[A-Za-z_]*optimizer/_?iter(ations)?$"));
                   !path.isEmpty() && iter.match(path).hasMatch()) {
            ++optimizers;
            iterations = readIntScalar(t);
        }
    }
    if (optimizers == 1 && iterations) {
        index.metadata << qMakePair(QStringLiteral("optimizer_iterations"),
                                    QString::number(*iterations));
        summary[QStringLiteral("optimizer_iterations")] = qint64(*iterations);
    }
    if (!index.step)
        index.step = stepSuffix(index.displayName);
    if (index.step)
        summary[QStringLiteral("step")] = qint64(*index.step);
    QJsonArray partitioned;
    for (const auto &t : tensors)
        if (t.location.storage == TensorLocation::Storage::ReaderDecoded)
            partitioned.append(QJsonObject{{QStringLiteral("key"), t.key},
                                           {QStringLiteral("shape"), shapeJson(t.shape)}});
    if (!partitioned.isEmpty())
        summary[QStringLiteral("partitioned")] = partitioned;
    index.summary = summary;
    index.tensors = std::move(tensors);
    index.problems = problems;
    Opened out;
    out.checkpoint = std::make_shared<TfCheckpoint>(std::move(index), std::move(parts));
    out.consumed = consumed;
    return out;
}

} // namespace wl::tfopen
