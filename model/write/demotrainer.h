#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace wl::demo
{

// A small deterministic pseudo-random generator (SplitMix64): the same seed gives the same
// numbers with every compiler and standard library, which std distributions do not promise.
class Rng
{
public:
    explicit Rng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next();
    // Uniform in [0, 1) with 53 random bits.
    double uniform();
    // Uniform integer in [0, n).
    std::uint64_t below(std::uint64_t n);

private:
    std::uint64_t m_state;
};

// Three interleaved spiral arms in the plane, one class each; shuffled once, then split as
// Keras' validation_split does (the last fraction of the samples is the validation set).
struct DataSet {
    std::vector<float> x; // n x 2, row-major
    std::vector<int> y;   // class 0..2
    int size() const { return int(y.size()); }
};
struct SpiralData {
    DataSet train;
    DataSet validation;
};
SpiralData makeSpirals(std::uint64_t seed, int perClass = 150, double validationSplit = 0.2);

// A dense layer: kernel [in, out] row-major as Keras stores it, bias [out].
template <class T> struct DenseParams {
    int in = 0;
    int out = 0;
    std::vector<T> kernel;
    std::vector<T> bias;
};

// Dense(relu) -> Dense(relu) -> Dense(softmax) with sparse categorical cross-entropy.
template <class T> struct Mlp {
    std::vector<DenseParams<T>> layers;
};

inline constexpr int kInputs = 2;
inline constexpr int kHidden = 32;
inline constexpr int kClasses = 3;

// Glorot-uniform kernels and zero biases, as Keras initialises Dense layers.
Mlp<float> initialMlp(std::uint64_t seed);

// Mean cross-entropy of `count` samples and, when `grads` is given, its gradient with respect
// to every parameter (same layout as the network). `correct` receives the number of samples
// whose arg-max equals the label. A template so that the float trainer and a double-precision
// gradient check run the same code.
template <class T>
double lossAndGradients(const Mlp<T> &net, const float *x, const int *y, int count, Mlp<T> *grads,
                        int *correct = nullptr);

// Adam as Keras 2's optimizer applies it (ResourceApplyAdam): bias correction folded into the
// step size, epsilon added to sqrt(v).
struct AdamState {
    float learningRate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-7f;
    std::int64_t iterations = 0;
    Mlp<float> m;
    Mlp<float> v;
};
void adamStep(Mlp<float> &net, const Mlp<float> &grads, AdamState &adam);

struct EpochLogs {
    int epoch = 0; // 0-based, as Keras callbacks see it
    double loss = 0;
    double accuracy = 0;
    double valLoss = 0;
    double valAccuracy = 0;
};

struct TrainOptions {
    float learningRate = 1e-3f;
    int epochs = 40;
    int batchSize = 32;
    std::uint64_t seed = 7;
};

// Trains as model.fit(shuffle=True) does: the training samples reshuffled every epoch,
// mini-batches in order, the last one smaller; loss and accuracy of an epoch are the means
// over its batches as they were trained, validation is evaluated after the epoch.
// `onEpochEnd` sees the network and optimizer after each epoch; returning false stops.
void train(const SpiralData &data, const TrainOptions &options,
           const std::function<bool(const EpochLogs &, const Mlp<float> &, const AdamState &)>
               &onEpochEnd);

} // namespace wl::demo
