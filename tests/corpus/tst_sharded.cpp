#include "formats/readerregistry.h"
#include "testutil.h"
#include "torchtestfiles.h"

#include <QTemporaryDir>
#include <QtEndian>

using namespace wl;
using namespace wl::test;

namespace
{

QByteArray floats(const std::vector<float> &v)
{
    return QByteArray(reinterpret_cast<const char *>(v.data()), qsizetype(v.size() * 4));
}

// A safetensors file written by hand (formats-keras-pytorch.md section 5).
QByteArray safetensors(const QList<QPair<QString, std::vector<float>>> &tensors)
{
    QJsonObject header;
    QByteArray data;
    for (const auto &[name, values] : tensors) {
        header.insert(
            name, QJsonObject{{"dtype", "F32"},
                              {"shape", QJsonArray{qint64(values.size())}},
                              {"data_offsets",
                               QJsonArray{data.size(), data.size() + qint64(values.size() * 4)}}});
        data += floats(values);
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8)
        json += ' ';
    char len[8];
    qToLittleEndian<quint64>(quint64(json.size()), len);
    return QByteArray(len, 8) + json + data;
}

QByteArray indexJson(const QJsonObject &map)
{
    return QJsonDocument(
               QJsonObject{{"metadata", QJsonObject{{"total_size", 40}}}, {"weight_map", map}})
        .toJson();
}

} // namespace

class TstSharded : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    Result<OpenResult> open(const QString &path) { return ReaderRegistry::builtin().open(path); }

    // Every tensor's bytes, read through the combined checkpoint.
    QHash<QString, QByteArray> read(const Checkpoint &cp)
    {
        QHash<QString, QByteArray> out;
        for (int i = 0; i < cp.index().tensors.size(); ++i) {
            auto b = cp.readTensor(i);
            if (b.ok())
                out.insert(cp.index().tensors[i].key, *b);
        }
        return out;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void safetensorsShards()
    {
        const QString dir = m_dir.filePath("st");
        QDir().mkpath(dir);
        QVERIFY(writeFile(dir + "/model-00001-of-00002.safetensors",
                          safetensors({{"a.weight", {1, 2, 3}}, {"a.bias", {4}}})));
        QVERIFY(writeFile(dir + "/model-00002-of-00002.safetensors",
                          safetensors({{"b.weight", {5, 6, 7, 8, 9, 10}}})));
        const QString index = dir + "/model.safetensors.index.json";
        QVERIFY(writeFile(index, indexJson({{"a.weight", "model-00001-of-00002.safetensors"},
                                            {"a.bias", "model-00001-of-00002.safetensors"},
                                            {"b.weight", "model-00002-of-00002.safetensors"}})));
        auto r = open(index);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        QCOMPARE(r->readerId, QStringLiteral("hf-sharded"));
        QCOMPARE(r->checkpoints.size(), std::size_t(1));
        QCOMPARE(r->consumedFiles.size(), 3);
        const auto &cp = *r->checkpoints.front();
        QCOMPARE(cp.index().tensors.size(), 3);
        QVERIFY(cp.index().problems.isEmpty());
        const auto bytes = read(cp);
        QCOMPARE(bytes.value("a.weight"), floats({1, 2, 3}));
        QCOMPARE(bytes.value("a.bias"), floats({4}));
        QCOMPARE(bytes.value("b.weight"), floats({5, 6, 7, 8, 9, 10}));
        // The folder opens as that one checkpoint, its shards not again on their own.
        auto folder = open(dir);
        QVERIFY(folder.ok());
        QCOMPARE(folder->checkpoints.size(), std::size_t(1));
        QCOMPARE(folder->checkpoints.front()->index().readerId, QStringLiteral("hf-sharded"));
    }

    // pytorch_model.bin.index.json over torch.save zip shards; a missing shard is reported and
    // its tensors listed unreadable, the rest still read.
    void pytorchShardsAndMissing()
    {
        const QString dir = m_dir.filePath("bin");
        QDir().mkpath(dir);
        PickleWriter w;
        w.emptyDict().mark().str("x.weight").tensor("FloatStorage", "0", 2, 0, {2}, {1});
        w.setItems().stop();
        QVERIFY(writeTorchZip(dir + "/pytorch_model-00001-of-00002.bin", "archive", w.bytes(),
                              {{"0", floats({7, 8})}}));
        const QString index = dir + "/pytorch_model.bin.index.json";
        QVERIFY(writeFile(index, indexJson({{"x.weight", "pytorch_model-00001-of-00002.bin"},
                                            {"y.weight", "pytorch_model-00002-of-00002.bin"}})));
        auto r = open(index);
        QVERIFY(r.ok());
        const auto &cp = *r->checkpoints.front();
        QCOMPARE(cp.index().tensors.size(), 2);
        QCOMPARE(read(cp).value("x.weight"), floats({7, 8}));
        QCOMPARE(cp.index().tensors[1].location.storage, TensorLocation::Storage::None);
        QStringList texts;
        for (const auto &p : cp.index().problems)
            texts << p.text;
        QVERIFY2(texts.join("|").contains("pytorch_model-00002-of-00002.bin is missing"),
                 qPrintable(texts.join("|")));
    }

    void shardOutsideFolderRefused()
    {
        const QString dir = m_dir.filePath("escape");
        QDir().mkpath(dir);
        const QString index = dir + "/model.safetensors.index.json";
        QVERIFY(writeFile(index, indexJson({{"a", "../../etc/passwd"}})));
        auto r = open(index);
        QVERIFY(r.ok());
        QCOMPARE(r->checkpoints.front()->index().tensors[0].location.storage,
                 TensorLocation::Storage::None);
        QVERIFY(
            r->checkpoints.front()->index().problems.front().text.contains("not a file beside"));
    }
};

QTEST_GUILESS_MAIN(TstSharded)
#include "tst_sharded.moc"
