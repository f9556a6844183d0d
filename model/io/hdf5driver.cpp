// A read-only HDF5 file driver over a file or a caller's buffer. HDF5 1.10 decodes a global
// heap collection (where variable-length strings live) without bounds checks: a free-space
// object of size zero makes it loop forever, an object size past the collection makes it copy
// out of bounds. This driver checks each collection it hands to the library and fails the
// read instead, so a damaged file gives an error rather than a hang or a crash.
#include "core/plural.h"
#include "hdf5internal.h"

#include <hdf5.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace wl::h5::detail
{
namespace
{

std::uint64_t readLittle(const std::uint8_t *p, int bytes)
{
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

QString globalHeapProblem(const std::uint8_t *p, std::size_t n, int lengthSize,
                          std::set<unsigned> *indexes)
{
    // Layout (HDF5 file format, "Global Heap"): "GCOL", version, 3 reserved bytes, collection
    // size; then objects of index (2 bytes), reference count (2), 4 reserved, size, data padded
    // to 8 bytes. Index 0 is the free space, which runs to the end and counts its own header.
    // The collection's header and an object's are both 8 bytes and a length long.
    const std::size_t header = 8 + std::size_t(lengthSize);
    if (n < header)
        return QStringLiteral("a collection header of %1 bytes, %2 available").arg(header).arg(n);
    const std::uint64_t size = readLittle(p + 8, lengthSize);
    if (size < header || size > n)
        return QStringLiteral("collection size %1 outside [%2, %3]").arg(size).arg(header).arg(n);
    std::uint64_t at = header;
    while (at < size) {
        const std::uint64_t left = size - at;
        if (left < header) // too small for an object header: trailing free space
            break;
        const unsigned index = unsigned(readLittle(p + at, 2));
        const std::uint64_t objectSize = readLittle(p + at + 8, lengthSize);
        if (index == 0) {
            if (objectSize == 0 || objectSize > left)
                return QStringLiteral("free space of %1 at collection offset %2, %3 left")
                    .arg(counted(qint64(objectSize), "byte"))
                    .arg(at)
                    .arg(left);
            at += objectSize;
            continue;
        }
        if (objectSize > left - header)
            return QStringLiteral("object %1 of %2 at collection offset %3, %4 left")
                .arg(index)
                .arg(counted(qint64(objectSize), "byte"))
                .arg(at)
                .arg(left - header);
        if (indexes)
            indexes->insert(index);
        at += std::min<std::uint64_t>(left, header + ((objectSize + 7) & ~std::uint64_t(7)));
    }
    return {};
}

struct DriverInfo {
    const std::uint8_t *data; // nullptr: open the named file
    std::size_t size;
};

struct DriverFile {
    H5FD_t pub; // first: HDF5 fills it and hands it back to every callback
    int fd = -1;
    const std::uint8_t *data = nullptr;
    haddr_t eof = 0;
    haddr_t eoa = 0;
    int lengthSize = 8;
    int offsetSize = 8;
    haddr_t base = 0; // where the superblock starts; addresses in the file count from here
    std::map<haddr_t, std::set<unsigned>> soundHeaps; // object indexes of checked collections
    std::set<haddr_t> soundHeaders;                   // object headers checked
    void *map = MAP_FAILED; // of an opened file, made for checking a large collection
    // Header checks run outside the library's lock; this guards what they share.
    std::mutex checks;
};

const std::uint8_t *mapWhole(DriverFile *f)
{
    std::lock_guard lock(f->checks);
    if (f->map == MAP_FAILED)
        f->map = ::mmap(nullptr, std::size_t(f->eof), PROT_READ, MAP_PRIVATE, f->fd, 0);
    return f->map == MAP_FAILED ? nullptr : static_cast<const std::uint8_t *>(f->map);
}

herr_t fail(const char *func, hid_t minor, const QString &message)
{
    H5Epush2(H5E_DEFAULT, __FILE__, func, __LINE__, H5E_ERR_CLS, H5E_VFL, minor, "%s",
             message.toUtf8().constData());
    return -1;
}

// Copies [addr, addr + size) and zero-fills what lies past the end of the file, as sec2 does.
bool copyOut(const DriverFile *f, haddr_t addr, std::size_t size, void *buffer)
{
    auto *out = static_cast<std::uint8_t *>(buffer);
    const std::size_t have =
        addr >= f->eof ? 0 : std::size_t(std::min<haddr_t>(size, f->eof - addr));
    if (f->data) {
        if (have > 0)
            std::memcpy(out, f->data + addr, have);
    } else {
        for (std::size_t done = 0; done < have;) {
            const ssize_t got = ::pread(f->fd, out + done, have - done, off_t(addr + done));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return false;
            done += std::size_t(got);
        }
    }
    std::memset(out + have, 0, size - have);
    return true;
}

H5FD_t *driverOpen(const char *name, unsigned flags, hid_t fapl, haddr_t)
{
    if (flags & (H5F_ACC_RDWR | H5F_ACC_CREAT | H5F_ACC_TRUNC)) {
        fail("driverOpen", H5E_CANTOPENFILE, QStringLiteral("the driver opens files read-only"));
        return nullptr;
    }
    const auto *info = static_cast<const DriverInfo *>(H5Pget_driver_info(fapl));
    auto *f = new DriverFile{};
    if (info && info->data) {
        f->data = info->data;
        f->eof = info->size;
    } else {
        f->fd = ::open(name, O_RDONLY | O_CLOEXEC);
        struct stat st {
        };
        if (f->fd < 0 || ::fstat(f->fd, &st) != 0) {
            fail("driverOpen", H5E_CANTOPENFILE,
                 QStringLiteral("cannot open %1: %2")
                     .arg(QString::fromLocal8Bit(name), QString::fromLocal8Bit(strerror(errno))));
            if (f->fd >= 0)
                ::close(f->fd);
            delete f;
            return nullptr;
        }
        f->eof = haddr_t(st.st_size);
    }
    // The superblock gives the width of lengths, which the heap check needs.
    std::uint8_t head[4096];
    const std::size_t n = std::size_t(std::min<haddr_t>(sizeof head, f->eof));
    if (copyOut(f, 0, n, head)) {
        const auto sig = signatureOffset(
            QByteArray::fromRawData(reinterpret_cast<const char *>(head), qsizetype(n)));
        if (sig >= 0 && std::size_t(sig) + 15 <= n) {
            const std::uint8_t *sb = head + sig;
            const int width = sb[8] < 2 ? sb[14] : sb[10];
            if (width == 2 || width == 4 || width == 8)
                f->lengthSize = width;
            const int offsets = sb[8] < 2 ? sb[13] : sb[9];
            if (offsets == 2 || offsets == 4 || offsets == 8)
                f->offsetSize = offsets;
            f->base = haddr_t(sig);
        }
    }
    return &f->pub;
}

// What HDF5 1.10 leaves unchecked in a version 1 object header (HDF5 file format, "Version 1
// Object Headers", "Attribute Message"): that each message lies inside its chunk, and that an
// attribute message's name, datatype and dataspace lie inside the message. The library decodes
// them with the sizes the file gives, so a damaged size reads past the message. Version 2
// headers carry a checksum the library verifies. Empty when sound.
QString headerProblem(const std::uint8_t *file, haddr_t eof, haddr_t base, haddr_t addr,
                      int offsetSize, int lengthSize)
{
    constexpr std::size_t kPrefix = 16; // version, reserved, count, references, size, padding
    if (addr >= eof || eof - addr < kPrefix || file[addr] != 1)
        return {}; // not version 1: the library's own checks apply
    std::vector<std::pair<haddr_t, std::uint64_t>> chunks{
        {addr + kPrefix, readLittle(file + addr + 8, 4)}};
    std::set<haddr_t> seen;
    for (std::size_t c = 0; c < chunks.size(); ++c) {
        const auto [start, length] = chunks[c];
        if (!seen.insert(start).second || chunks.size() > 4096)
            return QStringLiteral("object header chunks at %1 form a loop").arg(start);
        if (start > eof || length > eof - start)
            return QStringLiteral("object header chunk at %1 of %2 runs past the end of the file")
                .arg(start)
                .arg(counted(qint64(length), "byte"));
        const std::uint8_t *chunk = file + start;
        for (std::uint64_t at = 0; at + 8 <= length;) {
            const unsigned type = unsigned(readLittle(chunk + at, 2));
            const std::uint64_t size = readLittle(chunk + at + 2, 2);
            const unsigned flags = chunk[at + 4];
            const std::uint8_t *m = chunk + at + 8;
            const haddr_t where = start + at;
            if (size > length - at - 8)
                return QStringLiteral("object header message at %1 of %2 runs past its chunk")
                    .arg(where)
                    .arg(counted(qint64(size), "byte"));
            if (type == 0x10 && size >= std::uint64_t(offsetSize + lengthSize)) // continuation
                chunks.emplace_back(base + readLittle(m, offsetSize),
                                    readLittle(m + offsetSize, lengthSize));
            if (type == 0x0C && !(flags & 0x02) && size >= 8 && m[0] >= 1 && m[0] <= 3) {
                // Version 1 pads the name, datatype and dataspace to 8 bytes; 3 adds an encoding.
                const auto pad = [&](std::uint64_t n) { return m[0] == 1 ? (n + 7) & ~7ull : n; };
                const std::uint64_t need = (m[0] == 3 ? 9 : 8) + pad(readLittle(m + 2, 2)) +
                                           pad(readLittle(m + 4, 2)) + pad(readLittle(m + 6, 2));
                if (need > size)
                    return QStringLiteral("attribute message at %1 declares %2 bytes of name, "
                                          "datatype and dataspace in %3")
                        .arg(where)
                        .arg(need)
                        .arg(size);
            }
            at += 8 + size;
        }
    }
    return {};
}

herr_t driverClose(H5FD_t *file)
{
    auto *f = reinterpret_cast<DriverFile *>(file);
    if (f->map != MAP_FAILED)
        ::munmap(f->map, std::size_t(f->eof));
    if (f->fd >= 0)
        ::close(f->fd);
    delete f;
    return 0;
}

herr_t driverQuery(const H5FD_t *, unsigned long *flags)
{
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
    return 0;
}

haddr_t driverGetEoa(const H5FD_t *file, H5FD_mem_t)
{
    return reinterpret_cast<const DriverFile *>(file)->eoa;
}

herr_t driverSetEoa(H5FD_t *file, H5FD_mem_t, haddr_t addr)
{
    reinterpret_cast<DriverFile *>(file)->eoa = addr;
    return 0;
}

haddr_t driverGetEof(const H5FD_t *file, H5FD_mem_t)
{
    return reinterpret_cast<const DriverFile *>(file)->eof;
}

// Checks the collection at addr once and remembers its object indexes; `have` bytes of it are at
// p (HDF5 reads 4 KiB first and the rest later, so a longer collection is taken from the file).
// Empty when sound.
QString checkHeap(DriverFile *f, haddr_t addr, const std::uint8_t *p, std::size_t have)
{
    if (f->soundHeaps.count(addr))
        return {};
    const std::size_t header = 8 + std::size_t(f->lengthSize);
    const std::uint64_t available = addr < f->eof ? f->eof - addr : 0;
    std::size_t n = have;
    if (have >= header) {
        const std::uint64_t declared = readLittle(p + 8, f->lengthSize);
        if (declared > have && declared <= available) {
            // Mapped rather than copied: the check reads only the object headers.
            const std::uint8_t *file = f->data ? f->data : mapWhole(f);
            if (!file)
                return QStringLiteral("cannot map the file to check the global heap at %1")
                    .arg(addr);
            p = file + addr;
            n = std::size_t(declared);
        }
    }
    std::set<unsigned> indexes;
    const QString problem = globalHeapProblem(p, n, f->lengthSize, &indexes);
    if (!problem.isEmpty())
        return QStringLiteral("corrupt global heap at %1: %2").arg(addr).arg(problem);
    f->soundHeaps.emplace(addr, std::move(indexes));
    return {};
}

herr_t driverRead(H5FD_t *file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void *buffer)
{
    auto *f = reinterpret_cast<DriverFile *>(file);
    if (addr == HADDR_UNDEF || addr > haddr_t(PTRDIFF_MAX) || size > std::size_t(PTRDIFF_MAX))
        return fail("driverRead", H5E_OVERFLOW,
                    QStringLiteral("address %1 out of range").arg(addr));
    if (!copyOut(f, addr, size, buffer))
        return fail("driverRead", H5E_READERROR,
                    QStringLiteral("read error at %1: %2")
                        .arg(addr)
                        .arg(QString::fromLocal8Bit(strerror(errno))));
    // HDF5 reads a global heap as raw data, so collections are told by their signature.
    const auto *bytes = static_cast<const std::uint8_t *>(buffer);
    if (size < 5 || std::memcmp(bytes, "GCOL", 4) != 0 || bytes[4] != 1)
        return 0;
    const QString problem = checkHeap(f, addr, bytes, size);
    return problem.isEmpty() ? 0 : fail("driverRead", H5E_BADVALUE, problem);
}

herr_t driverWrite(H5FD_t *, H5FD_mem_t, hid_t, haddr_t, size_t, const void *)
{
    return fail("driverWrite", H5E_WRITEERROR, QStringLiteral("the driver is read-only"));
}

herr_t driverTruncate(H5FD_t *, hid_t, hbool_t)
{
    return 0;
}

// Hands out the driver's own state, for the H5HG_read guard below.
herr_t driverGetHandle(H5FD_t *file, hid_t, void **handle)
{
    *handle = file;
    return 0;
}

hid_t driverId()
{
    static const hid_t id = [] {
        static H5FD_class_t cls{};
        cls.name = "weightlens-read-only";
        cls.maxaddr = haddr_t(PTRDIFF_MAX);
        cls.fc_degree = H5F_CLOSE_WEAK;
        cls.fapl_size = sizeof(DriverInfo);
        cls.open = driverOpen;
        cls.close = driverClose;
        cls.query = driverQuery;
        cls.get_eoa = driverGetEoa;
        cls.set_eoa = driverSetEoa;
        cls.get_eof = driverGetEof;
        cls.read = driverRead;
        cls.write = driverWrite;
        cls.truncate = driverTruncate;
        cls.get_handle = driverGetHandle;
        const H5FD_mem_t map[] = H5FD_FLMAP_DICHOTOMY;
        std::copy(std::begin(map), std::end(map), std::begin(cls.fl_map));
        return H5FDregister(&cls);
    }();
    return id;
}

} // namespace

QString objectHeaderProblem(hid_t object)
{
    H5O_info_t info{};
    if (H5Oget_info2(object, &info, H5O_INFO_BASIC) < 0)
        return {};
    Handle file = make(H5Iget_file_id(object));
    if (!file.valid())
        return {};
    // The driver is looked up once per open file: copying the file's access property list for
    // every object took about a twentieth of `ls` on a Keras file of 626 datasets. HDF5 never
    // hands out a closed file's id again, so a remembered id names the same open file.
    thread_local hid_t lastFile = H5I_INVALID_HID;
    thread_local DriverFile *lastDriver = nullptr;
    if (hid_t(file.get()) != lastFile) {
        Handle fapl = make(H5Fget_access_plist(hid_t(file.get())));
        void *handle = nullptr;
        if (!fapl.valid() || H5Pget_driver(hid_t(fapl.get())) != driverId() ||
            H5Fget_vfd_handle(hid_t(file.get()), hid_t(fapl.get()), &handle) < 0)
            handle = nullptr;
        lastFile = hid_t(file.get());
        lastDriver = static_cast<DriverFile *>(handle);
    }
    auto *f = lastDriver;
    if (!f)
        return {};
    const haddr_t addr = f->base + info.addr;
    {
        std::lock_guard lock(f->checks);
        if (f->soundHeaders.count(addr))
            return {};
    }
    const std::uint8_t *bytes = f->data ? f->data : mapWhole(f);
    if (!bytes)
        return QStringLiteral("cannot map the file to check the object header at %1").arg(addr);
    QString problem = headerProblem(bytes, f->eof, f->base, addr, f->offsetSize, f->lengthSize);
    if (problem.isEmpty()) {
        std::lock_guard lock(f->checks);
        f->soundHeaders.insert(addr);
    }
    return problem;
}

bool setReadOnlyDriver(hid_t fapl, const std::uint8_t *data, std::size_t size)
{
    const hid_t id = driverId();
    const DriverInfo info{data, size};
    return id >= 0 && H5Pset_driver(fapl, id, &info) >= 0;
}

} // namespace wl::h5::detail

// H5HG_read looks an object up by the index a variable-length value stores, unchecked in HDF5
// 1.10: a damaged index reads past the collection's object table. The link wraps the function
// (--wrap=H5HG_read, see model/CMakeLists.txt) so that, in files opened through this driver, an
// index the collection does not hold fails the read. H5HG_t and the two H5F_ functions are
// HDF5 1.10's own, private but linked statically.
extern "C" {
struct H5F_t;
struct WlHeapId {
    haddr_t addr;
    std::size_t idx;
};
void *__real_H5HG_read(H5F_t *f, WlHeapId *hobj, void *object, std::size_t *size);
hid_t H5F_get_driver_id(const H5F_t *f);
herr_t H5F_get_vfd_handle(const H5F_t *f, hid_t fapl, void **handle);

void *__wrap_H5HG_read(H5F_t *f, WlHeapId *hobj, void *object, std::size_t *size)
{
    using namespace wl::h5::detail;
    void *handle = nullptr;
    if (f && hobj && H5F_get_driver_id(f) == driverId() &&
        H5F_get_vfd_handle(f, H5P_DEFAULT, &handle) >= 0 && handle) {
        auto *file = static_cast<DriverFile *>(handle);
        // The value stores an address from the superblock on; the driver reads file offsets.
        const haddr_t at = file->base + hobj->addr;
        QString problem;
        // A collection already checked is not read again: every string of an attribute comes
        // through here.
        if (!file->soundHeaps.count(at)) {
            std::uint8_t head[16];
            if (at >= file->eof || !copyOut(file, at, sizeof head, head) ||
                std::memcmp(head, "GCOL", 4) != 0)
                problem = QStringLiteral("no global heap at %1").arg(at);
            else
                problem = checkHeap(file, at, head, sizeof head);
        }
        if (problem.isEmpty() &&
            (hobj->idx > 0xFFFF || !file->soundHeaps.at(at).count(unsigned(hobj->idx))))
            problem =
                QStringLiteral("no object %1 in the global heap at %2").arg(hobj->idx).arg(at);
        if (!problem.isEmpty()) {
            fail("H5HG_read", H5E_BADVALUE, problem);
            return nullptr;
        }
    }
    return __real_H5HG_read(f, hobj, object, size);
}
}
