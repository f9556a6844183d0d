#include "formats/readerregistry.h"
#include "io/crc32c.h"
#include "io/hdf5file.h"
#include "io/mappedfile.h"
#include "write/kerash5writer.h"
#include "write/tfbundlewriter.h"

#include "testutil.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include <cstring>
#include <map>
#include <memory>

using namespace wl;

namespace
{

class FileSource : public leveldb::RandomAccessFile
{
public:
    explicit FileSource(QByteArray bytes) : m_bytes(std::move(bytes)) {}
    leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice *result, char *) const override
    {
        n = std::min<std::size_t>(n, std::size_t(m_bytes.size()) - std::size_t(offset));
        *result = leveldb::Slice(m_bytes.constData() + offset, n);
        return leveldb::Status::OK();
    }
    QByteArray m_bytes;
};

// Reads varint fields 4 (offset), 5 (size) and fixed32 field 6 (crc) of a BundleEntryProto by
// hand, so the check does not rely on the writer's own protobuf classes.
struct EntryFields {
    std::int64_t offset = 0, size = 0;
    std::uint32_t crc = 0;
    int dtype = 0;
};

EntryFields decodeEntry(const std::string &v)
{
    EntryFields e;
    std::size_t i = 0;
    auto varint = [&]() {
        std::uint64_t r = 0;
        for (int shift = 0; i < v.size(); shift += 7) {
            const auto b = std::uint8_t(v[i++]);
            r |= std::uint64_t(b & 0x7F) << shift;
            if (!(b & 0x80))
                break;
        }
        return r;
    };
    while (i < v.size()) {
        const auto key = varint();
        const int field = int(key >> 3), wire = int(key & 7);
        if (wire == 0) {
            const auto x = varint();
            if (field == 1)
                e.dtype = int(x);
            if (field == 4)
                e.offset = std::int64_t(x);
            if (field == 5)
                e.size = std::int64_t(x);
        } else if (wire == 5) {
            std::memcpy(&e.crc, v.data() + i, 4);
            i += 4;
        } else if (wire == 2) {
            i += std::size_t(varint());
        } else {
            break;
        }
    }
    return e;
}

std::map<std::string, std::string> tableEntries(const QString &indexPath)
{
    std::map<std::string, std::string> out;
    const QByteArray bytes = test::readFile(indexPath);
    FileSource src(bytes);
    leveldb::Table *table = nullptr;
    if (!leveldb::Table::Open(leveldb::Options(), &src, std::uint64_t(bytes.size()), &table).ok())
        return out;
    std::unique_ptr<leveldb::Table> owner(table);
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    std::unique_ptr<leveldb::Iterator> it(table->NewIterator(ro));
    for (it->SeekToFirst(); it->Valid(); it->Next())
        out[it->key().ToString()] = it->value().ToString();
    return out;
}

} // namespace

class TestWriter : public QObject
{
    Q_OBJECT
private slots:
    void numericTensorsRoundTrip()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("ckpt-1"));
        TfBundleWriter w(prefix);
        const float a[] = {0.5f, -1.25f, 3.0f, 8.0f, 0.0f, -0.0f};
        const std::int64_t step = 42;
        QVERIFY(w.add(QStringLiteral("z/kernel"), DType::Float32, Shape{{2, 3}},
                      QByteArrayView(reinterpret_cast<const char *>(a), sizeof a))
                    .ok());
        QVERIFY(w.add(QStringLiteral("a/step"), DType::Int64, Shape{},
                      QByteArrayView(reinterpret_cast<const char *>(&step), 8))
                    .ok());
        QVERIFY(!w.add(QStringLiteral("bad"), DType::Float32, Shape{{3}}, QByteArray(5, 'x')).ok());
        QVERIFY(w.finish().ok());

        const auto entries = tableEntries(prefix + QStringLiteral(".index"));
        QCOMPARE(entries.size(), std::size_t(3));
        QCOMPARE(entries.begin()->first, std::string()); // header first
        const QByteArray data = test::readFile(prefix + QStringLiteral(".data-00000-of-00001"));
        QCOMPARE(data.size(), qsizetype(sizeof a + 8));
        const auto k = decodeEntry(entries.at("z/kernel"));
        QCOMPARE(k.dtype, 1);
        QCOMPARE(k.offset, std::int64_t(0)); // insertion order, not key order
        QCOMPARE(data.mid(0, 24), QByteArray(reinterpret_cast<const char *>(a), 24));
        QCOMPARE(crc32cUnmask(k.crc), crc32c(a, sizeof a));
        const auto s = decodeEntry(entries.at("a/step"));
        QCOMPARE(s.offset, std::int64_t(24));
        QCOMPARE(s.dtype, 9);
    }

    // The spec's worked example: the object-graph string of half_plus_two (613 bytes at offset
    // 18 of the data file) must be laid out byte for byte as TensorFlow wrote it.
    void stringTensorMatchesTensorFlowBytes()
    {
        WL_REQUIRE_CORPUS();
        const QString corpusPrefix =
            test::corpus(QStringLiteral("savedmodel/tfs-half-plus-two-tf2/variables/variables"));
        const QByteArray tfData =
            test::readFile(corpusPrefix + QStringLiteral(".data-00000-of-00001"));
        QVERIFY(tfData.size() >= 12 + 619);
        const QByteArray stored = tfData.mid(12, 619);
        const QByteArray graph = stored.mid(6, 613);

        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("v"));
        TfBundleWriter w(prefix);
        QVERIFY(
            w.addStrings(QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH"), Shape{}, {graph}).ok());
        QVERIFY(w.finish().ok());
        QCOMPARE(test::readFile(prefix + QStringLiteral(".data-00000-of-00001")), stored);

        const auto ours = decodeEntry(
            tableEntries(prefix + QStringLiteral(".index")).at("_CHECKPOINTABLE_OBJECT_GRAPH"));
        const auto theirs = decodeEntry(tableEntries(corpusPrefix + QStringLiteral(".index"))
                                            .at("_CHECKPOINTABLE_OBJECT_GRAPH"));
        QCOMPARE(ours.size, std::int64_t(619));
        QCOMPARE(ours.crc, theirs.crc);
    }

    void neverOverwrites()
    {
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("ckpt"));
        QFile existing(prefix + QStringLiteral(".index"));
        QVERIFY(existing.open(QIODevice::WriteOnly));
        existing.write("keep");
        existing.close();
        TfBundleWriter w(prefix);
        QVERIFY(w.add(QStringLiteral("x"), DType::Int8, Shape{{1}}, QByteArray(1, 'a')).ok());
        const auto st = w.finish();
        QVERIFY(!st.ok());
        QVERIFY(st.error().message().contains(QLatin1String("existing file")));
        QCOMPARE(test::readFile(prefix + QStringLiteral(".index")), QByteArray("keep"));
    }

    // 300 layer names of 231 bytes (69,300 bytes) do not fit one HDF5 object header: they are
    // stored as Keras splits them, layer_names0 and layer_names1 of 150 each, and read back as
    // one list in order.
    void kerasLayerNamesSplit()
    {
        QTemporaryDir dir;
        KerasH5Model model;
        model.weightsOnly = true;
        QStringList names;
        for (int i = 0; i < 300; ++i) {
            const QString layer = QStringLiteral("layer_%1_").arg(i, 3, 10, QLatin1Char('0'));
            names << layer + QString(231 - layer.size(), QLatin1Char('x'));
            QByteArray bytes(8, '\0');
            const float v[2] = {float(i), -float(i)};
            std::memcpy(bytes.data(), v, 8);
            model.layers.push_back(
                {names.last(),
                 {{QStringLiteral("kernel:0"), Shape{{2}}, bytes, DType::Float32, {}}}});
        }
        const QString path = dir.filePath(QStringLiteral("many.h5"));
        if (const auto written = writeKerasH5(path, model); !written.ok())
            QFAIL(qPrintable(written.error().message()));

        auto file = h5::File::open(path);
        QVERIFY(file.ok());
        auto attrs = (*file)->attributeNames(QStringLiteral("/"));
        QVERIFY(attrs.ok());
        QVERIFY(attrs->contains(QStringLiteral("layer_names0")));
        QVERIFY(attrs->contains(QStringLiteral("layer_names1")));
        QVERIFY(!attrs->contains(QStringLiteral("layer_names")));
        QVERIFY(!attrs->contains(QStringLiteral("layer_names2")));
        auto first = (*file)->attribute(QStringLiteral("/"), QStringLiteral("layer_names0"));
        QVERIFY(first.ok() && first->has_value());
        QCOMPARE((*first)->strings, names.mid(0, 150));
        auto joined = (*file)->stringList(QStringLiteral("/"), QStringLiteral("layer_names"));
        QVERIFY(joined.ok() && joined->has_value());
        QCOMPARE(**joined, names);

        auto opened = test::openOne(path);
        QVERIFY(opened);
        QCOMPARE(opened->index().tensors.size(), 300);
        const int last = int(opened->index().tensors.size()) - 1;
        for (int t : {0, 150, last}) {
            const auto bytes = opened->readTensor(t);
            QVERIFY(bytes.ok());
            const auto *f = reinterpret_cast<const float *>(bytes->constData());
            const int layer = names.indexOf(opened->tensor(t).key.section(QLatin1Char('/'), 0, 0));
            QVERIFY(layer >= 0);
            QCOMPARE(f[0], float(layer));
            QCOMPARE(f[1], -float(layer));
        }
    }
};

QTEST_GUILESS_MAIN(TestWriter)
#include "tst_writer.moc"
