// Statistics kernels on 256 MiB of float32, bfloat16 and float16 (from memory): SIMD moments
// alone, fused with a 256-bin histogram, the histogram alone, and the scalar reference; the
// same kernels over one piece (kernels::kPrefetchDistance bytes) kept in cache, and moments
// with the CRC-32C taken block by block as the statistics engine runs them.
#include "core/dtype.h"
#include "stats/kernels.h"
#include "stats/tensorstats.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

using namespace wl;

namespace
{

constexpr std::size_t kBytes = std::size_t(256) << 20;

const std::vector<std::uint8_t> &data(DType t)
{
    static std::vector<std::uint8_t> f32, bf16, f16;
    auto &v = t == DType::Float32 ? f32 : t == DType::BFloat16 ? bf16 : f16;
    if (v.empty()) {
        v.resize(kBytes);
        std::mt19937 rng(1);
        std::normal_distribution<float> normal(0.f, 0.05f);
        const std::size_t item = std::size_t(dtypeSize(t));
        for (std::size_t i = 0; i < kBytes / item; ++i) {
            const float f = normal(rng);
            std::uint16_t h;
            if (t == DType::Float32) {
                std::memcpy(v.data() + 4 * i, &f, 4);
                continue;
            }
            if (t == DType::BFloat16) {
                std::uint32_t u;
                std::memcpy(&u, &f, 4);
                h = std::uint16_t(u >> 16);
            } else {
                const _Float16 x = _Float16(f);
                std::memcpy(&h, &x, 2);
            }
            std::memcpy(v.data() + 2 * i, &h, 2);
        }
    }
    return v;
}

enum Mode {
    Stats,
    Fused,
    HistogramOnly,
    ScalarStats,
    ScalarFused,
    StatsInCache,
    FusedInCache,
    StatsWithCrc
};

// The statistics engine's piece size.
constexpr std::size_t kPiece = kernels::kPrefetchDistance;

void run(benchmark::State &state, DType t, Mode mode)
{
    const auto &d = data(t);
    const std::size_t n = d.size() / std::size_t(dtypeSize(t));
    std::vector<std::uint64_t> counts(256);
    const std::size_t item = std::size_t(dtypeSize(t));
    std::uint32_t crc = 0;
    for (auto _ : state) {
        StatsAccumulator::Moments m;
        switch (mode) {
        case Stats:
            kernels::accumulate(t, d.data(), n, m);
            break;
        case Fused:
            kernels::accumulateWithHistogram(t, d.data(), n, m, -0.25, 0.25, counts.data(), 256);
            break;
        case HistogramOnly:
            kernels::histogram(t, d.data(), n, -0.25, 0.25, counts.data(), 256);
            break;
        case ScalarStats:
            kernels::accumulateScalar(t, d.data(), n, m);
            break;
        case ScalarFused:
            kernels::accumulateScalar(t, d.data(), n, m);
            kernels::histogramScalar(t, d.data(), n, -0.25, 0.25, counts.data(), 256);
            break;
        case StatsInCache:
            for (std::size_t o = 0; o < d.size(); o += kPiece)
                kernels::accumulate(t, d.data(), kPiece / item, m);
            break;
        case FusedInCache:
            for (std::size_t o = 0; o < d.size(); o += kPiece)
                kernels::accumulateWithHistogram(t, d.data(), kPiece / item, m, -0.25, 0.25,
                                                 counts.data(), 256);
            break;
        case StatsWithCrc:
            for (std::size_t o = 0; o < d.size(); o += kPiece)
                kernels::accumulate(t, d.data() + o, kPiece / item, m, &crc);
            break;
        }
        benchmark::DoNotOptimize(m);
        benchmark::DoNotOptimize(crc);
        benchmark::DoNotOptimize(counts.data());
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(d.size()));
    state.SetLabel(mode == ScalarStats || mode == ScalarFused ? "scalar"
                                                              : kernels::activeSimdTarget());
}

void registerAll()
{
    const std::pair<const char *, DType> types[] = {
        {"float32", DType::Float32}, {"bfloat16", DType::BFloat16}, {"float16", DType::Float16}};
    const std::pair<const char *, Mode> modes[] = {{"stats", Stats},
                                                   {"fused_hist256", Fused},
                                                   {"hist256", HistogramOnly},
                                                   {"stats_piece_in_cache", StatsInCache},
                                                   {"fused_hist256_piece_in_cache", FusedInCache},
                                                   {"stats_with_crc32c", StatsWithCrc},
                                                   {"scalar_stats", ScalarStats},
                                                   {"scalar_stats_then_hist256", ScalarFused}};
    for (const auto &[mname, mode] : modes)
        for (const auto &[tname, t] : types)
            benchmark::RegisterBenchmark(
                (std::string("kernel/") + mname + "/" + tname).c_str(),
                [t = t, mode = mode](benchmark::State &s) { run(s, t, mode); })
                ->Unit(benchmark::kMillisecond)
                ->MinTime(0.5);
}

} // namespace

int main(int argc, char **argv)
{
    registerAll();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
