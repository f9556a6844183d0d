#pragma once

#include <cstddef>
#include <functional>

namespace wl
{

// Calls fn(item, worker) for items 0..n-1 on up to `threads` threads (the caller's among them),
// each thread taking the next item as it finishes one; `worker` numbers the thread, below
// `threads`, so per-thread state (a RangeStreamer) can be indexed by it. Returns when all are
// done.
void runParallel(int threads, std::size_t n,
                 const std::function<void(std::size_t item, std::size_t worker)> &fn);

} // namespace wl
