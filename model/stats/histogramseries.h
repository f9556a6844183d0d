#pragma once

#include "tensorstats.h"

#include <QString>

#include <optional>

namespace wl
{

// One tensor's histogram as a plot draws it: bars over [lo, hi] plus the non-finite counts
// beside them. Shared by the window's plots and the reports drawn with them.
struct HistogramSeries {
    QString label;
    Histogram histogram;
    std::int64_t nan = 0;
    std::int64_t inf = 0;
    std::int64_t count = 0;
    std::optional<double> mean = {};
    std::optional<double> std = {};
    std::optional<double> min = {};
    std::optional<double> max = {};
};

} // namespace wl
