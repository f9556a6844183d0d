#include "recurrent.h"

#include "formats/tfbundle.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace wl::analysis
{
namespace
{

const QLatin1String kRecurrentVariableSuffix("/.ATTRIBUTES/VARIABLE_VALUE");
const QLatin1String kRecurrentConfigSuffix("/.ATTRIBUTES/OBJECT_CONFIG_JSON");

// The class_name of a scalar DT_STRING tensor holding a Keras object config.
QString recurrentConfigClass(const Checkpoint &checkpoint, int i)
{
    const auto &t = checkpoint.tensor(i);
    if (t.dtype != DType::String || t.numElements() != 1)
        return {};
    const auto bytes = checkpoint.readTensor(i, std::int64_t(1) << 24);
    if (!bytes.ok())
        return {};
    const auto layout = tfbundle::parseStringLayout(QByteArrayView(*bytes), 1);
    if (!layout || layout->dataStart + layout->lengths[0] > std::size_t(bytes->size()))
        return {};
    const auto doc = QJsonDocument::fromJson(
        bytes->mid(qsizetype(layout->dataStart), qsizetype(layout->lengths[0])));
    return doc.object().value(QLatin1String("class_name")).toString();
}

} // namespace

QString kerasGateOrder(const QString &className)
{
    static const QStringList lstm{QStringLiteral("LSTM"),       QStringLiteral("LSTMCell"),
                                  QStringLiteral("CuDNNLSTM"),  QStringLiteral("ConvLSTM1D"),
                                  QStringLiteral("ConvLSTM2D"), QStringLiteral("ConvLSTM3D")};
    static const QStringList gru{QStringLiteral("GRU"), QStringLiteral("GRUCell"),
                                 QStringLiteral("CuDNNGRU")};
    if (lstm.contains(className))
        return QStringLiteral("ifco");
    if (gru.contains(className))
        return QStringLiteral("zrh");
    return {};
}

QString kerasLayerClass(const Checkpoint &checkpoint, int i)
{
    const auto &idx = checkpoint.index();
    const auto &t = idx.tensors[i];
    QString key = t.key;
    if (key.endsWith(kRecurrentVariableSuffix)) {
        // Object-based TensorFlow checkpoint: the nearest object above with a config.
        key.chop(kRecurrentVariableSuffix.size());
        for (auto slash = key.lastIndexOf(QLatin1Char('/')); slash > 0;
             slash = key.lastIndexOf(QLatin1Char('/'))) {
            key.truncate(slash);
            const int config = idx.indexOfKey(key + kRecurrentConfigSuffix);
            if (config >= 0) {
                const QString cls = recurrentConfigClass(checkpoint, config);
                if (!cls.isEmpty())
                    return cls;
            }
        }
        return {};
    }
    const auto layers = idx.summary.value(QLatin1String("layers")).toArray();
    if (layers.isEmpty())
        return {};
    QString name = t.name;
    if (const auto colon = name.lastIndexOf(QLatin1Char(':')); colon > 0)
        name.truncate(colon);
    for (const QString &part : name.split(QLatin1Char('/'))) {
        for (const auto &l : layers) {
            const auto o = l.toObject();
            if (o.value(QLatin1String("name")).toString() == part)
                return o.value(QLatin1String("class")).toString();
        }
    }
    return {};
}

QString recurrentGates(const Checkpoint &checkpoint, int i)
{
    const auto &t = checkpoint.tensor(i);
    if (t.role != TensorRole::Variable || t.shape.dims.size() < 2)
        return {};
    QString name = t.name;
    if (const auto colon = name.lastIndexOf(QLatin1Char(':')); colon > 0)
        name.truncate(colon);
    const auto parts = name.split(QLatin1Char('/'));
    const QString leaf = parts.last();
    const QString parent = parts.size() > 1 ? parts[parts.size() - 2] : QString();
    const bool kernel = leaf == QLatin1String("kernel") ||
                        leaf == QLatin1String("recurrent_kernel") ||
                        (parent == QLatin1String("vars") &&
                         (leaf == QLatin1String("0") || leaf == QLatin1String("1")));
    if (!kernel)
        return {};
    const QString gates = kerasGateOrder(kerasLayerClass(checkpoint, i));
    // Keras lays the gates side by side along the last axis (units each).
    if (gates.isEmpty() || t.shape.dims.back() % gates.size() != 0)
        return {};
    return gates;
}

} // namespace wl::analysis
