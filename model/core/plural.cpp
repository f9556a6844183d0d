#include "plural.h"

namespace wl
{

QString nounFor(qint64 n, QAnyStringView singular, QAnyStringView plural)
{
    if (n == 1)
        return singular.toString();
    return plural.isEmpty() ? singular.toString() + QLatin1Char('s') : plural.toString();
}

QString counted(qint64 n, QAnyStringView singular, QAnyStringView plural)
{
    return QString::number(n) + QLatin1Char(' ') + nounFor(n, singular, plural);
}

} // namespace wl
