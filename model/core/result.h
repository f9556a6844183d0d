#pragma once

#include "problem.h"

#include <QString>
#include <utility>
#include <variant>

namespace wl
{

// Why a file could not be read: which file, where in it, what was expected and what was found.
struct LoadError {
    enum class Code {
        NotFound,
        Unreadable,
        Empty,
        Truncated,
        Corrupt,
        Unsupported,
        UnknownFormat,
        Cancelled,
        BadArgument,
        WriteFailed,
        TooLarge, // needs the user's permission; `detail` is the whole sentence
    };
    Code code = Code::Corrupt;
    QString file;
    QString where; // offset, key, member or field; may be empty
    QString expected;
    QString found;
    QString detail; // free text when expected/found do not fit

    // "FILE: CODE at WHERE: expected X, found Y (detail)"
    QString message() const;
    // The message without file and place, for a list that shows those apart.
    QString reason() const;
    static QString codeName(Code c);

private:
    QString details() const; // ": expected X, found Y (detail)"
};

LoadError makeError(LoadError::Code code, QString file, QString where, QString expected,
                    QString found = {}, QString detail = {});

// A problem carrying an error met on the way (a file of a folder that would not open): the
// error's file (else `file`) and place in their own fields, the text after `context`.
Problem problemFrom(const LoadError &e, const QString &file,
                    Problem::Severity severity = Problem::Severity::Warning,
                    const QString &context = {});

// Either a value or a LoadError; no exceptions cross reader boundaries.
template <class T> class [[nodiscard]] Result
{
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Result(LoadError error) : m_v(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    T &value() & { return std::get<0>(m_v); }
    const T &value() const & { return std::get<0>(m_v); }
    T &&value() && { return std::get<0>(std::move(m_v)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    const LoadError &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, LoadError> m_v;
};

struct Ok {
};
using Status = Result<Ok>;

} // namespace wl
