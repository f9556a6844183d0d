#include "nodestats.h"

#include "compare/diffkernel.h"
#include "formats/checkpoint.h"
#include "jobs/jobcontext.h"
#include "stats/kernels.h"
#include "stats/tensorstats.h"

#include <cmath>

namespace wl::graph
{

QString nodeStatName(NodeStat stat)
{
    switch (stat) {
    case NodeStat::MeanAbs:
        return QStringLiteral("mean |w|");
    case NodeStat::L2:
        return QStringLiteral("L2 norm");
    case NodeStat::RelChange:
        return QStringLiteral("change from previous");
    case NodeStat::None:
        break;
    }
    return QStringLiteral("none");
}

WeightSums emptySums(NodeStat stat)
{
    WeightSums s;
    s.hasAbs = s.hasSq = stat == NodeStat::MeanAbs || stat == NodeStat::L2;
    s.hasDiff = stat == NodeStat::RelChange;
    return s;
}

WeightSums sumsFromStats(const TensorStats &stats)
{
    WeightSums s;
    s.hasSq = true;
    s.sumSq = stats.l2 * stats.l2;
    s.finite = stats.finite;
    return s;
}

WeightSums sumsFromDiff(const DiffSums &diff)
{
    WeightSums s;
    s.hasDiff = true;
    s.diffSq = diff.sumSq;
    s.prevSq = diff.sumA2;
    return s;
}

Result<WeightSums> magnitudeSums(const Checkpoint &checkpoint, int tensor, const JobContext &job)
{
    const auto &t = checkpoint.tensor(tensor);
    WeightSums s;
    s.hasAbs = s.hasSq = true;
    if (!dtypeIsNumeric(t.dtype))
        return s;
    const std::size_t item = std::size_t(dtypeSize(t.dtype));
    std::vector<double> buffer;
    auto sink = [&](const std::uint8_t *data, std::size_t size) {
        const std::size_t n = size / item;
        for (std::size_t at = 0; at < n; at += 4096) {
            const std::size_t k = std::min<std::size_t>(4096, n - at);
            buffer.resize(k);
            kernels::toDouble(t.dtype, data + at * item, k, buffer.data());
            for (double v : buffer) {
                if (!std::isfinite(v))
                    continue;
                s.sumAbs += std::abs(v);
                s.sumSq += v * v;
                ++s.finite;
            }
        }
        return !job.cancelled();
    };
    StreamOptions options;
    options.window = std::size_t(16) << 20;
    auto st = checkpoint.streamTensor(tensor, sink, options);
    if (!st)
        return st.error();
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, checkpoint.index().path, t.key,
                         QStringLiteral("the statistic"), QStringLiteral("cancelled"));
    return s;
}

std::optional<double> nodeStatValue(NodeStat stat, const std::vector<const WeightSums *> &parts)
{
    if (parts.empty())
        return std::nullopt;
    double a = 0, b = 0;
    std::int64_t finite = 0;
    for (const WeightSums *p : parts) {
        if (!p)
            return std::nullopt;
        switch (stat) {
        case NodeStat::MeanAbs:
            if (!p->hasAbs)
                return std::nullopt;
            a += p->sumAbs;
            finite += p->finite;
            break;
        case NodeStat::L2:
            if (!p->hasSq)
                return std::nullopt;
            a += p->sumSq;
            finite += p->finite;
            break;
        case NodeStat::RelChange:
            if (!p->hasDiff)
                return std::nullopt;
            a += p->diffSq;
            b += p->prevSq;
            break;
        case NodeStat::None:
            return std::nullopt;
        }
    }
    switch (stat) {
    case NodeStat::MeanAbs:
        return finite > 0 ? std::optional(a / double(finite)) : std::nullopt;
    case NodeStat::L2:
        return finite > 0 ? std::optional(std::sqrt(a)) : std::nullopt;
    case NodeStat::RelChange:
        return b > 0 ? std::optional(std::sqrt(a) / std::sqrt(b)) : std::nullopt;
    case NodeStat::None:
        break;
    }
    return std::nullopt;
}

} // namespace wl::graph
