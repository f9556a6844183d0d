// NumPy .npy and .npz (formats-keras-pytorch.md section 6); io/npyheader reads the header.
#include "numpyreader.h"

#include "core/plural.h"
#include "io/mappedfile.h"
#include "io/npyheader.h"
#include "io/zipmember.h"
#include "stridedcheckpoint.h"

#include <QFileInfo>
#include <QJsonArray>
#include <quazip.h>

#include <cstring>

namespace wl
{
namespace
{

const QString kNumpyReaderId = QStringLiteral("numpy");
const QByteArray kMagic("\x93NUMPY", 6);

} // namespace

QString NumpyReader::id() const
{
    return kNumpyReaderId;
}

QString NumpyReader::displayName() const
{
    return QStringLiteral("NumPy array");
}

QStringList NumpyReader::filePatterns() const
{
    return {QStringLiteral("*.npy"), QStringLiteral("*.npz")};
}

ProbeResult NumpyReader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File)
        return {};
    const QByteArray head = source.head(64);
    const QString name = source.fileName();
    if (head.startsWith(kMagic))
        return {95, QStringLiteral("npy")};
    if (head.startsWith("PK\x03\x04") && head.size() >= 30) {
        const int len = std::uint8_t(head[26]) | (std::uint8_t(head[27]) << 8);
        if (source.head(30 + len).mid(30, len).endsWith(".npy"))
            return {name.endsWith(QLatin1String(".npz")) ? 90 : 50, QStringLiteral("npz")};
    }
    if (name.endsWith(QLatin1String(".npy")) || name.endsWith(QLatin1String(".npz")))
        return {40, {}};
    return {};
}

namespace
{

// One array, its bytes at `dataStart` of the file (or of an inflated member).
void addArray(CheckpointIndex &index, QHash<int, StridedView> &views, const QString &path,
              const QString &key, const NpyHeader &h, std::int64_t dataStart,
              std::int64_t available, std::shared_ptr<const InflatedMember> member)
{
    TensorInfo t;
    t.key = key;
    t.name = key;
    t.dtype = h.dtype;
    t.shape.dims = h.shape;
    t.location.file = path;
    t.location.storage = TensorLocation::Storage::None;
    t.location.bigEndian = h.bigEndian;
    const QString where = QStringLiteral("array '%1'").arg(key);
    auto problem = [&](const QString &text) {
        index.problems << Problem{Problem::Severity::Warning, path, where, text};
        index.tensors.push_back(t);
    };
    if (h.object) {
        t.dtype = DType::Unknown;
        problem(
            QStringLiteral("an object array (descr %1): pickled, never unpickled").arg(h.descr));
        return;
    }
    if (t.dtype == DType::Unknown) {
        problem(QStringLiteral("dtype %1 is not supported; its values are not read").arg(h.descr));
        return;
    }
    const int item = dtypeSize(t.dtype);
    const auto count = t.shape.numElements();
    if (!count || *count > (std::numeric_limits<std::int64_t>::max() / item) ||
        *count * item > available) {
        problem(QStringLiteral("%1 of %2 need %3; %4 follow the header")
                    .arg(counted(count.value_or(0), "element"), h.descr,
                         count ? counted(*count * item, "byte") : QStringLiteral("too many bytes"),
                         counted(available, "byte")));
        return;
    }
    t.location.offset = dataStart;
    t.location.size = *count * item;
    const bool strided = h.fortranOrder && h.shape.size() > 1;
    if (!strided && !member) {
        t.location.storage = TensorLocation::Storage::Raw;
    } else {
        t.location.storage = TensorLocation::Storage::ReaderDecoded;
        views.insert(int(index.tensors.size()),
                     StridedView{dataStart, 0, h.shape,
                                 strided ? fortranOrderStrides(h.shape) : cOrderStrides(h.shape),
                                 std::move(member)});
    }
    index.tensors.push_back(t);
}

} // namespace

Result<OpenResult> NumpyReader::open(const Source &source, const JobContext &job) const
{
    const QString path = source.path();
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, path, {}, {});
    CheckpointIndex index;
    index.path = path;
    index.displayName = QFileInfo(path).fileName();
    index.readerId = kNumpyReaderId;
    QHash<int, StridedView> views;
    QJsonArray arrays;
    const QByteArray head = source.head(64);
    if (head.startsWith("PK\x03\x04")) {
        index.formatName = QStringLiteral("NumPy .npz archive");
        QuaZip zip(path);
        auto members = openZipMembers(zip, path);
        if (!members.ok())
            return members.error();
        for (const auto &m : *members) {
            if (!m.name.endsWith(QLatin1String(".npy"))) {
                index.problems << Problem{Problem::Severity::Info, path, m.name,
                                          QStringLiteral("not an .npy member; skipped")};
                continue;
            }
            const QString key = m.name.chopped(4);
            std::shared_ptr<const InflatedMember> inflated;
            QByteArray headBytes;
            std::int64_t base = 0;
            if (m.method == 0 && !m.encrypted && m.compressedSize == m.uncompressedSize) {
                auto b = readFileBytes(
                    path, m.dataOffset,
                    std::min<std::int64_t>(std::int64_t(m.compressedSize), std::int64_t(1) << 20));
                if (!b.ok())
                    return b.error();
                headBytes = *b;
                base = m.dataOffset;
            } else {
                auto inf = InflatedMember::inflate(m, job);
                if (!inf.ok()) {
                    index.problems << problemFrom(inf.error(), path);
                    continue;
                }
                inflated = *inf;
                headBytes = QByteArray::fromRawData(
                    reinterpret_cast<const char *>(inflated->data()),
                    qsizetype(std::min<std::size_t>(inflated->size(), std::size_t(1) << 20)));
            }
            auto h = parseNpyHeader(headBytes, path, m.name);
            if (!h.ok()) {
                index.problems << problemFrom(h.error(), path);
                continue;
            }
            arrays.append(
                QJsonObject{{"name", key},
                            {"member", m.name},
                            {"method", m.method == 0 ? "stored" : "deflated"},
                            {"descr", h->descr},
                            {"fortran_order", h->fortranOrder},
                            {"version", QStringLiteral("%1.%2").arg(h->major).arg(h->minor)}});
            const std::int64_t size = std::int64_t(m.uncompressedSize);
            addArray(index, views, path, key, *h, base + h->dataOffset, size - h->dataOffset,
                     inflated);
        }
    } else {
        index.formatName = QStringLiteral("NumPy .npy array");
        auto b = readFileBytes(path, 0, std::min<qint64>(source.size(), qint64(1) << 20));
        if (!b.ok())
            return b.error();
        auto h = parseNpyHeader(*b, path, {});
        if (!h.ok())
            return h.error();
        const QString key = QFileInfo(path).completeBaseName();
        arrays.append(
            QJsonObject{{"name", key},
                        {"descr", h->descr},
                        {"fortran_order", h->fortranOrder},
                        {"version", QStringLiteral("%1.%2").arg(h->major).arg(h->minor)}});
        index.metadata.append(
            {QStringLiteral("Version"), QStringLiteral("%1.%2").arg(h->major).arg(h->minor)});
        index.metadata.append({QStringLiteral("descr"), h->descr});
        index.metadata.append({QStringLiteral("Fortran order"),
                               h->fortranOrder ? QStringLiteral("True") : QStringLiteral("False")});
        addArray(index, views, path, key, *h, h->dataOffset, source.size() - h->dataOffset,
                 nullptr);
    }
    index.summary.insert(QStringLiteral("arrays"), arrays);
    index.summaryText = counted(index.tensors.size(), "array");
    return singleCheckpoint(
        path, kNumpyReaderId,
        std::make_shared<StridedCheckpoint>(std::move(index), std::move(views)));
}

} // namespace wl
