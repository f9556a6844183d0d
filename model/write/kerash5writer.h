#pragma once

#include "core/result.h"
#include "core/shape.h"

#include <QByteArray>
#include <QString>
#include <cstdint>
#include <vector>

namespace wl
{

// One weight as Keras 2 names it in an .h5 file, e.g. "dense/kernel:0" or "Adam/iter:0".
// `bytes` are little-endian C-order float32 elements, or one int64 when `int64` is set.
struct KerasH5Weight {
    QString name;
    Shape shape;
    QByteArray bytes;
    bool int64 = false;
};

struct KerasH5Layer {
    QString name;
    std::vector<KerasH5Weight> weights;
};

// A whole model as Keras 2's model.save('x.h5') lays it out (formats-keras-pytorch.md 2.1):
// root attributes keras_version, backend, model_config, training_config; /model_weights with
// layer_names, backend, keras_version and one group per layer holding weight_names; and
// /optimizer_weights with weight_names. The JSON strings are stored as given.
struct KerasH5Model {
    QString kerasVersion = QStringLiteral("2.7.0");
    QString backend = QStringLiteral("tensorflow");
    QByteArray modelConfig;
    QByteArray trainingConfig;
    std::vector<KerasH5Layer> layers;
    std::vector<KerasH5Weight> optimizerWeights;
};

// Writes `model` to `path` through a temporary name in the same folder: the file is closed,
// read back and compared, fsynced and renamed into place. As ModelCheckpoint does, an existing
// file is replaced only when `overwrite` is set.
Status writeKerasH5(const QString &path, const KerasH5Model &model, bool overwrite = false);

} // namespace wl
