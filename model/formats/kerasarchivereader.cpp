#include "kerasarchivereader.h"

#include "io/hdf5file.h"
#include "kerasmodel.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <new>
#include <zip.h>

namespace wl
{
namespace
{

struct ZipCloser {
    void operator()(zip_t *z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

const QString kWeights = QStringLiteral("model.weights.h5");
const QString kWeightsNpz = QStringLiteral("model.weights.npz");

Result<ZipPtr> openZip(const QString &path)
{
    int code = 0;
    zip_t *z = zip_open(path.toLocal8Bit().constData(), ZIP_RDONLY, &code);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, code);
        const QString text = QString::fromUtf8(zip_error_strerror(&e));
        zip_error_fini(&e);
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("central directory"),
                         QStringLiteral("a zip archive"), text);
    }
    return ZipPtr(z);
}

// Reads one member whole; members larger than maxBytes are refused.
Result<QByteArray> readMember(zip_t *z, const QString &archive, const QString &name,
                              std::int64_t maxBytes)
{
    zip_stat_t st;
    zip_stat_init(&st);
    const QByteArray cname = name.toUtf8();
    if (zip_stat(z, cname.constData(), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
        return makeError(LoadError::Code::Corrupt, archive, name, QStringLiteral("a member"),
                         QStringLiteral("none"));
    if (std::int64_t(st.size) > maxBytes)
        return makeError(LoadError::Code::Unsupported, archive, name,
                         QStringLiteral("at most %1 bytes").arg(maxBytes),
                         QStringLiteral("%1 bytes").arg(st.size));
    zip_file_t *f = zip_fopen(z, cname.constData(), 0);
    if (!f)
        return makeError(LoadError::Code::Corrupt, archive, name,
                         QStringLiteral("a readable member"), QString::fromUtf8(zip_strerror(z)));
    QByteArray out;
    try {
        out.resize(qsizetype(st.size));
    } catch (const std::bad_alloc &) {
        zip_fclose(f);
        return makeError(LoadError::Code::Unsupported, archive, name,
                         QStringLiteral("a member that fits in memory"),
                         QStringLiteral("%1 bytes").arg(st.size));
    }
    qint64 done = 0;
    while (done < out.size()) {
        const auto n = zip_fread(f, out.data() + done, zip_uint64_t(out.size() - done));
        if (n <= 0)
            break;
        done += n;
    }
    const QString why = QString::fromUtf8(zip_file_strerror(f));
    zip_fclose(f);
    if (done != out.size())
        return makeError(LoadError::Code::Truncated, archive, name,
                         QStringLiteral("%1 bytes").arg(out.size()), QStringLiteral("%1").arg(done),
                         why);
    return out;
}

std::uint32_t le32(const QByteArray &b, qsizetype at)
{
    auto u = [&](qsizetype i) { return std::uint32_t(std::uint8_t(b[at + i])); };
    return u(0) | u(1) << 8 | u(2) << 16 | u(3) << 24;
}

std::uint16_t le16(const QByteArray &b, qsizetype at)
{
    return std::uint16_t(std::uint8_t(b[at]) | std::uint8_t(b[at + 1]) << 8);
}

// File offset of a stored member's bytes, found through the central directory and its
// local header; nullopt when the archive does not say it plainly (zip64, damage).
std::optional<std::int64_t> storedMemberOffset(const QString &path, const QString &member)
{
    const qint64 size = QFileInfo(path).size();
    const qint64 tailSize = std::min<qint64>(size, 65557);
    auto tail = readFileBytes(path, size - tailSize, tailSize);
    if (!tail)
        return std::nullopt;
    const QByteArray &t = *tail;
    const qsizetype eocd = t.lastIndexOf(QByteArray("PK\x05\x06", 4));
    if (eocd < 0 || eocd + 22 > t.size())
        return std::nullopt;
    const std::uint32_t cdSize = le32(t, eocd + 12);
    const std::uint32_t cdOffset = le32(t, eocd + 16);
    if (cdOffset == 0xFFFFFFFFu || qint64(cdOffset) + cdSize > size)
        return std::nullopt;
    auto cd = readFileBytes(path, cdOffset, cdSize);
    if (!cd || cd->size() != qsizetype(cdSize))
        return std::nullopt;
    const QByteArray want = member.toUtf8();
    for (qsizetype p = 0; p + 46 <= cd->size();) {
        if (le32(*cd, p) != 0x02014b50u)
            return std::nullopt;
        const int n = le16(*cd, p + 28), e = le16(*cd, p + 30), c = le16(*cd, p + 32);
        if (p + 46 + n > cd->size())
            return std::nullopt;
        if (cd->mid(p + 46, n) == want) {
            const std::uint32_t local = le32(*cd, p + 42);
            auto lh = readFileBytes(path, local, 30);
            if (local == 0xFFFFFFFFu || !lh || lh->size() != 30 || le32(*lh, 0) != 0x04034b50u)
                return std::nullopt;
            return std::int64_t(local) + 30 + le16(*lh, 26) + le16(*lh, 28);
        }
        p += 46 + n + e + c;
    }
    return std::nullopt;
}

} // namespace

ProbeResult KerasArchiveReader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File || !source.head(4).startsWith("PK\x03\x04"))
        return {};
    auto z = openZip(source.path());
    if (!z)
        return {};
    auto has = [&](const QString &n) {
        return zip_name_locate(z->get(), n.toUtf8().constData(), 0) >= 0;
    };
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
    zip_t *zip = z->get();
    auto has = [&](const QString &n) {
        return zip_name_locate(zip, n.toUtf8().constData(), 0) >= 0;
    };
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
        problems << Problem{Problem::Severity::Warning, path, QStringLiteral("metadata.json"),
                            meta.error().message()};
    }
    auto cfg = readMember(zip, path, QStringLiteral("config.json"), std::int64_t(256) << 20);
    if (!cfg)
        return cfg.error();
    auto parsed = keras::parseModelConfig(*cfg, path, QStringLiteral("config.json"));
    if (parsed) {
        config = *parsed;
        compile = QJsonDocument::fromJson(*cfg).object().value("compile_config").toObject();
    } else {
        problems << Problem{Problem::Severity::Warning, path, QStringLiteral("config.json"),
                            parsed.error().message()};
    }

    std::shared_ptr<h5::File> file;
    std::vector<h5::DatasetInfo> datasets;
    if (has(kWeights)) {
        auto bytes = readMember(zip, path, kWeights, std::int64_t(1) << 40);
        if (!bytes)
            return bytes.error();
        auto opened = h5::File::openImage(*bytes, path + QLatin1Char(':') + kWeights);
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
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat(zip, kWeights.toUtf8().constData(), 0, &st) == 0 &&
            (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_STORE &&
            (!(st.valid & ZIP_STAT_ENCRYPTION_METHOD) || st.encryption_method == ZIP_EM_NONE)) {
            const auto base = storedMemberOffset(path, kWeights);
            auto head = base ? readFileBytes(path, *base, 8) : Result<QByteArray>(QByteArray());
            if (base && head && h5::signatureOffset(*head) == 0) {
                for (int i = 0; i < index.tensors.size(); ++i) {
                    auto &loc = index.tensors[i].location;
                    const auto &d = datasets[std::size_t(i)];
                    if (loc.storage != TensorLocation::Storage::ReaderDecoded || !d.contiguous)
                        continue;
                    loc.storage = TensorLocation::Storage::Raw;
                    loc.file = path;
                    loc.offset = *base + d.offset;
                    loc.size = d.storageSize;
                    loc.bigEndian = d.bigEndian;
                }
            }
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
    for (zip_int64_t i = 0, n = zip_get_num_entries(zip, 0); i < n; ++i) {
        zip_stat_t st;
        if (zip_stat_index(zip, zip_uint64_t(i), 0, &st) == 0)
            members.append(QJsonObject{{"name", QString::fromUtf8(st.name)},
                                       {"size", double(st.size)},
                                       {"compress_type", int(st.comp_method)}});
    }
    index.summary.insert("members", members);

    return keras::singleFileResult(path, QStringLiteral("keras"), id(), std::move(index), file,
                                   std::move(datasets));
}

} // namespace wl
