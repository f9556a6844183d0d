#include "result.h"
#include "problem.h"

namespace wl
{

QString LoadError::codeName(Code c)
{
    switch (c) {
    case Code::NotFound:
        return QStringLiteral("not found");
    case Code::Unreadable:
        return QStringLiteral("unreadable");
    case Code::Empty:
        return QStringLiteral("empty file");
    case Code::Truncated:
        return QStringLiteral("truncated");
    case Code::Corrupt:
        return QStringLiteral("corrupt");
    case Code::Unsupported:
        return QStringLiteral("unsupported");
    case Code::UnknownFormat:
        return QStringLiteral("unknown format");
    case Code::Cancelled:
        return QStringLiteral("cancelled");
    case Code::BadArgument:
        return QStringLiteral("bad argument");
    case Code::WriteFailed:
        return QStringLiteral("write failed");
    case Code::TooLarge:
        return QStringLiteral("too large");
    }
    return {};
}

QString LoadError::message() const
{
    if (code == Code::TooLarge && !detail.isEmpty())
        return detail; // names the file and says what it would cost
    QString m = file.isEmpty() ? codeName(code) : file + QLatin1String(": ") + codeName(code);
    if (!where.isEmpty())
        m += QLatin1String(" at ") + where;
    return m + details();
}

QString LoadError::reason() const
{
    return codeName(code) + details();
}

QString LoadError::details() const
{
    QString m;
    if (!expected.isEmpty()) {
        m += QLatin1String(": expected ") + expected;
        if (!found.isEmpty())
            m += QLatin1String(", found ") + found;
    } else if (!found.isEmpty()) {
        m += QLatin1String(": found ") + found;
    }
    if (!detail.isEmpty())
        m += QLatin1String(" (") + detail + QLatin1Char(')');
    return m;
}

LoadError makeError(LoadError::Code code, QString file, QString where, QString expected,
                    QString found, QString detail)
{
    return LoadError{code,
                     std::move(file),
                     std::move(where),
                     std::move(expected),
                     std::move(found),
                     std::move(detail)};
}

Problem problemFrom(const LoadError &e, const QString &file, Problem::Severity severity,
                    const QString &context)
{
    return Problem{severity, e.file.isEmpty() ? file : e.file, e.where,
                   context.isEmpty() ? e.reason() : context + QLatin1String(": ") + e.reason()};
}

QString Problem::toString() const
{
    QString s = file;
    if (!where.isEmpty())
        s += (s.isEmpty() ? QString() : QStringLiteral(": ")) + where;
    return s.isEmpty() ? text : s + QLatin1String(": ") + text;
}

} // namespace wl
