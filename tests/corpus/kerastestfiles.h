#pragma once

// Small writers over the HDF5 C library and libzip for the files the Keras tests build.

#include "formats/readerregistry.h"
#include "ziptestfiles.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QtEndian>
#include <hdf5.h>
#include <vector>

namespace kt
{

inline hid_t createFile(const QString &path, hsize_t userBlock = 0)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (userBlock)
        H5Pset_userblock(fcpl, userBlock);
    hid_t f = H5Fcreate(path.toLocal8Bit().constData(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    return f;
}

inline hid_t group(hid_t loc, const QString &path)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(loc, path.toUtf8().constData(), lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    return g;
}

// Fixed-length string array attribute with the given padding.
inline void fixedStrings(hid_t obj, const char *name, const QStringList &values, H5T_str_t pad)
{
    std::size_t width = 1;
    for (const auto &v : values)
        width = std::max<std::size_t>(width, std::size_t(v.toUtf8().size()));
    std::vector<char> buf(width * std::size_t(values.size()), pad == H5T_STR_SPACEPAD ? ' ' : 0);
    for (int i = 0; i < values.size(); ++i) {
        const QByteArray b = values[i].toUtf8();
        std::copy(b.begin(), b.end(), buf.begin() + std::ptrdiff_t(std::size_t(i) * width));
    }
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, width);
    H5Tset_strpad(t, pad);
    hsize_t n = hsize_t(values.size());
    hid_t s = H5Screate_simple(1, &n, nullptr);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, buf.data());
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

// Variable-length strings: scalar when `scalar`, else a 1-D array.
inline void vlenStrings(hid_t obj, const char *name, const QStringList &values, bool utf8,
                        bool scalar)
{
    std::vector<QByteArray> keep;
    std::vector<const char *> ptrs;
    for (const auto &v : values) {
        keep.push_back(v.toUtf8());
    }
    for (const auto &k : keep)
        ptrs.push_back(k.constData());
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    hsize_t n = hsize_t(values.size());
    hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, ptrs.data());
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

// What numpy writes for an empty name list: a float64 array of length 0.
inline void emptyFloatArray(hid_t obj, const char *name)
{
    hsize_t n = 0;
    hid_t s = H5Screate_simple(1, &n, nullptr);
    hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Aclose(a);
    H5Sclose(s);
}

inline void dataset(hid_t loc, const QString &path, hid_t fileType, hid_t memType,
                    const std::vector<hsize_t> &dims, const void *data, hid_t dcpl = H5P_DEFAULT)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t s = dims.empty() ? H5Screate(H5S_SCALAR)
                           : H5Screate_simple(int(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(loc, path.toUtf8().constData(), fileType, s, lcpl, dcpl, H5P_DEFAULT);
    H5Dwrite(d, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(d);
    H5Sclose(s);
    H5Pclose(lcpl);
}

inline void floats(hid_t loc, const QString &path, const std::vector<hsize_t> &dims,
                   const std::vector<float> &values)
{
    dataset(loc, path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dims, values.data());
}

// A zip with the given members, stored or deflated.
// A legacy model_weights group with layer "d" and its kernel [1, 2, 3], names as h5py writes
// them (variable-length strings).
inline void oneDenseWeight(hid_t file)
{
    hid_t g = group(file, "model_weights");
    vlenStrings(g, "layer_names", {"d"}, false, false);
    hid_t l = group(g, "d");
    vlenStrings(l, "weight_names", {"d/kernel:0"}, false, false);
    floats(l, "d/kernel:0", {3}, {1, 2, 3});
    H5Gclose(l);
    H5Gclose(g);
}

inline bool writeZip(const QString &path, const QList<QPair<QString, QByteArray>> &members,
                     bool deflate = false)
{
    return wl::test::writeZipMembers(path, members, QList<bool>(members.size(), deflate));
}

// Sets the uncompressed size that a zip from writeZip declares for `member`, in its local
// header and its central directory entry (the 32-bit fields). False unless both were found.
inline bool declareSize(QByteArray &zip, const QString &member, quint32 size)
{
    const QByteArray name = member.toUtf8();
    int patched = 0;
    // Signature, offset of the name length, of the name and of the uncompressed size.
    const struct {
        const char *signature;
        int nameLength, name, size;
    } headers[] = {{"PK\x03\x04", 26, 30, 22}, {"PK\x01\x02", 28, 46, 24}};
    for (const auto &h : headers)
        for (auto at = zip.indexOf(h.signature); at >= 0; at = zip.indexOf(h.signature, at + 1))
            if (qFromLittleEndian<quint16>(zip.constData() + at + h.nameLength) == name.size() &&
                zip.mid(at + h.name, name.size()) == name) {
                qToLittleEndian<quint32>(size, zip.data() + at + h.size);
                ++patched;
            }
    return patched == 2;
}

inline QStringList layerList(const QJsonObject &summary)
{
    QStringList out;
    for (const auto &l : summary.value("layers").toArray()) {
        const auto o = l.toObject();
        out << QStringLiteral("%1:%2")
                   .arg(o.value("name").toString())
                   .arg(qint64(o.value("params").toDouble()));
    }
    return out;
}

} // namespace kt
