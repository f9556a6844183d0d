#pragma once

#include "formats/checkpoint.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>
#include <optional>

namespace wl
{

enum class ConvertFormat { TfBundle, KerasH5, Safetensors, PyTorch };

// "tf", "keras-h5", "safetensors", "pytorch" both ways.
std::optional<ConvertFormat> convertFormatFromName(const QString &name);
QString convertFormatName(ConvertFormat format);
// From the output's name: .h5/.hdf5/.keras.h5 Keras, .safetensors safetensors, .pt/.pth a
// PyTorch state_dict, anything else (a prefix, .ckpt, .index) a TensorFlow checkpoint.
ConvertFormat convertFormatFromPath(const QString &path);

struct ConvertedTensor {
    QString key;     // as written
    QString fromKey; // the input's key
    QByteArray sha256;
};

struct ConvertReport {
    QString path; // the file or checkpoint prefix written
    ConvertFormat format = ConvertFormat::TfBundle;
    QVector<ConvertedTensor> written;
    QStringList skipped; // "KEY: why", for tensors the format cannot hold
    QString logPath;     // OUT.convert.json: from, out, format, written (key, from_key, sha256)
};

// Writes every tensor of `in` to a new file or checkpoint `out` in `format`. A TensorFlow
// checkpoint into a TensorFlow checkpoint keeps every key, strings and object graph included;
// a PyTorch, safetensors, ONNX or NumPy input into safetensors or PyTorch keeps its keys
// (state_dict names); otherwise tensors are named by their readable name (as `ls` shows it),
// into PyTorch with '.' for '/'. Tensors the target cannot hold (strings) are skipped and
// listed. A Keras .h5 gets the layout save_weights writes:
// one layer group per path without its last segment, optimizer state under /optimizer_weights. The
// input is only read; an existing output is refused; every tensor is read back and its sha256
// compared.
Result<ConvertReport> convertCheckpoint(const Checkpoint &in, const QString &out,
                                        ConvertFormat format,
                                        const JobContext &job = JobContext::none());

} // namespace wl
