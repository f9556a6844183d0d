#pragma once

#include "result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace wl
{

// `json` parsed as one JSON object; otherwise a Corrupt error naming `file` and `where` with
// the parser's message and offset, or "another JSON value" when it parsed to something else.
Result<QJsonObject> parseJsonObject(const QByteArray &json, const QString &file,
                                    const QString &where);

} // namespace wl
