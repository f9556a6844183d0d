#pragma once

#include "core/dtype.h"
#include "core/result.h"
#include "core/shape.h"
#include "jobs/jobcontext.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QString>
#include <functional>
#include <vector>

namespace wl
{

struct SafetensorsTensor {
    QString name;
    DType dtype = DType::Float32;
    Shape shape;
    // The tensor's little-endian C-order elements, asked for when the tensor is written, so
    // only one tensor is held at a time.
    std::function<Result<QByteArray>()> bytes;
};

// Tensor t's bytes for the writer of `path`: cancellation checked, their count checked against
// `size`, their sha256 recorded in `written` under the tensor's name.
Result<QByteArray> bytesToWrite(const SafetensorsTensor &t, std::int64_t size, const QString &path,
                                QHash<QString, QByteArray> &written, const JobContext &job);

// Writes a safetensors file (formats-keras-pytorch.md 5) as the reference writer lays it out:
// header padded with spaces to a multiple of 8, data sorted by descending element size, then
// name. The file goes through the atomic writer, is read back through our own reader (header
// valid, buffer tiled) and every tensor's sha256 compared with what was written; a result that
// fails this is removed. Returns name -> sha256 of what was written.
Result<QHash<QString, QByteArray>> writeSafetensors(const QString &path,
                                                    std::vector<SafetensorsTensor> tensors,
                                                    const QMap<QString, QString> &metadata = {},
                                                    const JobContext &job = JobContext::none());

} // namespace wl
