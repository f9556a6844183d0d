#include "largealloc.h"

#include <sys/mman.h>

#include <cstdint>

namespace wl
{
namespace
{

constexpr std::size_t kHuge = std::size_t(2) << 20;
constexpr std::size_t kLarge = std::size_t(1) << 20; // below: operator new

std::size_t roundUp(std::size_t n)
{
    return (n + kHuge - 1) / kHuge * kHuge;
}

} // namespace

void *largeAllocate(std::size_t bytes)
{
    if (bytes < kLarge)
        return ::operator new(bytes);
    const std::size_t size = roundUp(bytes);
    if (size < bytes || size + kHuge < size)
        throw std::bad_alloc();
    // Map one huge page more than needed and cut the ends off so the block starts aligned.
    void *p =
        ::mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        throw std::bad_alloc();
    const auto raw = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t start = (raw + kHuge - 1) / kHuge * kHuge;
    if (start > raw)
        ::munmap(p, start - raw);
    if (const std::size_t tail = raw + kHuge - start; tail > 0)
        ::munmap(reinterpret_cast<void *>(start + size), tail);
    ::madvise(reinterpret_cast<void *>(start), size, MADV_HUGEPAGE);
    return reinterpret_cast<void *>(start);
}

void largeDeallocate(void *p, std::size_t bytes)
{
    if (bytes < kLarge)
        ::operator delete(p);
    else
        ::munmap(p, roundUp(bytes));
}

} // namespace wl
