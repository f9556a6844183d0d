#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <optional>

namespace wl::keras
{

// A layer's output shape as Keras's model.summary() prints it, from its class, its config and
// its input shapes (null entries = None). nullopt when the class is not known or the config
// and inputs do not determine the shape.
std::optional<QJsonArray> inferOutputShape(const QString &className, const QJsonObject &config,
                                           const QList<std::optional<QJsonArray>> &inputs);

} // namespace wl::keras
