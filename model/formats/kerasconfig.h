#pragma once

#include "core/result.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <optional>

namespace wl::keras
{

// One entry of a model config's layer list, with the shapes that can be derived.
struct ConfigLayer {
    QString name;
    QString className;
    bool trainable = true;
    QJsonObject config;
    QString inbound;                                // first inbound layer (Functional), when stated
    QStringList inbounds;                           // every inbound layer, in call order
    QList<std::optional<QJsonArray>> inboundShapes; // their shapes where the config says
                                                    // them (Keras 3), parallel to inbounds
    std::optional<QJsonArray> input;                // input shape, null entries = None
    std::optional<QJsonArray> output;               // output shape, when derivable
};

struct ModelConfig {
    QString className; // Sequential, Functional, Model...
    QString name;
    QList<ConfigLayer> layers;
};

// Parses a model_config / config.json document. Error text when it is not a model config.
Result<ModelConfig> parseModelConfig(const QByteArray &json, const QString &file,
                                     const QString &where);

struct TrainingConfig {
    QString optimizer; // class name ("Adam")
    QString optimizerName;
    QString loss;
    QStringList metrics;
};
TrainingConfig parseTrainingConfig(const QJsonObject &o);

// Keras's class-name to snake_case rule (group names of the Keras 3 weights layout).
QString snakeCase(const QString &className);

// Variable names of vars/<i> for built-in classes; empty when unknown.
QString knownVariableName(const QString &className, int index);
// Whether variable i of a built-in class is non-trainable (BatchNormalization moving stats).
bool knownNonTrainable(const QString &className, int index);

// "(None, 128)", or "?" when the config does not determine it.
QString shapeText(const std::optional<QJsonArray> &shape);

} // namespace wl::keras
