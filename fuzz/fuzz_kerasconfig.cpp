// The Keras model config parser (model_config / config.json) on arbitrary bytes, with the
// layer shape derivation it runs and the training config beside it.
#include "formats/kerasconfig.h"

#include <QJsonDocument>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray json =
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    auto r = wl::keras::parseModelConfig(json, QStringLiteral("fuzz.json"),
                                         QStringLiteral("model_config"));
    if (r.ok())
        for (const auto &layer : r->layers) {
            (void)wl::keras::snakeCase(layer.className);
            (void)wl::keras::shapeText(layer.output);
        }
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    if (doc.isObject())
        (void)wl::keras::parseTrainingConfig(doc.object());
    return 0;
}
