#pragma once

#include "core/tensorinfo.h"
#include "formats/checkpoint.h"
#include "jobs/jobcontext.h"

#include <QString>
#include <QVector>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <vector>

namespace wl::analysis
{

// The matrix a weight tensor is analysed as.
struct MatrixShape {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
};

// Which tensors are weight matrices: floating-point variables of rank 2 (dense kernels,
// embeddings) as they are; rank 3 and 4 convolution kernels reshaped to (all but the output
// axis) x out, the output axis being the last for TensorFlow/Keras ([kh, kw, in, out]) and the
// first for PyTorch and ONNX ([out, in, kh, kw]). Biases, norms, scalars, optimizer slots and
// metadata give nullopt.
std::optional<MatrixShape> matrixShape(const TensorInfo &t, const QString &readerId);

// The singular values of a matrix whose smaller side exceeds kDirectSvdMaxDim are the square
// roots of the eigenvalues of its smaller Gram matrix (W^T W or W W^T, in double), far cheaper
// than an SVD of W: up to kMaxSvdMinDim on the smaller side (4096^2 doubles are 128 MB, held
// twice while solved) and kMaxSvdElements in all (the tensor is read whole). Eigenvalues below
// (rows + cols) * eps times the largest are rounding noise of the Gram product and count as
// zero, so singular values below about sqrt((rows + cols) * eps) times the largest (1e-6 at
// 4096 x 4096, far below float32's resolution) are zero and the condition number is then
// infinite.
constexpr std::int64_t kMaxSvdMinDim = 4096;
constexpr std::int64_t kMaxSvdElements = std::int64_t(1) << 28;
// Up to this smaller side Eigen's BDCSVD of W itself: exact in every bit that matters and, at
// this size, as fast.
constexpr std::int64_t kDirectSvdMaxDim = 128;

enum class SpectrumMethod {
    Auto, // BDCSVD up to kDirectSvdMaxDim, the Gram matrix's eigenvalues above
    Svd,  // BDCSVD of W (tests compare the two)
    Gram, // eigenvalues of the smaller Gram matrix
};

struct PowerLawFit {
    double alpha = std::numeric_limits<double>::quiet_NaN();
    double xmin = std::numeric_limits<double>::quiet_NaN();
    double ks = std::numeric_limits<double>::quiet_NaN();
    std::int64_t tail = 0; // samples at or above xmin
};

// Clauset-Shalizi-Newman fit of a continuous power law to the tail of the positive samples:
// alpha by maximum likelihood for each candidate xmin, the xmin with the smallest
// Kolmogorov-Smirnov distance kept. At least minTail samples in the tail; NaN when too few.
PowerLawFit fitPowerLaw(std::vector<double> samples, std::int64_t minTail = 10);

// Upper edge of the Marchenko-Pastur bulk for the eigenvalues of W^T W / rows of a rows x cols
// matrix of independent entries of the given variance.
double marchenkoPasturEdge(double variance, std::int64_t rows, std::int64_t cols);

struct MatrixAnalysis {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    bool decomposed = false;            // singular values computed (within the size limit)
    std::vector<double> singularValues; // descending
    double frobeniusNorm = 0;
    double spectralNorm = std::numeric_limits<double>::quiet_NaN();
    double stableRank = std::numeric_limits<double>::quiet_NaN();
    double effectiveRank = std::numeric_limits<double>::quiet_NaN();
    double conditionNumber = std::numeric_limits<double>::quiet_NaN();
    double nearZeroFraction = std::numeric_limits<double>::quiet_NaN();
    std::int64_t deadRows = 0;
    std::int64_t deadCols = 0;
    PowerLawFit fit;
    double mpEdge = std::numeric_limits<double>::quiet_NaN();
    std::int64_t mpSpikes = 0;
    QString note; // why the spectrum is missing
};

// Everything above for a row-major rows x cols matrix.
MatrixAnalysis analyzeMatrix(const double *rowMajor, std::int64_t rows, std::int64_t cols,
                             SpectrumMethod method = SpectrumMethod::Auto);

// The same for a matrix handed over in blocks: fill(r0, r1, c0, c1, out) writes rows [r0, r1)
// of columns [c0, c1) as doubles, row-major, to out. Only one block of about 8 MB is held at a
// time besides the Gram matrix; fill, and what it holds, is released once the Gram matrix is
// formed.
using BlockFill = std::function<void(std::int64_t r0, std::int64_t r1, std::int64_t c0,
                                     std::int64_t c1, double *out)>;
MatrixAnalysis analyzeMatrix(BlockFill fill, std::int64_t rows, std::int64_t cols,
                             SpectrumMethod method = SpectrumMethod::Auto);

struct LayerAnalysis {
    int tensor = -1;
    // A recurrent kernel's gate (Keras order, e.g. "i" of "ifco"); empty for a whole matrix.
    QString gate;
    MatrixAnalysis matrix;
    QString error; // reading failed: names the file and the tensor
};

// The name a matrix is shown under: the tensor's, with the gate appended ("lstm/kernel[i]").
QString matrixName(const TensorInfo &t, const LayerAnalysis &l);

// The weight matrices among `tensors` (matrixShape; recurrent kernels once per gate, see
// recurrentGates), in order, analysed in parallel on up to `threads` threads (0: one per core),
// one matrix per thread at a time, the largest first. Cancellation leaves the rest with error
// "cancelled".
QVector<LayerAnalysis> analyzeCheckpoint(const Checkpoint &checkpoint, const QVector<int> &tensors,
                                         int threads = 0,
                                         const JobContext &job = JobContext::none());

} // namespace wl::analysis
