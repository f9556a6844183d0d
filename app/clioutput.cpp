#include "clioutput.h"

#include <QJsonDocument>
#include <cmath>

namespace wl::cli
{

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

QJsonValue number(const std::optional<double> &v)
{
    if (!v || !std::isfinite(*v))
        return QJsonValue(QJsonValue::Null);
    return *v;
}

void printJson(const QJsonObject &o)
{
    out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << '\n';
}

} // namespace wl::cli
