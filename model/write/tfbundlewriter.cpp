#include "tfbundlewriter.h"

#include "atomicfile.h"
#include "core/plural.h"
#include "io/crc32c.h"
#include "io/mappedfile.h"
#include "proto/tensor_bundle.pb.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>
#include <leveldb/table_builder.h>

namespace wl
{
namespace
{

QString dataPath(const QString &prefix)
{
    return prefix + QLatin1String(".data-00000-of-00001");
}

// LevelDB's table builder writes through this into a QFileDevice.
class DeviceWritableFile : public leveldb::WritableFile
{
public:
    explicit DeviceWritableFile(QFileDevice &dev) : m_dev(dev) {}
    leveldb::Status Append(const leveldb::Slice &data) override
    {
        if (m_dev.write(data.data(), qint64(data.size())) != qint64(data.size()))
            return leveldb::Status::IOError(m_dev.errorString().toStdString());
        return leveldb::Status::OK();
    }
    leveldb::Status Close() override { return leveldb::Status::OK(); }
    leveldb::Status Flush() override { return leveldb::Status::OK(); }
    leveldb::Status Sync() override { return leveldb::Status::OK(); }

private:
    QFileDevice &m_dev;
};

class MappedRandomAccessFile : public leveldb::RandomAccessFile
{
public:
    explicit MappedRandomAccessFile(const MappedFile &file) : m_file(file) {}
    leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice *result, char *) const override
    {
        if (offset > m_file.size())
            return leveldb::Status::IOError("read past end");
        n = std::min<std::size_t>(n, m_file.size() - offset);
        *result = leveldb::Slice(reinterpret_cast<const char *>(m_file.data()) + offset, n);
        return leveldb::Status::OK();
    }

private:
    const MappedFile &m_file;
};

void putVarint(QByteArray &out, std::uint64_t v)
{
    while (v >= 0x80) {
        out.append(char(v | 0x80));
        v >>= 7;
    }
    out.append(char(v));
}

void setShape(tf::TensorShapeProto *proto, const Shape &shape)
{
    for (auto d : shape.dims)
        proto->add_dim()->set_size(d);
}

LoadError writeError(const QString &path, const QString &what)
{
    return makeError(LoadError::Code::WriteFailed, path, {}, {}, {}, what);
}

} // namespace

TfBundleWriter::TfBundleWriter(QString prefix) : m_prefix(std::move(prefix)) {}

TfBundleWriter::~TfBundleWriter() = default;

Status TfBundleWriter::appendData(const QByteArray &key, int tfDtype, const Shape &shape,
                                  QByteArrayView bytes, std::uint32_t maskedCrc)
{
    if (m_finished)
        return writeError(m_prefix, QStringLiteral("the checkpoint is already finished"));
    for (const auto &e : m_entries)
        if (e.key == key)
            return writeError(m_prefix,
                              QStringLiteral("duplicate key %1").arg(QString::fromUtf8(key)));
    if (!m_data) {
        const QString path = dataPath(m_prefix);
        if (QFileInfo::exists(path))
            return makeError(LoadError::Code::WriteFailed, path, {}, QStringLiteral("a new file"),
                             QStringLiteral("an existing file"));
        m_data = std::make_unique<QSaveFile>(path);
        if (!m_data->open(QIODevice::WriteOnly))
            return writeError(path, m_data->errorString());
    }
    if (m_data->write(bytes.data(), bytes.size()) != bytes.size())
        return writeError(m_data->fileName(), m_data->errorString());
    tf::BundleEntryProto entry;
    entry.set_dtype(tfDtype);
    setShape(entry.mutable_shape(), shape);
    entry.set_offset(m_offset);
    entry.set_size(bytes.size());
    entry.set_crc32c(maskedCrc);
    m_offset += bytes.size();
    const std::string value = entry.SerializeAsString();
    m_entries.push_back({key, QByteArray(value.data(), qsizetype(value.size()))});
    return Ok{};
}

Status TfBundleWriter::add(const QString &key, DType dtype, const Shape &shape,
                           QByteArrayView bytes)
{
    const int item = dtypeSize(dtype);
    const auto n = shape.numElements();
    if (item <= 0 || dtypeToTensorFlow(dtype) <= 0 || !n || *n * item != bytes.size())
        return writeError(m_prefix, QStringLiteral("tensor %1: %2 %3 not hold %4 %5")
                                        .arg(key, counted(bytes.size(), "byte"),
                                             QLatin1String(bytes.size() == 1 ? "does" : "do"),
                                             shape.toString(), dtypeName(dtype)));
    return appendData(key.toUtf8(), dtypeToTensorFlow(dtype), shape, bytes,
                      crc32cMask(crc32c(bytes.data(), std::size_t(bytes.size()))));
}

Status TfBundleWriter::addStored(const QString &key, DType dtype, const Shape &shape,
                                 QByteArrayView stored, std::uint32_t maskedCrc)
{
    if (dtypeToTensorFlow(dtype) <= 0)
        return writeError(
            m_prefix,
            QStringLiteral("tensor %1: no TensorFlow dtype for %2").arg(key, dtypeName(dtype)));
    return appendData(key.toUtf8(), dtypeToTensorFlow(dtype), shape, stored, maskedCrc);
}

Status TfBundleWriter::addStrings(const QString &key, const Shape &shape,
                                  const QList<QByteArray> &elements)
{
    if (shape.numElements().value_or(-1) != elements.size())
        return writeError(m_prefix,
                          QStringLiteral("tensor %1: %2 for shape %3")
                              .arg(key, counted(elements.size(), "string"), shape.toString()));
    // Layout and checksum of TensorFlow string tensors: varint lengths, masked CRC of the
    // lengths (as uint32 LE), then the bytes; the entry CRC also covers the stored length CRC.
    QByteArray out;
    std::uint32_t crc = 0;
    for (const auto &e : elements) {
        putVarint(out, std::uint64_t(e.size()));
        const std::uint32_t len = std::uint32_t(e.size());
        crc = crc32cExtend(crc, &len, 4);
    }
    const std::uint32_t lengthCrc = crc32cMask(crc);
    out.append(reinterpret_cast<const char *>(&lengthCrc), 4);
    crc = crc32cExtend(crc, &lengthCrc, 4);
    for (const auto &e : elements) {
        out.append(e);
        crc = crc32cExtend(crc, e.constData(), std::size_t(e.size()));
    }
    return appendData(key.toUtf8(), dtypeToTensorFlow(DType::String), shape, out, crc32cMask(crc));
}

Status TfBundleWriter::finish()
{
    if (m_finished)
        return writeError(m_prefix, QStringLiteral("the checkpoint is already finished"));
    m_finished = true;
    if (!m_data) {
        m_data = std::make_unique<QSaveFile>(dataPath(m_prefix));
        if (!m_data->open(QIODevice::WriteOnly))
            return writeError(m_data->fileName(), m_data->errorString());
    }
    if (!m_data->commit())
        return writeError(m_data->fileName(), m_data->errorString());

    std::sort(m_entries.begin(), m_entries.end(),
              [](const Entry &a, const Entry &b) { return a.key < b.key; });
    tf::BundleHeaderProto header;
    header.set_num_shards(1);
    header.mutable_version()->set_producer(1);
    const std::string headerBytes = header.SerializeAsString();

    const QString indexPath = m_prefix + QLatin1String(".index");
    auto st = writeFileAtomically(indexPath, [&](QFileDevice &dev) -> Status {
        DeviceWritableFile file(dev);
        leveldb::Options options;
        options.compression = leveldb::kNoCompression;
        leveldb::TableBuilder builder(options, &file);
        builder.Add(leveldb::Slice(), headerBytes);
        for (const auto &e : m_entries)
            builder.Add(leveldb::Slice(e.key.constData(), std::size_t(e.key.size())),
                        leveldb::Slice(e.value.constData(), std::size_t(e.value.size())));
        const auto s = builder.Finish();
        if (!s.ok())
            return writeError(indexPath, QString::fromStdString(s.ToString()));
        return Ok{};
    });
    if (!st.ok()) {
        // The data file is this writer's own (an existing one is refused): without an index
        // it is nothing, so it goes rather than stay under its final name.
        QFile::remove(dataPath(m_prefix));
        return st;
    }

    // Read back: every key present, every entry's bytes match its checksum.
    auto index = MappedFile::open(indexPath);
    auto data = MappedFile::open(dataPath(m_prefix));
    if (!index.ok())
        return index.error();
    if (!data.ok())
        return data.error();
    MappedRandomAccessFile raf(**index);
    leveldb::Table *table = nullptr;
    leveldb::Options options;
    auto s = leveldb::Table::Open(options, &raf, (*index)->size(), &table);
    if (!s.ok())
        return writeError(
            indexPath,
            QStringLiteral("read-back failed: %1").arg(QString::fromStdString(s.ToString())));
    std::unique_ptr<leveldb::Table> owner(table);
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    std::unique_ptr<leveldb::Iterator> it(table->NewIterator(ro));
    std::size_t seen = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key().empty())
            continue;
        tf::BundleEntryProto entry;
        if (!entry.ParseFromArray(it->value().data(), int(it->value().size())) ||
            entry.offset() + entry.size() > std::int64_t((*data)->size()))
            return writeError(indexPath, QStringLiteral("read-back: bad entry"));
        const auto *p = (*data)->data() + entry.offset();
        if (entry.dtype() != dtypeToTensorFlow(DType::String) &&
            crc32cMask(crc32c(p, std::size_t(entry.size()))) != entry.crc32c())
            return writeError(indexPath, QStringLiteral("read-back: checksum mismatch at %1")
                                             .arg(QString::fromStdString(it->key().ToString())));
        ++seen;
    }
    if (!it->status().ok() || seen != m_entries.size())
        return writeError(indexPath,
                          QStringLiteral("read-back: %1 of %2")
                              .arg(seen)
                              .arg(counted(qint64(m_entries.size()), "entry", "entries")));
    return Ok{};
}

} // namespace wl
