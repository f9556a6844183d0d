#include "jsonobject.h"

#include <QJsonDocument>

namespace wl
{

Result<QJsonObject> parseJsonObject(const QByteArray &json, const QString &file,
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
    return doc.object();
}

} // namespace wl
