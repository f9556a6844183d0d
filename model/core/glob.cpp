#include "glob.h"

namespace wl
{
namespace
{

// A set starting at pattern[open] == '['. Returns the index past its ']' and whether c is in
// it, or -1 when no ']' closes it (the '[' is then an ordinary character, as in fnmatch).
qsizetype matchSet(QStringView pattern, qsizetype open, QChar c, bool &in)
{
    qsizetype i = open + 1;
    const bool negate = i < pattern.size() && pattern[i] == QLatin1Char('!');
    if (negate)
        ++i;
    const qsizetype first = i;
    if (i < pattern.size() && pattern[i] == QLatin1Char(']'))
        ++i; // a ']' right after the opening is a member
    const qsizetype close = pattern.indexOf(QLatin1Char(']'), i);
    if (close < 0)
        return -1;
    bool found = false;
    for (qsizetype k = first; k < close && !found;) {
        // "x-y" is a range (empty when x > y); a '-' first or last is a member.
        if (k + 2 < close && pattern[k + 1] == QLatin1Char('-')) {
            found = pattern[k] <= c && c <= pattern[k + 2];
            k += 3;
        } else {
            found = pattern[k] == c;
            ++k;
        }
    }
    in = found != negate;
    return close + 1;
}

} // namespace

bool globMatch(QStringView pattern, QStringView text)
{
    // Greedy with backtracking to the last '*': each '*' only ever needs to grow, so this is
    // O(pattern × text) at worst, with no regular expression to build.
    qsizetype p = 0, t = 0, starP = -1, starT = 0;
    while (t < text.size()) {
        if (p < pattern.size()) {
            const QChar c = pattern[p];
            if (c == QLatin1Char('*')) {
                starP = ++p;
                starT = t;
                continue;
            }
            if (c == QLatin1Char('?')) {
                ++p;
                ++t;
                continue;
            }
            bool in = false;
            const qsizetype afterSet =
                c == QLatin1Char('[') ? matchSet(pattern, p, text[t], in) : -1;
            if (afterSet >= 0 ? in : c == text[t]) {
                p = afterSet >= 0 ? afterSet : p + 1;
                ++t;
                continue;
            }
        }
        if (starP < 0)
            return false;
        p = starP;
        t = ++starT;
    }
    while (p < pattern.size() && pattern[p] == QLatin1Char('*'))
        ++p;
    return p == pattern.size();
}

} // namespace wl
