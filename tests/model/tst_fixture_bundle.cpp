#include "bundlewriter.h"
#include "io/crc32c.h"
#include "proto/tensor_bundle.pb.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include <cstring>
#include <memory>

namespace
{

float valueAt(int tensor, std::int64_t i)
{
    return float(tensor * 1000) + 0.5f * float(i);
}

} // namespace

// The test bundle writer's output, read back with LevelDB itself.
class TestFixtureBundle : public QObject
{
    Q_OBJECT
private slots:
    void writtenBundleReadsBack()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString prefix = dir.filePath(QStringLiteral("ckpt"));
        // Unsorted keys, an empty tensor, and a tensor longer than the writer's 1 Mi buffer.
        const std::vector<wl::test::BundleTensorSpec> specs = {
            {"w", {3, 4}}, {"b", {0}}, {"big", {1 << 20, 3}}, {"a/x", {}}};
        const QString error = wl::test::writeFloatBundle(
            prefix, specs, [](int t, std::int64_t first, float *out, std::size_t n) {
                for (std::size_t i = 0; i < n; ++i)
                    out[i] = valueAt(t, first + std::int64_t(i));
            });
        QVERIFY2(error.isEmpty(), qPrintable(error));

        QFile dataFile(prefix + QStringLiteral(".data-00000-of-00001"));
        QVERIFY(dataFile.open(QIODevice::ReadOnly));
        const QByteArray data = dataFile.readAll();
        QCOMPARE(data.size(), qsizetype(4 * (12 + 0 + 3 * (1 << 20) + 1)));

        const std::string indexPath = (prefix + QStringLiteral(".index")).toStdString();
        leveldb::Env *env = leveldb::Env::Default();
        std::uint64_t indexSize = 0;
        QVERIFY(env->GetFileSize(indexPath, &indexSize).ok());
        leveldb::RandomAccessFile *raw = nullptr;
        QVERIFY(env->NewRandomAccessFile(indexPath, &raw).ok());
        std::unique_ptr<leveldb::RandomAccessFile> file(raw);
        leveldb::Table *tableRaw = nullptr;
        QVERIFY(leveldb::Table::Open(leveldb::Options(), file.get(), indexSize, &tableRaw).ok());
        std::unique_ptr<leveldb::Table> table(tableRaw);
        std::unique_ptr<leveldb::Iterator> it(table->NewIterator(leveldb::ReadOptions()));

        QStringList keys;
        for (it->SeekToFirst(); it->Valid(); it->Next())
            keys << QString::fromStdString(it->key().ToString());
        QVERIFY(it->status().ok());
        QCOMPARE(keys, (QStringList{"", "a/x", "b", "big", "w"}));

        it->SeekToFirst();
        wl::tf::BundleHeaderProto header;
        QVERIFY(header.ParseFromString(it->value().ToString()));
        QCOMPARE(header.num_shards(), 1);
        QCOMPARE(header.endianness(), wl::tf::BundleHeaderProto::LITTLE);
        QCOMPARE(header.version().producer(), 1);

        const int tensorOf[] = {3, 1, 2, 0}; // keys a/x, b, big, w in write order
        std::int64_t expectedCount[] = {12, 0, 3 * (1 << 20), 1};
        int k = 0;
        for (it->Next(); it->Valid(); it->Next(), ++k) {
            wl::tf::BundleEntryProto e;
            QVERIFY(e.ParseFromString(it->value().ToString()));
            const int t = tensorOf[k];
            QCOMPARE(e.dtype(), 1); // DT_FLOAT
            QCOMPARE(e.shape().dim_size(), int(specs[std::size_t(t)].shape.size()));
            QCOMPARE(e.shard_id(), 0);
            QCOMPARE(e.size(), 4 * expectedCount[t]);
            QVERIFY(e.offset() >= 0 && e.offset() + e.size() <= data.size());
            const char *bytes = data.constData() + e.offset();
            QCOMPARE(wl::crc32cUnmask(e.crc32c()), wl::crc32c(bytes, std::size_t(e.size())));
            for (std::int64_t i = 0; i < expectedCount[t]; i += 997) {
                float f;
                std::memcpy(&f, bytes + 4 * i, 4);
                QCOMPARE(f, valueAt(t, i));
            }
        }
        QCOMPARE(k, 4);
    }
};

QTEST_GUILESS_MAIN(TestFixtureBundle)
#include "tst_fixture_bundle.moc"
