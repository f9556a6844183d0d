#pragma once

#include <cstddef>
#include <new>

namespace wl
{

// Blocks of a few MiB and more straight from the kernel in 2 MiB-aligned transparent huge pages:
// a million-point series then costs a dozen page faults instead of thousands, and is returned
// at once when freed. Smaller blocks come from operator new.
void *largeAllocate(std::size_t bytes);
void largeDeallocate(void *p, std::size_t bytes);

template <class T> struct LargeAllocator {
    using value_type = T;
    LargeAllocator() = default;
    template <class U> LargeAllocator(const LargeAllocator<U> &) noexcept {}
    T *allocate(std::size_t n) { return static_cast<T *>(largeAllocate(n * sizeof(T))); }
    void deallocate(T *p, std::size_t n) noexcept { largeDeallocate(p, n * sizeof(T)); }
    template <class U> bool operator==(const LargeAllocator<U> &) const noexcept { return true; }
};

} // namespace wl
