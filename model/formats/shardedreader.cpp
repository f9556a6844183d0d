// The index file is JSON: {"metadata": {"total_size": N}, "weight_map": {tensor: shard file}}.
// Shards are plain safetensors or torch.save files beside it.
#include "shardedreader.h"

#include "core/plural.h"
#include "pytorchreader.h"
#include "safetensorsreader.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

namespace wl
{
namespace
{

const QString kShardedReaderId = QStringLiteral("hf-sharded");
constexpr std::int64_t kMaxIndexBytes = std::int64_t(64) << 20;

// Tensors of several shard checkpoints under one index; reads go to the shard's checkpoint.
class ShardedCheckpoint : public Checkpoint
{
public:
    ShardedCheckpoint(CheckpointIndex index, std::vector<std::shared_ptr<Checkpoint>> shards,
                      std::vector<std::pair<int, int>> where)
        : Checkpoint(std::move(index)), m_shards(std::move(shards)), m_where(std::move(where))
    {
    }

    Result<ChecksumState> streamTensor(int i, const ChunkSink &sink,
                                       const StreamOptions &options) const override
    {
        if (i < 0 || std::size_t(i) >= m_where.size() || m_where[std::size_t(i)].first < 0)
            return Checkpoint::streamTensor(i, sink, options);
        const auto [shard, j] = m_where[std::size_t(i)];
        return m_shards[std::size_t(shard)]->streamTensor(j, sink, options);
    }

private:
    std::vector<std::shared_ptr<Checkpoint>> m_shards;
    std::vector<std::pair<int, int>> m_where; // (shard, tensor in it); -1 when unreadable
};

} // namespace

QString ShardedReader::id() const
{
    return kShardedReaderId;
}

QString ShardedReader::displayName() const
{
    return QStringLiteral("Sharded Hugging Face checkpoint");
}

QStringList ShardedReader::filePatterns() const
{
    return {QStringLiteral("*.safetensors.index.json"), QStringLiteral("*.bin.index.json")};
}

ProbeResult ShardedReader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File)
        return {};
    const QString name = source.fileName();
    const bool st = name.endsWith(QLatin1String(".safetensors.index.json"));
    const bool bin = name.endsWith(QLatin1String(".bin.index.json"));
    if (!st && !bin)
        return {};
    const bool mapped = source.head(4096).contains("\"weight_map\"");
    return {mapped ? 95 : 60, st ? QStringLiteral("safetensors") : QStringLiteral("pytorch")};
}

Result<OpenResult> ShardedReader::open(const Source &source, const JobContext &job) const
{
    const QString path = source.path();
    if (source.size() > kMaxIndexBytes)
        return makeError(LoadError::Code::Unsupported, path, {},
                         QStringLiteral("an index of at most %1 bytes").arg(kMaxIndexBytes),
                         counted(source.size(), "byte"));
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError(LoadError::Code::Unreadable, path, {}, {}, {}, f.errorString());
    QJsonParseError err;
    const auto doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return makeError(LoadError::Code::Corrupt, path,
                         QStringLiteral("offset %1").arg(err.offset),
                         QStringLiteral("a JSON object"),
                         err.error != QJsonParseError::NoError ? err.errorString()
                                                               : QStringLiteral("not an object"));
    const QJsonObject map = doc.object().value(QLatin1String("weight_map")).toObject();
    if (map.isEmpty())
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("weight_map"),
                         QStringLiteral("an object naming each tensor's shard"),
                         QStringLiteral("none"));
    const QDir dir = QFileInfo(path).absoluteDir();
    CheckpointIndex index;
    index.path = path;
    index.displayName = QFileInfo(path).fileName();
    index.readerId = kShardedReaderId;
    index.formatName = QStringLiteral("Sharded Hugging Face checkpoint");
    Problems &problems = index.problems;

    // Shards in the order the index first names them.
    QStringList shardNames;
    for (auto it = map.begin(); it != map.end(); ++it) {
        const QString shard = it.value().toString();
        if (!shardNames.contains(shard))
            shardNames << shard;
    }
    std::sort(shardNames.begin(), shardNames.end());
    const SafetensorsReader safetensors;
    const PyTorchReader pytorch;
    std::vector<std::shared_ptr<Checkpoint>> shards;
    std::vector<std::pair<int, int>> where;
    QStringList consumed{QFileInfo(path).absoluteFilePath()};
    QSet<QString> listed;
    for (const QString &shard : shardNames) {
        // Names only: a shard outside the index's folder is refused.
        if (shard.isEmpty() || shard.contains(QLatin1Char('/')) ||
            shard.contains(QLatin1Char('\\')) || shard == QLatin1String("..")) {
            problems << Problem{
                Problem::Severity::Error, path, QStringLiteral("weight_map"),
                QStringLiteral("shard name \"%1\" is not a file beside the index").arg(shard)};
            continue;
        }
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, path, {}, {});
        const QString shardPath = dir.filePath(shard);
        const Source s = Source::fromPath(shardPath);
        if (s.kind() != Source::Kind::File) {
            problems << Problem{Problem::Severity::Error,
                                shardPath,
                                {},
                                QStringLiteral("shard %1 is missing").arg(shard)};
            continue;
        }
        const Reader &reader = shard.endsWith(QLatin1String(".safetensors"))
                                   ? static_cast<const Reader &>(safetensors)
                                   : static_cast<const Reader &>(pytorch);
        auto r = reader.open(s, job);
        if (!r.ok() || r->checkpoints.size() != 1) {
            problems << (r.ok() ? Problem{Problem::Severity::Error,
                                          shardPath,
                                          {},
                                          QStringLiteral("shard holds no checkpoint")}
                                : problemFrom(r.error(), shardPath, Problem::Severity::Error));
            continue;
        }
        consumed << QFileInfo(shardPath).absoluteFilePath();
        const auto cp = r->checkpoints.front();
        const int shardIndex = int(shards.size());
        shards.push_back(cp);
        const auto &si = cp->index();
        problems += si.problems;
        for (int j = 0; j < si.tensors.size(); ++j) {
            const TensorInfo &t = si.tensors[j];
            const QString owner = map.value(t.key).toString();
            if (owner != shard)
                problems << Problem{
                    Problem::Severity::Warning, shardPath, QStringLiteral("tensor '%1'").arg(t.key),
                    owner.isEmpty() ? QStringLiteral("not in the index's weight_map")
                                    : QStringLiteral("the index places it in %1").arg(owner)};
            listed.insert(t.key);
            index.tensors.push_back(t);
            where.emplace_back(shardIndex, j);
        }
    }
    for (auto it = map.begin(); it != map.end(); ++it)
        if (!listed.contains(it.key())) {
            TensorInfo t;
            t.key = t.name = it.key();
            t.dtype = DType::Unknown;
            t.location.storage = TensorLocation::Storage::None;
            t.location.file = dir.filePath(it.value().toString());
            problems << Problem{Problem::Severity::Warning, t.location.file,
                                QStringLiteral("tensor '%1'").arg(t.key),
                                QStringLiteral("named by the index but not found in its shard")};
            index.tensors.push_back(t);
            where.emplace_back(-1, -1);
        }
    const QJsonObject meta = doc.object().value(QLatin1String("metadata")).toObject();
    for (auto it = meta.begin(); it != meta.end(); ++it)
        index.metadata.append({it.key(), it.value().toVariant().toString()});
    index.metadata.append({QStringLiteral("Shards"), QString::number(shardNames.size())});
    index.summary.insert(QStringLiteral("shards"), QJsonArray::fromStringList(shardNames));
    index.summary.insert(QStringLiteral("metadata"), meta);
    index.summaryText =
        QStringLiteral("%1 in %2")
            .arg(counted(index.tensors.size(), "tensor"), counted(shardNames.size(), "shard"));
    return singleCheckpoint(
        path, kShardedReaderId,
        std::make_shared<ShardedCheckpoint>(std::move(index), std::move(shards), std::move(where)),
        consumed);
}

} // namespace wl
