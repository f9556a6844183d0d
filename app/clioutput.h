#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QTextStream>
#include <optional>

namespace wl::cli
{

// The commands' shared standard output and error, so that their lines never interleave.
QTextStream &out();
QTextStream &err();
// A JSON number, or null where JSON has none (absent, NaN, infinite).
QJsonValue number(const std::optional<double> &v);
// One JSON Lines record on standard output.
void printJson(const QJsonObject &o);

} // namespace wl::cli
