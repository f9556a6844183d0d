#include "hdf5file.h"

#include <hdf5.h>

#include <algorithm>
#include <cstring>

namespace wl::h5
{
namespace
{

// Error printing is per thread in a thread-safe build, so every entry point silences it.
void quiet()
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

herr_t firstErrorText(unsigned n, const H5E_error2_t *e, void *data)
{
    auto *out = static_cast<QString *>(data);
    if (n == 0 && e && e->desc)
        *out = QString::fromUtf8(e->desc);
    return 0;
}

QString libraryMessage()
{
    QString text;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, firstErrorText, &text);
    H5Eclear2(H5E_DEFAULT);
    return text;
}

QString joinPath(const QString &a, const QString &b)
{
    return a.isEmpty() ? b : a + QLatin1Char('/') + b;
}

Handle make(hid_t id)
{
    return Handle(Id(id));
}

QString objectText(const QString &p)
{
    return p.isEmpty() ? QStringLiteral("/") : QLatin1Char('/') + p;
}

QStringList readStrings(hid_t attr, hid_t ftype, hsize_t n)
{
    QStringList out;
    const bool utf8 = H5Tget_cset(ftype) == H5T_CSET_UTF8;
    auto decode = [utf8](const char *p, std::size_t len) {
        return utf8 ? QString::fromUtf8(p, qsizetype(len)) : QString::fromLatin1(p, qsizetype(len));
    };
    if (H5Tis_variable_str(ftype) > 0) {
        Handle mem = make(H5Tcopy(H5T_C_S1));
        H5Tset_size(hid_t(mem.get()), H5T_VARIABLE);
        H5Tset_cset(hid_t(mem.get()), H5Tget_cset(ftype));
        std::vector<char *> ptrs(n, nullptr);
        if (H5Aread(attr, hid_t(mem.get()), ptrs.data()) < 0)
            return {};
        for (char *p : ptrs)
            out << (p ? decode(p, std::strlen(p)) : QString());
        Handle space = make(H5Aget_space(attr));
        H5Dvlen_reclaim(hid_t(mem.get()), hid_t(space.get()), H5P_DEFAULT, ptrs.data());
        return out;
    }
    const std::size_t size = H5Tget_size(ftype);
    if (size == 0)
        return {};
    std::vector<char> buf(size * n);
    if (H5Aread(attr, ftype, buf.data()) < 0)
        return {};
    const bool spacePad = H5Tget_strpad(ftype) == H5T_STR_SPACEPAD;
    for (hsize_t i = 0; i < n; ++i) {
        const char *p = buf.data() + i * size;
        std::size_t len = 0;
        while (len < size && p[len] != '\0')
            ++len;
        if (spacePad)
            while (len > 0 && p[len - 1] == ' ')
                --len;
        out << decode(p, len);
    }
    return out;
}

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

} // namespace

Handle &Handle::operator=(Handle &&o) noexcept
{
    if (this != &o) {
        reset();
        m_id = o.m_id;
        o.m_id = -1;
    }
    return *this;
}

void Handle::reset()
{
    if (m_id < 0)
        return;
    const hid_t id = hid_t(m_id);
    m_id = -1;
    switch (H5Iget_type(id)) {
    case H5I_FILE:
        H5Fclose(id);
        break;
    case H5I_GROUP:
        H5Gclose(id);
        break;
    case H5I_DATASET:
        H5Dclose(id);
        break;
    case H5I_DATATYPE:
        H5Tclose(id);
        break;
    case H5I_DATASPACE:
        H5Sclose(id);
        break;
    case H5I_ATTR:
        H5Aclose(id);
        break;
    case H5I_GENPROP_LST:
        H5Pclose(id);
        break;
    default:
        H5Idec_ref(id);
        break;
    }
}

QString Attribute::text() const
{
    if (isString)
        return strings.size() == 1 ? strings.front() : strings.join(QStringLiteral(", "));
    QStringList parts;
    for (double v : numbers)
        parts << QString::number(v, 'g', 17);
    return parts.join(QStringLiteral(", "));
}

std::int64_t signatureOffset(const QByteArray &head)
{
    static const char sig[] = "\x89HDF\r\n\x1a\n";
    for (qsizetype off = 0; off + 8 <= head.size(); off = off == 0 ? 512 : off * 2)
        if (std::memcmp(head.constData() + off, sig, 8) == 0)
            return off;
    return -1;
}

File::~File() = default;

LoadError File::error(const QString &where, const QString &expected) const
{
    return makeError(LoadError::Code::Corrupt, m_label, where, expected, {}, libraryMessage());
}

Result<std::shared_ptr<File>> File::open(const QString &path)
{
    quiet();
    std::shared_ptr<File> f(new File);
    f->m_label = path;
    Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS));
    // Strong close: no object of the file stays open behind our back.
    H5Pset_fclose_degree(hid_t(fapl.get()), H5F_CLOSE_STRONG);
    f->m_file = make(H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDONLY, hid_t(fapl.get())));
    if (!f->m_file.valid())
        return f->error({}, QStringLiteral("a readable HDF5 file"));
    return f;
}

Result<std::shared_ptr<File>> File::openImage(const QByteArray &image, const QString &label)
{
    quiet();
    std::shared_ptr<File> f(new File);
    f->m_label = label;
    f->m_isImage = true;
    Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS));
    // The core driver copies the image, so the caller's buffer can go right after the open.
    if (H5Pset_fapl_core(hid_t(fapl.get()), 1 << 16, 0) < 0 ||
        H5Pset_file_image(hid_t(fapl.get()), const_cast<char *>(image.constData()),
                          std::size_t(image.size())) < 0)
        return f->error({}, QStringLiteral("an HDF5 file image"));
    f->m_file = make(H5Fopen(label.toUtf8().constData(), H5F_ACC_RDONLY, hid_t(fapl.get())));
    if (!f->m_file.valid())
        return f->error({}, QStringLiteral("a readable HDF5 file"));
    return f;
}

// Opens an object only when every link on its path exists (H5Lexists needs that order).
static Handle openObject(hid_t file, const QString &path)
{
    if (path.isEmpty())
        return make(H5Oopen(file, "/", H5P_DEFAULT));
    QString sofar;
    for (const auto &part : path.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        sofar = joinPath(sofar, part);
        if (H5Lexists(file, sofar.toUtf8().constData(), H5P_DEFAULT) <= 0)
            return {};
    }
    return make(H5Oopen(file, path.toUtf8().constData(), H5P_DEFAULT));
}

bool File::isGroup(const QString &path) const
{
    quiet();
    Handle o = openObject(hid_t(m_file.get()), path);
    return o.valid() && H5Iget_type(hid_t(o.get())) == H5I_GROUP;
}

bool File::isDataset(const QString &path) const
{
    quiet();
    Handle o = openObject(hid_t(m_file.get()), path);
    return o.valid() && H5Iget_type(hid_t(o.get())) == H5I_DATASET;
}

static herr_t collectName(hid_t, const char *name, const H5L_info_t *info, void *data)
{
    // Soft and external links could point anywhere (or loop); only hard links are followed.
    if (info->type == H5L_TYPE_HARD)
        static_cast<QStringList *>(data)->append(QString::fromUtf8(name));
    return 0;
}

Result<QStringList> File::children(const QString &group) const
{
    quiet();
    Handle g = openObject(hid_t(m_file.get()), group);
    if (!g.valid() || H5Iget_type(hid_t(g.get())) != H5I_GROUP)
        return error(objectText(group), QStringLiteral("a group"));
    QStringList names;
    hsize_t idx = 0;
    if (H5Literate(hid_t(g.get()), H5_INDEX_NAME, H5_ITER_INC, &idx, collectName, &names) < 0)
        return error(objectText(group), QStringLiteral("a list of the group's links"));
    return names;
}

Result<std::vector<Node>> File::walk() const
{
    std::vector<Node> out;
    std::vector<std::pair<QString, int>> stack{{QString(), 0}};
    // Hard links can form cycles; depth and count limits keep the walk finite.
    constexpr int maxDepth = 64;
    constexpr std::size_t maxNodes = 1'000'000;
    while (!stack.empty()) {
        auto [group, depth] = stack.back();
        stack.pop_back();
        auto kids = children(group);
        if (!kids)
            return kids.error();
        std::vector<std::pair<QString, int>> sub;
        for (const auto &k : *kids) {
            const QString p = joinPath(group, k);
            Handle o = openObject(hid_t(m_file.get()), p);
            if (!o.valid())
                return error(objectText(p), QStringLiteral("an object"));
            const auto type = H5Iget_type(hid_t(o.get()));
            if (type != H5I_GROUP && type != H5I_DATASET)
                continue;
            out.push_back({p, type == H5I_GROUP});
            if (out.size() > maxNodes)
                return error(objectText(p), QStringLiteral("at most 1000000 objects"));
            if (type == H5I_GROUP && depth < maxDepth)
                sub.push_back({p, depth + 1});
        }
        std::reverse(sub.begin(), sub.end());
        stack.insert(stack.end(), sub.begin(), sub.end());
    }
    // Depth first in name order: parents before children.
    std::stable_sort(out.begin(), out.end(),
                     [](const Node &a, const Node &b) { return a.path < b.path; });
    return out;
}

static herr_t collectAttr(hid_t, const char *name, const H5A_info_t *, void *data)
{
    static_cast<QStringList *>(data)->append(QString::fromUtf8(name));
    return 0;
}

Result<QStringList> File::attributeNames(const QString &object) const
{
    quiet();
    Handle o = openObject(hid_t(m_file.get()), object);
    if (!o.valid())
        return error(objectText(object), QStringLiteral("an object"));
    QStringList names;
    hsize_t idx = 0;
    if (H5Aiterate2(hid_t(o.get()), H5_INDEX_NAME, H5_ITER_INC, &idx, collectAttr, &names) < 0)
        return error(objectText(object), QStringLiteral("a list of attributes"));
    return names;
}

Result<std::optional<Attribute>> File::attribute(const QString &object, const QString &name) const
{
    quiet();
    Handle o = openObject(hid_t(m_file.get()), object);
    if (!o.valid())
        return std::optional<Attribute>();
    const QByteArray an = name.toUtf8();
    if (H5Aexists(hid_t(o.get()), an.constData()) <= 0)
        return std::optional<Attribute>();
    const QString where = objectText(object) + QStringLiteral(" attribute ") + name;
    Handle a = make(H5Aopen(hid_t(o.get()), an.constData(), H5P_DEFAULT));
    Handle type = make(H5Aget_type(hid_t(a.get())));
    Handle space = make(H5Aget_space(hid_t(a.get())));
    if (!a.valid() || !type.valid() || !space.valid())
        return error(where, QStringLiteral("a readable attribute"));
    Attribute out;
    out.name = name;
    const auto stype = H5Sget_simple_extent_type(hid_t(space.get()));
    out.scalar = stype == H5S_SCALAR;
    const hssize_t n = stype == H5S_NULL ? 0 : H5Sget_simple_extent_npoints(hid_t(space.get()));
    if (n < 0)
        return error(where, QStringLiteral("a dataspace"));
    const hid_t t = hid_t(type.get());
    const auto cls = H5Tget_class(t);
    if (cls == H5T_STRING) {
        out.isString = true;
        out.typeText = QStringLiteral("string");
        if (n > 0) {
            out.strings = readStrings(hid_t(a.get()), t, hsize_t(n));
            if (out.strings.size() != n)
                return error(where, QStringLiteral("%1 strings").arg(n));
        }
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM) {
        out.typeText = QStringLiteral("%1%2[%3]")
                           .arg(cls == H5T_FLOAT ? "float" : "int")
                           .arg(H5Tget_size(t) * 8)
                           .arg(n);
        out.numbers.resize(std::size_t(n));
        if (n > 0 && H5Aread(hid_t(a.get()), H5T_NATIVE_DOUBLE, out.numbers.data()) < 0)
            return error(where, QStringLiteral("numbers convertible to float64"));
    } else {
        out.typeText = QStringLiteral("HDF5 type class %1").arg(int(cls));
    }
    return std::optional<Attribute>(std::move(out));
}

Result<std::optional<QStringList>> File::stringList(const QString &object,
                                                    const QString &name) const
{
    auto toList = [&](const Attribute &a, const QString &n) -> Result<QStringList> {
        // An empty name list is stored as an empty float64 array.
        if (!a.isString && !a.numbers.empty())
            return makeError(LoadError::Code::Corrupt, m_label,
                             objectText(object) + QStringLiteral(" attribute ") + n,
                             QStringLiteral("an array of strings"), a.typeText);
        return a.strings;
    };
    auto whole = attribute(object, name);
    if (!whole)
        return whole.error();
    if (*whole) {
        auto l = toList(**whole, name);
        if (!l)
            return l.error();
        return std::optional<QStringList>(*l);
    }
    QStringList joined;
    bool any = false;
    for (int k = 0;; ++k) {
        const QString part = name + QString::number(k);
        auto a = attribute(object, part);
        if (!a)
            return a.error();
        if (!*a)
            break;
        auto l = toList(**a, part);
        if (!l)
            return l.error();
        joined += *l;
        any = true;
    }
    return any ? std::optional<QStringList>(joined) : std::nullopt;
}

std::optional<QString> File::string(const QString &object, const QString &name) const
{
    auto a = attribute(object, name);
    if (!a || !*a || !(*a)->isString || (*a)->strings.size() != 1)
        return std::nullopt;
    return (*a)->strings.front();
}

Result<DatasetInfo> File::dataset(const QString &path) const
{
    quiet();
    const QString where = objectText(path);
    Handle d = openObject(hid_t(m_file.get()), path);
    if (!d.valid() || H5Iget_type(hid_t(d.get())) != H5I_DATASET)
        return error(where, QStringLiteral("a dataset"));
    Handle type = make(H5Dget_type(hid_t(d.get())));
    Handle space = make(H5Dget_space(hid_t(d.get())));
    Handle dcpl = make(H5Dget_create_plist(hid_t(d.get())));
    if (!type.valid() || !space.valid() || !dcpl.valid())
        return error(where, QStringLiteral("a dataset type, dataspace and creation list"));
    DatasetInfo info;
    info.path = path;
    const hid_t t = hid_t(type.get());
    const auto cls = H5Tget_class(t);
    const std::size_t size = H5Tget_size(t);
    info.h5Class = int(cls);
    info.elementSize = int(size);
    info.bigEndian = H5Tget_order(t) == H5T_ORDER_BE;
    auto dtypeAttr = [&] { return string(path, QStringLiteral("dtype")); };
    switch (cls) {
    case H5T_FLOAT:
        info.dtype = floatType(t, size);
        break;
    case H5T_INTEGER:
        info.dtype = intType(size, H5Tget_sign(t) == H5T_SGN_2);
        if (size == 2 && dtypeAttr() == QLatin1String("bfloat16"))
            info.dtype = DType::BFloat16;
        break;
    case H5T_ENUM:
        info.dtype = isBoolEnum(t) ? DType::Bool : DType::Unknown;
        break;
    case H5T_OPAQUE: {
        // Keras stores bf16 as 2-byte opaque; older writers left out the dtype attribute.
        const auto tag = dtypeAttr();
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
        info.typeText = QStringLiteral("HDF5 class %1, %2 bytes").arg(int(cls)).arg(size);
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
        for (auto v : dims)
            info.shape.dims.push_back(std::int64_t(v));
    } else if (stype == H5S_NULL) {
        info.shape.dims = {0};
    }

    const auto layout = H5Pget_layout(hid_t(dcpl.get()));
    const int filters = H5Pget_nfilters(hid_t(dcpl.get()));
    if (layout == H5D_CONTIGUOUS && filters == 0 && info.dtype != DType::String) {
        const haddr_t off = H5Dget_offset(hid_t(d.get()));
        const hsize_t stored = H5Dget_storage_size(hid_t(d.get()));
        H5Eclear2(H5E_DEFAULT);
        if (off != HADDR_UNDEF && std::int64_t(stored) == info.logicalBytes() && stored > 0) {
            info.contiguous = true;
            info.offset = std::int64_t(off);
            info.storageSize = std::int64_t(stored);
        }
    }
    return info;
}

Status File::read(const DatasetInfo &info, std::size_t maxBytes, const ChunkSink &sink) const
{
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
    // Reading with the stored type copies the bytes unconverted; swapping is done here.
    const hid_t memType = hid_t(ftype.get());
    const bool swap = info.bigEndian && item > 1;
    auto deliver = [&](std::vector<std::uint8_t> &buf) {
        if (swap)
            for (std::size_t i = 0; i + item <= buf.size(); i += item)
                std::reverse(buf.begin() + std::ptrdiff_t(i),
                             buf.begin() + std::ptrdiff_t(i + item));
        return sink(buf.data(), buf.size());
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
