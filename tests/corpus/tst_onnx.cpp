#include "formats/readerregistry.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QtEndian>

using namespace wl;
using namespace wl::test;

namespace
{

// Protobuf wire format by hand, for models that use the typed fields and external data.
QByteArray varint(std::uint64_t v)
{
    QByteArray out;
    do {
        std::uint8_t b = v & 0x7f;
        v >>= 7;
        out += char(v ? b | 0x80 : b);
    } while (v);
    return out;
}
QByteArray tagged(int field, int wire)
{
    return varint(std::uint64_t(field) << 3 | std::uint64_t(wire));
}
QByteArray intField(int field, std::int64_t v)
{
    return tagged(field, 0) + varint(std::uint64_t(v));
}
QByteArray bytesField(int field, const QByteArray &b)
{
    return tagged(field, 2) + varint(std::uint64_t(b.size())) + b;
}
template <class T> QByteArray le(const std::vector<T> &v)
{
    QByteArray out;
    for (T x : v) {
        char b[sizeof(T)];
        qToLittleEndian<T>(x, b);
        out += QByteArray(b, sizeof(T));
    }
    return out;
}
QByteArray packedVarints(const std::vector<std::int64_t> &v)
{
    QByteArray out;
    for (auto x : v)
        out += varint(std::uint64_t(x));
    return out;
}

QByteArray tensor(const QByteArray &name, int dtype, const std::vector<std::int64_t> &dims,
                  const QByteArray &data)
{
    QByteArray t;
    for (auto d : dims)
        t += intField(1, d);
    return t + intField(2, dtype) + bytesField(8, name) + data;
}

QByteArray model(const QList<QByteArray> &initializers)
{
    QByteArray graph = bytesField(2, "g");
    for (const auto &i : initializers)
        graph += bytesField(5, i);
    return intField(1, 8) + bytesField(2, "hand") + bytesField(3, "1.0") + bytesField(7, graph) +
           bytesField(8, bytesField(1, "") + intField(2, 17));
}

} // namespace

class TstOnnx : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void initTestCase()
    {
        WL_REQUIRE_CORPUS();
        QVERIFY(m_dir.isValid());
    }

    // The corpus export: 13 float32 initializers from raw_data, in order, each one's bytes
    // found verbatim in the file; ir_version 6, pytorch 2.8.0, opset 11.
    void corpusModel()
    {
        const QString path = corpus("pytorch/cartpole-onnx/model.onnx");
        auto cp = openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        const QList<QPair<QString, std::vector<std::int64_t>>> expected{
            {"log_std", {1}},
            {"mlp_extractor.policy_net.0.weight", {64, 4}},
            {"mlp_extractor.policy_net.0.bias", {64}},
            {"mlp_extractor.policy_net.2.weight", {64, 64}},
            {"mlp_extractor.policy_net.2.bias", {64}},
            {"mlp_extractor.value_net.0.weight", {64, 4}},
            {"mlp_extractor.value_net.0.bias", {64}},
            {"mlp_extractor.value_net.2.weight", {64, 64}},
            {"mlp_extractor.value_net.2.bias", {64}},
            {"action_net.weight", {1, 64}},
            {"action_net.bias", {1}},
            {"value_net.weight", {1, 64}},
            {"value_net.bias", {1}}};
        QCOMPARE(idx.tensors.size(), expected.size());
        const QByteArray file = readFile(path);
        for (int i = 0; i < expected.size(); ++i) {
            QCOMPARE(idx.tensors[i].key, expected[i].first);
            QCOMPARE(idx.tensors[i].shape.dims, expected[i].second);
            QCOMPARE(idx.tensors[i].dtype, DType::Float32);
            auto b = cp->readTensor(i);
            QVERIFY(b.ok());
            QCOMPARE(b->size(), idx.tensors[i].numElements() * 4);
            QVERIFY(file.contains(*b));
        }
        QCOMPARE(*cp->readTensor(0), QByteArray::fromHex("be08d2bf"));
        QCOMPARE(metadataValue(idx, "IR version"), QStringLiteral("6"));
        QCOMPARE(metadataValue(idx, "Producer"), QStringLiteral("pytorch 2.8.0"));
        QCOMPARE(metadataValue(idx, "Opset"), QStringLiteral("ai.onnx 11"));
        QVERIFY(idx.problems.isEmpty());
    }

    // float_data, int64_data (negative: 10-byte varints), int32_data holding int8 and float16
    // bits, double_data, raw bf16, external data beside the model.
    void typedFieldsAndExternalData()
    {
        const QString dir = m_dir.filePath("typed");
        QDir().mkpath(dir);
        QVERIFY(writeFile(dir + "/weights.bin", QByteArray(16, 'x') + le<float>({1.5f, -2.f})));
        QByteArray external = bytesField(1, "location") + bytesField(2, "weights.bin");
        const QList<QByteArray> inits{
            tensor("f", 1, {2}, bytesField(4, le<float>({0.25f, -8.f}))),
            tensor("i64", 7, {3}, bytesField(7, packedVarints({-1, 5, -300}))),
            tensor("i8", 3, {2}, bytesField(5, packedVarints({-7, 100}))),
            tensor("f16", 10, {1}, bytesField(5, packedVarints({0x3c00}))),
            tensor("d", 11, {1}, bytesField(10, le<double>({3.25}))),
            tensor("bf", 16, {2}, bytesField(9, le<quint16>({0x3f80, 0xc000}))),
            tensor("ext", 1, {2},
                   bytesField(13, external) +
                       bytesField(13, bytesField(1, "offset") + bytesField(2, "16")) +
                       bytesField(13, bytesField(1, "length") + bytesField(2, "8")) +
                       intField(14, 1)),
            tensor("short", 1, {3}, bytesField(9, le<float>({1.f}))),
            tensor("escape", 1, {1},
                   bytesField(13, bytesField(1, "location") + bytesField(2, "../x.bin")) +
                       intField(14, 1)),
        };
        const QString path = dir + "/m.onnx";
        QVERIFY(writeFile(path, model(inits)));
        auto cp = openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        QCOMPARE(idx.tensors.size(), 9);
        QCOMPARE(*cp->readTensor(0), le<float>({0.25f, -8.f}));
        QCOMPARE(*cp->readTensor(1), le<qint64>({-1, 5, -300}));
        QCOMPARE(*cp->readTensor(2), le<qint8>({-7, 100}));
        QCOMPARE(idx.tensors[3].dtype, DType::Float16);
        QCOMPARE(*cp->readTensor(3), le<quint16>({0x3c00}));
        QCOMPARE(*cp->readTensor(4), le<double>({3.25}));
        QCOMPARE(idx.tensors[5].dtype, DType::BFloat16);
        QCOMPARE(*cp->readTensor(5), le<quint16>({0x3f80, 0xc000}));
        QCOMPARE(idx.tensors[6].location.storage, TensorLocation::Storage::Raw);
        QCOMPARE(*cp->readTensor(6), le<float>({1.5f, -2.f}));
        QCOMPARE(idx.tensors[7].location.storage, TensorLocation::Storage::None);
        QCOMPARE(idx.tensors[8].location.storage, TensorLocation::Storage::None);
        QCOMPARE(idx.problems.size(), 2);
        QCOMPARE(metadataValue(idx, "Opset"), QStringLiteral("ai.onnx 17"));
    }

    // Bytes changed at random: every open fails with a message or reads within bounds.
    void mutatedModels()
    {
        const QByteArray full = readFile(corpus("pytorch/cartpole-onnx/model.onnx"));
        QVERIFY(openMutated(full, m_dir.filePath("mutated.onnx"), 11, 500) > 0);
    }

    void truncatedModel()
    {
        const QByteArray full = readFile(corpus("pytorch/cartpole-onnx/model.onnx"));
        const QString path = m_dir.filePath("cut.onnx");
        for (qsizetype n : {qsizetype(1), qsizetype(20), full.size() / 2, full.size() - 3}) {
            QVERIFY(writeFile(path, full.left(n)));
            QString error;
            QVERIFY2(!openOne(path, &error), qPrintable(QString::number(n)));
            QVERIFY2(error.contains(QLatin1String("cut.onnx")), qPrintable(error));
        }
    }
};

QTEST_GUILESS_MAIN(TstOnnx)
#include "tst_onnx.moc"
