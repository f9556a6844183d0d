#pragma once

#include <QByteArray>
#include <QLatin1StringView>
#include <QString>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace wl
{

// One JSON object written straight to bytes, exactly as QJsonDocument's compact form writes the
// same QJsonObject: keys sorted, strings escaped alike, a double that is a whole number of
// magnitude up to 2^53 written as an integer, other finite doubles in their shortest form,
// non-finite ones as null. Commands that print thousands of lines (stats with 257 histogram
// edges each) spend most of their output time building QJsonObjects; this skips them.
// Keys must be ASCII.
class JsonLine
{
public:
    void add(QLatin1StringView key, const QString &value);
    void add(QLatin1StringView key, QLatin1StringView value);
    void add(QLatin1StringView key, std::int64_t value);
    void add(QLatin1StringView key, bool value);
    // As a QJsonValue(double) would be written; null when absent or not finite.
    void add(QLatin1StringView key, std::optional<double> value);
    void addNull(QLatin1StringView key);
    void add(QLatin1StringView key, std::span<const std::int64_t> values);
    void add(QLatin1StringView key, std::span<const std::uint64_t> values);
    void add(QLatin1StringView key, std::span<const double> values);

    // Appends the object and a newline to out.
    void appendTo(QByteArray &out);

    static void appendNumber(QByteArray &out, double v);
    static void appendString(QByteArray &out, QStringView s);

private:
    QByteArray &field(QLatin1StringView key);

    struct Field {
        std::string_view key;
        qsizetype begin = 0;
        qsizetype end = 0;
    };
    std::vector<Field> m_fields;
    QByteArray m_values;
};

} // namespace wl
