// Output shapes of built-in Keras layers, following each layer's compute_output_shape in
// Keras 2 and 3 (the two agree for these classes).

#include "kerasshapes.h"

#include <QRegularExpression>
#include <QStringList>
#include <cstdint>
#include <utility>
#include <vector>

namespace wl::keras
{
namespace
{

using Dim = std::optional<std::int64_t>;
using Dims = std::vector<Dim>;
using Ints = std::vector<std::int64_t>;

// Config numbers beyond this are not sizes Keras could build; refusing them keeps every
// formula below (a product of two, a sum of a few) inside 64 bits.
constexpr double kMaxConfigInt = double(std::int64_t(1) << 30);

bool isInt(const QJsonValue &v)
{
    const double d = v.toDouble();
    return v.isDouble() && d >= -kMaxConfigInt && d <= kMaxConfigInt &&
           d == double(std::int64_t(d));
}

// Products and sums of dimensions, None when they leave 64 bits.
Dim mul(Dim a, Dim b)
{
    std::int64_t r;
    return a && b && !__builtin_mul_overflow(*a, *b, &r) ? Dim(r) : std::nullopt;
}
Dim add(Dim a, Dim b)
{
    std::int64_t r;
    return a && b && !__builtin_add_overflow(*a, *b, &r) ? Dim(r) : std::nullopt;
}

std::optional<Dims> toDims(const std::optional<QJsonArray> &a)
{
    if (!a)
        return std::nullopt;
    Dims d;
    for (const auto &v : *a) {
        if (isInt(v))
            d.push_back(std::int64_t(v.toDouble()));
        else if (v.isNull())
            d.push_back(std::nullopt);
        else
            return std::nullopt;
    }
    return d;
}

QJsonArray toJson(const Dims &d)
{
    QJsonArray a;
    for (const auto &v : d)
        a.append(v ? QJsonValue(double(*v)) : QJsonValue(QJsonValue::Null));
    return a;
}

// An int or a list of n ints (kernel_size, strides, ... are stored either way); `fallback`
// when the key is absent or null.
std::optional<Ints> ints(const QJsonValue &v, int n, std::optional<Ints> fallback = std::nullopt)
{
    if (v.isUndefined() || v.isNull())
        return fallback;
    if (isInt(v))
        return Ints(std::size_t(n), std::int64_t(v.toDouble()));
    const auto a = v.toArray();
    if (!v.isArray() || a.size() != n)
        return std::nullopt;
    Ints out;
    for (const auto &e : a) {
        if (!isInt(e))
            return std::nullopt;
        out.push_back(std::int64_t(e.toDouble()));
    }
    return out;
}

// The spatial rank of "Conv2D", "MaxPooling3D", ...: the digit before the final "D".
int rankOf(const QString &className)
{
    static const QRegularExpression re(QStringLiteral("([123])D(Transpose)?$"));
    const auto m = re.match(className);
    return m.hasMatch() ? m.captured(1).toInt() : 0;
}

// Where the spatial dimensions and the channels are, per data_format.
struct Layout {
    std::size_t first = 1;   // first spatial dimension
    std::size_t channel = 0; // channel dimension
};
std::optional<Layout> layoutOf(const Dims &in, int rank, const QJsonObject &config)
{
    if (rank < 1 || in.size() != std::size_t(rank) + 2)
        return std::nullopt;
    if (config.value("data_format").toString() == QLatin1String("channels_first"))
        return Layout{2, 1};
    return Layout{1, std::size_t(rank) + 1};
}

// keras conv_output_length: length after a window of size k, dilation d, stride s.
Dim convLength(Dim in, std::int64_t k, const QString &padding, std::int64_t s, std::int64_t d)
{
    if (!in || s <= 0 || k <= 0 || d <= 0)
        return std::nullopt;
    const std::int64_t dilated = k + (k - 1) * (d - 1);
    std::int64_t len;
    if (padding == QLatin1String("same") || padding == QLatin1String("causal"))
        len = *in;
    else if (padding == QLatin1String("valid"))
        len = *in - dilated + 1;
    else if (padding == QLatin1String("full"))
        len = *in + dilated - 1;
    else
        return std::nullopt;
    return len <= 0 ? 0 : (len + s - 1) / s;
}

// keras deconv_output_length.
Dim deconvLength(Dim in, std::int64_t k, const QString &padding, std::int64_t s, std::int64_t d,
                 std::optional<std::int64_t> outputPadding)
{
    if (!in || s <= 0 || k <= 0 || d <= 0)
        return std::nullopt;
    const std::int64_t dilated = k + (k - 1) * (d - 1);
    const bool same = padding == QLatin1String("same"), valid = padding == QLatin1String("valid");
    if (!same && !valid)
        return std::nullopt;
    if (!outputPadding)
        return valid ? *in * s + std::max<std::int64_t>(dilated - s, 0) : *in * s;
    const std::int64_t pad = same ? dilated / 2 : 0;
    return (*in - 1) * s + dilated - 2 * pad + *outputPadding;
}

Dim times(Dim a, std::int64_t b)
{
    return mul(a, b);
}

std::optional<Dims> conv(const QString &c, const QJsonObject &cfg, const Dims &in)
{
    const int r = rankOf(c);
    const auto layout = layoutOf(in, r, cfg);
    const Ints ones(std::size_t(r), 1);
    const auto k = ints(cfg.value("kernel_size"), r);
    const auto s = ints(cfg.value("strides"), r, ones);
    const auto d = ints(cfg.value("dilation_rate"), r, ones);
    if (!layout || !k || !s || !d)
        return std::nullopt;
    const QString padding = cfg.value("padding").toString(QStringLiteral("valid"));
    const bool transpose = c.endsWith(QLatin1String("Transpose"));
    std::optional<Ints> outPad;
    if (transpose && !cfg.value("output_padding").isNull() &&
        !cfg.value("output_padding").isUndefined()) {
        outPad = ints(cfg.value("output_padding"), r);
        if (!outPad)
            return std::nullopt;
    }
    Dims out = in;
    for (std::size_t i = 0; i < std::size_t(r); ++i) {
        const Dim x = in[layout->first + i];
        out[layout->first + i] =
            transpose ? deconvLength(x, (*k)[i], padding, (*s)[i], (*d)[i],
                                     outPad ? std::optional((*outPad)[i]) : std::nullopt)
                      : convLength(x, (*k)[i], padding, (*s)[i], (*d)[i]);
    }
    if (c.startsWith(QLatin1String("Depthwise"))) {
        out[layout->channel] =
            times(in[layout->channel], std::int64_t(cfg.value("depth_multiplier").toInt(1)));
    } else {
        if (!isInt(cfg.value("filters")))
            return std::nullopt;
        out[layout->channel] = std::int64_t(cfg.value("filters").toDouble());
    }
    return out;
}

std::optional<Dims> pool(const QString &c, const QJsonObject &cfg, const Dims &in)
{
    const int r = rankOf(c);
    const auto layout = layoutOf(in, r, cfg);
    const auto size = ints(cfg.value("pool_size"), r, Ints(std::size_t(r), 2));
    const auto s = ints(cfg.value("strides"), r, size);
    if (!layout || !size || !s)
        return std::nullopt;
    const QString padding = cfg.value("padding").toString(QStringLiteral("valid"));
    Dims out = in;
    for (std::size_t i = 0; i < std::size_t(r); ++i)
        out[layout->first + i] = convLength(in[layout->first + i], (*size)[i], padding, (*s)[i], 1);
    return out;
}

std::optional<Dims> globalPool(const QString &c, const QJsonObject &cfg, const Dims &in)
{
    const int r = rankOf(c);
    const auto layout = layoutOf(in, r, cfg);
    if (!layout)
        return std::nullopt;
    if (!cfg.value("keepdims").toBool(false))
        return Dims{in[0], in[layout->channel]};
    Dims out = in;
    for (std::size_t i = 0; i < std::size_t(r); ++i)
        out[layout->first + i] = 1;
    return out;
}

// ZeroPadding/Cropping amounts: (before, after) per spatial dimension.
std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> pads(const QJsonValue &v, int r)
{
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    if (isInt(v)) {
        const auto p = std::int64_t(v.toDouble());
        return decltype(out)(std::size_t(r), {p, p});
    }
    const auto a = v.toArray();
    if (r == 1 && a.size() == 2 && isInt(a[0]) && isInt(a[1]))
        return decltype(out){{std::int64_t(a[0].toDouble()), std::int64_t(a[1].toDouble())}};
    if (a.size() != r)
        return std::nullopt;
    for (const auto &e : a) {
        const auto pair = e.toArray();
        if (isInt(e))
            out.push_back({std::int64_t(e.toDouble()), std::int64_t(e.toDouble())});
        else if (pair.size() == 2 && isInt(pair[0]) && isInt(pair[1]))
            out.push_back({std::int64_t(pair[0].toDouble()), std::int64_t(pair[1].toDouble())});
        else
            return std::nullopt;
    }
    return out;
}

std::optional<Dims> padOrCrop(const QString &c, const QJsonObject &cfg, const Dims &in)
{
    const int r = rankOf(c);
    const auto layout = layoutOf(in, r, cfg);
    const bool crop = c.startsWith(QLatin1String("Cropping"));
    const auto p = pads(cfg.value(crop ? "cropping" : "padding"), r);
    if (!layout || !p)
        return std::nullopt;
    Dims out = in;
    for (std::size_t i = 0; i < std::size_t(r); ++i) {
        const Dim x = in[layout->first + i];
        const std::int64_t total = (*p)[i].first + (*p)[i].second;
        out[layout->first + i] = x ? Dim(*x + (crop ? -total : total)) : std::nullopt;
    }
    return out;
}

std::optional<Dims> upSample(const QString &c, const QJsonObject &cfg, const Dims &in)
{
    const int r = rankOf(c);
    const auto layout = layoutOf(in, r, cfg);
    const auto size = ints(cfg.value("size"), r, Ints(std::size_t(r), 2));
    if (!layout || !size)
        return std::nullopt;
    Dims out = in;
    for (std::size_t i = 0; i < std::size_t(r); ++i)
        out[layout->first + i] = times(in[layout->first + i], (*size)[i]);
    return out;
}

std::optional<Dims> reshape(const QJsonObject &cfg, const Dims &in)
{
    const auto target = cfg.value("target_shape").toArray();
    if (in.empty() || target.isEmpty())
        return std::nullopt;
    Dims out{in[0]};
    std::optional<std::int64_t> total = 1;
    for (std::size_t i = 1; i < in.size(); ++i)
        total = mul(total, in[i]);
    Dim known = 1;
    int unknownAt = -1;
    for (const auto &v : target) {
        if (!isInt(v))
            return std::nullopt;
        const auto n = std::int64_t(v.toDouble());
        if (n == -1)
            unknownAt = int(out.size());
        else
            known = mul(known, n);
        out.push_back(n);
    }
    if (unknownAt >= 0)
        out[std::size_t(unknownAt)] = total && known && *known > 0
                                          ? Dim(*total / *known)
                                          : std::nullopt; // None, as Keras prints
    return out;
}

// Elementwise merges broadcast like Keras's _compute_elemwise_op_output_shape.
std::optional<Dims> elementwise(const QList<std::optional<Dims>> &ins)
{
    if (ins.isEmpty() || !ins.front())
        return std::nullopt;
    Dims out = *ins.front();
    for (const auto &other : ins.mid(1)) {
        if (!other || other->size() != out.size())
            return std::nullopt;
        for (std::size_t i = 0; i < out.size(); ++i) {
            const Dim a = out[i], b = (*other)[i];
            out[i] = !a || !b ? std::nullopt : *a == 1 ? b : a;
        }
    }
    return out;
}

std::optional<Dims> concatenate(const QJsonObject &cfg, const QList<std::optional<Dims>> &ins)
{
    if (ins.isEmpty() || !ins.front())
        return std::nullopt;
    Dims out = *ins.front();
    const int rank = int(out.size());
    int axis = cfg.value("axis").toInt(-1);
    if (axis < 0)
        axis += rank;
    if (axis < 1 || axis >= rank)
        return std::nullopt;
    for (const auto &other : ins.mid(1)) {
        if (!other || int(other->size()) != rank)
            return std::nullopt;
        const Dim a = out[std::size_t(axis)], b = (*other)[std::size_t(axis)];
        out[std::size_t(axis)] = add(a, b);
    }
    return out;
}

std::optional<Dims> recurrent(const QJsonObject &cfg, const Dims &in)
{
    if (in.size() != 3 || !isInt(cfg.value("units")) || cfg.value("return_state").toBool(false))
        return std::nullopt; // return_state gives several outputs
    const Dim units = std::int64_t(cfg.value("units").toDouble());
    if (cfg.value("return_sequences").toBool(false))
        return Dims{in[0], in[1], units};
    return Dims{in[0], units};
}

std::optional<Dims> infer(const QString &c, const QJsonObject &cfg,
                          const QList<std::optional<Dims>> &ins);

// The wrapped layer of Bidirectional / TimeDistributed.
std::optional<Dims> wrapped(const QJsonObject &cfg, const Dims &in)
{
    const auto inner = cfg.value("layer").toObject();
    return infer(inner.value("class_name").toString(), inner.value("config").toObject(), {in});
}

std::optional<Dims> infer(const QString &c, const QJsonObject &cfg,
                          const QList<std::optional<Dims>> &ins)
{
    static const QStringList same = {"InputLayer",
                                     "Dropout",
                                     "Activation",
                                     "ReLU",
                                     "LeakyReLU",
                                     "ELU",
                                     "PReLU",
                                     "Softmax",
                                     "ThresholdedReLU",
                                     "BatchNormalization",
                                     "LayerNormalization",
                                     "GroupNormalization",
                                     "GaussianNoise",
                                     "GaussianDropout",
                                     "SpatialDropout1D",
                                     "SpatialDropout2D",
                                     "SpatialDropout3D",
                                     "AlphaDropout",
                                     "ActivityRegularization",
                                     "Normalization",
                                     "UnitNormalization",
                                     "Rescaling",
                                     "Masking",
                                     "Identity"};
    static const QStringList merges = {"Add",     "Subtract", "Multiply",
                                       "Average", "Maximum",  "Minimum"};
    static const QRegularExpression convRe(
        QStringLiteral("^(Separable|Depthwise)?Conv(olution)?[123]D(Transpose)?$"));
    static const QRegularExpression poolRe(QStringLiteral("^(Max|Average|Avg)Pool(ing)?[123]D$"));
    static const QRegularExpression globalRe(
        QStringLiteral("^Global(Max|Average|Avg)Pool(ing)?[123]D$"));
    static const QRegularExpression padRe(QStringLiteral("^(ZeroPadding|Cropping)[123]D$"));
    static const QRegularExpression upRe(QStringLiteral("^UpSampling[123]D$"));

    if (c == QLatin1String("Concatenate"))
        return concatenate(cfg, ins);
    if (merges.contains(c))
        return elementwise(ins);
    if (ins.size() != 1 || !ins.front())
        return std::nullopt;
    const Dims &in = *ins.front();
    if (same.contains(c))
        return in;
    if (c == QLatin1String("Dense")) {
        if (in.size() < 2 || !isInt(cfg.value("units")))
            return std::nullopt;
        Dims out = in;
        out.back() = std::int64_t(cfg.value("units").toDouble());
        return out;
    }
    if (convRe.match(c).hasMatch())
        return conv(c, cfg, in);
    if (poolRe.match(c).hasMatch())
        return pool(c, cfg, in);
    if (globalRe.match(c).hasMatch())
        return globalPool(c, cfg, in);
    if (padRe.match(c).hasMatch())
        return padOrCrop(c, cfg, in);
    if (upRe.match(c).hasMatch())
        return upSample(c, cfg, in);
    if (c == QLatin1String("Flatten")) {
        if (in.empty())
            return std::nullopt;
        Dim n = 1;
        for (std::size_t i = 1; i < in.size(); ++i)
            n = mul(n, in[i]);
        return Dims{in[0], n};
    }
    if (c == QLatin1String("Reshape"))
        return reshape(cfg, in);
    if (c == QLatin1String("Permute")) {
        Dims out{in.empty() ? Dim() : in[0]};
        for (const auto &d : cfg.value("dims").toArray()) {
            const int i = d.toInt(-1);
            if (i < 1 || std::size_t(i) >= in.size())
                return std::nullopt;
            out.push_back(in[std::size_t(i)]);
        }
        return out.size() == in.size() ? std::optional(out) : std::nullopt;
    }
    if (c == QLatin1String("RepeatVector")) {
        if (in.size() != 2 || !isInt(cfg.value("n")))
            return std::nullopt;
        return Dims{in[0], std::int64_t(cfg.value("n").toDouble()), in[1]};
    }
    if (c == QLatin1String("Embedding")) {
        if (!isInt(cfg.value("output_dim")))
            return std::nullopt;
        Dims out = in;
        out.push_back(std::int64_t(cfg.value("output_dim").toDouble()));
        return out;
    }
    static const QStringList rnn = {"LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU"};
    if (rnn.contains(c))
        return recurrent(cfg, in);
    if (c == QLatin1String("Bidirectional")) {
        const QJsonValue mode = cfg.value("merge_mode");
        auto out = wrapped(cfg, in);
        if (!out || out->empty() || mode.isNull())
            return std::nullopt; // merge_mode None: two outputs
        if (mode.toString(QStringLiteral("concat")) == QLatin1String("concat"))
            out->back() = times(out->back(), 2);
        return out;
    }
    if (c == QLatin1String("TimeDistributed")) {
        if (in.size() < 3)
            return std::nullopt;
        Dims step{in[0]};
        step.insert(step.end(), in.begin() + 2, in.end());
        const auto inner = wrapped(cfg, step);
        if (!inner || inner->empty())
            return std::nullopt;
        Dims out{in[0], in[1]};
        out.insert(out.end(), inner->begin() + 1, inner->end());
        return out;
    }
    return std::nullopt;
}

} // namespace

std::optional<QJsonArray> inferOutputShape(const QString &className, const QJsonObject &config,
                                           const QList<std::optional<QJsonArray>> &inputs)
{
    QList<std::optional<Dims>> ins;
    for (const auto &i : inputs)
        ins << toDims(i);
    const auto out = infer(className, config, ins);
    return out ? std::optional(toJson(*out)) : std::nullopt;
}

} // namespace wl::keras
