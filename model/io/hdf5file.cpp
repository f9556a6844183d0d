#include "hdf5file.h"
#include "core/plural.h"
#include "hdf5internal.h"
#include "hdf5isolation.h"

#include <hdf5.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace wl::h5::detail
{

void quiet()
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
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

Handle openObject(hid_t file, const QString &path)
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

Handle openChild(hid_t file, const QString &path)
{
    const QByteArray p = path.toUtf8();
    if (H5Lexists(file, p.constData(), H5P_DEFAULT) <= 0)
        return {};
    return make(H5Oopen(file, p.constData(), H5P_DEFAULT));
}

} // namespace wl::h5::detail

namespace wl::h5
{
using namespace detail;

namespace
{

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
    // Upward starts at the most specific cause ("truncated file: eof = ...").
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, firstErrorText, &text);
    H5Eclear2(H5E_DEFAULT);
    return text;
}

// On failure the library's reason goes to `why` at once: closing the handles below would clear
// it.
QStringList readStrings(hid_t attr, hid_t ftype, hsize_t n, QString &why)
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
        if (H5Aread(attr, hid_t(mem.get()), ptrs.data()) < 0) {
            why = libraryMessage();
            return {};
        }
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
    if (H5Aread(attr, ftype, buf.data()) < 0) {
        why = libraryMessage();
        return {};
    }
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
    return error(where, expected, libraryMessage());
}

LoadError File::error(const QString &where, const QString &expected, const QString &why) const
{
    const auto code = why.contains(QLatin1String("truncated")) ? LoadError::Code::Truncated
                                                               : LoadError::Code::Corrupt;
    return makeError(code, m_label, where, expected, {}, why);
}

Result<std::shared_ptr<File>> File::open(const QString &path)
{
    quiet();
    std::shared_ptr<File> f(new File);
    f->m_label = path;
    if (isolatedHere()) {
        const int fd = ::open(path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC);
        struct stat st {
        };
        if (fd < 0 || ::fstat(fd, &st) != 0) {
            const QString why = QString::fromLocal8Bit(std::strerror(errno));
            if (fd >= 0)
                ::close(fd);
            return f->error({}, QStringLiteral("a readable HDF5 file"), why);
        }
        auto remote = openRemote(fd, 0, std::uint64_t(st.st_size), path);
        if (!remote)
            return remote.error();
        f->m_remote = *remote;
        return f;
    }
    Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS));
    // Strong close: no object of the file stays open behind our back.
    H5Pset_fclose_degree(hid_t(fapl.get()), H5F_CLOSE_STRONG);
    if (!setReadOnlyDriver(hid_t(fapl.get()), nullptr, 0))
        return f->error({}, QStringLiteral("an HDF5 file driver"));
    f->m_file = make(H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDONLY, hid_t(fapl.get())));
    if (!f->m_file.valid())
        return f->error({}, QStringLiteral("a readable HDF5 file"));
    return f;
}

Result<std::shared_ptr<File>> File::openImage(const std::uint8_t *data, std::size_t size,
                                              std::shared_ptr<const void> keep,
                                              const QString &label,
                                              const std::optional<Origin> &origin)
{
    quiet();
    std::shared_ptr<File> f(new File);
    f->m_label = label;
    f->m_isImage = true;
    if (isolatedHere() && size > 0) {
        // The reader process needs a descriptor: the file the image lies in, or a copy.
        std::uint64_t offset = 0;
        int fd = -1;
        if (origin && origin->fd >= 0) {
            fd = ::fcntl(origin->fd, F_DUPFD_CLOEXEC, 0);
            offset = std::uint64_t(origin->offset);
        } else if (origin) {
            fd = ::open(origin->path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC);
            offset = std::uint64_t(origin->offset);
        } else {
            fd = ::memfd_create("weightlens-hdf5-image", MFD_CLOEXEC);
            for (std::size_t done = 0; fd >= 0 && done < size;) {
                const ssize_t n = ::write(fd, data + done, size - done);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    ::close(fd);
                    fd = -1;
                    break;
                }
                done += std::size_t(n);
            }
        }
        if (fd < 0)
            return f->error({}, QStringLiteral("an HDF5 file image"),
                            QString::fromLocal8Bit(std::strerror(errno)));
        auto remote = openRemote(fd, offset, size, label);
        if (!remote)
            return remote.error();
        f->m_remote = *remote;
        f->m_image = std::move(keep);
        return f;
    }
    f->m_image = std::move(keep);
    Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_fclose_degree(hid_t(fapl.get()), H5F_CLOSE_STRONG);
    if (size == 0 || !setReadOnlyDriver(hid_t(fapl.get()), data, size))
        return f->error({}, QStringLiteral("an HDF5 file image"));
    f->m_file = make(H5Fopen(label.toUtf8().constData(), H5F_ACC_RDONLY, hid_t(fapl.get())));
    if (!f->m_file.valid())
        return f->error({}, QStringLiteral("a readable HDF5 file"));
    return f;
}

bool File::isGroup(const QString &path) const
{
    if (m_remote) {
        const auto *o = remoteObject(*m_remote, path);
        return o && o->kind() == h5w::Object::GROUP;
    }
    quiet();
    Handle o = openObject(hid_t(m_file.get()), path);
    return o.valid() && H5Iget_type(hid_t(o.get())) == H5I_GROUP;
}

bool File::isDataset(const QString &path) const
{
    if (m_remote) {
        const auto *o = remoteObject(*m_remote, path);
        return o && o->kind() == h5w::Object::DATASET;
    }
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
    if (m_remote) {
        const auto *o = remoteObject(*m_remote, group);
        if (!o || o->kind() != h5w::Object::GROUP)
            return error(objectText(group), QStringLiteral("a group"), {});
        if (o->has_children_error())
            return fromProto(o->children_error());
        QStringList names;
        for (const auto &c : o->children())
            names << QString::fromStdString(c);
        return names;
    }
    quiet();
    Handle g = openObject(hid_t(m_file.get()), group);
    if (!g.valid() || H5Iget_type(hid_t(g.get())) != H5I_GROUP)
        return error(objectText(group), QStringLiteral("a group"));
    return childrenOf(g.get(), group);
}

Result<QStringList> File::childrenOf(Id g, const QString &group) const
{
    QStringList names;
    hsize_t idx = 0;
    if (H5Literate(hid_t(g), H5_INDEX_NAME, H5_ITER_INC, &idx, collectName, &names) < 0)
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
            auto type = kind(p);
            if (!type)
                return type.error();
            if (*type == 0)
                continue;
            out.push_back({p, *type == 1});
            if (out.size() > maxNodes)
                return error(objectText(p), QStringLiteral("at most 1000000 objects"));
            if (*type == 1 && depth < maxDepth)
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

Result<int> File::kind(const QString &path) const
{
    if (m_remote) {
        const auto *o = remoteObject(*m_remote, path);
        if (!o)
            return error(objectText(path), QStringLiteral("an object"), {});
        switch (o->kind()) {
        case h5w::Object::GROUP:
            return 1;
        case h5w::Object::DATASET:
            return 2;
        case h5w::Object::UNOPENABLE:
            return fromProto(o->open_error());
        default:
            return 0;
        }
    }
    quiet();
    Handle o = openObject(hid_t(m_file.get()), path);
    if (!o.valid())
        return error(objectText(path), QStringLiteral("an object"));
    const auto type = H5Iget_type(hid_t(o.get()));
    return type == H5I_GROUP ? 1 : type == H5I_DATASET ? 2 : 0;
}

static herr_t collectAttr(hid_t, const char *name, const H5A_info_t *, void *data)
{
    static_cast<QStringList *>(data)->append(QString::fromUtf8(name));
    return 0;
}

Result<QStringList> File::attributeNames(const QString &object) const
{
    if (m_remote) {
        const auto *o = remoteObject(*m_remote, object);
        if (!o || o->kind() == h5w::Object::UNOPENABLE)
            return error(objectText(object), QStringLiteral("an object"), {});
        if (o->has_header_error())
            return fromProto(o->header_error());
        if (o->has_names_error())
            return fromProto(o->names_error());
        QStringList names;
        for (const auto &a : o->attributes())
            names << QString::fromStdString(a.name());
        return names;
    }
    quiet();
    Handle o = openObject(hid_t(m_file.get()), object);
    if (!o.valid())
        return error(objectText(object), QStringLiteral("an object"));
    if (const QString bad = objectHeaderProblem(hid_t(o.get())); !bad.isEmpty())
        return error(objectText(object), QStringLiteral("a sound object header"), bad);
    return attributeNamesOf(o.get(), object);
}

Result<QStringList> File::attributeNamesOf(Id o, const QString &object) const
{
    QStringList names;
    hsize_t idx = 0;
    if (H5Aiterate2(hid_t(o), H5_INDEX_NAME, H5_ITER_INC, &idx, collectAttr, &names) < 0)
        return error(objectText(object), QStringLiteral("a list of attributes"));
    return names;
}

Result<std::optional<Attribute>> File::attribute(const QString &object, const QString &name) const
{
    if (m_remote) {
        const auto *o = remoteObject(*m_remote, object);
        if (!o || o->kind() == h5w::Object::UNOPENABLE)
            return std::optional<Attribute>();
        if (o->has_header_error())
            return fromProto(o->header_error());
        const std::string key = name.toStdString();
        for (const auto &a : o->attributes()) {
            if (a.name() != key)
                continue;
            if (a.has_error())
                return fromProto(a.error());
            return std::optional<Attribute>(fromProto(a));
        }
        return std::optional<Attribute>();
    }
    quiet();
    Handle o = openObject(hid_t(m_file.get()), object);
    if (!o.valid())
        return std::optional<Attribute>();
    if (const QString bad = objectHeaderProblem(hid_t(o.get())); !bad.isEmpty())
        return error(objectText(object), QStringLiteral("a sound object header"), bad);
    return attributeOf(o.get(), object, name);
}

Result<std::optional<Attribute>> File::attributeOf(Id o, const QString &object,
                                                   const QString &name) const
{
    const QByteArray an = name.toUtf8();
    if (H5Aexists(hid_t(o), an.constData()) <= 0)
        return std::optional<Attribute>();
    const QString where = objectText(object) + QStringLiteral(" attribute ") + name;
    Handle a = make(H5Aopen(hid_t(o), an.constData(), H5P_DEFAULT));
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
            QString why;
            out.strings = readStrings(hid_t(a.get()), t, hsize_t(n), why);
            if (out.strings.size() != n)
                return error(where, counted(qint64(n), "string"), why);
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

Result<std::optional<QString>> File::string(const QString &object, const QString &name) const
{
    auto a = attribute(object, name);
    if (!a)
        return a.error();
    if (!*a || !(*a)->isString || (*a)->strings.size() != 1)
        return std::optional<QString>();
    return std::optional<QString>((*a)->strings.front());
}

} // namespace wl::h5
