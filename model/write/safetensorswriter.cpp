#include "safetensorswriter.h"

#include "atomicfile.h"
#include "core/sha256.h"
#include "formats/safetensorsreader.h"
#include "verifywritten.h"

#include <QFile>
#include <QFileDevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>
#include <limits>
#include <tuple>

namespace wl
{

Result<QByteArray> bytesToWrite(const SafetensorsTensor &t, std::int64_t size, const QString &path,
                                QHash<QString, QByteArray> &written, const JobContext &job)
{
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, path, {}, {});
    auto bytes = t.bytes();
    if (!bytes.ok())
        return bytes.error();
    if (bytes->size() != size)
        return makeError(LoadError::Code::WriteFailed, path,
                         QStringLiteral("tensor '%1'").arg(t.name), {}, {},
                         QStringLiteral("%1 bytes given for %2").arg(bytes->size()).arg(size));
    written.insert(t.name, Sha256::hash(*bytes));
    return bytes;
}

Result<QHash<QString, QByteArray>> writeSafetensors(const QString &path,
                                                    std::vector<SafetensorsTensor> tensors,
                                                    const QMap<QString, QString> &metadata,
                                                    const JobContext &job)
{
    auto fail = [&](const QString &where, const QString &what) {
        return makeError(LoadError::Code::WriteFailed, path, where, {}, {}, what);
    };
    std::stable_sort(tensors.begin(), tensors.end(), [](const auto &a, const auto &b) {
        return std::make_tuple(-dtypeSize(a.dtype), a.name) <
               std::make_tuple(-dtypeSize(b.dtype), b.name);
    });
    QJsonObject header;
    if (!metadata.isEmpty()) {
        QJsonObject meta;
        for (auto it = metadata.begin(); it != metadata.end(); ++it)
            meta.insert(it.key(), it.value());
        header.insert(QStringLiteral("__metadata__"), meta);
    }
    std::vector<std::int64_t> sizes;
    std::int64_t offset = 0;
    QSet<QString> names;
    for (const auto &t : tensors) {
        const QString where = QStringLiteral("tensor '%1'").arg(t.name);
        const QString dtype = safetensorsDTypeName(t.dtype);
        const auto count = t.shape.numElements();
        if (dtype.isEmpty() || dtypeSize(t.dtype) <= 0)
            return fail(where,
                        QStringLiteral("safetensors has no dtype for %1").arg(dtypeName(t.dtype)));
        if (t.name == QLatin1String("__metadata__") || names.contains(t.name))
            return fail(where, QStringLiteral("a name the header already holds"));
        if (!count || *count > std::numeric_limits<std::int64_t>::max() / dtypeSize(t.dtype))
            return fail(where, QStringLiteral("shape %1 has no byte size").arg(t.shape.toString()));
        names.insert(t.name);
        const std::int64_t size = *count * dtypeSize(t.dtype);
        QJsonArray shape;
        for (auto d : t.shape.dims)
            shape.append(qint64(d));
        header.insert(t.name, QJsonObject{{QStringLiteral("dtype"), dtype},
                                          {QStringLiteral("shape"), shape},
                                          {QStringLiteral("data_offsets"),
                                           QJsonArray{qint64(offset), qint64(offset + size)}}});
        sizes.push_back(size);
        offset += size;
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    // Spaces to a multiple of 8, so the buffer starts aligned, as the reference writer pads.
    json.append(QByteArray((8 - json.size() % 8) % 8, ' '));

    QHash<QString, QByteArray> written;
    auto st = writeFileAtomically(path, [&](QFileDevice &dev) -> Status {
        const std::uint64_t n = std::uint64_t(json.size());
        char len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = char((n >> (8 * i)) & 0xff);
        if (dev.write(len, 8) != 8 || dev.write(json) != json.size())
            return fail(QStringLiteral("header"), dev.errorString());
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            const auto &t = tensors[i];
            auto bytes = bytesToWrite(t, sizes[i], path, written, job);
            if (!bytes.ok())
                return bytes.error();
            if (dev.write(*bytes) != bytes->size())
                return fail(QStringLiteral("tensor '%1'").arg(t.name), dev.errorString());
            job.progress(0.8 * double(i + 1) / double(tensors.size()), QStringLiteral("writing"));
        }
        return Ok{};
    });
    return keepIfVerified(path, st, written, job);
}

} // namespace wl
