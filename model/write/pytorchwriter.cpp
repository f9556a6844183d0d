#include "pytorchwriter.h"

#include "atomicfile.h"
#include "formats/pytorchreader.h"
#include "io/picklewriter.h"
#include "verifywritten.h"

#include <QFile>
#include <QFileDevice>
#include <QSet>
#include <QtEndian>

#include <isa-l/crc.h>

#include <limits>

namespace wl
{
namespace
{

constexpr std::uint32_t kMax32 = 0xffffffffu;
// torch.save pads local headers with an extra field of this id so data starts 64-byte aligned.
constexpr std::uint16_t kPadId = 0x4246;
constexpr std::int64_t kAlign = 64;
const QString kArchive = QStringLiteral("archive");

void le16(QByteArray &out, std::uint16_t v)
{
    char b[2];
    qToLittleEndian(v, b);
    out.append(b, 2);
}

void le32(QByteArray &out, std::uint32_t v)
{
    char b[4];
    qToLittleEndian(v, b);
    out.append(b, 4);
}

void le64(QByteArray &out, std::uint64_t v)
{
    char b[8];
    qToLittleEndian(v, b);
    out.append(b, 8);
}

std::uint32_t clamp32(std::uint64_t v)
{
    return v >= kMax32 ? kMax32 : std::uint32_t(v);
}

// One stored member as the central directory records it.
struct Entry {
    QByteArray name;
    std::uint32_t crc = 0;
    std::uint64_t size = 0;
    std::uint64_t headerOffset = 0;
};

// A zip of stored members written in order, each member's data 64-byte aligned.
class ZipOut
{
public:
    ZipOut(QFileDevice &dev, const QString &path) : m_dev(dev), m_path(path) {}

    Status add(const QString &name, QByteArrayView data)
    {
        Entry e;
        e.name = name.toUtf8();
        e.size = std::uint64_t(data.size());
        e.crc = crc32_gzip_refl(0, reinterpret_cast<const unsigned char *>(data.data()),
                                std::uint64_t(data.size()));
        e.headerOffset = std::uint64_t(m_pos);
        const bool zip64 = e.size >= kMax32;
        QByteArray h;
        le32(h, 0x04034b50);
        le16(h, zip64 ? 45 : 20);
        le16(h, 0x0800); // names are UTF-8
        le16(h, 0);      // stored
        le16(h, 0);
        le16(h, (1 << 5) | 1); // 1980-01-01
        le32(h, e.crc);
        le32(h, clamp32(e.size));
        le32(h, clamp32(e.size));
        le16(h, std::uint16_t(e.name.size()));
        const std::int64_t fixed = 30 + e.name.size() + (zip64 ? 20 : 0) + 4;
        const std::int64_t pad = (kAlign - (m_pos + fixed) % kAlign) % kAlign;
        le16(h, std::uint16_t(fixed - 30 - e.name.size() + pad));
        h.append(e.name);
        if (zip64) {
            le16(h, 0x0001);
            le16(h, 16);
            le64(h, e.size);
            le64(h, e.size);
        }
        le16(h, kPadId);
        le16(h, std::uint16_t(pad));
        h.append(QByteArray(qsizetype(pad), '\0'));
        if (auto st = write(h); !st.ok())
            return st;
        if (auto st = write(data); !st.ok())
            return st;
        m_entries.push_back(std::move(e));
        return Ok{};
    }

    Status finish()
    {
        const std::int64_t cdStart = m_pos;
        QByteArray cd;
        for (const auto &e : m_entries) {
            QByteArray extra;
            if (e.size >= kMax32) {
                le64(extra, e.size);
                le64(extra, e.size);
            }
            if (e.headerOffset >= kMax32)
                le64(extra, e.headerOffset);
            if (!extra.isEmpty()) {
                QByteArray field;
                le16(field, 0x0001);
                le16(field, std::uint16_t(extra.size()));
                extra.prepend(field);
            }
            const bool zip64 = !extra.isEmpty();
            le32(cd, 0x02014b50);
            le16(cd, zip64 ? 45 : 20); // made by: MS-DOS attributes
            le16(cd, zip64 ? 45 : 20);
            le16(cd, 0x0800);
            le16(cd, 0);
            le16(cd, 0);
            le16(cd, (1 << 5) | 1);
            le32(cd, e.crc);
            le32(cd, clamp32(e.size));
            le32(cd, clamp32(e.size));
            le16(cd, std::uint16_t(e.name.size()));
            le16(cd, std::uint16_t(extra.size()));
            le16(cd, 0); // comment
            le16(cd, 0); // disk
            le16(cd, 0); // internal attributes
            le32(cd, 0); // external attributes
            le32(cd, clamp32(e.headerOffset));
            cd.append(e.name);
            cd.append(extra);
        }
        const std::uint64_t count = m_entries.size();
        const std::uint64_t cdSize = std::uint64_t(cd.size());
        if (count >= 0xffff || std::uint64_t(cdStart) >= kMax32 || cdSize >= kMax32) {
            const std::uint64_t record = std::uint64_t(cdStart) + cdSize;
            le32(cd, 0x06064b50);
            le64(cd, 44);
            le16(cd, 45);
            le16(cd, 45);
            le32(cd, 0);
            le32(cd, 0);
            le64(cd, count);
            le64(cd, count);
            le64(cd, cdSize);
            le64(cd, std::uint64_t(cdStart));
            le32(cd, 0x07064b50);
            le32(cd, 0);
            le64(cd, record);
            le32(cd, 1);
        }
        le32(cd, 0x06054b50);
        le16(cd, 0);
        le16(cd, 0);
        le16(cd, std::uint16_t(std::min<std::uint64_t>(count, 0xffff)));
        le16(cd, std::uint16_t(std::min<std::uint64_t>(count, 0xffff)));
        le32(cd, clamp32(cdSize));
        le32(cd, clamp32(std::uint64_t(cdStart)));
        le16(cd, 0);
        return write(cd);
    }

private:
    Status write(QByteArrayView bytes)
    {
        if (m_dev.write(bytes.data(), bytes.size()) != bytes.size())
            return makeError(LoadError::Code::WriteFailed, m_path,
                             QStringLiteral("offset %1").arg(m_pos), {}, {}, m_dev.errorString());
        m_pos += bytes.size();
        return Ok{};
    }

    QFileDevice &m_dev;
    QString m_path;
    std::int64_t m_pos = 0;
    std::vector<Entry> m_entries;
};

} // namespace

bool pytorchHolds(DType dtype)
{
    return !pytorchStorageName(dtype).isEmpty();
}

Result<QHash<QString, QByteArray>>
writePyTorch(const QString &path, std::vector<PyTorchTensor> tensors, const JobContext &job)
{
    auto fail = [&](const QString &where, const QString &what) {
        return makeError(LoadError::Code::WriteFailed, path, where, {}, {}, what);
    };
    // The state_dict: OrderedDict([(key, _rebuild_tensor_v2(storage n, 0, size, stride)), ...])
    // with storage n the member data/<n>, contiguous in C order.
    PickleWriter pickle;
    pickle.global("collections", "OrderedDict").emptyTuple().reduce().mark();
    std::vector<std::int64_t> sizes;
    QSet<QString> keys;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto &t = tensors[i];
        const QString where = QStringLiteral("tensor '%1'").arg(t.name);
        const QByteArray storage = pytorchStorageName(t.dtype).toLatin1();
        const auto count = t.shape.numElements();
        if (storage.isEmpty())
            return fail(where,
                        QStringLiteral("torch has no storage for %1").arg(dtypeName(t.dtype)));
        if (keys.contains(t.name))
            return fail(where, QStringLiteral("a key the state_dict already holds"));
        if (!count || *count > std::numeric_limits<std::int64_t>::max() / dtypeSize(t.dtype))
            return fail(where, QStringLiteral("shape %1 has no byte size").arg(t.shape.toString()));
        keys.insert(t.name);
        std::vector<std::int64_t> stride(t.shape.dims.size(), 1);
        for (std::size_t d = stride.size(); d-- > 1;)
            stride[d - 1] = stride[d] * std::max<std::int64_t>(t.shape.dims[d], 1);
        pickle.str(t.name).tensor(storage.constData(), QString::number(i), *count, 0, t.shape.dims,
                                  stride);
        sizes.push_back(*count * dtypeSize(t.dtype));
    }
    pickle.setItems().stop();

    QHash<QString, QByteArray> written;
    auto st = writeFileAtomically(path, [&](QFileDevice &dev) -> Status {
        ZipOut zip(dev, path);
        const QString prefix = kArchive + QLatin1Char('/');
        if (auto s = zip.add(prefix + QLatin1String("data.pkl"), pickle.bytes()); !s.ok())
            return s;
        if (auto s = zip.add(prefix + QLatin1String("byteorder"), "little"); !s.ok())
            return s;
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            auto bytes = bytesToWrite(tensors[i], sizes[i], path, written, job);
            if (!bytes.ok())
                return bytes.error();
            if (auto s = zip.add(prefix + QLatin1String("data/") + QString::number(i), *bytes);
                !s.ok())
                return s;
            job.progress(0.8 * double(i + 1) / double(tensors.size()), QStringLiteral("writing"));
        }
        if (auto s = zip.add(prefix + QLatin1String("version"), "3\n"); !s.ok())
            return s;
        return zip.finish();
    });
    return keepIfVerified(path, st, written, job);
}

} // namespace wl
