#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace wl
{

void runParallel(int threads, std::size_t n,
                 const std::function<void(std::size_t, std::size_t)> &fn)
{
    std::atomic<std::size_t> next{0};
    auto worker = [&](std::size_t w) {
        for (std::size_t i = next++; i < n; i = next++)
            fn(i, w);
    };
    const int extra = std::max(0, std::min<int>(threads, int(n)) - 1);
    std::vector<std::thread> pool;
    pool.reserve(std::size_t(extra));
    for (int i = 0; i < extra; ++i)
        pool.emplace_back(worker, std::size_t(i) + 1);
    worker(0);
    for (auto &t : pool)
        t.join();
}

} // namespace wl
