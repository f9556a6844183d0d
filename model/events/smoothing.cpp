#include "smoothing.h"

#include <algorithm>
#include <cmath>

namespace wl::events
{

std::vector<double> smoothEma(const std::vector<double> &values, double weight)
{
    if (!std::isfinite(weight))
        weight = 0;
    weight = std::clamp(weight, 0.0, 1.0);
    if (values.empty() ||
        std::all_of(values.begin(), values.end(), [&](double v) { return v == values.front(); }))
        return values; // smoothing a constant would only show the debiasing's rounding
    std::vector<double> out(values.size());
    double last = 0;
    double decay = 1; // weight^n for the n finite values averaged so far
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = values[i];
        if (!std::isfinite(v)) {
            out[i] = v;
            continue;
        }
        last = last * weight + (1 - weight) * v;
        decay *= weight;
        // The average starts at 0; dividing by the weight it has gathered removes that bias.
        out[i] = weight == 1 ? last : last / (1 - decay);
    }
    return out;
}

std::vector<std::size_t> decimateMinMax(std::span<const double> x, std::span<const double> y,
                                        double xMin, double xMax, int buckets)
{
    const std::size_t n = std::min(x.size(), y.size());
    const auto first =
        std::size_t(std::lower_bound(x.begin(), x.begin() + std::ptrdiff_t(n), xMin) - x.begin());
    const auto end =
        std::size_t(std::upper_bound(x.begin(), x.begin() + std::ptrdiff_t(n), xMax) - x.begin());
    std::vector<std::size_t> out;
    if (!(xMin <= xMax)) { // no range to thin for: draw everything
        for (std::size_t i = 0; i < n; ++i)
            out.push_back(i);
        return out;
    }
    if (first > 0)
        out.push_back(first - 1);
    buckets = std::max(buckets, 1);
    if (end - std::min(first, end) <= 4 * std::size_t(buckets) || xMax == xMin) {
        for (std::size_t i = first; i < end; ++i)
            out.push_back(i);
    } else {
        const double scale = buckets / (xMax - xMin);
        std::size_t i = first;
        while (i < end) {
            const int bucket = std::min(buckets - 1, int((x[i] - xMin) * scale));
            const std::size_t head = i;
            std::size_t lo = i, hi = i;
            for (; i < end && std::min(buckets - 1, int((x[i] - xMin) * scale)) == bucket; ++i) {
                // NaN compares false both ways, so it is never a column's extreme.
                if (y[i] < y[lo] || std::isnan(y[lo]))
                    lo = i;
                if (y[i] > y[hi] || std::isnan(y[hi]))
                    hi = i;
            }
            for (std::size_t p : {head, std::min(lo, hi), std::max(lo, hi), i - 1})
                if (out.empty() || out.back() < p)
                    out.push_back(p);
        }
    }
    if (end < n)
        out.push_back(end);
    return out;
}

} // namespace wl::events
