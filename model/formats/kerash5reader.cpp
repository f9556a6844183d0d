#include "kerash5reader.h"

#include "io/hdf5file.h"
#include "kerasmodel.h"

#include <QFileInfo>

namespace wl
{
namespace
{

// The superblock sits at 0 or after a user block of 512, 1024, 2048... bytes.
bool hasSignature(const Source &source)
{
    if (h5::signatureOffset(source.head(4096)) >= 0)
        return true;
    for (qint64 off = 4096; off + 8 <= source.size(); off *= 2) {
        auto b = readFileBytes(source.path(), off, 8);
        if (b && b->size() == 8 && b->startsWith("\x89HDF\r\n\x1a\n"))
            return true;
    }
    return false;
}

} // namespace

QStringList KerasH5Reader::filePatterns() const
{
    return {QStringLiteral("*.h5"), QStringLiteral("*.hdf5"), QStringLiteral("*.he5"),
            QStringLiteral("*.weights.h5")};
}

ProbeResult KerasH5Reader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File || !hasSignature(source))
        return {};
    auto file = h5::File::open(source.path());
    if (!file)
        return {40, QStringLiteral("HDF5")};
    const auto &f = **file;
    // An attribute that is there but unreadable still marks the file as Keras, so that opening
    // it reports the damage rather than a folder scan passing it over.
    for (const char *attr : {"model_config", "layer_names", "layer_names0"})
        if (auto a = f.attribute({}, QString::fromLatin1(attr)); !a || *a)
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
    if (!hasSignature(source))
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

    return keras::singleFileResult(path,
                                   facts.generic ? QStringLiteral("hdf5") : QStringLiteral("keras"),
                                   id(), std::move(index), *file, std::move(contents->datasets));
}

} // namespace wl
