#include "pairdetail.h"

#include "core/permute.h"
#include "namematch.h"
#include "stats/kernels.h"

#include <algorithm>
#include <cmath>

namespace wl
{
namespace
{

Result<QVector<double>> values(const Checkpoint &c, int t, std::int64_t maxElements)
{
    const auto &info = c.tensor(t);
    const std::int64_t n = info.numElements();
    if (n > maxElements)
        return makeError(LoadError::Code::TooLarge, c.index().path, info.key,
                         QStringLiteral("at most %1 elements to draw").arg(maxElements),
                         QString::number(n));
    auto bytes = c.readTensor(t, maxElements * std::max(1, dtypeSize(info.dtype)));
    if (!bytes.ok())
        return bytes.error();
    const std::int64_t have = bytes->size() / std::max(1, dtypeSize(info.dtype));
    QVector<double> out(qsizetype(std::min(n, have)));
    kernels::toDouble(info.dtype, bytes->constData(), std::size_t(out.size()), out.data());
    return out;
}

Histogram bin(const QVector<double> &v, double lo, double hi, int bins)
{
    HistogramAccumulator h(DType::Float64, lo, hi, bins);
    h.add(v.constData(), std::size_t(v.size()) * sizeof(double));
    return h.result();
}

// [lo, hi] of the finite values, widened when they are all equal.
std::pair<double, double> rangeOf(std::initializer_list<const QVector<double> *> sets)
{
    double lo = INFINITY, hi = -INFINITY;
    for (const auto *s : sets)
        for (double x : *s)
            if (std::isfinite(x)) {
                lo = std::min(lo, x);
                hi = std::max(hi, x);
            }
    if (!(lo <= hi))
        return {0.0, 1.0};
    if (lo == hi) {
        const double pad = lo == 0 ? 1.0 : std::fabs(lo) * 1e-3;
        return {lo - pad, hi + pad};
    }
    return {lo, hi};
}

} // namespace

Result<PairDetail> computePairDetail(const Checkpoint &a, int ta, const Checkpoint &b, int tb,
                                     int bins, std::int64_t maxElements, const JobContext &job)
{
    auto va = values(a, ta, maxElements);
    if (!va.ok())
        return va.error();
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, a.index().path, a.tensor(ta).key, {});
    auto vb = values(b, tb, maxElements);
    if (!vb.ok())
        return vb.error();
    if (va->size() != vb->size())
        return makeError(LoadError::Code::BadArgument, b.index().path, b.tensor(tb).key,
                         QStringLiteral("%1 elements, as in A").arg(va->size()),
                         QString::number(vb->size()));
    if (const auto axes = layoutAxes(a.tensor(ta), b.tensor(tb)); !axes.empty()) {
        QVector<double> ordered(vb->size());
        permuteAxes(vb->constData(), b.tensor(tb).shape.dims, axes, sizeof(double), ordered.data());
        *vb = std::move(ordered);
    }
    PairDetail d;
    QVector<double> diff(va->size());
    for (qsizetype i = 0; i < diff.size(); ++i) {
        diff[i] = (*va)[i] - (*vb)[i];
        d.nonFiniteA += !std::isfinite((*va)[i]);
        d.nonFiniteB += !std::isfinite((*vb)[i]);
    }
    const auto [lo, hi] = rangeOf({&*va, &*vb});
    d.histA = bin(*va, lo, hi, bins);
    d.histB = bin(*vb, lo, hi, bins);
    const auto [dlo, dhi] = rangeOf({&diff});
    d.histDiff = bin(diff, dlo, dhi, bins);
    const auto &dims = a.tensor(ta).shape.dims;
    if (dims.size() == 2 && std::int64_t(dims[0]) * dims[1] == diff.size()) {
        d.rows = int(dims[0]);
        d.cols = int(dims[1]);
        d.diff2d = std::move(diff);
    }
    return d;
}

} // namespace wl
