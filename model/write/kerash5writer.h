#pragma once

#include "core/dtype.h"
#include "core/result.h"
#include "core/shape.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <cstdint>
#include <functional>
#include <vector>

namespace wl
{

// One weight as Keras 2 names it in an .h5 file, e.g. "dense/kernel:0" or "Adam/iter:0".
// `bytes` are little-endian C-order elements of `dtype`: floats (bfloat16 as h5py stores it, an
// opaque type with the attribute dtype="bfloat16"), integers or bool (h5py's enum).
struct KerasH5Weight {
    QString name;
    Shape shape;
    QByteArray bytes;
    DType dtype = DType::Float32;
    // When set, the bytes are asked for only while this weight is written (`bytes` unused), so
    // a whole model need not be held at once.
    std::function<Result<QByteArray>()> load = nullptr;
};

struct KerasH5Layer {
    QString name;
    std::vector<KerasH5Weight> weights;
};

// A whole model as Keras 2's model.save('x.h5') lays it out (formats-keras-pytorch.md 2.1):
// root attributes keras_version, backend, model_config, training_config; /model_weights with
// layer_names, backend, keras_version and one group per layer holding weight_names; and
// /optimizer_weights with weight_names. The JSON strings are stored as given. `weightsOnly` is
// the layout of save_weights('x.h5') instead (2.3): the layer groups and their layer_names,
// backend and keras_version at the root, no configs.
struct KerasH5Model {
    bool weightsOnly = false;
    QString kerasVersion = QStringLiteral("2.7.0");
    QString backend = QStringLiteral("tensorflow");
    QByteArray modelConfig;
    QByteArray trainingConfig;
    std::vector<KerasH5Layer> layers;
    std::vector<KerasH5Weight> optimizerWeights;
};

// Whether a Keras .h5 written here can hold elements of `dtype`.
bool kerasH5Holds(DType dtype);

// Writes `model` to `path` through a temporary name in the same folder: the file is closed,
// read back and compared, fsynced and renamed into place. As ModelCheckpoint does, an existing
// file is replaced only when `overwrite` is set.
Status writeKerasH5(const QString &path, const KerasH5Model &model, bool overwrite = false);

// Overwrites datasets (by path) of an existing HDF5 file in place with little-endian C-order
// elements of their own type and size, through the HDF5 library; every other object, attribute
// and dataset of the file stays as it was. The file is flushed and fsynced.
Status overwriteH5Datasets(const QString &path, const QList<QPair<QString, QByteArray>> &datasets);

} // namespace wl
