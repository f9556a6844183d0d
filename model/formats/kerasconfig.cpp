#include "kerasconfig.h"

#include "core/jsonobject.h"
#include "kerasshapes.h"

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

// Inbound layers: Keras 2 [[["name", 0, 0, {}], ...]], Keras 3 [{"args": [tensor or
// [tensors]]}] where each tensor names its layer in keras_history and carries its shape.
void readInbound(const QJsonObject &entry, ConfigLayer &l)
{
    const auto nodes = entry.value("inbound_nodes").toArray();
    if (nodes.isEmpty())
        return;
    const auto first = nodes.first();
    if (first.isArray()) {
        for (const auto &in : first.toArray())
            if (in.isArray()) {
                l.inbounds << in.toArray().first().toString();
                l.inboundShapes << std::nullopt;
            }
    } else {
        const auto args = first.toObject().value("args").toArray();
        if (args.isEmpty())
            return;
        const auto arg = args.first();
        const QJsonArray tensors = arg.isArray() ? arg.toArray() : QJsonArray{arg};
        for (const auto &t : tensors) {
            const auto cfg = t.toObject().value("config").toObject();
            l.inbounds << cfg.value("keras_history").toArray().first().toString();
            l.inboundShapes << shapeOf(cfg.value("shape"));
        }
    }
    if (l.inbounds.isEmpty())
        return;
    l.inbound = l.inbounds.first();
    if (!l.input)
        l.input = l.inboundShapes.first();
}

} // namespace

Result<ModelConfig> parseModelConfig(const QByteArray &json, const QString &file,
                                     const QString &where)
{
    const auto parsed = parseJsonObject(json, file, where);
    if (!parsed)
        return parsed.error();
    const QJsonObject &root = *parsed;
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
    // A Sequential built with model.build() keeps its input shape beside the layers.
    std::optional<QJsonArray> previous =
        sequential ? shapeOf(cfgValue.toObject().value("build_input_shape")) : std::nullopt;
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
        QList<std::optional<QJsonArray>> inputs{l.input};
        if (l.inbounds.size() > 1) {
            inputs.clear();
            for (int i = 0; i < l.inbounds.size(); ++i) {
                const auto known = outputs.value(l.inbounds[i]);
                inputs << (known ? known : l.inboundShapes[i]);
            }
        }
        l.output = inferOutputShape(l.className, l.config, inputs);
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
        return QStringLiteral("?");
    QStringList parts;
    for (const auto &v : *shape)
        parts << (v.isDouble() ? QString::number(qint64(v.toDouble())) : QStringLiteral("None"));
    if (parts.size() == 1)
        return QLatin1Char('(') + parts.front() + QStringLiteral(",)");
    return QLatin1Char('(') + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
}

} // namespace wl::keras
