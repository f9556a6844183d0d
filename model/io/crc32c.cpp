#include "crc32c.h"

#include <isa-l/crc.h>

#include <cstring>

namespace wl
{
namespace
{

#if defined(__x86_64__)
// ISA-L's folding kernels set up for hundreds of bytes; event-file records check an 8-byte
// length and a few dozen bytes of data a million times, where the plain instruction is faster.
constexpr std::size_t kSmall = 64;

__attribute__((target("sse4.2"))) std::uint32_t crcSmall(std::uint32_t crc, const unsigned char *p,
                                                         std::size_t n)
{
    std::uint64_t c = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    auto c32 = std::uint32_t(c);
    for (; n > 0; --n, ++p)
        c32 = __builtin_ia32_crc32qi(c32, *p);
    return ~c32;
}

const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#endif

} // namespace

std::uint32_t crc32cExtend(std::uint32_t crc, const void *data, std::size_t n)
{
#if defined(__x86_64__)
    if (n <= kSmall && kHasSse42)
        return crcSmall(crc, static_cast<const unsigned char *>(data), n);
#endif
    // ISA-L takes and returns the un-inverted register; the standard CRC inverts both ends.
    return ~crc32_iscsi(static_cast<unsigned char *>(const_cast<void *>(data)), int(n), ~crc);
}

std::uint32_t crc32c(const void *data, std::size_t n)
{
    std::uint32_t crc = 0;
    const auto *p = static_cast<const unsigned char *>(data);
    // crc32_iscsi takes an int length.
    constexpr std::size_t kStep = std::size_t(1) << 30;
    while (n > 0) {
        std::size_t k = n < kStep ? n : kStep;
        crc = crc32cExtend(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

namespace
{

constexpr std::uint32_t kPoly = 0x82F63B78u;

// Multiplies a and b modulo the CRC polynomial, bit-reflected.
std::uint32_t gfMultiply(std::uint32_t a, std::uint32_t b)
{
    std::uint32_t product = 0;
    for (int i = 0; i < 32; ++i) {
        if (a & 0x80000000u)
            product ^= b;
        a <<= 1;
        b = (b >> 1) ^ ((b & 1u) ? kPoly : 0u);
    }
    return product;
}

// x^(8*n) modulo the polynomial, reflected.
std::uint32_t xPowBytes(std::uint64_t n)
{
    std::uint32_t result = 0x80000000u; // x^0
    std::uint32_t power = 0x00800000u;  // x^8
    while (n) {
        if (n & 1u)
            result = gfMultiply(result, power);
        power = gfMultiply(power, power);
        n >>= 1;
    }
    return result;
}

} // namespace

std::uint32_t crc32cCombine(std::uint32_t crcA, std::uint32_t crcB, std::uint64_t lenB)
{
    return gfMultiply(crcA, xPowBytes(lenB)) ^ crcB;
}

std::uint32_t crc32cMask(std::uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

std::uint32_t crc32cUnmask(std::uint32_t masked)
{
    std::uint32_t r = masked - 0xA282EAD8u;
    return (r >> 17) | (r << 15);
}

} // namespace wl
