#include "doubletext.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace wl
{
namespace
{

using u128 = unsigned __int128;

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

struct Pow10Table {
    u128 p[39];
    constexpr Pow10Table() : p()
    {
        p[0] = 1;
        for (int i = 1; i < 39; ++i)
            p[i] = p[i - 1] * 10;
    }
};
constexpr Pow10Table kPow10Int;

constexpr u128 pow10(int n)
{
    return kPow10Int.p[n];
}

// Binary exponents handled: v in [2^kMinExp, 2^kMaxExp).
constexpr int kMinExp = -20;
constexpr int kMaxExp = 40;

// For v in [2^k, 2^(k+1)): the most decimals d with 10^d <= 2^(50-k). A multiple of 10^-d is
// then at least four units in the last place from the next one, and v * 10^d < 2^51.
struct DecimalsTable {
    int d[kMaxExp - kMinExp];
    constexpr DecimalsTable() : d()
    {
        for (int k = kMinExp; k < kMaxExp; ++k) {
            const u128 limit = u128(1) << (50 - k);
            int n = 0;
            while (pow10(n + 1) <= limit)
                ++n;
            d[k - kMinExp] = n;
        }
    }
};
constexpr DecimalsTable kDecimals;

// "00".."99": two digits per division.
constexpr char kPairs[] = "0001020304050607080910111213141516171819"
                          "2021222324252627282930313233343536373839"
                          "4041424344454647484950515253545556575859"
                          "6061626364656667686970717273747576777879"
                          "8081828384858687888990919293949596979899";

void write8(char *out, std::uint32_t x)
{
    const std::uint32_t a = x / 10000, b = x % 10000;
    std::memcpy(out, kPairs + 2 * (a / 100), 2);
    std::memcpy(out + 2, kPairs + 2 * (a % 100), 2);
    std::memcpy(out + 4, kPairs + 2 * (b / 100), 2);
    std::memcpy(out + 6, kPairs + 2 * (b % 100), 2);
}

int digitCount(std::uint64_t x)
{
    const int t = ((64 - __builtin_clzll(x | 1)) * 1233) >> 12;
    return t - (x < std::uint64_t(pow10(t))) + 1;
}

// D * 10^E in to_chars' plain form: fixed unless scientific is shorter. Copies are of fixed
// size (a few moves) and may write past the end, within the room the caller gives.
char *writeDecimal(char *p, bool negative, std::uint64_t digits, int exp10)
{
    while (digits % 10 == 0) {
        digits /= 10;
        ++exp10;
    }
    // Digits < 10^17 end at buf + 24, in independent blocks of eight.
    char buf[48] = {};
    const std::uint64_t high = digits / 100000000;
    write8(buf + 16, std::uint32_t(digits % 100000000));
    write8(buf + 8, std::uint32_t(high % 100000000));
    buf[7] = char('0' + high / 100000000);
    const int s = digitCount(digits);
    const char *text = buf + 24 - s;
    const int sciExp = exp10 + s - 1;
    const int absExp = sciExp < 0 ? -sciExp : sciExp;
    const int fixedLen = exp10 >= 0 ? s + exp10 : (-exp10 < s ? s + 1 : 2 - exp10);
    const int sciLen = s + (s > 1 ? 1 : 0) + 2 + (absExp >= 100 ? 3 : 2);
    *p = '-';
    p += negative;
    if (fixedLen <= sciLen) {
        if (exp10 >= 0) {
            std::memcpy(p, text, 20);
            std::memset(p + s, '0', 8); // exp10 <= 5 when fixed is shorter
            return p + s + exp10;
        }
        if (-exp10 < s) {
            const int whole = s + exp10;
            std::memcpy(p, text, 20);
            p[whole] = '.';
            std::memcpy(p + whole + 1, text + whole, 20);
            return p + s + 1;
        }
        std::memcpy(p, "0.00000", 8); // at most three zeros when fixed is shorter
        std::memcpy(p + 2 - exp10 - s, text, 20);
        return p + 2 - exp10;
    }
    *p++ = text[0];
    if (s > 1) {
        *p++ = '.';
        std::memcpy(p, text + 1, 20);
        p += s - 1;
    }
    *p++ = 'e';
    *p++ = sciExp < 0 ? '-' : '+';
    if (absExp >= 100)
        *p++ = char('0' + absExp / 100);
    std::memcpy(p, kPairs + 2 * (absExp % 100), 2);
    return p + 2;
}

// The widened float a = m * 2^(e-23) (m in (2^23, 2^24)) to 16 or 17 digits: the nearest
// decimal with j decimals, if it lies within half a double ulp of a (2^(e-53); a's double
// mantissa is even, so the bound counts). Returns false when none does.
bool floatDigits(std::uint32_t m, int e, int j, std::uint64_t &out)
{
    const u128 num = u128(m) * pow10(j);
    const int sh = 23 - e; // 1..43
    u128 c = num >> sh, dist;
    const u128 rem = num & ((u128(1) << sh) - 1);
    const u128 half = u128(1) << (sh - 1);
    if (rem > half || (rem == half && (c & 1))) {
        ++c;
        dist = (u128(1) << sh) - rem;
    } else {
        dist = rem;
    }
    // |c * 10^-j - a| <= 2^(e-53), in units of 2^-sh * 10^-j.
    if ((dist << 30) > pow10(j))
        return false;
    out = std::uint64_t(c);
    return true;
}

} // namespace

char *shortestDouble(char *first, double v)
{
    const auto vbits = std::bit_cast<std::uint64_t>(v);
    const bool negative = vbits >> 63;
    const double a = std::fabs(v);
    const int k = int((vbits >> 52) & 0x7ff) - 1023; // a in [2^k, 2^(k+1)) when normal
    if (k < kMinExp || k >= kMaxExp)
        return std::to_chars(first, first + 32, v).ptr;

    // A short decimal: at d decimals only one multiple of 10^-d can round to a, and rounding
    // a * 10^d (error under a quarter) finds it; if it reads back as a it is the shortest.
    const int d = kDecimals.d[k - kMinExp];
    const auto n = std::uint64_t(a * kPow10[d] + 0.5);
    if (double(n) / kPow10[d] == a)
        return writeDecimal(first, negative, n, -d);

    // Otherwise it needs 16 or 17 digits (up to 15 always fit the path above).
    const float f = float(a);
    if (double(f) != a)
        return std::to_chars(first, first + 32, v).ptr;
    const auto bits = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t m = (bits & 0x7fffff) | 0x800000;
    const int e = int(bits >> 23) - 127;
    // Not a power of two (the interval below is half as wide) and not an integer (the path
    // above took those).
    if (m == 0x800000 || e >= 23)
        return std::to_chars(first, first + 32, v).ptr;
    // Decimals for 17 digits: a * 10^j17 in [10^16, 10^17).
    int p = (k * 78913) >> 18; // about floor(k * log10(2)); corrected below
    for (;;) {
        const int j = 16 - p;
        if (j < 0 || j > 24)
            return std::to_chars(first, first + 32, v).ptr;
        const u128 floor17 = (u128(m) * pow10(j)) >> (23 - e);
        if (floor17 >= pow10(17))
            ++p;
        else if (floor17 < pow10(16))
            --p;
        else
            break;
    }
    const int j17 = 16 - p;
    std::uint64_t c;
    if (floatDigits(m, e, j17 - 1, c))
        return writeDecimal(first, negative, c, -(j17 - 1));
    if (floatDigits(m, e, j17, c))
        return writeDecimal(first, negative, c, -j17);
    return std::to_chars(first, first + 32, v).ptr;
}

} // namespace wl
