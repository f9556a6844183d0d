#pragma once

#include <QStringView>

namespace wl
{

// Python's fnmatch.fnmatchcase, which users script tensor filters with: '*' matches any run of
// characters, '/' included; '?' one character; "[seq]" one character of seq (ranges like a-z);
// "[!seq]" one character not in it. The whole text must match; there is no escape character
// ("[*]" matches a literal '*'). Case-sensitive: lower both sides for a case-insensitive match.
bool globMatch(QStringView pattern, QStringView text);

} // namespace wl
