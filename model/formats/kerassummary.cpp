#include "core/plural.h"
#include "kerasmodel.h"

#include <algorithm>

#include <QJsonArray>
#include <QLocale>

namespace wl::keras
{
namespace
{

QString grouped(std::int64_t n)
{
    QLocale c(QLocale::C);
    c.setNumberOptions(QLocale::DefaultNumberOptions);
    return c.toString(qlonglong(n));
}

QString pad(const QString &s, int width)
{
    return s.size() >= width ? s + QLatin1Char(' ') : s.leftJustified(width);
}

} // namespace

void describe(CheckpointIndex &index, const ModelFacts &facts)
{
    std::int64_t total = 0, nonTrainable = 0;
    for (const auto &l : facts.layers) {
        total += l.params;
        nonTrainable += l.nonTrainable;
    }
    if (facts.version)
        index.metadata << qMakePair(QStringLiteral("Keras version"), *facts.version);
    if (!facts.backend.isEmpty())
        index.metadata << qMakePair(QStringLiteral("Backend"), facts.backend);
    if (!facts.training.optimizer.isEmpty())
        index.metadata << qMakePair(QStringLiteral("Optimizer"), facts.training.optimizer);
    if (!facts.training.loss.isEmpty())
        index.metadata << qMakePair(QStringLiteral("Loss"), facts.training.loss);
    if (!facts.training.metrics.isEmpty())
        index.metadata << qMakePair(QStringLiteral("Metrics"),
                                    facts.training.metrics.join(QStringLiteral(", ")));

    QJsonObject s;
    if (facts.generic) {
        s.insert("kind", "hdf5");
        s.insert("format", "hdf5");
        s.insert("groups", facts.groups);
        s.insert("datasets", int(index.tensors.size()));
        index.summary = s;
        index.summaryText =
            QStringLiteral("HDF5 file (not a Keras layout): %1, %2")
                .arg(counted(facts.groups, "group"), counted(index.tensors.size(), "dataset"));
        return;
    }
    s.insert("kind", "keras");
    s.insert("format", facts.format);
    s.insert("version", facts.version ? QJsonValue(*facts.version) : QJsonValue());
    if (!facts.modelClass.isEmpty())
        s.insert("model_class", facts.modelClass);
    if (!facts.modelName.isEmpty())
        s.insert("model_name", facts.modelName);
    QJsonArray layers;
    for (const auto &l : facts.layers)
        layers.append(QJsonObject{{"name", l.name},
                                  {"class", l.className},
                                  {"output_shape", l.outputShape},
                                  {"params", double(l.params)}});
    s.insert("layers", layers);
    s.insert("total_params", double(total));
    s.insert("trainable_params", double(total - nonTrainable));
    s.insert("non_trainable_params", double(nonTrainable));
    s.insert("layer_order", facts.order);
    if (!facts.training.optimizer.isEmpty() || facts.optimizerTensors > 0) {
        QJsonObject o;
        if (!facts.training.optimizer.isEmpty())
            o.insert("class", facts.training.optimizer);
        o.insert("tensors", facts.optimizerTensors);
        o.insert("values", double(facts.optimizerValues));
        s.insert("optimizer", o);
    }
    if (!facts.training.loss.isEmpty())
        s.insert("loss", facts.training.loss);
    index.summary = s;

    QStringList out;
    QString head = QStringLiteral("Model");
    if (!facts.modelName.isEmpty())
        head += QStringLiteral(": \"%1\"").arg(facts.modelName);
    if (!facts.modelClass.isEmpty())
        head += QStringLiteral(" (%1)").arg(facts.modelClass);
    out << head;
    int nameWidth = 28, shapeWidth = 20;
    for (const auto &l : facts.layers) {
        nameWidth = std::max<int>(nameWidth, l.name.size() + l.className.size() + 4);
        shapeWidth = std::max<int>(shapeWidth, l.outputShape.size() + 2);
    }
    const QString rule(nameWidth + shapeWidth + 12, QLatin1Char('-'));
    out << rule;
    out << pad(QStringLiteral("Layer (type)"), nameWidth) +
               pad(QStringLiteral("Output Shape"), shapeWidth) +
               QStringLiteral("Param #").rightJustified(12);
    out << rule;
    for (const auto &l : facts.layers)
        out << pad(QStringLiteral("%1 (%2)").arg(l.name, l.className), nameWidth) +
                   pad(l.outputShape, shapeWidth) + grouped(l.params).rightJustified(12);
    out << rule;
    out << QStringLiteral("Total params: %1").arg(grouped(total));
    out << QStringLiteral("Trainable params: %1").arg(grouped(total - nonTrainable));
    out << QStringLiteral("Non-trainable params: %1").arg(grouped(nonTrainable));
    if (facts.optimizerTensors > 0)
        out << QStringLiteral("Optimizer weights (not counted): %1, %2 %3%4")
                   .arg(counted(facts.optimizerTensors, "tensor"), grouped(facts.optimizerValues),
                        nounFor(facts.optimizerValues, "value"))
                   .arg(facts.training.optimizer.isEmpty()
                            ? QString()
                            : QStringLiteral(" (%1)").arg(facts.training.optimizer));
    out << QStringLiteral("Layer order: %1").arg(facts.order);
    index.summaryText = out.join(QLatin1Char('\n'));
}

OpenResult singleFileResult(const QString &path, const QString &kind, const QString &readerId,
                            CheckpointIndex index, std::shared_ptr<h5::File> file,
                            std::vector<h5::DatasetInfo> datasets)
{
    OpenResult r;
    r.path = path;
    r.kind = kind;
    r.readerId = readerId;
    r.consumedFiles << path;
    r.latest = index.displayName;
    const bool decoded =
        std::any_of(index.tensors.cbegin(), index.tensors.cend(), [](const TensorInfo &t) {
            return t.location.storage == TensorLocation::Storage::ReaderDecoded;
        });
    r.checkpoints.push_back(std::make_shared<Hdf5Checkpoint>(
        std::move(index), decoded ? std::move(file) : nullptr, std::move(datasets)));
    return r;
}

Hdf5Checkpoint::Hdf5Checkpoint(CheckpointIndex index, std::shared_ptr<h5::File> file,
                               std::vector<h5::DatasetInfo> datasets)
    : Checkpoint(std::move(index)), m_file(std::move(file)), m_datasets(std::move(datasets))
{
}

Result<ChecksumState> Hdf5Checkpoint::streamTensor(int i, const ChunkSink &sink,
                                                   const StreamOptions &options) const
{
    const auto &tensors = index().tensors;
    if (i < 0 || i >= tensors.size() || std::size_t(i) >= m_datasets.size() ||
        tensors[i].location.storage != TensorLocation::Storage::ReaderDecoded || !m_file)
        return Checkpoint::streamTensor(i, sink, options);
    // Decoded reads go through a buffer: keep it bounded whatever window was asked for.
    const std::size_t piece = std::min<std::size_t>(options.window, std::size_t(16) << 20);
    auto st = m_file->read(m_datasets[std::size_t(i)], piece, sink);
    if (!st)
        return st.error();
    return ChecksumState::None;
}

} // namespace wl::keras
