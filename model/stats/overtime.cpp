#include "overtime.h"

#include "core/plural.h"
#include "events/series.h"
#include "stats/kernels.h"
#include "stats/tensorstats.h"

#include <QFileInfo>
#include <QRegularExpression>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace wl
{
namespace
{

constexpr std::size_t kChunkElements = std::size_t(1) << 16; // converted at once when binning

bool readableAsNumbers(DType t)
{
    return dtypeIsNumeric(t) && dtypeSize(t) > 0 && t != DType::Complex64 && t != DType::Complex128;
}

LoadError cancelledError(const QString &file)
{
    return makeError(LoadError::Code::Cancelled, file, {},
                     QStringLiteral("the weights over time to finish"),
                     QStringLiteral("cancelled"));
}

// Streams one copy in element pieces converted to double; `each` returns false to stop.
Result<ChecksumState> streamDoubles(const OverTimeInput &in, std::size_t window,
                                    const JobContext &job,
                                    const std::function<void(const double *, std::size_t)> &each,
                                    std::vector<double> &buffer)
{
    const Checkpoint &c = *in.checkpoint;
    const TensorInfo &t = c.tensor(in.tensor);
    const std::size_t item = std::size_t(dtypeSize(t.dtype));
    buffer.resize(kChunkElements);
    StreamOptions options;
    options.window = window;
    return c.streamTensor(
        in.tensor,
        [&](const std::uint8_t *p, std::size_t bytes) {
            std::size_t n = bytes / item;
            while (n > 0) {
                if (job.cancelled())
                    return false;
                const std::size_t k = std::min(n, kChunkElements);
                kernels::toDouble(t.dtype, p, k, buffer.data());
                each(buffer.data(), k);
                p += k * item;
                n -= k;
            }
            return true;
        },
        options);
}

// The value at each basis point of `finite` (reordered): linear between the order statistics
// around rank bp/10000·(n−1), as numpy's default percentile.
std::array<double, kBandBasisPoints.size()> bandOf(std::vector<double> &finite)
{
    std::array<double, kBandBasisPoints.size()> out;
    out.fill(std::numeric_limits<double>::quiet_NaN());
    const std::size_t n = finite.size();
    if (n == 0)
        return out;
    auto from = finite.begin();
    for (std::size_t i = 0; i < kBandBasisPoints.size(); ++i) {
        const double rank = double(kBandBasisPoints[i]) / 10000.0 * double(n - 1);
        const auto k = std::size_t(std::floor(rank));
        const double frac = rank - double(k);
        // Ranks ascend: what lies before an earlier k is already in place.
        std::nth_element(from, finite.begin() + std::ptrdiff_t(k), finite.end());
        from = finite.begin() + std::ptrdiff_t(k);
        double v = finite[k];
        if (frac > 0 && k + 1 < n) {
            const double next = *std::min_element(from + 1, finite.end());
            v += (next - v) * frac;
        }
        out[i] = v;
    }
    return out;
}

std::pair<double, double> sharedRange(double lo, double hi)
{
    if (!(lo <= hi))
        return {0.0, 1.0}; // nothing finite anywhere
    if (!(hi > lo))
        return {lo - 0.5, hi + 0.5};
    return {lo, hi};
}

} // namespace

std::optional<std::int64_t> checkpointStep(const CheckpointIndex &index)
{
    if (index.step)
        return index.step;
    static const QRegularExpression number(QStringLiteral("\\d{1,18}"));
    const auto m = number.match(QFileInfo(index.displayName).fileName());
    if (!m.hasMatch())
        return std::nullopt;
    return m.captured(0).toLongLong();
}

std::vector<OverTimeInput>
variableAcrossCheckpoints(const std::vector<std::shared_ptr<const Checkpoint>> &checkpoints,
                          const TensorInfo &reference, QStringList *notes)
{
    std::vector<OverTimeInput> out;
    std::vector<std::optional<std::int64_t>> steps;
    for (const auto &cp : checkpoints) {
        if (!cp)
            continue;
        const auto &idx = cp->index();
        const int i = idx.indexOfKey(reference.key);
        if (i < 0) {
            if (notes)
                *notes << QStringLiteral("%1 has no %2").arg(idx.displayName, reference.key);
            continue;
        }
        const TensorInfo &t = cp->tensor(i);
        if (t.dtype != reference.dtype || !(t.shape == reference.shape)) {
            if (notes)
                *notes << QStringLiteral("%1 holds %2 as %3 %4, not %5 %6")
                              .arg(idx.displayName, reference.key, t.dtypeText(),
                                   t.shape.toString(), reference.dtypeText(),
                                   reference.shape.toString());
            continue;
        }
        out.push_back({cp, i, 0});
        steps.push_back(checkpointStep(idx));
    }
    const bool allSteps = std::all_of(steps.begin(), steps.end(), [](auto s) { return s; });
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i].step = allSteps ? *steps[i] : std::int64_t(i + 1);
    if (allSteps)
        std::stable_sort(out.begin(), out.end(),
                         [](const auto &a, const auto &b) { return a.step < b.step; });
    else if (notes && !out.empty())
        *notes << QStringLiteral("not every checkpoint names its step: steps are their order");
    return out;
}

Result<OverTime> computeOverTime(const std::vector<OverTimeInput> &inputs,
                                 const OverTimeRequest &request, const JobContext &job)
{
    OverTime out;
    out.bins = std::max(1, request.bins);
    if (inputs.empty())
        return makeError(LoadError::Code::BadArgument, {}, {},
                         QStringLiteral("at least one checkpoint"), QStringLiteral("none"));
    std::int64_t total = 0;
    for (const auto &in : inputs) {
        if (!in.checkpoint || in.tensor < 0 || in.tensor >= in.checkpoint->index().tensors.size())
            return makeError(LoadError::Code::BadArgument, {}, {}, QStringLiteral("a tensor"),
                             QStringLiteral("none"));
        const TensorInfo &t = in.checkpoint->tensor(in.tensor);
        if (!readableAsNumbers(t.dtype))
            return makeError(LoadError::Code::Unsupported, in.checkpoint->index().path, t.key,
                             QStringLiteral("real numbers"), t.dtypeText());
        total += t.numElements();
    }
    const TensorInfo &first = inputs.front().checkpoint->tensor(inputs.front().tensor);
    out.name = first.key;
    out.label = first.name.isEmpty() ? first.key : first.name;
    const double work = std::max<double>(1.0, 2.0 * double(total));
    std::int64_t done = 0;
    auto advance = [&](std::size_t n, const QString &phase) {
        done += std::int64_t(n);
        job.progress(double(done) / work, phase);
    };

    // Pass 1: each copy whole, beside the one before it.
    const QString reading = QStringLiteral("weights over time: reading checkpoints");
    std::vector<double> prev, cur, buffer;
    bool havePrev = false;
    double lo = INFINITY, hi = -INFINITY;
    std::vector<const OverTimeInput *> kept;
    for (const auto &in : inputs) {
        const auto &idx = in.checkpoint->index();
        const TensorInfo &t = in.checkpoint->tensor(in.tensor);
        const std::int64_t n = t.numElements();
        if (n > request.maxElements) {
            out.notes << makeError(LoadError::Code::TooLarge, idx.path, t.key,
                                   QStringLiteral("at most %1")
                                       .arg(counted(request.maxElements, "element")),
                                   QString::number(n))
                             .message();
            done += n;
            continue;
        }
        cur.clear();
        cur.reserve(std::size_t(n));
        auto r = streamDoubles(
            in, request.window, job,
            [&](const double *v, std::size_t k) {
                cur.insert(cur.end(), v, v + k);
                advance(k, reading);
            },
            buffer);
        if (job.cancelled())
            return cancelledError(idx.path);
        if (!r.ok()) {
            out.notes << r.error().message();
            continue;
        }
        if (cur.size() != std::size_t(n)) {
            out.notes << makeError(LoadError::Code::Truncated, idx.path, t.key,
                                   counted(n, "element"), QString::number(cur.size()))
                             .message();
            continue;
        }
        if (*r == ChecksumState::Mismatch)
            out.notes << QStringLiteral("%1: checksum mismatch at %2").arg(idx.path, t.key);

        OverTimeStep s;
        s.step = in.step;
        s.label = idx.displayName;
        if (havePrev) {
            double diff = 0, base = 0;
            for (std::size_t i = 0; i < cur.size(); ++i)
                if (std::isfinite(cur[i]) && std::isfinite(prev[i])) {
                    const double d = cur[i] - prev[i];
                    diff += d * d;
                    base += prev[i] * prev[i];
                }
            if (base > 0)
                s.relChange = std::sqrt(diff / base);
        }
        // The previous copy is no longer needed: its storage takes the sortable finite values.
        prev.clear();
        for (double v : cur)
            if (std::isfinite(v))
                prev.push_back(v);
        s.count = double(prev.size());
        s.nonFinite = std::int64_t(cur.size() - prev.size());
        s.band = bandOf(prev);
        if (!prev.empty()) {
            lo = std::min(lo, s.band.front());
            hi = std::max(hi, s.band.back());
        }
        std::swap(prev, cur);
        havePrev = true;
        out.steps.push_back(std::move(s));
        kept.push_back(&in);
    }
    std::vector<double>().swap(prev);
    std::vector<double>().swap(cur);
    if (out.steps.empty())
        return makeError(LoadError::Code::Unreadable, inputs.front().checkpoint->index().path,
                         out.name, QStringLiteral("a readable copy in some checkpoint"),
                         out.notes.join(QStringLiteral("; ")));

    // Pass 2: every copy again, into bins over the range of all.
    std::tie(out.lo, out.hi) = sharedRange(lo, hi);
    const QString binning = QStringLiteral("weights over time: histograms");
    done = std::int64_t(work / 2);
    for (std::size_t s = 0; s < kept.size(); ++s) {
        const OverTimeInput &in = *kept[s];
        HistogramAccumulator h(DType::Float64, out.lo, out.hi, out.bins);
        auto r = streamDoubles(
            in, request.window, job,
            [&](const double *v, std::size_t k) {
                h.add(v, k * sizeof(double));
                advance(k, binning);
            },
            buffer);
        if (job.cancelled())
            return cancelledError(in.checkpoint->index().path);
        if (!r.ok())
            return r.error();
        const auto counts = h.result().counts;
        out.steps[s].counts.assign(counts.begin(), counts.end());
    }
    job.progress(1.0, binning);
    return out;
}

Result<OverTime> overTimeFromHistograms(const events::Series &series, int bins,
                                        const JobContext &job)
{
    struct Bucket {
        double l, r, c;
    };
    if (series.histograms.empty())
        return makeError(LoadError::Code::Empty, series.tag, {}, QStringLiteral("histogram points"),
                         QStringLiteral("none"));
    // A step logged again (a training resumed without a restart marker) shows its latest.
    std::map<std::int64_t, const events::HistogramPoint *> byStep;
    for (const auto &p : series.histograms)
        byStep[p.step] = &p;
    std::vector<const events::HistogramPoint *> points;
    for (const auto &[step, p] : byStep)
        points.push_back(p);

    // TF1 histograms end at ±DBL_MAX: such an edge stands for the other edge of its bucket.
    auto usable = [](double e) { return std::isfinite(e) && std::abs(e) < 1e300; };
    std::vector<std::vector<Bucket>> buckets(points.size());
    double lo = INFINITY, hi = -INFINITY;
    for (std::size_t s = 0; s < points.size(); ++s) {
        const auto &p = *points[s];
        for (std::size_t i = 0; i < p.counts.size() && i + 1 < p.edges.size(); ++i) {
            double l = p.edges[i], r = p.edges[i + 1];
            const double c = p.counts[i];
            if (!(c > 0) || !std::isfinite(c) || (!usable(l) && !usable(r)))
                continue;
            if (!usable(l))
                l = r;
            if (!usable(r))
                r = l;
            if (r < l)
                std::swap(l, r);
            buckets[s].push_back({l, r, c});
            lo = std::min(lo, l);
            hi = std::max(hi, r);
        }
    }

    OverTime out;
    out.name = out.label = series.tag;
    out.bins = std::max(1, bins);
    out.exactBand = false;
    std::tie(out.lo, out.hi) = sharedRange(lo, hi);
    const double width = (out.hi - out.lo) / double(out.bins);
    auto binOf = [&](double x) {
        return std::clamp(int(std::floor((x - out.lo) / width)), 0, out.bins - 1);
    };
    const QString phase = QStringLiteral("weights over time: logged histograms");
    for (std::size_t s = 0; s < points.size(); ++s) {
        if (job.cancelled())
            return cancelledError(series.tag);
        if (s % 64 == 0)
            job.progress(double(s) / double(points.size()), phase);
        OverTimeStep st;
        st.step = points[s]->step;
        st.label = QStringLiteral("step %1").arg(st.step);
        st.counts.assign(std::size_t(out.bins), 0.0);
        st.band.fill(std::numeric_limits<double>::quiet_NaN());
        const auto &bs = buckets[s];
        for (const auto &b : bs) {
            st.count += b.c;
            if (!(b.r > b.l)) {
                st.counts[std::size_t(binOf(b.l))] += b.c;
                continue;
            }
            for (int i = binOf(b.l); i <= binOf(b.r); ++i) {
                const double overlap =
                    std::min(b.r, out.binEdge(i + 1)) - std::max(b.l, out.binEdge(i));
                if (overlap > 0)
                    st.counts[std::size_t(i)] += b.c * overlap / (b.r - b.l);
            }
        }
        if (!bs.empty()) {
            for (std::size_t k = 0; k < kBandBasisPoints.size(); ++k) {
                const double target = double(kBandBasisPoints[k]) / 10000.0 * st.count;
                double cum = 0, v = bs.back().r;
                for (const auto &b : bs) {
                    if (cum + b.c >= target) {
                        v = b.l + (b.r - b.l) * std::clamp((target - cum) / b.c, 0.0, 1.0);
                        break;
                    }
                    cum += b.c;
                }
                st.band[k] = v;
            }
        }
        out.steps.push_back(std::move(st));
    }
    job.progress(1.0, phase);
    return out;
}

} // namespace wl
