#include "spectral.h"

#include "jobs/parallel.h"
#include "recurrent.h"
#include "stats/kernels.h"

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
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

namespace
{

// Norms, dead units and the spectrum's derived numbers from descending singular values.
void spectralFinish(MatrixAnalysis &a, double sum)
{
    const auto rows = a.rows, cols = a.cols;
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
    const double mean = sum / n;
    const double variance = std::max(0.0, a.frobeniusNorm * a.frobeniusNorm / n - mean * mean);
    a.mpEdge = marchenkoPasturEdge(variance, rows, cols);
    a.mpSpikes = std::count_if(esd.begin(), esd.end(), [&](double v) { return v > a.mpEdge; });
    a.fit = fitPowerLaw(std::move(esd));
}

// Singular values, descending, from the eigenvalues of a Gram matrix (lower triangle filled).
std::vector<double> spectralFromGram(Eigen::MatrixXd &gram, std::int64_t terms)
{
    std::vector<double> s;
    {
        const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(gram, Eigen::EigenvaluesOnly);
        gram.resize(0, 0);                 // only the solver's copy is needed from here
        const auto &ev = es.eigenvalues(); // ascending
        s.assign(ev.data(), ev.data() + ev.size());
    }
    std::reverse(s.begin(), s.end());
    const double top = s.empty() ? 0.0 : std::max(0.0, s.front());
    // Below (rows + cols) * eps times the largest an eigenvalue is the rounding of the product's
    // sums and of the solver, not the matrix's.
    const double floor = double(terms) * std::numeric_limits<double>::epsilon() * top;
    for (double &v : s)
        v = v > floor ? std::sqrt(v) : 0.0;
    return s;
}

} // namespace

MatrixAnalysis analyzeMatrix(BlockFill fill, std::int64_t rows, std::int64_t cols,
                             SpectrumMethod method)
{
    MatrixAnalysis a;
    a.rows = rows;
    a.cols = cols;
    const auto minDim = std::min(rows, cols);
    const bool tooLarge = minDim > kMaxSvdMinDim || rows * cols > kMaxSvdElements;
    const bool direct =
        !tooLarge && (method == SpectrumMethod::Svd ||
                      (method == SpectrumMethod::Auto && minDim <= kDirectSvdMaxDim));
    double sum = 0;
    if (direct) {
        RowMatrix w(rows, cols);
        fill(0, rows, 0, cols, w.data());
        fill = nullptr;
        a.frobeniusNorm = w.norm();
        sum = w.sum();
        for (Eigen::Index r = 0; r < rows; ++r)
            a.deadRows += (w.row(r).array() == 0).all();
        for (Eigen::Index c = 0; c < cols; ++c)
            a.deadCols += (w.col(c).array() == 0).all();
        Eigen::BDCSVD<RowMatrix> svd(w, 0); // values only
        const auto &s = svd.singularValues();
        a.singularValues.assign(s.data(), s.data() + s.size());
        spectralFinish(a, sum);
        return a;
    }
    // One pass in blocks: rows of W when W^T W is the smaller Gram matrix, columns otherwise,
    // each block C adding C^T C (or C C^T) to the lower triangle.
    const bool byRows = cols <= rows;
    const std::int64_t across = byRows ? cols : rows;
    const std::int64_t along = byRows ? rows : cols;
    const std::int64_t step = std::clamp<std::int64_t>((std::int64_t(1) << 20) / across, 1, along);
    Eigen::MatrixXd gram;
    if (!tooLarge)
        gram = Eigen::MatrixXd::Zero(minDim, minDim);
    std::vector<char> rowLive(std::size_t(rows), 0), colLive(std::size_t(cols), 0);
    double sumSq = 0;
    RowMatrix block;
    for (std::int64_t from = 0; from < along; from += step) {
        const auto to = std::min(along, from + step);
        const auto r0 = byRows ? from : 0, r1 = byRows ? to : rows;
        const auto c0 = byRows ? 0 : from, c1 = byRows ? cols : to;
        block.resize(r1 - r0, c1 - c0);
        fill(r0, r1, c0, c1, block.data());
        sumSq += block.squaredNorm();
        sum += block.sum();
        for (Eigen::Index r = 0; r < block.rows(); ++r)
            for (Eigen::Index c = 0; c < block.cols(); ++c)
                if (block(r, c) != 0) {
                    rowLive[std::size_t(r0 + r)] = 1;
                    colLive[std::size_t(c0 + c)] = 1;
                }
        if (tooLarge)
            continue;
        if (byRows)
            gram.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
        else
            gram.selfadjointView<Eigen::Lower>().rankUpdate(block);
    }
    block.resize(0, 0);
    fill = nullptr; // and whatever it holds, before the solver's copy of the Gram matrix
    a.frobeniusNorm = std::sqrt(sumSq);
    a.deadRows = std::count(rowLive.begin(), rowLive.end(), 0);
    a.deadCols = std::count(colLive.begin(), colLive.end(), 0);
    if (tooLarge) {
        a.note = QStringLiteral("spectrum not computed: smaller side over %1 or over %2 elements")
                     .arg(kMaxSvdMinDim)
                     .arg(kMaxSvdElements);
        return a;
    }
    a.singularValues = spectralFromGram(gram, rows + cols);
    spectralFinish(a, sum);
    return a;
}

MatrixAnalysis analyzeMatrix(const double *data, std::int64_t rows, std::int64_t cols,
                             SpectrumMethod method)
{
    return analyzeMatrix(
        [&](std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1, double *out) {
            const Eigen::Map<const RowMatrix> w(data, rows, cols);
            Eigen::Map<RowMatrix>(out, r1 - r0, c1 - c0) = w.block(r0, c0, r1 - r0, c1 - c0);
        },
        rows, cols, method);
}

QString matrixName(const TensorInfo &t, const LayerAnalysis &l)
{
    return l.gate.isEmpty() ? t.name : QStringLiteral("%1[%2]").arg(t.name, l.gate);
}

QVector<LayerAnalysis> analyzeCheckpoint(const Checkpoint &checkpoint, const QVector<int> &tensors,
                                         int threads, const JobContext &job)
{
    const auto &idx = checkpoint.index();
    QVector<LayerAnalysis> out;
    std::vector<MatrixShape> shapes; // of the tensor, before a gate is cut out
    std::vector<int> gateCount, gateIndex;
    for (int t : tensors)
        if (auto m = matrixShape(idx.tensors[t], idx.readerId)) {
            const QString gates = recurrentGates(checkpoint, t);
            for (qsizetype g = 0; g < std::max<qsizetype>(1, gates.size()); ++g) {
                out.push_back(
                    LayerAnalysis{t, gates.isEmpty() ? QString() : QString(gates[g]), {}, {}});
                shapes.push_back(*m);
                gateCount.push_back(int(gates.size()));
                gateIndex.push_back(int(g));
            }
        }
    if (threads <= 0)
        threads = std::max(1, QThread::idealThreadCount());
    // The largest first, so that two threads end together; each holds one matrix at a time.
    std::vector<std::size_t> order(std::size_t(out.size()));
    std::iota(order.begin(), order.end(), std::size_t(0));
    const auto cost = [&](std::size_t k) {
        const double m = double(shapes[k].rows);
        const double n = double(shapes[k].cols) / std::max(1, gateCount[k]);
        const double small = std::min(m, n);
        return m * n * small + small * small * small;
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return cost(x) > cost(y); });
    std::atomic<std::size_t> done{0};
    runParallel(threads, order.size(), [&](std::size_t slot, std::size_t) {
        const auto k = order[slot];
        auto &r = out[qsizetype(k)];
        if (job.cancelled()) {
            r.error = QStringLiteral("cancelled");
            return;
        }
        const auto &info = idx.tensors[r.tensor];
        const auto shape = shapes[k];
        auto bytes = checkpoint.readTensor(r.tensor, std::int64_t(1) << 40);
        if (!bytes.ok()) {
            r.error = tensorError(bytes.error(), idx, info);
            return;
        }
        const auto count = std::size_t(shape.rows * shape.cols);
        const auto item = std::size_t(dtypeSize(info.dtype));
        if (std::size_t(bytes->size()) < count * item) {
            r.error = QStringLiteral("%1: %2: %3 bytes, expected %4")
                          .arg(info.location.file, info.key)
                          .arg(bytes->size())
                          .arg(count * item);
            return;
        }
        const int gates = gateCount[k];
        const std::int64_t width = gates ? shape.cols / gates : shape.cols;
        const std::int64_t first = gateIndex[k] * width;
        // Row r of the matrix analysed is columns [first, first + width) of the tensor's row r.
        // The fill owns the bytes, so they go once the Gram matrix is formed.
        BlockFill fill = [held = std::move(*bytes), dtype = info.dtype, item, first,
                          stride = shape.cols](std::int64_t r0, std::int64_t r1, std::int64_t c0,
                                               std::int64_t c1, double *dst) {
            for (auto row = r0; row < r1; ++row, dst += c1 - c0)
                kernels::toDouble(dtype,
                                  held.constData() + std::size_t(row * stride + first + c0) * item,
                                  std::size_t(c1 - c0), dst);
        };
        r.matrix = analyzeMatrix(std::move(fill), shape.rows, width);
        job.progress(double(++done) / double(out.size()), matrixName(info, r));
    });
    return out;
}

} // namespace wl::analysis
