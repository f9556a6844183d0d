#include "convert.h"

#include "atomicfile.h"

#include "core/sha256.h"
#include "formats/safetensorsreader.h"
#include "io/mappedfile.h"
#include "kerash5writer.h"
#include "pytorchwriter.h"
#include "safetensorswriter.h"
#include "tfbundlewriter.h"
#include "verifywritten.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace wl
{
namespace
{

const QLatin1String kTfReader("tf-bundle");

// Readers whose keys are flat tensor names as safetensors files hold them (a state_dict's
// "fc1.weight"): those keys go to safetensors unchanged, where a PyTorch or Hugging Face user
// looks them up, rather than the tree's '/' names.
bool keysAreTensorNames(const QString &readerId)
{
    static const QStringList ids{QStringLiteral("pytorch"), QStringLiteral("safetensors"),
                                 QStringLiteral("hf-sharded"), QStringLiteral("onnx"),
                                 QStringLiteral("numpy")};
    return ids.contains(readerId);
}

QByteArray sha256(QByteArrayView bytes)
{
    return Sha256::hash(bytes);
}

// Why `format` cannot hold tensor t, or empty when it can.
QString cannotHold(ConvertFormat format, const TensorInfo &t)
{
    if (t.location.storage == TensorLocation::Storage::None)
        return QStringLiteral("its values cannot be read");
    if (!dtypeIsNumeric(t.dtype))
        return QStringLiteral("%1 is not a numeric dtype").arg(t.dtypeText());
    const bool holds = format == ConvertFormat::TfBundle  ? dtypeToTensorFlow(t.dtype) > 0
                       : format == ConvertFormat::KerasH5 ? kerasH5Holds(t.dtype)
                       : format == ConvertFormat::PyTorch
                           ? pytorchHolds(t.dtype)
                           : !safetensorsDTypeName(t.dtype).isEmpty();
    if (!holds)
        return QStringLiteral("%1 has no %2 dtype").arg(t.dtypeText(), convertFormatName(format));
    return {};
}

struct Planned {
    int tensor;
    QString name; // the name written
};

// The planned tensors for the safetensors and PyTorch writers, each read when it is written.
std::vector<SafetensorsTensor> streamed(const Checkpoint &in, const QVector<Planned> &plan)
{
    std::vector<SafetensorsTensor> tensors;
    for (const auto &p : plan) {
        const auto &t = in.tensor(p.tensor);
        tensors.push_back(
            {p.name, t.dtype, t.shape, [&in, i = p.tensor] { return in.readTensor(i); }});
    }
    return tensors;
}

QStringList outputFiles(const QString &out, ConvertFormat format)
{
    if (format == ConvertFormat::TfBundle)
        return {out + QLatin1String(".index"), out + QLatin1String(".data-00000-of-00001")};
    return {out};
}

// A TensorFlow checkpoint written tensor by tensor; with `keepKeys` (a TF input) each tensor
// stored whole with its checksum is copied as stored, strings and object graph included.
Result<QHash<QString, QByteArray>> writeTf(const Checkpoint &in, const QString &out,
                                           const QVector<Planned> &plan, bool keepKeys,
                                           const JobContext &job)
{
    QHash<QString, QByteArray> expected;
    TfBundleWriter writer(out);
    for (const auto &p : plan) {
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, out, {}, {});
        const auto &t = in.tensor(p.tensor);
        const auto &loc = t.location;
        Status st = Ok{};
        if (keepKeys && loc.storage == TensorLocation::Storage::Raw && !loc.bigEndian &&
            loc.maskedCrc32c) {
            auto stored = readFileBytes(loc.file, loc.offset, loc.size);
            if (!stored.ok())
                return stored.error();
            if (stored->size() != loc.size)
                return makeError(LoadError::Code::Truncated, loc.file,
                                 QStringLiteral("offset %1").arg(loc.offset),
                                 QStringLiteral("%1 bytes of %2").arg(loc.size).arg(t.key),
                                 QString::number(stored->size()));
            st = writer.addStored(p.name, t.dtype, t.shape, *stored, *loc.maskedCrc32c);
            expected.insert(p.name, sha256(*stored));
        } else {
            auto bytes = in.readTensor(p.tensor);
            if (!bytes.ok())
                return bytes.error();
            st = writer.add(p.name, t.dtype, t.shape, *bytes);
            expected.insert(p.name, sha256(*bytes));
        }
        if (!st.ok())
            return st.error();
        job.progress(0.8 * double(expected.size()) / double(plan.size()),
                     QStringLiteral("writing"));
    }
    if (auto st = writer.finish(); !st.ok())
        return st.error();
    return expected;
}

// save_weights' layout: a variable "a/b/kernel" is weight "a/b/kernel:0" of layer "a/b" (the
// reader's readable name is the layer, then the weight without the layer's prefix); anything
// else goes to /optimizer_weights under its name. Each tensor is read while it is written.
Result<QHash<QString, QByteArray>> writeH5(const Checkpoint &in, const QString &out,
                                           const QVector<Planned> &plan,
                                           QHash<QString, QString> &keyOf, const JobContext &job)
{
    KerasH5Model model;
    model.weightsOnly = true;
    QHash<QString, std::size_t> layerOf;
    QHash<QString, QByteArray> expected;
    int done = 0;
    for (const auto &p : plan) {
        const auto &t = in.tensor(p.tensor);
        KerasH5Weight w{p.name + QLatin1String(":0"), t.shape, {}, t.dtype, {}};
        QString key;
        if (t.role != TensorRole::Variable) {
            key = QLatin1String("optimizer_weights/") + w.name;
        } else {
            const qsizetype slash = p.name.lastIndexOf(QLatin1Char('/'));
            const QString layer = slash > 0 ? p.name.left(slash) : p.name;
            key = layer + QLatin1Char('/') + w.name;
        }
        keyOf.insert(p.name, key);
        w.load = [&, i = p.tensor, key]() -> Result<QByteArray> {
            if (job.cancelled())
                return makeError(LoadError::Code::Cancelled, out, {}, {});
            auto bytes = in.readTensor(i);
            if (bytes.ok())
                expected.insert(key, sha256(*bytes));
            job.progress(0.8 * double(++done) / double(plan.size()), QStringLiteral("writing"));
            return bytes;
        };
        if (t.role != TensorRole::Variable) {
            model.optimizerWeights.push_back(std::move(w));
        } else {
            const QString layer = key.left(key.size() - w.name.size() - 1);
            auto it = layerOf.constFind(layer);
            if (it == layerOf.cend()) {
                it = layerOf.insert(layer, model.layers.size());
                model.layers.push_back({layer, {}});
            }
            model.layers[*it].weights.push_back(std::move(w));
        }
    }
    if (auto st = writeKerasH5(out, model); !st.ok())
        return st.error();
    return expected;
}

} // namespace

std::optional<ConvertFormat> convertFormatFromName(const QString &name)
{
    for (auto f : {ConvertFormat::TfBundle, ConvertFormat::KerasH5, ConvertFormat::Safetensors,
                   ConvertFormat::PyTorch})
        if (convertFormatName(f) == name)
            return f;
    return std::nullopt;
}

QString convertFormatName(ConvertFormat format)
{
    switch (format) {
    case ConvertFormat::TfBundle:
        return QStringLiteral("tf");
    case ConvertFormat::KerasH5:
        return QStringLiteral("keras-h5");
    case ConvertFormat::Safetensors:
        return QStringLiteral("safetensors");
    case ConvertFormat::PyTorch:
        return QStringLiteral("pytorch");
    }
    return {};
}

ConvertFormat convertFormatFromPath(const QString &path)
{
    const QString lower = path.toLower();
    if (lower.endsWith(QLatin1String(".h5")) || lower.endsWith(QLatin1String(".hdf5")))
        return ConvertFormat::KerasH5;
    if (lower.endsWith(QLatin1String(".safetensors")))
        return ConvertFormat::Safetensors;
    if (lower.endsWith(QLatin1String(".pt")) || lower.endsWith(QLatin1String(".pth")))
        return ConvertFormat::PyTorch;
    return ConvertFormat::TfBundle;
}

Result<ConvertReport> convertCheckpoint(const Checkpoint &in, const QString &outPath,
                                        ConvertFormat format, const JobContext &job)
{
    const auto &index = in.index();
    // "OUT.index" names the prefix OUT, as everywhere a checkpoint is named.
    QString out = outPath;
    if (format == ConvertFormat::TfBundle && out.endsWith(QLatin1String(".index")))
        out.chop(6);
    const QString logPath = out + QLatin1String(".convert.json");
    QStringList mustBeNew = outputFiles(out, format);
    mustBeNew << logPath;
    for (const QString &f : std::as_const(mustBeNew))
        if (QFileInfo::exists(f))
            return makeError(LoadError::Code::WriteFailed, f, {}, QStringLiteral("a new file"),
                             QStringLiteral("an existing file"));

    const bool keepKeys = index.readerId == kTfReader && format == ConvertFormat::TfBundle;
    const bool flatTarget =
        format == ConvertFormat::Safetensors || format == ConvertFormat::PyTorch;
    const bool keyNames = flatTarget && keysAreTensorNames(index.readerId);
    ConvertReport report;
    report.path = out;
    report.format = format;
    QVector<Planned> plan;
    QHash<QString, int> byName; // name written -> input tensor
    for (int i = 0; i < index.tensors.size(); ++i) {
        const auto &t = index.tensors[i];
        QString name = t.key;
        if (!keepKeys) {
            if (const QString why = cannotHold(format, t); !why.isEmpty()) {
                report.skipped << QStringLiteral("%1: %2").arg(t.key, why);
                continue;
            }
            // The readable name, as every reader gives it: what the user knows the tensor by.
            if (!t.name.isEmpty() && !keyNames)
                name = t.name;
            // A state_dict's keys are dotted module paths.
            if (format == ConvertFormat::PyTorch && !keyNames)
                name.replace(QLatin1Char('/'), QLatin1Char('.'));
        } else if (t.location.storage == TensorLocation::Storage::None) {
            report.skipped << QStringLiteral("%1: its values cannot be read").arg(t.key);
            continue;
        }
        if (const auto it = byName.constFind(name); it != byName.cend())
            return makeError(LoadError::Code::BadArgument, index.path, t.key,
                             QStringLiteral("one tensor per name written"),
                             QStringLiteral("'%1' also for %2").arg(name, index.tensors[*it].key));
        byName.insert(name, i);
        plan.append({i, name});
    }
    if (plan.isEmpty())
        return makeError(LoadError::Code::BadArgument, index.path, {},
                         QStringLiteral("tensors %1 can hold").arg(convertFormatName(format)),
                         QStringLiteral("none"));

    Result<QHash<QString, QByteArray>> written = QHash<QString, QByteArray>();
    QHash<QString, QString> keyOf; // name -> key written, where they differ
    switch (format) {
    case ConvertFormat::TfBundle:
        written = writeTf(in, out, plan, keepKeys, job);
        break;
    case ConvertFormat::KerasH5:
        written = writeH5(in, out, plan, keyOf, job);
        break;
    case ConvertFormat::PyTorch:
        written = writePyTorch(out, streamed(in, plan), job);
        break;
    case ConvertFormat::Safetensors: {
        std::vector<SafetensorsTensor> tensors = streamed(in, plan);
        // A safetensors input's own metadata goes along; strings to strings only.
        QMap<QString, QString> metadata;
        const QJsonObject meta = index.summary.value(QStringLiteral("metadata")).toObject();
        for (auto it = meta.begin(); it != meta.end(); ++it)
            if (it.value().isString())
                metadata.insert(it.key(), it.value().toString());
        auto hashes = writeSafetensors(out, std::move(tensors), metadata, job);
        if (!hashes.ok())
            return hashes.error();
        written = hashes.value();
        break;
    }
    }
    if (!written.ok())
        return written.error();
    // The safetensors and PyTorch writers read their results back themselves.
    if (format == ConvertFormat::TfBundle || format == ConvertFormat::KerasH5) {
        if (auto st = verifyWritten(out, *written, job); !st.ok()) {
            // A result that does not read back as written is not left under its name.
            for (const QString &f : outputFiles(out, format))
                QFile::remove(f);
            return st.error();
        }
    }
    for (const auto &p : plan) {
        const QString key = keyOf.value(p.name, p.name);
        report.written.append({key, index.tensors[p.tensor].key, written->value(key)});
    }
    // The log beside the result, as restore keeps one: what came from where, and its digest.
    QJsonArray entries;
    for (const auto &w : report.written)
        entries.append(
            QJsonObject{{QStringLiteral("key"), w.key},
                        {QStringLiteral("from_key"), w.fromKey},
                        {QStringLiteral("sha256"), QString::fromLatin1(w.sha256.toHex())}});
    const QJsonObject log{{QStringLiteral("from"), index.path},
                          {QStringLiteral("out"), out},
                          {QStringLiteral("format"), convertFormatName(format)},
                          {QStringLiteral("written"), entries},
                          {QStringLiteral("skipped"), QJsonArray::fromStringList(report.skipped)}};
    if (auto st = writeBytesAtomically(logPath, QJsonDocument(log).toJson()); !st.ok())
        return st.error();
    report.logPath = logPath;
    job.progress(1.0, QStringLiteral("done"));
    return report;
}

} // namespace wl
