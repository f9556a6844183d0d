#include "spectral.h"

#include "jobs/parallel.h"
#include "stats/kernels.h"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <QThread>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace wl::analysis
{
namespace
{

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

bool channelsFirst(const QString &readerId)
{
    return readerId == QLatin1String("pytorch") || readerId == QLatin1String("onnx");
}

} // namespace

std::optional<MatrixShape> matrixShape(const TensorInfo &t, const QString &readerId)
{
    if (t.role != TensorRole::Variable || !dtypeIsFloat(t.dtype) || !t.shape.isFullyKnown())
        return std::nullopt;
    const auto &d = t.shape.dims;
    if (d.size() < 2 || d.size() > 4)
        return std::nullopt;
    MatrixShape m;
    if (d.size() == 2) {
        m = {d[0], d[1]};
    } else if (channelsFirst(readerId)) {
        m.rows = d.front();
        m.cols = std::accumulate(d.begin() + 1, d.end(), std::int64_t(1), std::multiplies<>());
    } else {
        m.rows = std::accumulate(d.begin(), d.end() - 1, std::int64_t(1), std::multiplies<>());
        m.cols = d.back();
    }
    if (m.rows < 1 || m.cols < 1)
        return std::nullopt;
    return m;
}

PowerLawFit fitPowerLaw(std::vector<double> x, std::int64_t minTail)
{
    x.erase(
        std::remove_if(x.begin(), x.end(), [](double v) { return !(v > 0) || !std::isfinite(v); }),
        x.end());
    std::sort(x.begin(), x.end());
    const auto n = std::int64_t(x.size());
    PowerLawFit best;
    if (n < std::max<std::int64_t>(minTail, 2))
        return best;
    // suffix[i] = sum of ln x over i..n-1, so each candidate's estimate is O(1).
    std::vector<double> suffix(std::size_t(n) + 1, 0.0);
    for (auto i = n - 1; i >= 0; --i)
        suffix[std::size_t(i)] = suffix[std::size_t(i) + 1] + std::log(x[std::size_t(i)]);
    for (std::int64_t i = 0; i + minTail <= n; ++i) {
        if (i > 0 && x[std::size_t(i)] == x[std::size_t(i) - 1])
            continue; // the same xmin as before
        const double xmin = x[std::size_t(i)];
        const auto m = n - i;
        const double logSum = suffix[std::size_t(i)] - double(m) * std::log(xmin);
        if (!(logSum > 0))
            continue;
        const double alpha = 1.0 + double(m) / logSum;
        double ks = 0;
        for (std::int64_t j = 0; j < m; ++j) {
            const double model = 1.0 - std::pow(x[std::size_t(i + j)] / xmin, 1.0 - alpha);
            ks = std::max({ks, std::fabs(model - double(j) / double(m)),
                           std::fabs(model - double(j + 1) / double(m))});
        }
        if (!(ks >= best.ks)) {
            best = {alpha, xmin, ks, m};
        }
    }
    return best;
}

// For W (N x M, N = rows) of independent entries of variance s^2, the eigenvalues of
// W^T W / N follow Marchenko-Pastur with ratio q = M / N and upper edge s^2 (1 + sqrt(q))^2.
// When M > N, W^T W / N has M - N zeros and the eigenvalues of W W^T / N, that is (M / N)
// times those of W W^T / M, whose edge is s^2 (1 + sqrt(N / M))^2; the product is again
// s^2 (1 + sqrt(M / N))^2, so one formula serves both orientations.
double marchenkoPasturEdge(double variance, std::int64_t rows, std::int64_t cols)
{
    const double q = double(cols) / double(rows);
    return variance * (1.0 + std::sqrt(q)) * (1.0 + std::sqrt(q));
}

MatrixAnalysis analyzeMatrix(const double *data, std::int64_t rows, std::int64_t cols)
{
    MatrixAnalysis a;
    a.rows = rows;
    a.cols = cols;
    const Eigen::Map<const RowMatrix> w(data, rows, cols);
    a.frobeniusNorm = w.norm();
    for (Eigen::Index r = 0; r < rows; ++r)
        a.deadRows += (w.row(r).array() == 0).all();
    for (Eigen::Index c = 0; c < cols; ++c)
        a.deadCols += (w.col(c).array() == 0).all();
    const auto minDim = std::min(rows, cols);
    if (minDim > kMaxSvdMinDim || rows * cols > kMaxSvdElements) {
        a.note = QStringLiteral("spectrum not computed: larger than %1 x %1 or %2 elements")
                     .arg(kMaxSvdMinDim)
                     .arg(kMaxSvdElements);
        return a;
    }
    Eigen::BDCSVD<RowMatrix> svd(w, 0); // values only
    const auto &s = svd.singularValues();
    a.singularValues.assign(s.data(), s.data() + s.size());
    a.decomposed = true;
    const double smax = a.singularValues.empty() ? 0.0 : a.singularValues.front();
    const double smin = a.singularValues.empty() ? 0.0 : a.singularValues.back();
    a.spectralNorm = smax;
    if (smax > 0) {
        a.stableRank = a.frobeniusNorm * a.frobeniusNorm / (smax * smax);
        a.conditionNumber = smin > 0 ? smax / smin : std::numeric_limits<double>::infinity();
        const double total = std::accumulate(a.singularValues.begin(), a.singularValues.end(), 0.0);
        double h = 0;
        for (double v : a.singularValues)
            if (v > 0)
                h -= v / total * std::log(v / total);
        a.effectiveRank = std::exp(h);
        // Zero at float32 resolution: most weights are stored in float32 or narrower.
        const double tol = smax * double(std::max(rows, cols)) * 0x1p-23;
        a.nearZeroFraction = double(std::count_if(a.singularValues.begin(), a.singularValues.end(),
                                                  [&](double v) { return v <= tol; })) /
                             double(a.singularValues.size());
    }
    std::vector<double> esd(a.singularValues.size());
    std::transform(a.singularValues.begin(), a.singularValues.end(), esd.begin(),
                   [&](double v) { return v * v / double(rows); });
    const double n = double(rows) * double(cols);
    const double mean = w.sum() / n;
    const double variance = std::max(0.0, a.frobeniusNorm * a.frobeniusNorm / n - mean * mean);
    a.mpEdge = marchenkoPasturEdge(variance, rows, cols);
    a.mpSpikes = std::count_if(esd.begin(), esd.end(), [&](double v) { return v > a.mpEdge; });
    a.fit = fitPowerLaw(std::move(esd));
    return a;
}

QVector<LayerAnalysis> analyzeCheckpoint(const Checkpoint &checkpoint, const QVector<int> &tensors,
                                         int threads, const JobContext &job)
{
    const auto &idx = checkpoint.index();
    QVector<LayerAnalysis> out;
    std::vector<MatrixShape> shapes;
    for (int t : tensors)
        if (auto m = matrixShape(idx.tensors[t], idx.readerId)) {
            out.push_back(LayerAnalysis{t, {}, {}});
            shapes.push_back(*m);
        }
    if (threads <= 0)
        threads = std::max(1, QThread::idealThreadCount());
    std::atomic<std::size_t> done{0};
    runParallel(threads, std::size_t(out.size()), [&](std::size_t k, std::size_t) {
        auto &r = out[qsizetype(k)];
        if (job.cancelled()) {
            r.error = QStringLiteral("cancelled");
            return;
        }
        const auto &info = idx.tensors[r.tensor];
        const auto shape = shapes[k];
        std::vector<double> values;
        {
            auto bytes = checkpoint.readTensor(r.tensor, std::int64_t(1) << 40);
            if (!bytes.ok()) {
                r.error = tensorError(bytes.error(), idx, info);
                return;
            }
            const auto count = std::size_t(shape.rows * shape.cols);
            const auto need = count * std::size_t(dtypeSize(info.dtype));
            if (std::size_t(bytes->size()) < need) {
                r.error = QStringLiteral("%1: %2: %3 bytes, expected %4")
                              .arg(info.location.file, info.key)
                              .arg(bytes->size())
                              .arg(need);
                return;
            }
            values.resize(count);
            kernels::toDouble(info.dtype, bytes->constData(), count, values.data());
        }
        r.matrix = analyzeMatrix(values.data(), shape.rows, shape.cols);
        job.progress(double(++done) / double(out.size()), info.name);
    });
    return out;
}

} // namespace wl::analysis
