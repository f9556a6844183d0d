// safetensors (formats-keras-pytorch.md section 5): an 8-byte header length, a JSON header, and
// a data buffer the tensors must tile exactly. Tensors are raw little-endian C-order bytes, so
// they are mapped and streamed like any raw location.
#include "safetensorsreader.h"

#include "core/plural.h"
#include "io/mappedfile.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringDecoder>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

namespace wl
{
namespace
{

constexpr std::int64_t kMaxHeader = 100'000'000; // the reference reader's limit
const QString kSafetensorsReaderId = QStringLiteral("safetensors");

std::uint64_t le64(const char *p)
{
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// The top-level keys of a JSON object in the order written, duplicates included: QJsonDocument
// keeps only the last of equal keys, and the format rejects duplicates.
QStringList topLevelKeys(QByteArrayView json)
{
    QStringList keys;
    int depth = 0;
    bool expectKey = false;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '"') {
            const qsizetype start = i + 1;
            for (++i; i < json.size() && json[i] != '"'; ++i)
                if (json[i] == '\\')
                    ++i;
            if (depth == 1 && expectKey) {
                const auto raw = json.sliced(start, std::min(i, json.size()) - start).toByteArray();
                // Keys with escapes are rare; the parsed document spells them out.
                keys << QJsonDocument::fromJson("[\"" + raw + "\"]").array().at(0).toString();
                expectKey = false;
            }
        } else if (c == '{' || c == '[') {
            ++depth;
            expectKey = c == '{' && depth == 1;
        } else if (c == '}' || c == ']') {
            --depth;
        } else if (c == ',' && depth == 1) {
            expectKey = true;
        }
    }
    return keys;
}

std::optional<std::int64_t> nonNegative(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (!(d >= 0) || d > 9.0e15 || d != double(std::int64_t(d)))
        return std::nullopt;
    return std::int64_t(d);
}

Problem problem(const QString &file, const QString &where, const QString &text)
{
    return Problem{Problem::Severity::Warning, file, where, text};
}

struct Entry {
    int tensor;
    std::int64_t begin, end;
};

const QHash<QString, DType> &dtypeNames()
{
    static const QHash<QString, DType> names{
        {QStringLiteral("BOOL"), DType::Bool},
        {QStringLiteral("U8"), DType::UInt8},
        {QStringLiteral("I8"), DType::Int8},
        {QStringLiteral("I16"), DType::Int16},
        {QStringLiteral("U16"), DType::UInt16},
        {QStringLiteral("F16"), DType::Float16},
        {QStringLiteral("BF16"), DType::BFloat16},
        {QStringLiteral("I32"), DType::Int32},
        {QStringLiteral("U32"), DType::UInt32},
        {QStringLiteral("F32"), DType::Float32},
        {QStringLiteral("F64"), DType::Float64},
        {QStringLiteral("I64"), DType::Int64},
        {QStringLiteral("U64"), DType::UInt64},
        {QStringLiteral("C64"), DType::Complex64},
        {QStringLiteral("F8_E5M2"), DType::Float8E5M2},
        // safetensors' F8_E4M3 is the "fn" variant: no infinities, 0x7F and 0xFF are NaN.
        {QStringLiteral("F8_E4M3"), DType::Float8E4M3FN},
    };
    return names;
}

} // namespace

std::optional<DType> safetensorsDType(const QString &name)
{
    const auto it = dtypeNames().constFind(name);
    return it == dtypeNames().constEnd() ? std::nullopt : std::optional<DType>(*it);
}

QString safetensorsDTypeName(DType dtype)
{
    return dtypeNames().key(dtype);
}

QString SafetensorsReader::id() const
{
    return kSafetensorsReaderId;
}

QString SafetensorsReader::displayName() const
{
    return QStringLiteral("safetensors");
}

QStringList SafetensorsReader::filePatterns() const
{
    return {QStringLiteral("*.safetensors")};
}

ProbeResult SafetensorsReader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File)
        return {};
    // The name claims a damaged file too, so that open says what is wrong with it.
    const bool named = source.fileName().endsWith(QLatin1String(".safetensors"));
    const QByteArray head = source.head(16);
    const bool laidOut = head.size() >= 10 && head[8] == '{' && le64(head.constData()) >= 2 &&
                         le64(head.constData()) <= std::uint64_t(source.size() - 8);
    if (laidOut)
        return {named ? 95 : 60, QString()};
    return {named ? 40 : 0, QString()};
}

Result<OpenResult> SafetensorsReader::open(const Source &source, const JobContext &job) const
{
    const QString path = source.path();
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, path, {}, {});
    const qint64 fileSize = QFileInfo(path).size();
    if (fileSize < 8)
        return makeError(LoadError::Code::Truncated, path, QStringLiteral("offset 0"),
                         QStringLiteral("an 8-byte header length"), counted(fileSize, "byte"));
    auto lenBytes = readFileBytes(path, 0, 8);
    if (!lenBytes.ok())
        return lenBytes.error();
    const std::uint64_t n = le64(lenBytes->constData());
    if (n > std::uint64_t(kMaxHeader))
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("offset 0"),
                         QStringLiteral("a header length of at most 100,000,000 bytes"),
                         QString::number(n));
    if (8 + n > std::uint64_t(fileSize))
        return makeError(
            LoadError::Code::Truncated, path, QStringLiteral("offset 0"),
            QStringLiteral("a header of %1 after the length").arg(counted(std::int64_t(n), "byte")),
            QStringLiteral("%1 in the file").arg(counted(fileSize, "byte")));
    auto headerBytes = readFileBytes(path, 8, std::int64_t(n));
    if (!headerBytes.ok())
        return headerBytes.error();
    const QByteArray &header = *headerBytes;

    QStringDecoder utf8(QStringDecoder::Utf8);
    (void)QString(utf8(header));
    if (utf8.hasError())
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("header"),
                         QStringLiteral("UTF-8 JSON"), QStringLiteral("invalid UTF-8"));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(header, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return makeError(LoadError::Code::Corrupt, path,
                         QStringLiteral("header offset %1").arg(8 + err.offset),
                         QStringLiteral("a JSON object"),
                         err.error != QJsonParseError::NoError ? err.errorString()
                                                               : QStringLiteral("not an object"));
    const QJsonObject top = doc.object();
    const QStringList keys = topLevelKeys(header);
    for (qsizetype i = 1; i < keys.size(); ++i)
        if (keys.indexOf(keys[i]) < i)
            return makeError(LoadError::Code::Corrupt, path,
                             QStringLiteral("tensor '%1'").arg(keys[i]),
                             QStringLiteral("each name once"), QStringLiteral("a duplicate"));

    const std::int64_t dataStart = 8 + std::int64_t(n);
    const std::int64_t bufferSize = fileSize - dataStart;
    CheckpointIndex index;
    index.path = path;
    index.displayName = QFileInfo(path).fileName();
    index.readerId = kSafetensorsReaderId;
    index.formatName = QStringLiteral("safetensors");
    Problems &problems = index.problems;
    std::vector<Entry> entries;
    for (const QString &name : keys) {
        const QJsonValue value = top.value(name);
        if (name == QLatin1String("__metadata__")) {
            const QJsonObject meta = value.toObject();
            index.summary.insert(QStringLiteral("metadata"), meta);
            for (auto it = meta.begin(); it != meta.end(); ++it)
                index.metadata.append({it.key(), it.value().toVariant().toString()});
            continue;
        }
        const QString where = QStringLiteral("tensor '%1'").arg(name);
        const QJsonObject o = value.toObject();
        TensorInfo t;
        t.key = t.name = name;
        t.location.file = path;
        t.location.storage = TensorLocation::Storage::None;
        const QString dtypeName = o.value(QLatin1String("dtype")).toString();
        const auto dtype = safetensorsDType(dtypeName);
        t.dtype = dtype.value_or(DType::Unknown);
        if (!dtype)
            problems << problem(
                path, where,
                QStringLiteral("unknown dtype \"%1\"; its values are not read").arg(dtypeName));
        bool shapeOk = o.value(QLatin1String("shape")).isArray();
        std::vector<std::int64_t> dims;
        for (const auto &d : o.value(QLatin1String("shape")).toArray()) {
            const auto v = nonNegative(d);
            shapeOk = shapeOk && v.has_value();
            dims.push_back(v.value_or(0));
        }
        if (!shapeOk)
            problems << problem(path, where,
                                QStringLiteral("shape is not a list of non-negative integers"));
        t.shape.dims = std::move(dims);
        const QJsonArray offsets = o.value(QLatin1String("data_offsets")).toArray();
        std::int64_t range[2] = {0, 0};
        bool rangeOk = offsets.size() == 2;
        for (int k = 0; k < 2 && rangeOk; ++k) {
            const auto v = nonNegative(offsets[k]);
            rangeOk = v.has_value();
            range[k] = v.value_or(0);
        }
        if (!rangeOk || range[1] < range[0]) {
            problems << problem(
                path, where, QStringLiteral("data_offsets is not [begin, end] with begin <= end"));
            index.tensors.push_back(std::move(t));
            continue;
        }
        const std::int64_t *begin = &range[0], *end = &range[1];
        t.location.offset = dataStart + *begin;
        t.location.size = *end - *begin;
        entries.push_back({int(index.tensors.size()), *begin, *end});
        bool readable = shapeOk && dtype.has_value();
        if (*end > bufferSize) {
            problems << problem(path, where,
                                QStringLiteral("offsets [%1,%2] lie outside the %3-byte buffer")
                                    .arg(*begin)
                                    .arg(*end)
                                    .arg(bufferSize));
            readable = false;
        }
        const auto count = t.shape.numElements();
        const int item = dtype ? dtypeSize(*dtype) : 0;
        if (readable && item > 0 &&
            (!count || *count > std::numeric_limits<std::int64_t>::max() / item ||
             *count * item != *end - *begin)) {
            problems << problem(path, where,
                                QStringLiteral("holds %1; %2 of %3 need %4")
                                    .arg(counted(*end - *begin, "byte"),
                                         counted(count.value_or(0), "element"), dtypeName,
                                         count ? counted(*count * item, "byte")
                                               : QStringLiteral("more bytes than fit")));
            readable = false;
        }
        if (readable)
            t.location.storage = TensorLocation::Storage::Raw;
        index.tensors.push_back(std::move(t));
    }

    // Sorted by begin, the tensors must tile the buffer exactly.
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry &a, const Entry &b) { return a.begin < b.begin; });
    std::int64_t expected = 0;
    for (const auto &e : entries) {
        if (e.begin != expected)
            problems << problem(path,
                                QStringLiteral("tensor '%1'").arg(index.tensors[e.tensor].key),
                                QStringLiteral("offsets [%1,%2] not contiguous (expected start %3)")
                                    .arg(e.begin)
                                    .arg(e.end)
                                    .arg(expected));
        expected = std::max(expected, e.end);
    }
    if (expected != bufferSize)
        problems << problem(path, QStringLiteral("offset %1").arg(dataStart + expected),
                            QStringLiteral("the tensors end at buffer byte %1; the buffer has %2")
                                .arg(expected)
                                .arg(counted(bufferSize, "byte")));
    // File order, which is how the writer laid the data out.
    QVector<TensorInfo> ordered;
    ordered.reserve(index.tensors.size());
    std::vector<bool> placed(std::size_t(index.tensors.size()), false);
    for (const auto &e : entries) {
        ordered.push_back(index.tensors[e.tensor]);
        placed[std::size_t(e.tensor)] = true;
    }
    for (int i = 0; i < index.tensors.size(); ++i)
        if (!placed[std::size_t(i)])
            ordered.push_back(index.tensors[i]);
    index.tensors = std::move(ordered);
    index.summaryText =
        QStringLiteral("%1 in file order, header %2")
            .arg(counted(index.tensors.size(), "tensor"), counted(std::int64_t(n), "byte"));
    index.summary.insert(QStringLiteral("header_bytes"), double(n));

    return singleCheckpoint(path, kSafetensorsReaderId,
                            std::make_shared<Checkpoint>(std::move(index)));
}

} // namespace wl
