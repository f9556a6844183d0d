#include "kerash5writer.h"

#include "core/sha256.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRandomGenerator>

#include <hdf5.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
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

    // As Keras stores a name list (formats-keras-pytorch.md 2.2): one attribute while it fits
    // an object header, else NAME0, NAME1, … as numpy.array_split cuts it into the fewest
    // nearly equal parts of at most kHeaderLimit bytes each, all of the whole list's width.
    Status namesAttribute(hid_t object, const char *name, const QList<QByteArray> &names,
                          const QString &where)
    {
        constexpr qsizetype kHeaderLimit = 64512;
        qsizetype width = 1;
        for (const auto &n : names)
            width = std::max(width, n.size());
        if (width * names.size() <= kHeaderLimit)
            return namesPart(object, name, names, width, where);
        if (width > kHeaderLimit)
            return fail(
                where + QLatin1Char('@') + QLatin1String(name),
                QStringLiteral("a name of %1 bytes does not fit an HDF5 object header").arg(width));
        const qsizetype n = names.size();
        qsizetype parts = 2;
        while ((n + parts - 1) / parts * width > kHeaderLimit)
            ++parts;
        qsizetype from = 0;
        for (qsizetype k = 0; k < parts; ++k) {
            const qsizetype count = n / parts + (k < n % parts ? 1 : 0);
            const QByteArray part = QByteArray(name) + QByteArray::number(k);
            if (auto st = namesPart(object, part.constData(), names.mid(from, count), width, where);
                !st.ok())
                return st;
            from += count;
        }
        return Ok{};
    }

    // A 1-D array of fixed-length (`width`) NUL-padded strings, as numpy's 'S' arrays; an empty
    // list is an empty float64 array, as np.asarray([]) gives (formats-keras-pytorch.md 2.1).
    Status namesPart(hid_t object, const char *name, const QList<QByteArray> &names,
                     qsizetype width, const QString &where)
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
        Id type(fileType(w.dtype));
        if (!type.ok())
            return fail(where, QStringLiteral("no HDF5 type for %1").arg(dtypeName(w.dtype)));
        // Loaded only now, so one weight at a time is held.
        QByteArray loaded;
        if (w.load) {
            auto r = w.load();
            if (!r.ok())
                return r.error();
            loaded = std::move(*r);
        }
        const QByteArray &bytes = w.load ? loaded : w.bytes;
        if (std::size_t(bytes.size()) != byteSize(w))
            return fail(where, QStringLiteral("byte count does not match the shape"));
        Id set(H5Dcreate2(group, w.name.toUtf8().constData(), type, space, lcpl, H5P_DEFAULT,
                          H5P_DEFAULT));
        if (!set.ok() || H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.constData()) < 0)
            return fail(where, QStringLiteral("cannot write the dataset"));
        m_digests.insert(where, Sha256::hash(bytes));
        if (w.dtype == DType::BFloat16)
            return stringAttribute(set, "dtype", QByteArrayLiteral("bfloat16"), true, where);
        return Ok{};
    }

    // Reads a dataset of the closed file back and compares it with what was written.
    Status check(hid_t file, const QString &path, const KerasH5Weight &w,
                 const QHash<QString, QByteArray> &digests)
    {
        Id set(H5Dopen2(file, path.toUtf8().constData(), H5P_DEFAULT));
        Id type(fileType(w.dtype));
        QByteArray back(qsizetype(byteSize(w)), '\0');
        if (!set.ok() || !type.ok() ||
            H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()) < 0)
            return fail(path, QStringLiteral("cannot read the written dataset back"));
        if (Sha256::hash(back) != digests.value(path))
            return fail(path, QStringLiteral("the written dataset reads back different"));
        return Ok{};
    }

    static std::size_t byteSize(const KerasH5Weight &w)
    {
        return std::size_t(w.shape.numElements().value_or(-1)) * std::size_t(dtypeSize(w.dtype));
    }

    // sha256 of each dataset written, by path.
    QHash<QString, QByteArray> m_digests;

    // The little-endian file type h5py would store for `dtype`; invalid when there is none.
    static hid_t fileType(DType dtype)
    {
        switch (dtype) {
        case DType::Float32:
            return H5Tcopy(H5T_IEEE_F32LE);
        case DType::Float64:
            return H5Tcopy(H5T_IEEE_F64LE);
        case DType::Int8:
            return H5Tcopy(H5T_STD_I8LE);
        case DType::Int16:
            return H5Tcopy(H5T_STD_I16LE);
        case DType::Int32:
            return H5Tcopy(H5T_STD_I32LE);
        case DType::Int64:
            return H5Tcopy(H5T_STD_I64LE);
        case DType::UInt8:
            return H5Tcopy(H5T_STD_U8LE);
        case DType::UInt16:
            return H5Tcopy(H5T_STD_U16LE);
        case DType::UInt32:
            return H5Tcopy(H5T_STD_U32LE);
        case DType::UInt64:
            return H5Tcopy(H5T_STD_U64LE);
        case DType::Float16: {
            // numpy's float16 as h5py declares it: 1 sign, 5 exponent, 10 mantissa bits.
            const hid_t t = H5Tcopy(H5T_IEEE_F32LE);
            if (t < 0 || H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 ||
                H5Tset_ebias(t, 15) < 0) {
                H5Tclose(t);
                return H5I_INVALID_HID;
            }
            return t;
        }
        case DType::BFloat16:
            return H5Tcreate(H5T_OPAQUE, 2);
        case DType::Bool: {
            const hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
            const std::int8_t no = 0, yes = 1;
            if (t < 0 || H5Tenum_insert(t, "FALSE", &no) < 0 ||
                H5Tenum_insert(t, "TRUE", &yes) < 0) {
                H5Tclose(t);
                return H5I_INVALID_HID;
            }
            return t;
        }
        default:
            return H5I_INVALID_HID;
        }
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

Status writeOptimizer(Writer &w, hid_t file, const KerasH5Model &model)
{
    if (model.optimizerWeights.empty())
        return Ok{};
    const QString path = QStringLiteral("/optimizer_weights");
    Id group(H5Gcreate2(file, "optimizer_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!group.ok())
        return w.fail(path, QStringLiteral("cannot create the group"));
    if (auto st = w.namesAttribute(group, "weight_names", namesOf(model.optimizerWeights), path);
        !st.ok())
        return st;
    for (const auto &weight : model.optimizerWeights)
        if (auto st = w.dataset(group, path, weight); !st.ok())
            return st;
    return Ok{};
}

// The layer groups under `parent` (the root or /model_weights) with their layer_names,
// backend and keras_version; for a weights-only file the optimizer weights too.
Status writeLayers(Writer &w, hid_t parent, const QString &parentPath, const KerasH5Model &model)
{
    const QByteArray version = model.kerasVersion.toUtf8();
    const QByteArray backend = model.backend.toUtf8();
    const QString where = parentPath.isEmpty() ? QStringLiteral("/") : parentPath;
    QList<QByteArray> layerNames;
    for (const auto &layer : model.layers)
        layerNames << layer.name.toUtf8();
    if (auto st = inOrder({
            [&] { return w.namesAttribute(parent, "layer_names", layerNames, where); },
            [&] { return w.stringAttribute(parent, "backend", backend, false, where); },
            [&] { return w.stringAttribute(parent, "keras_version", version, false, where); },
        });
        !st.ok())
        return st;
    // A layer name with '/' (a converted checkpoint's path) makes the groups on its way.
    Id lcpl(H5Pcreate(H5P_LINK_CREATE));
    if (!lcpl.ok() || H5Pset_create_intermediate_group(lcpl, 1) < 0)
        return w.fail(where, QStringLiteral("cannot make a link property list"));
    for (const auto &layer : model.layers) {
        const QString path = parentPath + QLatin1Char('/') + layer.name;
        // "a" may already be there as the way to an earlier layer "a/b".
        const QByteArray name = layer.name.toUtf8();
        const bool exists = H5Oexists_by_name(parent, name.constData(), H5P_DEFAULT) > 0;
        Id group(exists ? H5Gopen2(parent, name.constData(), H5P_DEFAULT)
                        : H5Gcreate2(parent, name.constData(), lcpl, H5P_DEFAULT, H5P_DEFAULT));
        if (!group.ok())
            return w.fail(path, QStringLiteral("cannot create the group"));
        if (auto st = w.namesAttribute(group, "weight_names", namesOf(layer.weights), path);
            !st.ok())
            return st;
        for (const auto &weight : layer.weights)
            if (auto st = w.dataset(group, path, weight); !st.ok())
                return st;
    }
    return model.weightsOnly ? writeOptimizer(w, parent, model) : Status(Ok{});
}

Status writeTo(const QString &temp, const QString &target, const KerasH5Model &model,
               QHash<QString, QByteArray> &digests)
{
    Writer w(target);
    // Whichever way it returns, what was written is known to the check.
    struct Keep {
        Writer &w;
        QHash<QString, QByteArray> &out;
        ~Keep() { out = w.m_digests; }
    } keep{w, digests};
    Id file(H5Fcreate(temp.toLocal8Bit().constData(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT));
    if (!file.ok())
        return w.fail({}, QStringLiteral("cannot create the temporary file"));
    const QByteArray version = model.kerasVersion.toUtf8();
    const QByteArray backend = model.backend.toUtf8();
    const QString root = QStringLiteral("/");
    if (model.weightsOnly)
        return writeLayers(w, file, QString(), model);
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
    Id weights(H5Gcreate2(file, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!weights.ok())
        return w.fail(QStringLiteral("/model_weights"), QStringLiteral("cannot create the group"));
    if (auto st = writeLayers(w, weights, QStringLiteral("/model_weights"), model); !st.ok())
        return st;
    return writeOptimizer(w, file, model);
}

Status verify(const QString &temp, const QString &target, const KerasH5Model &model,
              const QHash<QString, QByteArray> &digests)
{
    Writer w(target);
    Id file(H5Fopen(temp.toLocal8Bit().constData(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!file.ok())
        return w.fail({}, QStringLiteral("cannot open the written file again"));
    for (const auto &layer : model.layers)
        for (const auto &weight : layer.weights)
            if (auto st = w.check(file,
                                  QStringLiteral("%1/%2/%3")
                                      .arg(QLatin1String(model.weightsOnly ? "" : "/model_weights"),
                                           layer.name, weight.name),
                                  weight, digests);
                !st.ok())
                return st;
    for (const auto &weight : model.optimizerWeights)
        if (auto st =
                w.check(file, QStringLiteral("/optimizer_weights/") + weight.name, weight, digests);
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

bool kerasH5Holds(DType dtype)
{
    return Id(Writer::fileType(dtype)).ok();
}

Status writeKerasH5(const QString &path, const KerasH5Model &model, bool overwrite)
{
    if (!overwrite && QFileInfo::exists(path))
        return makeError(LoadError::Code::WriteFailed, path, {}, QStringLiteral("a new file"),
                         QStringLiteral("an existing file"));
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const QString temp = path + QStringLiteral(".tmp%1").arg(QRandomGenerator::global()->generate(),
                                                             8, 16, QLatin1Char('0'));
    QHash<QString, QByteArray> digests;
    auto st = writeTo(temp, path, model, digests);
    if (st.ok())
        st = verify(temp, path, model, digests);
    if (st.ok())
        st = syncFile(temp);
    if (st.ok() && std::rename(temp.toLocal8Bit().constData(), path.toLocal8Bit().constData()) != 0)
        st = makeError(LoadError::Code::WriteFailed, path, {}, {}, {},
                       QStringLiteral("cannot rename the temporary file into place"));
    if (!st.ok())
        QFile::remove(temp);
    return st;
}

Status overwriteH5Datasets(const QString &path, const QList<QPair<QString, QByteArray>> &datasets)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    Writer w(path);
    {
        Id file(H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDWR, H5P_DEFAULT));
        if (!file.ok())
            return w.fail({}, QStringLiteral("cannot open the file for writing"));
        for (const auto &[name, bytes] : datasets) {
            Id set(H5Dopen2(file, name.toUtf8().constData(), H5P_DEFAULT));
            Id type(set.ok() ? H5Dget_type(set) : H5I_INVALID_HID);
            Id space(set.ok() ? H5Dget_space(set) : H5I_INVALID_HID);
            if (!set.ok() || !type.ok() || !space.ok())
                return w.fail(name, QStringLiteral("cannot open the dataset"));
            // The same type in little-endian order, which is how the bytes are given.
            Id memory(H5Tcopy(type));
            const auto cls = H5Tget_class(type);
            if (!memory.ok() || ((cls == H5T_INTEGER || cls == H5T_FLOAT) &&
                                 H5Tset_order(memory, H5T_ORDER_LE) < 0))
                return w.fail(name, QStringLiteral("cannot make the memory type"));
            const hssize_t points = H5Sget_simple_extent_npoints(space);
            if (points < 0 || qint64(points) * qint64(H5Tget_size(type)) != bytes.size())
                return w.fail(name, QStringLiteral("%1 bytes for %2 elements of %3 bytes")
                                        .arg(bytes.size())
                                        .arg(points)
                                        .arg(H5Tget_size(type)));
            if (H5Dwrite(set, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.constData()) < 0)
                return w.fail(name, QStringLiteral("cannot write the dataset"));
        }
        if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
            return w.fail({}, QStringLiteral("cannot flush the file"));
    }
    return syncFile(path);
}

} // namespace wl
