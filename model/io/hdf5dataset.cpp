#include "core/plural.h"
#include "hdf5file.h"
#include "hdf5internal.h"
#include "hdf5isolation.h"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace wl::h5
{
using namespace detail;

namespace
{

bool isBoolEnum(hid_t type)
{
    if (H5Tget_nmembers(type) != 2 || H5Tget_size(type) != 1)
        return false;
    char *a = H5Tget_member_name(type, 0);
    char *b = H5Tget_member_name(type, 1);
    const bool ok = a && b && std::strcmp(a, "FALSE") == 0 && std::strcmp(b, "TRUE") == 0;
    H5free_memory(a);
    H5free_memory(b);
    return ok;
}

DType floatType(hid_t type, std::size_t size)
{
    size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
    H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize);
    if (size == 2)
        return esize == 8 ? DType::BFloat16 : esize == 5 ? DType::Float16 : DType::Unknown;
    if (size == 4 && esize == 8)
        return DType::Float32;
    if (size == 8 && esize == 11)
        return DType::Float64;
    return DType::Unknown;
}

DType intType(std::size_t size, bool isSigned)
{
    switch (size) {
    case 1:
        return isSigned ? DType::Int8 : DType::UInt8;
    case 2:
        return isSigned ? DType::Int16 : DType::UInt16;
    case 4:
        return isSigned ? DType::Int32 : DType::UInt32;
    case 8:
        return isSigned ? DType::Int64 : DType::UInt64;
    default:
        return DType::Unknown;
    }
}

QString dimsText(const std::vector<hsize_t> &dims)
{
    QStringList parts;
    for (auto d : dims)
        parts << QString::number(d);
    return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
}

} // namespace

Result<DatasetInfo> File::dataset(const QString &path) const
{
    const QString where = objectText(path);
    if (m_remote) {
        const auto *o = remoteObject(*m_remote, path);
        if (!o || o->kind() != h5w::Object::DATASET)
            return error(where, QStringLiteral("a dataset"), {});
        if (o->has_dataset_error())
            return fromProto(o->dataset_error());
        return datasetFromProto(*m_remote, path, o->dataset());
    }
    quiet();
    Handle d = openObject(hid_t(m_file.get()), path);
    if (!d.valid() || H5Iget_type(hid_t(d.get())) != H5I_DATASET)
        return error(where, QStringLiteral("a dataset"));
    return datasetOf(d.get(), path, std::nullopt);
}

Result<DatasetInfo> File::datasetOf(Id d, const QString &path,
                                    std::optional<QString> headerProblem) const
{
    const QString where = objectText(path);
    Handle type = make(H5Dget_type(hid_t(d)));
    Handle space = make(H5Dget_space(hid_t(d)));
    Handle dcpl = make(H5Dget_create_plist(hid_t(d)));
    if (!type.valid() || !space.valid() || !dcpl.valid())
        return error(where, QStringLiteral("a dataset type, dataspace and creation list"));
    DatasetInfo info;
    info.path = path;
    const hid_t t = hid_t(type.get());
    const auto cls = H5Tget_class(t);
    const std::size_t size = H5Tget_size(t);
    if (size == 0 || size > std::size_t(std::numeric_limits<int>::max()))
        return makeError(
            LoadError::Code::Corrupt, m_label, where,
            QStringLiteral("a datatype of 1 to %1 bytes").arg(std::numeric_limits<int>::max()),
            counted(size, "byte"));
    info.h5Class = int(cls);
    info.elementSize = int(size);
    info.bigEndian = H5Tget_order(t) == H5T_ORDER_BE;
    // Keras tags bfloat16 datasets with a dtype attribute; a damaged one is an error, since
    // without it the values would be read as another type.
    std::optional<QString> tag;
    if (cls == H5T_INTEGER || cls == H5T_OPAQUE) {
        // Attributes are read only through a checked object header.
        if (!headerProblem)
            headerProblem = objectHeaderProblem(hid_t(d));
        if (!headerProblem->isEmpty())
            return error(where, QStringLiteral("a sound object header"), *headerProblem);
        auto a = attributeOf(d, path, QStringLiteral("dtype"));
        if (!a)
            return a.error();
        if (*a && (*a)->isString && (*a)->strings.size() == 1)
            tag = (*a)->strings.front();
    }
    switch (cls) {
    case H5T_FLOAT:
        info.dtype = floatType(t, size);
        break;
    case H5T_INTEGER:
        info.dtype = intType(size, H5Tget_sign(t) == H5T_SGN_2);
        if (size == 2 && tag == QLatin1String("bfloat16"))
            info.dtype = DType::BFloat16;
        break;
    case H5T_ENUM:
        info.dtype = isBoolEnum(t) ? DType::Bool : DType::Unknown;
        break;
    case H5T_OPAQUE: {
        // Keras stores bf16 as 2-byte opaque; older writers left out the dtype attribute.
        info.dtype = size == 2 && (!tag || *tag == QLatin1String("bfloat16")) ? DType::BFloat16
                                                                              : DType::Unknown;
        info.bigEndian = false;
        break;
    }
    case H5T_STRING:
        info.dtype = DType::String;
        break;
    default:
        info.dtype = DType::Unknown;
        break;
    }
    if (info.dtype == DType::Unknown || info.dtype == DType::String)
        info.typeText =
            QStringLiteral("HDF5 class %1, %2").arg(int(cls)).arg(counted(qint64(size), "byte"));
    if (dtypeSize(info.dtype) == 1)
        info.bigEndian = false;

    const hid_t s = hid_t(space.get());
    const auto stype = H5Sget_simple_extent_type(s);
    if (stype == H5S_SIMPLE) {
        const int rank = H5Sget_simple_extent_ndims(s);
        if (rank < 0 || rank > 32)
            return error(where, QStringLiteral("a dataspace of rank 0..32"));
        std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
        H5Sget_simple_extent_dims(s, dims.data(), nullptr);
        // Sizes are 64-bit signed from here on, so a damaged extent stops here.
        std::int64_t bytes = std::int64_t(size);
        for (auto v : dims) {
            info.shape.dims.push_back(std::int64_t(v));
            if (v > hsize_t(std::numeric_limits<std::int64_t>::max()) ||
                __builtin_mul_overflow(bytes, std::int64_t(v), &bytes))
                return makeError(LoadError::Code::Corrupt, m_label, where,
                                 QStringLiteral("at most 2^63 - 1 bytes of data"),
                                 QStringLiteral("dimensions %1 of %2-byte elements")
                                     .arg(dimsText(dims))
                                     .arg(size));
        }
    } else if (stype == H5S_NULL) {
        info.shape.dims = {0};
    }

    const auto layout = H5Pget_layout(hid_t(dcpl.get()));
    const int filters = H5Pget_nfilters(hid_t(dcpl.get()));
    if (layout == H5D_CONTIGUOUS && filters == 0 && info.dtype != DType::String) {
        const haddr_t off = H5Dget_offset(hid_t(d));
        const hsize_t stored = H5Dget_storage_size(hid_t(d));
        H5Eclear2(H5E_DEFAULT);
        if (off != HADDR_UNDEF && std::int64_t(stored) == info.logicalBytes() && stored > 0) {
            info.contiguous = true;
            info.offset = std::int64_t(off);
            info.storageSize = std::int64_t(stored);
        }
    }
    return info;
}

Status File::read(const DatasetInfo &info, std::size_t maxBytes, const ChunkSink &sink,
                  std::int64_t begin, std::int64_t length) const
{
    const std::int64_t end = length < 0 ? info.logicalBytes() : begin + length;
    if (m_remote)
        return readRemote(*m_remote, info, maxBytes, sink, begin, end);
    quiet();
    const QString where = objectText(info.path);
    Handle d = openObject(hid_t(m_file.get()), info.path);
    if (!d.valid() || H5Iget_type(hid_t(d.get())) != H5I_DATASET)
        return error(where, QStringLiteral("a dataset"));
    Handle ftype = make(H5Dget_type(hid_t(d.get())));
    Handle fspace = make(H5Dget_space(hid_t(d.get())));
    if (!ftype.valid() || !fspace.valid() || info.elementSize <= 0)
        return error(where, QStringLiteral("a readable dataset"));
    const std::size_t item = std::size_t(info.elementSize);
    const auto total = info.shape.numElements().value_or(0);
    if (total <= 0)
        return Ok{};
    // HDF5 1.10 copies compact data without checking its stored size against the dataspace,
    // so a damaged size would read past it.
    Handle dcpl = make(H5Dget_create_plist(hid_t(d.get())));
    if (!dcpl.valid())
        return error(where, QStringLiteral("a dataset creation property list"));
    if (H5Pget_layout(hid_t(dcpl.get())) == H5D_COMPACT) {
        const auto stored = std::int64_t(H5Dget_storage_size(hid_t(d.get())));
        if (stored != info.logicalBytes())
            return error(where, QStringLiteral("compact data of %1, found %2")
                                    .arg(counted(info.logicalBytes(), "byte"))
                                    .arg(stored));
    }
    // Reading with the stored type copies the bytes unconverted; swapping is done here.
    const hid_t memType = hid_t(ftype.get());
    const bool swap = info.bigEndian && item > 1;
    // `pos` is the dataset byte the next hyperslab starts at; only [begin, end) is delivered.
    std::int64_t pos = 0;
    auto deliver = [&](std::vector<std::uint8_t> &buf) {
        if (swap)
            for (std::size_t i = 0; i + item <= buf.size(); i += item)
                std::reverse(buf.begin() + std::ptrdiff_t(i),
                             buf.begin() + std::ptrdiff_t(i + item));
        const std::int64_t at = pos;
        pos += std::int64_t(buf.size());
        const std::int64_t from = std::max(begin, at);
        const std::int64_t to = std::min(end, pos);
        if (from >= to)
            return true;
        return sink(buf.data() + (from - at), std::size_t(to - from));
    };
    std::vector<std::uint8_t> buf;
    const auto &dims = info.shape.dims;
    const int rank = int(dims.size());
    maxBytes = std::max(maxBytes, item);
    if (rank == 0) {
        buf.resize(item);
        if (H5Dread(hid_t(d.get()), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
            return error(where, QStringLiteral("readable data"));
        deliver(buf);
        return Ok{};
    }
    // Split at the outermost dimension whose inner block fits in maxBytes.
    int split = rank - 1;
    std::size_t inner = item;
    for (int k = rank - 1; k >= 0; --k) {
        if (inner * std::size_t(dims[std::size_t(k)]) > maxBytes) {
            split = k;
            break;
        }
        inner *= std::size_t(dims[std::size_t(k)]);
        split = k;
    }
    // inner = bytes of one index step along `split`.
    inner = item;
    for (int k = rank - 1; k > split; --k)
        inner *= std::size_t(dims[std::size_t(k)]);
    const hsize_t step = hsize_t(std::max<std::size_t>(1, maxBytes / inner));
    std::vector<hsize_t> outer(std::size_t(split), 0);
    std::vector<hsize_t> start(std::size_t(rank), 0), count(std::size_t(rank), 1);
    for (int k = split + 1; k < rank; ++k)
        count[std::size_t(k)] = hsize_t(dims[std::size_t(k)]);
    const hid_t fs = hid_t(fspace.get());
    while (true) {
        for (hsize_t j = 0; j < hsize_t(dims[std::size_t(split)]); j += step) {
            for (int k = 0; k < split; ++k)
                start[std::size_t(k)] = outer[std::size_t(k)];
            start[std::size_t(split)] = j;
            count[std::size_t(split)] =
                std::min<hsize_t>(step, hsize_t(dims[std::size_t(split)]) - j);
            const hsize_t n = count[std::size_t(split)] * (inner / item);
            const std::int64_t slab = std::int64_t(n * item);
            if (pos + slab <= begin) { // before the range: not read
                pos += slab;
                continue;
            }
            if (pos >= end)
                return Ok{};
            Handle mspace = make(H5Screate_simple(1, &n, nullptr));
            if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                    nullptr) < 0)
                return error(where, QStringLiteral("a valid hyperslab"));
            buf.resize(std::size_t(n) * item);
            if (H5Dread(hid_t(d.get()), memType, hid_t(mspace.get()), fs, H5P_DEFAULT, buf.data()) <
                0)
                return error(where, QStringLiteral("readable data (hyperslab at %1)").arg(j));
            if (!deliver(buf))
                return Ok{};
        }
        int k = split - 1;
        while (k >= 0 && ++outer[std::size_t(k)] == hsize_t(dims[std::size_t(k)])) {
            outer[std::size_t(k)] = 0;
            --k;
        }
        if (k < 0)
            break;
    }
    return Ok{};
}

} // namespace wl::h5
