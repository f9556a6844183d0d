#include "demotrainer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace wl::demo
{

std::uint64_t Rng::next()
{
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double Rng::uniform()
{
    return double(next() >> 11) * (1.0 / 9007199254740992.0);
}

std::uint64_t Rng::below(std::uint64_t n)
{
    return std::uint64_t(uniform() * double(n)) % n;
}

namespace
{

template <class T> void shuffle(std::vector<T> &v, Rng &rng)
{
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[rng.below(i)]);
}

void take(const std::vector<float> &x, const std::vector<int> &y, const std::vector<int> &order,
          std::size_t from, std::size_t to, DataSet &out)
{
    for (std::size_t i = from; i < to; ++i) {
        const int k = order[i];
        out.x.push_back(x[std::size_t(k) * 2]);
        out.x.push_back(x[std::size_t(k) * 2 + 1]);
        out.y.push_back(y[std::size_t(k)]);
    }
}

} // namespace

SpiralData makeSpirals(std::uint64_t seed, int perClass, double validationSplit)
{
    Rng rng(seed);
    std::vector<float> x;
    std::vector<int> y;
    constexpr double kPi = 3.14159265358979323846;
    for (int c = 0; c < kClasses; ++c)
        for (int i = 0; i < perClass; ++i) {
            const double r = double(i + 1) / double(perClass);
            // One turn per arm; the jitter makes the arms overlap a little.
            const double theta =
                2.0 * kPi * c / kClasses + 2.0 * kPi * r + 0.35 * (rng.uniform() - 0.5);
            x.push_back(float(r * std::cos(theta)));
            x.push_back(float(r * std::sin(theta)));
            y.push_back(c);
        }
    std::vector<int> order(y.size());
    std::iota(order.begin(), order.end(), 0);
    shuffle(order, rng);
    const auto n = order.size();
    const auto split = n - std::size_t(double(n) * validationSplit);
    SpiralData data;
    take(x, y, order, 0, split, data.train);
    take(x, y, order, split, n, data.validation);
    return data;
}

Mlp<float> initialMlp(std::uint64_t seed)
{
    Rng rng(seed ^ 0xD1B54A32D192ED03ull);
    Mlp<float> net;
    const int sizes[] = {kInputs, kHidden, kHidden, kClasses};
    for (int l = 0; l < 3; ++l) {
        DenseParams<float> d;
        d.in = sizes[l];
        d.out = sizes[l + 1];
        const double limit = std::sqrt(6.0 / double(d.in + d.out));
        d.kernel.resize(std::size_t(d.in) * std::size_t(d.out));
        for (auto &w : d.kernel)
            w = float((2.0 * rng.uniform() - 1.0) * limit);
        d.bias.assign(std::size_t(d.out), 0.0f);
        net.layers.push_back(std::move(d));
    }
    return net;
}

template <class T>
double lossAndGradients(const Mlp<T> &net, const float *x, const int *y, int count, Mlp<T> *grads,
                        int *correct)
{
    const std::size_t nl = net.layers.size();
    if (grads) {
        grads->layers.resize(nl);
        for (std::size_t l = 0; l < nl; ++l) {
            auto &g = grads->layers[l];
            g.in = net.layers[l].in;
            g.out = net.layers[l].out;
            g.kernel.assign(net.layers[l].kernel.size(), T(0));
            g.bias.assign(net.layers[l].bias.size(), T(0));
        }
    }
    double total = 0;
    int right = 0;
    // acts[0] = input, acts[l + 1] = output of layer l (after its activation).
    std::vector<std::vector<T>> acts(nl + 1);
    std::vector<T> delta, previous;
    for (int s = 0; s < count; ++s) {
        acts[0] = {T(x[2 * s]), T(x[2 * s + 1])};
        for (std::size_t l = 0; l < nl; ++l) {
            const auto &d = net.layers[l];
            auto &out = acts[l + 1];
            out.assign(d.bias.begin(), d.bias.end());
            for (int i = 0; i < d.in; ++i) {
                const T a = acts[l][std::size_t(i)];
                const T *row = d.kernel.data() + std::size_t(i) * std::size_t(d.out);
                for (int o = 0; o < d.out; ++o)
                    out[std::size_t(o)] += a * row[o];
            }
            if (l + 1 < nl)
                for (auto &v : out)
                    v = v > T(0) ? v : T(0);
        }
        // Softmax cross-entropy from the logits, shifted by their maximum for stability.
        auto &logits = acts[nl];
        const T top = *std::max_element(logits.begin(), logits.end());
        T sum = 0;
        std::vector<T> p(logits.size());
        for (std::size_t k = 0; k < logits.size(); ++k)
            sum += (p[k] = std::exp(logits[k] - top));
        for (auto &v : p)
            v /= sum;
        const int label = y[s];
        total += -(double(logits[std::size_t(label)] - top) - std::log(double(sum)));
        if (std::max_element(logits.begin(), logits.end()) - logits.begin() == label)
            ++right;
        if (!grads)
            continue;
        // d(mean loss)/d(logits) = (p - onehot) / count; back through the layers.
        delta = p;
        delta[std::size_t(label)] -= T(1);
        for (auto &v : delta)
            v /= T(count);
        for (std::size_t l = nl; l-- > 0;) {
            const auto &d = net.layers[l];
            auto &g = grads->layers[l];
            for (int o = 0; o < d.out; ++o)
                g.bias[std::size_t(o)] += delta[std::size_t(o)];
            previous.assign(std::size_t(d.in), T(0));
            for (int i = 0; i < d.in; ++i) {
                const T a = acts[l][std::size_t(i)];
                const T *row = d.kernel.data() + std::size_t(i) * std::size_t(d.out);
                T *grow = g.kernel.data() + std::size_t(i) * std::size_t(d.out);
                T back = 0;
                for (int o = 0; o < d.out; ++o) {
                    grow[o] += a * delta[std::size_t(o)];
                    back += row[o] * delta[std::size_t(o)];
                }
                // ReLU passes the gradient where its input was positive (its output is).
                previous[std::size_t(i)] = l > 0 && a > T(0) ? back : T(0);
            }
            delta.swap(previous);
        }
    }
    if (correct)
        *correct = right;
    return count > 0 ? total / count : 0.0;
}

template double lossAndGradients<float>(const Mlp<float> &, const float *, const int *, int,
                                        Mlp<float> *, int *);
template double lossAndGradients<double>(const Mlp<double> &, const float *, const int *, int,
                                         Mlp<double> *, int *);

void adamStep(Mlp<float> &net, const Mlp<float> &grads, AdamState &adam)
{
    if (adam.m.layers.empty()) {
        adam.m = net;
        adam.v = net;
        for (auto *state : {&adam.m, &adam.v})
            for (auto &d : state->layers) {
                std::fill(d.kernel.begin(), d.kernel.end(), 0.0f);
                std::fill(d.bias.begin(), d.bias.end(), 0.0f);
            }
    }
    ++adam.iterations;
    const double t = double(adam.iterations);
    const float lr =
        float(double(adam.learningRate) * std::sqrt(1.0 - std::pow(double(adam.beta2), t)) /
              (1.0 - std::pow(double(adam.beta1), t)));
    auto update = [&](std::vector<float> &w, const std::vector<float> &g, std::vector<float> &m,
                      std::vector<float> &v) {
        for (std::size_t i = 0; i < w.size(); ++i) {
            m[i] = adam.beta1 * m[i] + (1.0f - adam.beta1) * g[i];
            v[i] = adam.beta2 * v[i] + (1.0f - adam.beta2) * g[i] * g[i];
            w[i] -= lr * m[i] / (std::sqrt(v[i]) + adam.epsilon);
        }
    };
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        update(net.layers[l].kernel, grads.layers[l].kernel, adam.m.layers[l].kernel,
               adam.v.layers[l].kernel);
        update(net.layers[l].bias, grads.layers[l].bias, adam.m.layers[l].bias,
               adam.v.layers[l].bias);
    }
}

void train(
    const SpiralData &data, const TrainOptions &options,
    const std::function<bool(const EpochLogs &, const Mlp<float> &, const AdamState &)> &onEpochEnd)
{
    Mlp<float> net = initialMlp(options.seed);
    AdamState adam;
    adam.learningRate = options.learningRate;
    Rng rng(options.seed ^ 0x5851F42D4C957F2Dull);
    const int n = data.train.size();
    std::vector<int> order(std::size_t(n), 0);
    std::vector<float> bx;
    std::vector<int> by;
    Mlp<float> grads;
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        std::iota(order.begin(), order.end(), 0);
        shuffle(order, rng);
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < n; start += options.batchSize) {
            const int count = std::min(options.batchSize, n - start);
            bx.clear();
            by.clear();
            for (int i = start; i < start + count; ++i) {
                const auto k = std::size_t(order[std::size_t(i)]);
                bx.push_back(data.train.x[2 * k]);
                bx.push_back(data.train.x[2 * k + 1]);
                by.push_back(data.train.y[k]);
            }
            int right = 0;
            lossSum += lossAndGradients(net, bx.data(), by.data(), count, &grads, &right) * count;
            correct += right;
            adamStep(net, grads, adam);
        }
        EpochLogs logs;
        logs.epoch = epoch;
        logs.loss = lossSum / n;
        logs.accuracy = double(correct) / n;
        int valCorrect = 0;
        logs.valLoss =
            lossAndGradients<float>(net, data.validation.x.data(), data.validation.y.data(),
                                    data.validation.size(), nullptr, &valCorrect);
        logs.valAccuracy =
            data.validation.size() ? double(valCorrect) / data.validation.size() : 0.0;
        if (!onEpochEnd(logs, net, adam))
            return;
    }
}

} // namespace wl::demo
