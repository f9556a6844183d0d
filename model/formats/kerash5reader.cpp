#include "kerash5reader.h"

#include "io/hdf5file.h"
#include "kerasmodel.h"

#include <QFileInfo>

namespace wl
{

QStringList KerasH5Reader::filePatterns() const
{
    return {QStringLiteral("*.h5"), QStringLiteral("*.hdf5"), QStringLiteral("*.he5"),
            QStringLiteral("*.weights.h5")};
}

ProbeResult KerasH5Reader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File || h5::signatureOffset(source.head(4096)) < 0)
        return {};
    auto file = h5::File::open(source.path());
    if (!file)
        return {40, QStringLiteral("HDF5")};
    const auto &f = **file;
    for (const char *attr : {"model_config", "layer_names", "layer_names0"})
        if (auto a = f.attribute({}, QString::fromLatin1(attr)); a && *a)
            return {80, QStringLiteral("Keras legacy")};
    if (f.isGroup(QStringLiteral("layers")) || f.isGroup(QStringLiteral("vars")) ||
        f.isGroup(QStringLiteral("_layer_checkpoint_dependencies")))
        return {80, QStringLiteral("Keras 3")};
    return {40, QStringLiteral("HDF5")};
}

Result<OpenResult> KerasH5Reader::open(const Source &source, const JobContext &job) const
{
    const QString path = source.path();
    if (source.kind() != Source::Kind::File)
        return makeError(LoadError::Code::NotFound, path, {}, QStringLiteral("an HDF5 file"));
    if (source.size() == 0)
        return makeError(LoadError::Code::Empty, path, {}, QStringLiteral("an HDF5 file"),
                         QStringLiteral("an empty file"));
    if (h5::signatureOffset(source.head(4096)) < 0)
        return makeError(LoadError::Code::UnknownFormat, path, QStringLiteral("offset 0"),
                         QStringLiteral("the HDF5 signature"),
                         QString::fromLatin1(source.head(8).toHex(' ')));
    auto file = h5::File::open(path);
    if (!file)
        return file.error();
    auto contents = keras::readHdf5(**file, std::nullopt, job);
    if (!contents)
        return contents.error();
    auto &index = contents->index;
    const auto &facts = contents->facts;
    index.path = path;
    index.displayName = QFileInfo(path).fileName();
    index.readerId = id();
    index.formatName = facts.generic ? QStringLiteral("HDF5") : displayName();
    if (!facts.generic)
        index.subtype = facts.format;
    keras::describe(index, facts);

    OpenResult r;
    r.path = path;
    r.kind = facts.generic ? QStringLiteral("hdf5") : QStringLiteral("keras");
    r.readerId = id();
    r.consumedFiles << path;
    r.latest = index.displayName;
    bool decoded = false;
    for (const auto &t : index.tensors)
        decoded = decoded || t.location.storage == TensorLocation::Storage::ReaderDecoded;
    // The library handle is kept only when some dataset must be read through it.
    r.checkpoints.push_back(std::make_shared<keras::Hdf5Checkpoint>(
        std::move(index), decoded ? *file : nullptr, std::move(contents->datasets)));
    return r;
}

} // namespace wl
