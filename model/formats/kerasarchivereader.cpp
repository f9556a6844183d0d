#include "kerasarchivereader.h"

#include "core/plural.h"
#include "io/hdf5file.h"
#include "io/mappedfile.h"
#include "io/zipmember.h"
#include "kerasmodel.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <new>
#include <quazip.h>
#include <quazipfile.h>
#include <quazipfileinfo.h>

namespace wl
{
namespace
{

const QString kWeights = QStringLiteral("model.weights.h5");
const QString kWeightsNpz = QStringLiteral("model.weights.npz");

Result<std::unique_ptr<QuaZip>> openZip(const QString &path)
{
    auto z = std::make_unique<QuaZip>(path);
    if (!z->open(QuaZip::mdUnzip))
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("central directory"),
                         QStringLiteral("a zip archive"), zipErrorText(z->getZipError()));
    return z;
}

bool hasMember(QuaZip &z, const QString &name)
{
    return z.setCurrentFile(name, QuaZip::csSensitive);
}

// Reads one member whole, its CRC-32 checked; members larger than maxBytes are refused.
Result<QByteArray> readMember(QuaZip &z, const QString &archive, const QString &name,
                              std::int64_t maxBytes)
{
    const auto info = findZipMember(z, archive, name);
    if (!info)
        return info.error();
    if (info->encrypted)
        return makeError(LoadError::Code::Unsupported, archive, name,
                         QStringLiteral("an unencrypted member"), QStringLiteral("encrypted"));
    if (info->uncompressedSize > quint64(maxBytes))
        return makeError(LoadError::Code::Unsupported, archive, name,
                         QStringLiteral("at most %1 bytes").arg(maxBytes),
                         counted(info->uncompressedSize, "byte"));
    QuaZipFile f(&z);
    if (!f.open(QIODevice::ReadOnly))
        return makeError(LoadError::Code::Corrupt, archive, name,
                         QStringLiteral("a readable member"), zipErrorText(f.getZipError()));
    QByteArray out;
    try {
        out.resize(qsizetype(info->uncompressedSize));
    } catch (const std::bad_alloc &) {
        return makeError(LoadError::Code::Unsupported, archive, name,
                         QStringLiteral("a member that fits in memory"),
                         counted(info->uncompressedSize, "byte"));
    }
    qint64 done = 0;
    while (done < out.size()) {
        const auto n = f.read(out.data() + done, out.size() - done);
        if (n <= 0)
            break;
        done += n;
    }
    const int readError = f.getZipError();
    f.close(); // checks the CRC-32 once the whole member was read
    const int closeError = f.getZipError();
    if (done != out.size()) {
        const int why = readError != UNZ_OK ? readError : closeError;
        return makeError(
            why == Z_DATA_ERROR ? LoadError::Code::Corrupt : LoadError::Code::Truncated, archive,
            name, counted(out.size(), "byte"), counted(done, "byte"), zipErrorText(why));
    }
    if (closeError != UNZ_OK)
        return makeError(LoadError::Code::Corrupt, archive, name,
                         QStringLiteral("data matching the stored CRC-32"),
                         zipErrorText(closeError));
    return out;
}

struct StoredMember {
    std::shared_ptr<const MappedFile> map;
    std::int64_t offset = 0;
    std::size_t size = 0;
    const std::uint8_t *data() const { return map->data() + offset; }
};

// A stored, unencrypted member's bytes in the mapped archive; nullopt for any other member.
std::optional<StoredMember> storedMember(const ZipMember &m)
{
    if (m.method != 0 || m.encrypted)
        return std::nullopt;
    auto map = MappedFile::open(m.archive);
    if (!map || std::uint64_t(m.dataOffset) + m.uncompressedSize > (*map)->size())
        return std::nullopt;
    return StoredMember{*map, m.dataOffset, std::size_t(m.uncompressedSize)};
}

} // namespace

ProbeResult KerasArchiveReader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File || !source.head(4).startsWith("PK\x03\x04"))
        return {};
    auto z = openZip(source.path());
    if (!z)
        return {};
    auto has = [&](const QString &n) { return hasMember(**z, n); };
    if (has(QStringLiteral("config.json")) &&
        (has(kWeights) || has(kWeightsNpz) || has(QStringLiteral("metadata.json"))))
        return {90, QStringLiteral("Keras 3")};
    return {};
}

Result<OpenResult> KerasArchiveReader::open(const Source &source, const JobContext &job) const
{
    const QString path = source.path();
    auto z = openZip(path);
    if (!z)
        return z.error();
    QuaZip &zip = **z;
    auto has = [&](const QString &n) { return hasMember(zip, n); };
    if (!has(QStringLiteral("config.json")))
        return makeError(LoadError::Code::UnknownFormat, path, QStringLiteral("config.json"),
                         QStringLiteral("a Keras archive member config.json"),
                         QStringLiteral("no such member"));
    CheckpointIndex index;
    keras::ModelFacts facts;
    Problems problems;
    std::optional<keras::ModelConfig> config;
    std::optional<QJsonObject> compile;
    if (auto meta = readMember(zip, path, QStringLiteral("metadata.json"), 1 << 20); meta) {
        const auto o = QJsonDocument::fromJson(*meta).object();
        if (o.value("keras_version").isString())
            facts.version = o.value("keras_version").toString();
        if (o.value("date_saved").isString())
            index.metadata << qMakePair(QStringLiteral("Saved"), o.value("date_saved").toString());
    } else {
        problems << problemFrom(meta.error(), path);
    }
    auto cfg = readMember(zip, path, QStringLiteral("config.json"), std::int64_t(256) << 20);
    if (!cfg)
        return cfg.error();
    auto parsed = keras::parseModelConfig(*cfg, path, QStringLiteral("config.json"));
    if (parsed) {
        config = *parsed;
        compile = QJsonDocument::fromJson(*cfg).object().value("compile_config").toObject();
    } else {
        problems << problemFrom(parsed.error(), path);
    }

    std::shared_ptr<h5::File> file;
    std::vector<h5::DatasetInfo> datasets;
    if (has(kWeights)) {
        // A stored member is read in place from the mapped archive, so opening loads only the
        // pages HDF5 reads for metadata (its CRC-32 would need every byte); any other member is
        // inflated into a temporary file with its CRC-32 checked, and mapped from there.
        auto member = findZipMember(zip, path, kWeights);
        if (!member)
            return member.error();
        auto stored = storedMember(*member);
        if (stored && h5::signatureOffset(QByteArray::fromRawData(
                          reinterpret_cast<const char *>(stored->data()),
                          qsizetype(std::min<std::size_t>(stored->size, 8)))) != 0)
            stored.reset();
        std::shared_ptr<const void> image;
        std::span<const std::uint8_t> bytes;
        std::optional<h5::File::Origin> origin;
        if (stored) {
            origin = h5::File::Origin{path, stored->offset};
            image = stored->map;
            bytes = {stored->data(), stored->size};
        } else {
            auto inflated = InflatedMember::inflate(*member, job);
            if (!inflated)
                return inflated.error();
            bytes = {(*inflated)->data(), (*inflated)->size()};
            origin = h5::File::Origin{{}, 0, (*inflated)->fd()};
            image = *inflated;
        }
        auto opened = h5::File::openImage(bytes.data(), bytes.size(), std::move(image),
                                          path + QLatin1Char(':') + kWeights, origin);
        if (!opened)
            return opened.error();
        file = *opened;
        auto contents = keras::readHdf5(*file, config, job);
        if (!contents)
            return contents.error();
        index.tensors = std::move(contents->index.tensors);
        problems += contents->index.problems;
        datasets = std::move(contents->datasets);
        const auto version = facts.version;
        facts = contents->facts;
        facts.version = version;
        // Stored member: contiguous datasets are streamed straight from the archive.
        for (int i = 0; stored && i < index.tensors.size(); ++i) {
            auto &loc = index.tensors[i].location;
            const auto &d = datasets[std::size_t(i)];
            if (loc.storage != TensorLocation::Storage::ReaderDecoded || !d.contiguous)
                continue;
            loc.storage = TensorLocation::Storage::Raw;
            loc.file = path;
            loc.offset = stored->offset + d.offset;
            loc.size = d.storageSize;
            loc.bigEndian = d.bigEndian;
        }
    } else if (has(kWeightsNpz)) {
        facts.format = QStringLiteral("keras3-archive");
        problems << Problem{Problem::Severity::Warning, path, kWeightsNpz,
                            QStringLiteral("weights saved as model.weights.npz (pickled arrays) "
                                           "are not supported; only the model config is shown")};
        if (config)
            for (const auto &l : config->layers)
                facts.layers.push_back({l.name, l.className, {}, keras::shapeText(l.output), 0, 0});
    } else {
        return makeError(LoadError::Code::Unsupported, path, kWeights,
                         QStringLiteral("a weights member model.weights.h5 (or .npz)"),
                         QStringLiteral("no weights in the archive"));
    }
    facts.format = QStringLiteral("keras3-archive");
    facts.generic = false;
    if (config) {
        facts.modelName = config->name;
        facts.modelClass = config->className;
    }
    if (compile)
        facts.training = keras::parseTrainingConfig(*compile);

    index.path = path;
    index.displayName = QFileInfo(path).fileName();
    index.readerId = id();
    index.formatName = displayName();
    index.subtype = facts.version ? QStringLiteral("Keras %1").arg(*facts.version) : QString();
    index.problems = problems;
    keras::describe(index, facts);
    QJsonArray members;
    for (const auto &m : zip.getFileInfoList64())
        members.append(QJsonObject{{"name", m.name},
                                   {"size", double(m.uncompressedSize)},
                                   {"compress_type", int(m.method)}});
    index.summary.insert("members", members);

    return keras::singleFileResult(path, QStringLiteral("keras"), id(), std::move(index), file,
                                   std::move(datasets));
}

} // namespace wl
