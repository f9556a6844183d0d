// The .npy header (formats-keras-pytorch.md section 6): magic, version, length, and a Python
// dict literal, parsed as one (dict, tuple, list, str, bool, int) and never evaluated.
#include "npyheader.h"

#include "core/plural.h"

#include <QHash>
#include <cstring>
#include <optional>

namespace wl
{
namespace
{

const QByteArray kMagic("\x93NUMPY", 6);
constexpr int kMaxLiteralDepth = 16;

struct Literal {
    enum class Kind { Str, Bool, Int, None, Seq, Dict } kind = Kind::None;
    QString text; // Str; for Seq and Dict the source text
    bool boolean = false;
    std::int64_t integer = 0;
    std::vector<Literal> items;
    // A dict's keys and values apart: a pair cannot hold the still incomplete Literal.
    std::vector<QString> keys;
    std::vector<Literal> values;

    const Literal *get(const QString &key) const
    {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key)
                return &values[i];
        return nullptr;
    }
};

class LiteralParser
{
public:
    explicit LiteralParser(QStringView s) : m_s(s) {}

    std::optional<Literal> parse()
    {
        auto v = value(0);
        skip();
        if (!v || m_pos != m_s.size())
            return std::nullopt;
        return v;
    }
    qsizetype position() const { return m_pos; }

private:
    void skip()
    {
        while (m_pos < m_s.size() && m_s[m_pos].isSpace())
            ++m_pos;
    }
    bool eat(QChar c)
    {
        skip();
        if (m_pos < m_s.size() && m_s[m_pos] == c) {
            ++m_pos;
            return true;
        }
        return false;
    }
    std::optional<Literal> value(int depth)
    {
        if (depth > kMaxLiteralDepth)
            return std::nullopt;
        skip();
        if (m_pos >= m_s.size())
            return std::nullopt;
        const QChar c = m_s[m_pos];
        Literal v;
        const qsizetype start = m_pos;
        if (c == u'\'' || c == u'"') {
            ++m_pos;
            while (m_pos < m_s.size() && m_s[m_pos] != c) {
                if (m_s[m_pos] == u'\\')
                    ++m_pos;
                ++m_pos;
            }
            if (m_pos >= m_s.size())
                return std::nullopt;
            v.kind = Literal::Kind::Str;
            v.text = m_s.mid(start + 1, m_pos - start - 1).toString();
            ++m_pos;
            return v;
        }
        if (c == u'{' || c == u'(' || c == u'[') {
            const QChar close = c == u'{' ? u'}' : c == u'(' ? u')' : u']';
            ++m_pos;
            v.kind = c == u'{' ? Literal::Kind::Dict : Literal::Kind::Seq;
            while (!eat(close)) {
                auto item = value(depth + 1);
                if (!item)
                    return std::nullopt;
                if (v.kind == Literal::Kind::Dict) {
                    if (item->kind != Literal::Kind::Str || !eat(u':'))
                        return std::nullopt;
                    auto val = value(depth + 1);
                    if (!val)
                        return std::nullopt;
                    v.keys.push_back(item->text);
                    v.values.push_back(std::move(*val));
                } else {
                    v.items.push_back(std::move(*item));
                }
                if (!eat(u',')) {
                    if (!eat(close))
                        return std::nullopt;
                    break;
                }
            }
            v.text = m_s.mid(start, m_pos - start).toString();
            return v;
        }
        while (m_pos < m_s.size() &&
               (m_s[m_pos].isLetterOrNumber() || m_s[m_pos] == u'-' || m_s[m_pos] == u'_'))
            ++m_pos;
        const QStringView word = m_s.mid(start, m_pos - start);
        if (word == u"True" || word == u"False") {
            v.kind = Literal::Kind::Bool;
            v.boolean = word == u"True";
            return v;
        }
        if (word == u"None")
            return v;
        bool ok = false;
        // "3L" in headers written by Python 2.
        v.integer = (word.endsWith(u'L') ? word.chopped(1) : word).toLongLong(&ok);
        if (!ok)
            return std::nullopt;
        v.kind = Literal::Kind::Int;
        return v;
    }

    QStringView m_s;
    qsizetype m_pos = 0;
};

DType npyDType(const QString &descr, bool *bigEndian)
{
    if (descr.size() < 2)
        return DType::Unknown;
    const QChar order = descr[0];
    *bigEndian = order == u'>';
    const QString code =
        (order == u'<' || order == u'>' || order == u'|' || order == u'=') ? descr.mid(1) : descr;
    static const QHash<QString, DType> codes{
        {"b1", DType::Bool},    {"?", DType::Bool},       {"i1", DType::Int8},
        {"i2", DType::Int16},   {"i4", DType::Int32},     {"i8", DType::Int64},
        {"u1", DType::UInt8},   {"u2", DType::UInt16},    {"u4", DType::UInt32},
        {"u8", DType::UInt64},  {"f2", DType::Float16},   {"f4", DType::Float32},
        {"f8", DType::Float64}, {"c8", DType::Complex64}, {"c16", DType::Complex128},
    };
    return codes.value(code, DType::Unknown);
}

} // namespace

Result<NpyHeader> parseNpyHeader(QByteArrayView bytes, const QString &file, const QString &where)
{
    auto fail = [&](LoadError::Code code, qsizetype offset, const QString &expected,
                    const QString &found) {
        return makeError(code, file,
                         (where.isEmpty() ? QString() : where + QLatin1Char(' ')) +
                             QStringLiteral("offset %1").arg(offset),
                         expected, found);
    };
    if (bytes.size() < 10 || !bytes.startsWith(kMagic))
        return fail(
            bytes.size() < 10 ? LoadError::Code::Truncated : LoadError::Code::Corrupt, 0,
            QStringLiteral("the \\x93NUMPY magic and a version"),
            QString::fromLatin1(
                bytes.first(std::min<qsizetype>(8, bytes.size())).toByteArray().toHex(' ')));
    NpyHeader h;
    h.major = std::uint8_t(bytes[6]);
    h.minor = std::uint8_t(bytes[7]);
    std::int64_t len = 0, start = 0;
    if (h.major == 1) {
        len = std::uint8_t(bytes[8]) | (std::uint8_t(bytes[9]) << 8);
        start = 10;
    } else if (h.major == 2 || h.major == 3) {
        if (bytes.size() < 12)
            return fail(LoadError::Code::Truncated, 8, QStringLiteral("a 4-byte header length"),
                        counted(bytes.size(), "byte"));
        std::uint32_t l;
        std::memcpy(&l, bytes.data() + 8, 4);
        len = l;
        start = 12;
    } else {
        return fail(LoadError::Code::Unsupported, 6, QStringLiteral("version 1.0, 2.0 or 3.0"),
                    QStringLiteral("%1.%2").arg(h.major).arg(h.minor));
    }
    if (start + len > bytes.size())
        return fail(LoadError::Code::Truncated, start,
                    QStringLiteral("a header of %1").arg(counted(len, "byte")),
                    QStringLiteral("%1 left").arg(counted(bytes.size() - start, "byte")));
    const QByteArrayView raw = bytes.sliced(start, len);
    // latin-1 in versions 1 and 2, UTF-8 in 3.
    const QString text = h.major == 3 ? QString::fromUtf8(raw) : QString::fromLatin1(raw);
    LiteralParser p(text);
    const auto lit = p.parse();
    if (!lit || lit->kind != Literal::Kind::Dict)
        return fail(LoadError::Code::Corrupt, start,
                    QStringLiteral("a dict literal with descr, fortran_order and shape"),
                    text.left(80).trimmed());
    const Literal *descr = lit->get(QStringLiteral("descr"));
    const Literal *fortran = lit->get(QStringLiteral("fortran_order"));
    const Literal *shape = lit->get(QStringLiteral("shape"));
    if (!descr || !fortran || fortran->kind != Literal::Kind::Bool || !shape ||
        shape->kind != Literal::Kind::Seq)
        return fail(LoadError::Code::Corrupt, start,
                    QStringLiteral("descr, fortran_order (bool) and shape (tuple)"),
                    text.left(80).trimmed());
    h.descr = descr->text;
    h.fortranOrder = fortran->boolean;
    for (const auto &d : shape->items) {
        if (d.kind != Literal::Kind::Int || d.integer < 0)
            return fail(LoadError::Code::Corrupt, start,
                        QStringLiteral("a shape of non-negative ints"), shape->text);
        h.shape.push_back(d.integer);
    }
    h.dataOffset = start + len;
    if (descr->kind == Literal::Kind::Str) {
        h.object = h.descr.endsWith(u'O');
        h.dtype = npyDType(h.descr, &h.bigEndian);
    }
    return h;
}

} // namespace wl
