#include "kerasconfig.h"

#include <QJsonDocument>
#include <QRegularExpression>

namespace wl::keras
{
namespace
{

std::optional<QJsonArray> shapeOf(const QJsonValue &v)
{
    if (!v.isArray())
        return std::nullopt;
    const auto a = v.toArray();
    // build_config may hold a list of shapes; the first is the main input.
    if (!a.isEmpty() && a.first().isArray())
        return a.first().toArray();
    return a;
}

bool sameShapeClass(const QString &c)
{
    static const QStringList same = {"Dropout",
                                     "Activation",
                                     "ReLU",
                                     "LeakyReLU",
                                     "ELU",
                                     "PReLU",
                                     "Softmax",
                                     "BatchNormalization",
                                     "LayerNormalization",
                                     "GaussianNoise",
                                     "GaussianDropout",
                                     "SpatialDropout1D",
                                     "SpatialDropout2D",
                                     "AlphaDropout",
                                     "ActivityRegularization",
                                     "Normalization",
                                     "UnitNormalization",
                                     "Rescaling"};
    return same.contains(c);
}

std::optional<QJsonArray> deriveOutput(const ConfigLayer &l)
{
    if (!l.input)
        return std::nullopt;
    const QJsonArray in = *l.input;
    if (l.className == QLatin1String("InputLayer") || sameShapeClass(l.className))
        return in;
    if (l.className == QLatin1String("Dense") && !in.isEmpty() && l.config.contains("units")) {
        QJsonArray out = in;
        out.replace(out.size() - 1, l.config.value("units"));
        return out;
    }
    if (l.className == QLatin1String("Flatten") && !in.isEmpty()) {
        qint64 n = 1;
        for (int i = 1; i < in.size(); ++i) {
            if (!in[i].isDouble())
                return QJsonArray{in[0], QJsonValue()};
            n *= qint64(in[i].toDouble());
        }
        return QJsonArray{in[0], double(n)};
    }
    return std::nullopt;
}

// The first inbound layer: Keras 2 [[["name", 0, 0, {}]]], Keras 3 [{"args": [tensor]}].
void readInbound(const QJsonObject &entry, ConfigLayer &l)
{
    const auto nodes = entry.value("inbound_nodes").toArray();
    if (nodes.isEmpty())
        return;
    const auto first = nodes.first();
    if (first.isArray()) {
        const auto inner = first.toArray();
        if (!inner.isEmpty() && inner.first().isArray())
            l.inbound = inner.first().toArray().first().toString();
        return;
    }
    const auto args = first.toObject().value("args").toArray();
    if (args.isEmpty())
        return;
    auto tensor = args.first();
    if (tensor.isArray() && !tensor.toArray().isEmpty())
        tensor = tensor.toArray().first();
    const auto cfg = tensor.toObject().value("config").toObject();
    l.inbound = cfg.value("keras_history").toArray().first().toString();
    if (!l.input)
        l.input = shapeOf(cfg.value("shape"));
}

} // namespace

Result<ModelConfig> parseModelConfig(const QByteArray &json, const QString &file,
                                     const QString &where)
{
    QJsonParseError err{};
    const auto doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return makeError(
            LoadError::Code::Corrupt, file, where, QStringLiteral("a JSON object"),
            err.error != QJsonParseError::NoError
                ? QStringLiteral("%1 at offset %2").arg(err.errorString()).arg(err.offset)
                : QStringLiteral("another JSON value"));
    const auto root = doc.object();
    ModelConfig m;
    m.className = root.value("class_name").toString();
    const auto cfgValue = root.value("config");
    // Keras 2.0 Sequential configs are the bare layer list.
    const QJsonArray layers =
        cfgValue.isArray() ? cfgValue.toArray() : cfgValue.toObject().value("layers").toArray();
    m.name = cfgValue.toObject().value("name").toString();
    if (m.className.isEmpty() || (!cfgValue.isArray() && !cfgValue.isObject()))
        return makeError(LoadError::Code::Corrupt, file, where,
                         QStringLiteral("a model config with class_name and config"),
                         QStringLiteral("other JSON"));
    const bool sequential = m.className == QLatin1String("Sequential");
    std::optional<QJsonArray> previous;
    QHash<QString, std::optional<QJsonArray>> outputs;
    for (const auto &v : layers) {
        const auto entry = v.toObject();
        ConfigLayer l;
        l.className = entry.value("class_name").toString();
        l.config = entry.value("config").toObject();
        l.name = l.config.value("name").toString(entry.value("name").toString());
        l.trainable = l.config.value("trainable").toBool(true);
        for (const char *key : {"batch_shape", "batch_input_shape"})
            if (!l.input)
                l.input = shapeOf(l.config.value(key));
        if (!l.input)
            l.input = shapeOf(entry.value("build_config").toObject().value("input_shape"));
        readInbound(entry, l);
        if (!l.input && sequential)
            l.input = previous;
        if (!l.input && !l.inbound.isEmpty())
            l.input = outputs.value(l.inbound);
        l.output = deriveOutput(l);
        previous = l.output;
        outputs.insert(l.name, l.output);
        m.layers << l;
    }
    return m;
}

TrainingConfig parseTrainingConfig(const QJsonObject &o)
{
    TrainingConfig t;
    // Legacy files say optimizer_config; a .keras compile_config says optimizer.
    const auto optValue =
        o.contains("optimizer_config") ? o.value("optimizer_config") : o.value("optimizer");
    const auto opt = optValue.toObject();
    t.optimizer = optValue.isString() ? optValue.toString() : opt.value("class_name").toString();
    t.optimizerName = opt.value("config").toObject().value("name").toString();
    const auto loss = o.value("loss");
    if (loss.isString())
        t.loss = loss.toString();
    else if (loss.isObject())
        t.loss = loss.toObject().value("config").toObject().value("name").toString(
            loss.toObject().value("class_name").toString());
    else if (!loss.isNull() && !loss.isUndefined())
        t.loss = QString::fromUtf8(
            QJsonDocument::fromVariant(loss.toVariant()).toJson(QJsonDocument::Compact));
    for (const auto &m : o.value("metrics").toArray()) {
        if (m.isString())
            t.metrics << m.toString();
        else if (m.isObject())
            t.metrics << m.toObject().value("config").toObject().value("name").toString();
    }
    return t;
}

QString snakeCase(const QString &className)
{
    static const QRegularExpression nonWord(QStringLiteral("\\W+"));
    static const QRegularExpression word(QStringLiteral("(.)([A-Z][a-z]+)"));
    static const QRegularExpression lowerUpper(QStringLiteral("([a-z])([A-Z])"));
    QString s = className;
    s.remove(nonWord);
    s.replace(word, QStringLiteral("\\1_\\2"));
    s.replace(lowerUpper, QStringLiteral("\\1_\\2"));
    return s.toLower();
}

QString knownVariableName(const QString &className, int index)
{
    static const QHash<QString, QStringList> table = {
        {"Dense", {"kernel", "bias"}},
        {"Conv1D", {"kernel", "bias"}},
        {"Conv2D", {"kernel", "bias"}},
        {"Conv3D", {"kernel", "bias"}},
        {"Conv1DTranspose", {"kernel", "bias"}},
        {"Conv2DTranspose", {"kernel", "bias"}},
        {"Conv3DTranspose", {"kernel", "bias"}},
        {"BatchNormalization", {"gamma", "beta", "moving_mean", "moving_variance"}},
        {"LayerNormalization", {"gamma", "beta"}},
        {"Embedding", {"embeddings"}},
    };
    const auto names = table.value(className);
    return index >= 0 && index < names.size() ? names[index] : QString();
}

bool knownNonTrainable(const QString &className, int index)
{
    return className == QLatin1String("BatchNormalization") && (index == 2 || index == 3);
}

QString shapeText(const std::optional<QJsonArray> &shape)
{
    if (!shape)
        return QStringLiteral("—");
    QStringList parts;
    for (const auto &v : *shape)
        parts << (v.isDouble() ? QString::number(qint64(v.toDouble())) : QStringLiteral("None"));
    if (parts.size() == 1)
        return QLatin1Char('(') + parts.front() + QStringLiteral(",)");
    return QLatin1Char('(') + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
}

} // namespace wl::keras
