#pragma once

#include "core/tensorinfo.h"
#include "formats/checkpoint.h"
#include "jobs/jobcontext.h"

#include <QString>
#include <QVector>
#include <cstdint>
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

// Exact singular values are computed for matrices up to these sizes; larger ones are skipped.
constexpr std::int64_t kMaxSvdMinDim = 2048;
constexpr std::int64_t kMaxSvdElements = std::int64_t(1) << 24;

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
MatrixAnalysis analyzeMatrix(const double *rowMajor, std::int64_t rows, std::int64_t cols);

struct LayerAnalysis {
    int tensor = -1;
    MatrixAnalysis matrix;
    QString error; // reading failed: names the file and the tensor
};

// The weight matrices among `tensors` (matrixShape), in order, analysed in parallel on up to
// `threads` threads (0: one per core). Cancellation leaves the rest with error "cancelled".
QVector<LayerAnalysis> analyzeCheckpoint(const Checkpoint &checkpoint, const QVector<int> &tensors,
                                         int threads = 0,
                                         const JobContext &job = JobContext::none());

} // namespace wl::analysis
