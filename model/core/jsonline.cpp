#include "jsonline.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace wl
{
namespace
{

void appendInteger(QByteArray &out, std::int64_t v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr - buf);
}

// What QByteArray::number(v, 'g', QLocale::FloatingPointShortest) writes, without its
// allocations: the shortest digits that read back as v, in fixed or scientific notation,
// whichever is shorter (fixed on a tie), the exponent with at least two digits.
void appendShortest(QByteArray &out, double v)
{
    char buf[40];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    const char *p = buf;
    const bool negative = *p == '-';
    if (negative)
        ++p;
    const char *e = std::find(p, static_cast<const char *>(r.ptr), 'e');
    char digits[24];
    int nd = 0;
    for (const char *q = p; q < e; ++q)
        if (*q != '.')
            digits[nd++] = *q;
    int exp = 0;
    std::from_chars(e + 1 + (e[1] == '+' ? 1 : 0), r.ptr, exp);
    const int absExp = exp < 0 ? -exp : exp;
    const int expDigits = absExp >= 100 ? 3 : 2;
    const int sciLen = nd + (nd > 1 ? 1 : 0) + 2 + expDigits;
    const int fixLen = exp < 0 ? 1 + -exp + nd : (exp + 1 >= nd ? exp + 1 : nd + 1);
    if (negative)
        out.append('-');
    if (sciLen < fixLen) {
        out.append(digits[0]);
        if (nd > 1) {
            out.append('.');
            out.append(digits + 1, nd - 1);
        }
        out.append(exp < 0 ? "e-" : "e+");
        char eb[4];
        int k = 0;
        if (expDigits == 3)
            eb[k++] = char('0' + absExp / 100);
        eb[k++] = char('0' + absExp / 10 % 10);
        eb[k++] = char('0' + absExp % 10);
        out.append(eb, k);
    } else if (exp < 0) {
        out.append("0.");
        out.append(QByteArray(-exp - 1, '0'));
        out.append(digits, nd);
    } else if (exp + 1 >= nd) {
        out.append(digits, nd);
        out.append(QByteArray(exp + 1 - nd, '0'));
    } else {
        out.append(digits, exp + 1);
        out.append('.');
        out.append(digits + exp + 1, nd - exp - 1);
    }
}

char hexDigit(unsigned u)
{
    return char(u < 10 ? '0' + u : 'a' + u - 10);
}

} // namespace

void JsonLine::appendNumber(QByteArray &out, double v)
{
    if (!std::isfinite(v)) {
        out.append("null");
        return;
    }
    // QJsonValue keeps whole doubles that a double holds exactly as integers.
    constexpr double kExact = 9007199254740992.0; // 2^53
    if (v == std::trunc(v) && std::fabs(v) <= kExact) {
        appendInteger(out, std::int64_t(v));
        return;
    }
    appendShortest(out, v);
}

void JsonLine::appendString(QByteArray &out, QStringView s)
{
    out.append('"');
    const qsizetype n = s.size();
    qsizetype i = 0;
    while (i < n) {
        // Runs of plain ASCII are copied at once.
        qsizetype j = i;
        while (j < n) {
            const char16_t u = s[j].unicode();
            if (u >= 0x80 || u < 0x20 || u == '"' || u == '\\')
                break;
            ++j;
        }
        if (j > i) {
            out.append(QStringView(s).mid(i, j - i).toLatin1());
            i = j;
            continue;
        }
        const char16_t u = s[i].unicode();
        if (u < 0x80) {
            out.append('\\');
            switch (u) {
            case '"':
                out.append('"');
                break;
            case '\\':
                out.append('\\');
                break;
            case '\b':
                out.append('b');
                break;
            case '\f':
                out.append('f');
                break;
            case '\n':
                out.append('n');
                break;
            case '\r':
                out.append('r');
                break;
            case '\t':
                out.append('t');
                break;
            default:
                out.append("u00");
                out.append(hexDigit(u >> 4));
                out.append(hexDigit(u & 0xf));
            }
            ++i;
            continue;
        }
        // A valid surrogate pair or a BMP character goes out as UTF-8; a lone surrogate as
        // \uXXXX, as Qt's writer does.
        if (QChar::isHighSurrogate(u) && i + 1 < n && s[i + 1].isLowSurrogate()) {
            out.append(s.mid(i, 2).toUtf8());
            i += 2;
        } else if (QChar::isSurrogate(u)) {
            out.append("\\u");
            out.append(hexDigit(u >> 12 & 0xf));
            out.append(hexDigit(u >> 8 & 0xf));
            out.append(hexDigit(u >> 4 & 0xf));
            out.append(hexDigit(u & 0xf));
            ++i;
        } else {
            out.append(s.mid(i, 1).toUtf8());
            ++i;
        }
    }
    out.append('"');
}

QByteArray &JsonLine::field(QLatin1StringView key)
{
    m_fields.push_back({std::string_view(key.data(), std::size_t(key.size())), m_values.size(), 0});
    return m_values;
}

void JsonLine::add(QLatin1StringView key, const QString &value)
{
    appendString(field(key), value);
    m_fields.back().end = m_values.size();
}

void JsonLine::add(QLatin1StringView key, QLatin1StringView value)
{
    add(key, QString(value));
}

void JsonLine::add(QLatin1StringView key, std::int64_t value)
{
    appendInteger(field(key), value);
    m_fields.back().end = m_values.size();
}

void JsonLine::add(QLatin1StringView key, bool value)
{
    field(key).append(value ? "true" : "false");
    m_fields.back().end = m_values.size();
}

void JsonLine::add(QLatin1StringView key, std::optional<double> value)
{
    if (value)
        appendNumber(field(key), *value);
    else
        field(key).append("null");
    m_fields.back().end = m_values.size();
}

void JsonLine::addNull(QLatin1StringView key)
{
    field(key).append("null");
    m_fields.back().end = m_values.size();
}

template <typename T> static void appendArray(QByteArray &out, std::span<const T> values)
{
    out.append('[');
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i)
            out.append(',');
        if constexpr (std::is_same_v<T, double>)
            JsonLine::appendNumber(out, values[i]);
        else
            appendInteger(out, std::int64_t(values[i]));
    }
    out.append(']');
}

void JsonLine::add(QLatin1StringView key, std::span<const std::int64_t> values)
{
    appendArray(field(key), values);
    m_fields.back().end = m_values.size();
}

void JsonLine::add(QLatin1StringView key, std::span<const std::uint64_t> values)
{
    appendArray(field(key), values);
    m_fields.back().end = m_values.size();
}

void JsonLine::add(QLatin1StringView key, std::span<const double> values)
{
    appendArray(field(key), values);
    m_fields.back().end = m_values.size();
}

void JsonLine::appendTo(QByteArray &out)
{
    // QJsonObject keeps its keys sorted; a later value for a key replaces the earlier one.
    std::stable_sort(m_fields.begin(), m_fields.end(),
                     [](const Field &a, const Field &b) { return a.key < b.key; });
    out.append('{');
    bool first = true;
    for (std::size_t i = 0; i < m_fields.size(); ++i) {
        if (i + 1 < m_fields.size() && m_fields[i + 1].key == m_fields[i].key)
            continue;
        const Field &f = m_fields[i];
        if (!first)
            out.append(',');
        first = false;
        out.append('"');
        out.append(f.key.data(), f.key.size());
        out.append("\":");
        out.append(m_values.constData() + f.begin, f.end - f.begin);
    }
    out.append("}\n");
}

} // namespace wl
