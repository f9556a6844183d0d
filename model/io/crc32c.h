#pragma once

#include <cstddef>
#include <cstdint>

namespace wl
{

// CRC-32C (Castagnoli) with TensorFlow/LevelDB masking; computed with ISA-L.
std::uint32_t crc32c(const void *data, std::size_t n);
std::uint32_t crc32cExtend(std::uint32_t crc, const void *data, std::size_t n);
// CRC of A||B from crc(A), crc(B) and |B|, so ranges can be checked in parallel.
std::uint32_t crc32cCombine(std::uint32_t crcA, std::uint32_t crcB, std::uint64_t lenB);
std::uint32_t crc32cMask(std::uint32_t crc);
std::uint32_t crc32cUnmask(std::uint32_t masked);

} // namespace wl
