#include "kerash5writer.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <hdf5.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <fcntl.h>
#include <unistd.h>

namespace wl
{
namespace
{

// Closes an HDF5 id with the right function when it goes out of scope.
class Id
{
public:
    explicit Id(hid_t id = H5I_INVALID_HID) : m_id(id) {}
    Id(const Id &) = delete;
    Id &operator=(const Id &) = delete;
    ~Id()
    {
        if (m_id < 0)
            return;
        switch (H5Iget_type(m_id)) {
        case H5I_FILE:
            H5Fclose(m_id);
            break;
        case H5I_GROUP:
            H5Gclose(m_id);
            break;
        case H5I_DATASET:
            H5Dclose(m_id);
            break;
        case H5I_DATASPACE:
            H5Sclose(m_id);
            break;
        case H5I_DATATYPE:
            H5Tclose(m_id);
            break;
        case H5I_ATTR:
            H5Aclose(m_id);
            break;
        case H5I_GENPROP_LST:
            H5Pclose(m_id);
            break;
        default:
            break;
        }
    }
    operator hid_t() const { return m_id; }
    bool ok() const { return m_id >= 0; }

private:
    hid_t m_id;
};

class Writer
{
public:
    explicit Writer(QString file) : m_file(std::move(file)) {}

    Status fail(const QString &where, const QString &what) const
    {
        return makeError(LoadError::Code::WriteFailed, m_file, where, {}, {}, what);
    }

    // A scalar variable-length string, as h5py stores a Python str (UTF-8) or bytes (ASCII).
    Status stringAttribute(hid_t object, const char *name, const QByteArray &value, bool utf8,
                           const QString &where)
    {
        Id type(H5Tcopy(H5T_C_S1));
        Id space(H5Screate(H5S_SCALAR));
        if (!type.ok() || H5Tset_size(type, H5T_VARIABLE) < 0 ||
            H5Tset_cset(type, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) < 0 || !space.ok())
            return fail(where, QStringLiteral("cannot make a string type"));
        Id attr(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
        const char *data = value.constData();
        if (!attr.ok() || H5Awrite(attr, type, &data) < 0)
            return fail(where + QLatin1Char('@') + QLatin1String(name),
                        QStringLiteral("cannot write the attribute"));
        return Ok{};
    }

    // A 1-D array of fixed-length NUL-padded strings, as numpy's 'S' arrays; an empty list is
    // an empty float64 array, as np.asarray([]) gives (formats-keras-pytorch.md 2.1).
    Status namesAttribute(hid_t object, const char *name, const QList<QByteArray> &names,
                          const QString &where)
    {
        const hsize_t count = hsize_t(names.size());
        Id space(H5Screate_simple(1, &count, nullptr));
        if (!space.ok())
            return fail(where, QStringLiteral("cannot make a dataspace"));
        if (names.isEmpty()) {
            Id attr(H5Acreate2(object, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT));
            if (!attr.ok())
                return fail(where + QLatin1Char('@') + QLatin1String(name),
                            QStringLiteral("cannot write the attribute"));
            return Ok{};
        }
        qsizetype width = 1;
        for (const auto &n : names)
            width = std::max(width, n.size());
        QByteArray packed(width * names.size(), '\0');
        for (qsizetype i = 0; i < names.size(); ++i)
            std::memcpy(packed.data() + i * width, names[i].constData(),
                        std::size_t(names[i].size()));
        Id type(H5Tcopy(H5T_C_S1));
        if (!type.ok() || H5Tset_size(type, std::size_t(width)) < 0 ||
            H5Tset_strpad(type, H5T_STR_NULLPAD) < 0)
            return fail(where, QStringLiteral("cannot make a string type"));
        Id attr(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
        if (!attr.ok() || H5Awrite(attr, type, packed.constData()) < 0)
            return fail(where + QLatin1Char('@') + QLatin1String(name),
                        QStringLiteral("cannot write the attribute"));
        return Ok{};
    }

    // Contiguous, uncompressed, as every real Keras file stores its weights; a name with '/'
    // creates the groups on its way.
    Status dataset(hid_t group, const QString &groupPath, const KerasH5Weight &w)
    {
        const QString where = groupPath + QLatin1Char('/') + w.name;
        std::vector<hsize_t> dims;
        for (auto d : w.shape.dims)
            dims.push_back(hsize_t(d));
        Id space(dims.empty() ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(int(dims.size()), dims.data(), nullptr));
        Id lcpl(H5Pcreate(H5P_LINK_CREATE));
        if (!space.ok() || !lcpl.ok() || H5Pset_create_intermediate_group(lcpl, 1) < 0)
            return fail(where, QStringLiteral("cannot make a dataspace"));
        const hid_t fileType = w.int64 ? H5T_STD_I64LE : H5T_IEEE_F32LE;
        const std::size_t elementSize = w.int64 ? 8 : 4;
        if (std::size_t(w.bytes.size()) !=
            std::size_t(w.shape.numElements().value_or(-1)) * elementSize)
            return fail(where, QStringLiteral("byte count does not match the shape"));
        Id set(H5Dcreate2(group, w.name.toUtf8().constData(), fileType, space, lcpl, H5P_DEFAULT,
                          H5P_DEFAULT));
        if (!set.ok() ||
            H5Dwrite(set, fileType, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.bytes.constData()) < 0)
            return fail(where, QStringLiteral("cannot write the dataset"));
        return Ok{};
    }

    // Reads a dataset of the closed file back and compares it with what was meant.
    Status check(hid_t file, const QString &path, const KerasH5Weight &w)
    {
        Id set(H5Dopen2(file, path.toUtf8().constData(), H5P_DEFAULT));
        QByteArray back(w.bytes.size(), '\0');
        if (!set.ok() || H5Dread(set, w.int64 ? H5T_STD_I64LE : H5T_IEEE_F32LE, H5S_ALL, H5S_ALL,
                                 H5P_DEFAULT, back.data()) < 0)
            return fail(path, QStringLiteral("cannot read the written dataset back"));
        if (back != w.bytes)
            return fail(path, QStringLiteral("the written dataset reads back different"));
        return Ok{};
    }

private:
    QString m_file;
};

// Runs the steps in order and stops at the first that fails.
Status inOrder(std::initializer_list<std::function<Status()>> steps)
{
    for (const auto &step : steps)
        if (auto st = step(); !st.ok())
            return st;
    return Ok{};
}

QList<QByteArray> namesOf(const std::vector<KerasH5Weight> &weights)
{
    QList<QByteArray> names;
    for (const auto &w : weights)
        names << w.name.toUtf8();
    return names;
}

Status writeTo(const QString &temp, const QString &target, const KerasH5Model &model)
{
    Writer w(target);
    Id file(H5Fcreate(temp.toLocal8Bit().constData(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT));
    if (!file.ok())
        return w.fail({}, QStringLiteral("cannot create the temporary file"));
    const QByteArray version = model.kerasVersion.toUtf8();
    const QByteArray backend = model.backend.toUtf8();
    const QString root = QStringLiteral("/");
    // Root strings are Python str (UTF-8); model_config and training_config are bytes.
    if (auto st = inOrder({
            [&] { return w.stringAttribute(file, "keras_version", version, true, root); },
            [&] { return w.stringAttribute(file, "backend", backend, true, root); },
            [&] { return w.stringAttribute(file, "model_config", model.modelConfig, false, root); },
        });
        !st.ok())
        return st;
    if (!model.trainingConfig.isEmpty())
        if (auto st = w.stringAttribute(file, "training_config", model.trainingConfig, false, root);
            !st.ok())
            return st;
    const QString mwPath = QStringLiteral("/model_weights");
    Id weights(H5Gcreate2(file, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!weights.ok())
        return w.fail(mwPath, QStringLiteral("cannot create the group"));
    QList<QByteArray> layerNames;
    for (const auto &layer : model.layers)
        layerNames << layer.name.toUtf8();
    if (auto st = inOrder({
            [&] { return w.namesAttribute(weights, "layer_names", layerNames, mwPath); },
            [&] { return w.stringAttribute(weights, "backend", backend, false, mwPath); },
            [&] { return w.stringAttribute(weights, "keras_version", version, false, mwPath); },
        });
        !st.ok())
        return st;
    for (const auto &layer : model.layers) {
        const QString path = mwPath + QLatin1Char('/') + layer.name;
        Id group(H5Gcreate2(weights, layer.name.toUtf8().constData(), H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT));
        if (!group.ok())
            return w.fail(path, QStringLiteral("cannot create the group"));
        if (auto st = w.namesAttribute(group, "weight_names", namesOf(layer.weights), path);
            !st.ok())
            return st;
        for (const auto &weight : layer.weights)
            if (auto st = w.dataset(group, path, weight); !st.ok())
                return st;
    }
    if (!model.optimizerWeights.empty()) {
        const QString path = QStringLiteral("/optimizer_weights");
        Id group(H5Gcreate2(file, "optimizer_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        if (!group.ok())
            return w.fail(path, QStringLiteral("cannot create the group"));
        if (auto st =
                w.namesAttribute(group, "weight_names", namesOf(model.optimizerWeights), path);
            !st.ok())
            return st;
        for (const auto &weight : model.optimizerWeights)
            if (auto st = w.dataset(group, path, weight); !st.ok())
                return st;
    }
    return Ok{};
}

Status verify(const QString &temp, const QString &target, const KerasH5Model &model)
{
    Writer w(target);
    Id file(H5Fopen(temp.toLocal8Bit().constData(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!file.ok())
        return w.fail({}, QStringLiteral("cannot open the written file again"));
    for (const auto &layer : model.layers)
        for (const auto &weight : layer.weights)
            if (auto st = w.check(
                    file, QStringLiteral("/model_weights/%1/%2").arg(layer.name, weight.name),
                    weight);
                !st.ok())
                return st;
    for (const auto &weight : model.optimizerWeights)
        if (auto st = w.check(file, QStringLiteral("/optimizer_weights/") + weight.name, weight);
            !st.ok())
            return st;
    return Ok{};
}

Status syncFile(const QString &path)
{
    const int fd = ::open(path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError(LoadError::Code::WriteFailed, path, {}, {}, {},
                         QString::fromLocal8Bit(std::strerror(errno)));
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0)
        return makeError(LoadError::Code::WriteFailed, path, {}, {}, {},
                         QStringLiteral("cannot sync the file to disk"));
    return Ok{};
}

} // namespace

Status writeKerasH5(const QString &path, const KerasH5Model &model, bool overwrite)
{
    if (!overwrite && QFileInfo::exists(path))
        return makeError(LoadError::Code::WriteFailed, path, {}, QStringLiteral("a new file"),
                         QStringLiteral("an existing file"));
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const QString temp = path + QStringLiteral(".tmp%1").arg(QRandomGenerator::global()->generate(),
                                                             8, 16, QLatin1Char('0'));
    auto st = writeTo(temp, path, model);
    if (st.ok())
        st = verify(temp, path, model);
    if (st.ok())
        st = syncFile(temp);
    if (st.ok() && std::rename(temp.toLocal8Bit().constData(), path.toLocal8Bit().constData()) != 0)
        st = makeError(LoadError::Code::WriteFailed, path, {}, {}, {},
                       QStringLiteral("cannot rename the temporary file into place"));
    if (!st.ok())
        QFile::remove(temp);
    return st;
}

} // namespace wl
