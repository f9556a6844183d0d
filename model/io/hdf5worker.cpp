// The HDF5 reader process. It is started by hdf5isolation.cpp with its socket and a shared page
// already open, limits its memory and CPU time, installs a seccomp filter, and only then reads:
// each request brings the file's descriptor, which it maps read-only and parses through the
// checking driver (the same File code as in-process). HDF5 1.10 crashes, hangs or writes out
// of bounds on some damaged files; here that ends this process, not WeightLens.
#include "hdf5worker.h"
#include "hdf5internal.h"
#include "hdf5isolation.h"

#include <hdf5.h>
#include <seccomp.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <new>
#include <vector>

namespace wl::h5::detail
{

// Reaches File's private parts to take a snapshot with the in-process code.
struct Worker {
    static void snapshot(const File &f, h5w::Reply &reply);
};

namespace
{

constexpr rlim_t kMemoryLimit = rlim_t(2) << 30; // "needed more than 2 GiB"
constexpr rlim_t kCpuLimitS = 120;

// Test-only: WEIGHTLENS_WORKER_FAULT=KIND@POINT[@FILE] makes the worker crash, hang, run out of
// memory or send garbage at POINT (open, walk, read, reply); at read, `garbage`, `short` and
// `keepmap` also return bad data. With FILE, only requests for a file of that name fail, so
// that a test can open good and failing files side by side.
struct Fault {
    QString kind;
    QString point;
    QString file;
} g_fault;
QString g_label; // the file of the request being served

bool faultHere(const char *point)
{
    if (g_fault.point != QLatin1String(point))
        return false;
    if (g_fault.file.isEmpty())
        return true;
    // A file's path, or an archive member's "path:member".
    const QString name = g_label.mid(g_label.lastIndexOf(QLatin1Char('/')) + 1);
    return name == g_fault.file || name.startsWith(g_fault.file + QLatin1Char(':'));
}

char *g_crumb = nullptr;

void note(const QString &place)
{
    if (!g_crumb)
        return;
    const QByteArray b = place.toUtf8().left(int(kCrumbSize) - 1);
    std::memcpy(g_crumb, b.constData(), std::size_t(b.size()));
    g_crumb[b.size()] = '\0';
}

[[noreturn]] void outOfMemory()
{
    _exit(kExitOutOfMemory);
}

void faultAt(const char *point)
{
    if (!faultHere(point))
        return;
    if (g_fault.kind == QLatin1String("crash")) {
        // The default action, so a sanitizer's handler does not turn it into an exit.
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
    } else if (g_fault.kind == QLatin1String("hang")) {
        for (;;) {
            timespec t{1, 0};
            nanosleep(&t, nullptr);
        }
    } else if (g_fault.kind == QLatin1String("oom")) {
#if defined(__SANITIZE_ADDRESS__)
        outOfMemory(); // no memory limit under ASan (see limitResources)
#else
        // The limit counts reserved memory, so pages need not be touched to reach it.
        for (;;) {
            void *p = ::operator new(std::size_t(256) << 20);
            asm volatile("" : : "r"(p) : "memory"); // kept: the allocation is not elided
        }
#endif
    }
}

void limitResources()
{
    // RLIMIT_DATA counts the heap and private writable mappings but not the read-only mapping of
    // the file, so a checkpoint larger than the limit still maps. AddressSanitizer reserves
    // terabytes of shadow memory up front, so there is no memory limit in ASan builds.
#if !defined(__SANITIZE_ADDRESS__)
    const rlimit mem{kMemoryLimit, kMemoryLimit};
    setrlimit(RLIMIT_DATA, &mem);
#endif
    const rlimit cpu{kCpuLimitS, kCpuLimitS + 10};
    setrlimit(RLIMIT_CPU, &cpu);
    const rlimit core{0, 0};
    setrlimit(RLIMIT_CORE, &core);
    std::set_new_handler(outOfMemory);
}

// Allows reading, mapping, memory, time and exit; writes only to the socket and stderr (crash
// reports). Everything else, opens, sockets, exec and fork included, fails with EPERM: HDF5
// then reports an error rather than the process being killed mid-way.
bool installFilter(int sock)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return false;
    bool ok = true;
    for (int sc : {SCMP_SYS(read),
                   SCMP_SYS(pread64),
                   SCMP_SYS(readv),
                   SCMP_SYS(recvmsg),
                   SCMP_SYS(recvfrom),
                   SCMP_SYS(mmap),
                   SCMP_SYS(munmap),
                   SCMP_SYS(mremap),
                   SCMP_SYS(mprotect),
                   SCMP_SYS(brk),
                   SCMP_SYS(madvise),
                   SCMP_SYS(fstat),
                   SCMP_SYS(lseek),
                   SCMP_SYS(close),
                   SCMP_SYS(exit),
                   SCMP_SYS(exit_group),
                   SCMP_SYS(futex),
                   SCMP_SYS(rt_sigreturn),
                   SCMP_SYS(rt_sigprocmask),
                   SCMP_SYS(rt_sigaction),
                   SCMP_SYS(tgkill),
                   SCMP_SYS(getpid),
                   SCMP_SYS(gettid),
                   SCMP_SYS(clock_gettime),
                   SCMP_SYS(clock_nanosleep),
                   SCMP_SYS(nanosleep),
                   SCMP_SYS(getrusage),
                   SCMP_SYS(sched_yield),
                   SCMP_SYS(getrandom),
                   SCMP_SYS(restart_syscall),
                   SCMP_SYS(sigaltstack)})
        ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sc, 0) == 0;
    // glibc's fstat is newfstatat(fd, "", ..., AT_EMPTY_PATH); a path lookup stays refused.
    ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
                                SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH)) == 0;
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizers test whether memory is readable by writing it into a pipe (UBSan's vptr
    // check among them) and name the executable through readlink: in sanitizer builds only,
    // pipes and writes to any descriptor are allowed. Files still cannot be opened.
    for (int sc :
         {SCMP_SYS(pipe), SCMP_SYS(pipe2), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(readlink)})
        ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sc, 0) == 0;
#endif
    for (int fd : {sock, 2})
        for (int sc : {SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(sendmsg), SCMP_SYS(sendto)})
            ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sc, 1,
                                        SCMP_A0(SCMP_CMP_EQ, scmp_datum_t(fd))) == 0;
    ok = ok && seccomp_load(ctx) == 0;
    seccomp_release(ctx);
    return ok;
}

bool writeAll(int fd, const char *p, std::size_t n)
{
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= std::size_t(w);
    }
    return true;
}

bool send(int sock, h5w::Reply &reply)
{
    reply.set_version(kProtocolVersion);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    reply.set_cpu_ms(std::uint64_t(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                     std::uint64_t(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
    std::string body;
    if (g_fault.kind == QLatin1String("garbage") && faultHere("reply"))
        body.assign(16, '\xff');
    else
        reply.SerializeToString(&body);
    const std::uint32_t n = std::uint32_t(body.size());
    const char head[4] = {char(n), char(n >> 8), char(n >> 16), char(n >> 24)};
    return writeAll(sock, head, 4) && writeAll(sock, body.data(), body.size());
}

bool sendError(int sock, const LoadError &e)
{
    h5w::Reply reply;
    toProto(e, reply.mutable_error());
    return send(sock, reply);
}

// Reads n bytes; descriptors that come along fill fds[0] (the file), then fds[1] (shared memory).
bool readAll(int sock, char *p, std::size_t n, int fds[2])
{
    while (n > 0) {
        iovec iov{p, n};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t got = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int got_fd = -1;
                std::memcpy(&got_fd, CMSG_DATA(c) + i * sizeof(int), sizeof got_fd);
                if (fds[0] < 0)
                    fds[0] = got_fd;
                else if (fds[1] < 0)
                    fds[1] = got_fd;
                else
                    ::close(got_fd);
            }
        }
        p += got;
        n -= std::size_t(got);
    }
    return true;
}

// The mapped file a request names, for as long as the request runs.
struct Mapping {
    void *base = MAP_FAILED;
    std::size_t length = 0;
    ~Mapping()
    {
        if (base != MAP_FAILED)
            ::munmap(base, length);
    }
};

Result<std::shared_ptr<File>> openRequested(int fd, const h5w::Request &req, Mapping &map)
{
    const QString label = QString::fromStdString(req.label());
    struct stat st {
    };
    std::uint64_t end = 0;
    if (fd < 0 || ::fstat(fd, &st) != 0 || req.size() == 0 ||
        __builtin_add_overflow(req.offset(), req.size(), &end) || end > std::uint64_t(st.st_size))
        return makeError(
            LoadError::Code::Truncated, label, {},
            QStringLiteral("%1 bytes of HDF5 data at offset %2").arg(req.size()).arg(req.offset()),
            QStringLiteral("a file of %1 bytes").arg(st.st_size));
    map.length = std::size_t(end);
    map.base = ::mmap(nullptr, map.length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map.base == MAP_FAILED)
        return makeError(LoadError::Code::Unreadable, label, {},
                         QStringLiteral("a file that can be mapped"),
                         QString::fromLocal8Bit(std::strerror(errno)));
    faultAt("open");
    return File::openImage(static_cast<const std::uint8_t *>(map.base) + req.offset(),
                           std::size_t(req.size()), nullptr, label);
}

// Decodes the requested bytes of one dataset into the shared memory the parent passed.
void readInto(int sock, const File &file, int shared, const h5w::Request &req)
{
    const QString path = QString::fromStdString(req.dataset());
    note(QLatin1Char('/') + path);
    faultAt("read");
    auto d = file.dataset(path);
    if (!d) {
        sendError(sock, d.error());
        return;
    }
    const std::uint64_t length = req.length();
    struct stat st {
    };
    if (shared < 0 || ::fstat(shared, &st) != 0 || std::uint64_t(st.st_size) != length ||
        length == 0 || length > std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
        sendError(sock, makeError(LoadError::Code::Unreadable, QString::fromStdString(req.label()),
                                  QLatin1Char('/') + path,
                                  QStringLiteral("shared memory of %1 bytes").arg(length),
                                  QStringLiteral("%1 bytes").arg(st.st_size)));
        return;
    }
    Mapping out;
    out.length = std::size_t(length);
    out.base = ::mmap(nullptr, out.length, PROT_READ | PROT_WRITE, MAP_SHARED, shared, 0);
    if (out.base == MAP_FAILED) {
        sendError(sock, makeError(LoadError::Code::Unreadable, QString::fromStdString(req.label()),
                                  QLatin1Char('/') + path,
                                  QStringLiteral("shared memory that can be mapped"),
                                  QString::fromLocal8Bit(std::strerror(errno))));
        return;
    }
    auto *dst = static_cast<std::uint8_t *>(out.base);
    std::size_t written = 0;
    auto status = file.read(
        *d, std::size_t(req.max_bytes()),
        [&](const std::uint8_t *p, std::size_t n) {
            n = std::min(n, out.length - written);
            std::memcpy(dst + written, p, n);
            written += n;
            return written < out.length;
        },
        std::int64_t(req.begin()), std::int64_t(length));
    if (!status) {
        sendError(sock, status.error());
        return;
    }
    h5w::Reply reply;
    reply.set_written(written);
    if (faultHere("read")) {
        if (g_fault.kind == QLatin1String("garbage")) {
            std::memset(dst, 0xff, out.length);
            reply.set_written(length + 4096);
        } else if (g_fault.kind == QLatin1String("short")) {
            reply.set_written(written / 2);
        } else if (g_fault.kind == QLatin1String("keepmap")) {
            out.base = MAP_FAILED; // still mapped for writing when the parent seals it
        }
    }
    // Unmapped before the reply: the parent's seal fails while a writable mapping exists.
    if (out.base != MAP_FAILED)
        ::munmap(out.base, out.length);
    out.base = MAP_FAILED;
    send(sock, reply);
}

void handle(int sock, int fd, int shared, const h5w::Request &req)
{
    note({});
    g_label = QString::fromStdString(req.label());
    if (req.version() != kProtocolVersion) {
        sendError(sock, makeError(LoadError::Code::Unsupported, QString::fromStdString(req.label()),
                                  {}, QStringLiteral("protocol version %1").arg(kProtocolVersion),
                                  QString::number(req.version())));
        return;
    }
    Mapping map;
    auto file = openRequested(fd, req, map);
    if (!file) {
        sendError(sock, file.error());
        return;
    }
    if (req.op() == h5w::Request::SNAPSHOT) {
        h5w::Reply reply;
        Worker::snapshot(**file, reply);
        send(sock, reply);
        return;
    }
    readInto(sock, **file, shared, req);
}

int serve(int sock)
{
    for (;;) {
        unsigned char head[4];
        int fds[2] = {-1, -1};
        if (!readAll(sock, reinterpret_cast<char *>(head), 4, fds))
            return 0; // the parent closed the socket
        const std::uint32_t n = std::uint32_t(head[0]) | std::uint32_t(head[1]) << 8 |
                                std::uint32_t(head[2]) << 16 | std::uint32_t(head[3]) << 24;
        std::string body(std::min<std::uint32_t>(n, 1 << 20), '\0');
        h5w::Request req;
        if (n > (1 << 20) || !readAll(sock, body.data(), n, fds) || !req.ParseFromString(body))
            return 1;
        handle(sock, fds[0], fds[1], req);
        for (int fd : fds)
            if (fd >= 0)
                ::close(fd);
    }
}

// Tries what the sandbox must refuse; 0 when every attempt was refused.
int selfTest(const char *path, bool sandbox)
{
    limitResources();
    if (sandbox && !installFilter(2)) {
        std::fprintf(stderr, "sandbox: cannot install the seccomp filter\n");
        return 2;
    }
    int allowed = 0;
    auto report = [&](const char *what, bool refused) {
        std::fprintf(stderr, "%s: %s (%s)\n", what, refused ? "refused" : "allowed",
                     std::strerror(errno));
        allowed += refused ? 0 : 1;
    };
    errno = 0;
    const int w = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    report("open for writing", w < 0 && errno == EPERM);
    errno = 0;
    const int r = ::open(path, O_RDONLY);
    report("open for reading", r < 0 && errno == EPERM);
    errno = 0;
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    report("network socket", s < 0 && errno == EPERM);
    errno = 0;
    // A path that does not exist: unsandboxed, exec fails with ENOENT rather than running.
    char *argv[] = {const_cast<char *>("none"), nullptr};
    const int e = ::execve("/nonexistent/weightlens-sandbox-check", argv, environ);
    report("exec", e < 0 && errno == EPERM);
    return allowed == 0 ? 0 : 1;
}

} // namespace

void Worker::snapshot(const File &f, h5w::Reply &reply)
{
    // The same traversal as File::walk, but it records every answer, errors included, so that
    // the parent's File replays them. Each object is opened once and asked everything.
    constexpr int maxDepth = 64;
    constexpr std::size_t maxNodes = 1'000'000;
    auto record = [&](const QString &path, Id h, int kind, h5w::Object *o) {
        o->set_kind(kind == 1   ? h5w::Object::GROUP
                    : kind == 2 ? h5w::Object::DATASET
                                : h5w::Object::OTHER);
        const QString bad = objectHeaderProblem(hid_t(h));
        if (!bad.isEmpty()) {
            toProto(f.error(objectText(path), QStringLiteral("a sound object header"), bad),
                    o->mutable_header_error());
        } else if (auto names = f.attributeNamesOf(h, path); !names) {
            toProto(names.error(), o->mutable_names_error());
        } else {
            for (const auto &n : *names) {
                auto *a = o->add_attributes();
                a->set_name(n.toStdString());
                auto v = f.attributeOf(h, path, n);
                if (!v) {
                    toProto(v.error(), a->mutable_error());
                    continue;
                }
                if (!*v)
                    continue;
                a->set_is_string((*v)->isString);
                a->set_scalar((*v)->scalar);
                for (const auto &s : (*v)->strings)
                    a->add_strings(s.toStdString());
                for (double x : (*v)->numbers)
                    a->add_numbers(x);
                a->set_type_text((*v)->typeText.toStdString());
            }
        }
        if (kind == 2) {
            faultAt("walk");
            auto d = f.datasetOf(h, path, bad);
            if (!d) {
                toProto(d.error(), o->mutable_dataset_error());
            } else {
                auto *p = o->mutable_dataset();
                p->set_dtype(int(d->dtype));
                p->set_h5_class(d->h5Class);
                p->set_element_size(d->elementSize);
                for (auto v : d->shape.dims)
                    p->add_dims(v);
                p->set_big_endian(d->bigEndian);
                p->set_contiguous(d->contiguous);
                p->set_offset(d->offset);
                p->set_storage_size(d->storageSize);
                p->set_type_text(d->typeText.toStdString());
            }
        }
        if (kind == 1) {
            auto kids = f.childrenOf(h, path);
            if (!kids)
                toProto(kids.error(), o->mutable_children_error());
            else
                for (const auto &k : *kids)
                    o->add_children(k.toStdString());
        }
    };
    std::vector<std::pair<QString, int>> stack{{QString(), 0}};
    std::size_t count = 0;
    while (!stack.empty()) {
        auto [path, depth] = stack.back();
        stack.pop_back();
        auto *o = reply.add_objects();
        o->set_path(path.toStdString());
        note(objectText(path));
        // Below the root, the parent was opened through every check of its own path, and each
        // check from the root again cost a path walk per level.
        Handle h = depth == 0 ? openObject(hid_t(f.m_file.get()), path)
                              : openChild(hid_t(f.m_file.get()), path);
        if (!h.valid()) {
            o->set_kind(h5w::Object::UNOPENABLE);
            toProto(f.error(objectText(path), QStringLiteral("an object")),
                    o->mutable_open_error());
            continue;
        }
        const auto type = H5Iget_type(hid_t(h.get()));
        const int kind = type == H5I_GROUP ? 1 : type == H5I_DATASET ? 2 : 0;
        record(path, h.get(), kind, o);
        if (kind != 1 || depth > maxDepth || ++count > maxNodes)
            continue;
        for (const auto &c : o->children())
            stack.push_back({joinPath(path, QString::fromStdString(c)), depth + 1});
    }
}

} // namespace wl::h5::detail

namespace wl::h5
{

namespace
{

int workerMain(int argc, char **argv)
{
    using namespace detail;
    if (argc >= 4 && std::strcmp(argv[2], "--self-test") == 0)
        return selfTest(argv[3], !(argc >= 5 && std::strcmp(argv[4], "--no-sandbox") == 0));
    const QString fault = qEnvironmentVariable("WEIGHTLENS_WORKER_FAULT");
    g_fault = {fault.section(QLatin1Char('@'), 0, 0), fault.section(QLatin1Char('@'), 1, 1),
               fault.section(QLatin1Char('@'), 2)};
    void *page = ::mmap(nullptr, kCrumbSize, PROT_READ | PROT_WRITE, MAP_SHARED, kWorkerCrumbFd, 0);
    g_crumb = page == MAP_FAILED ? nullptr : static_cast<char *>(page);
    ::close(kWorkerCrumbFd);
    // Everything that loads or registers (the library, the driver) happens before the filter.
    quiet();
    Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS));
    if (H5open() < 0 || !setReadOnlyDriver(hid_t(fapl.get()), nullptr, 0))
        return 1;
    limitResources();
    if (!installFilter(kWorkerSocketFd)) {
        std::fprintf(stderr, "weightlens: cannot install the HDF5 reader's seccomp filter\n");
        return 1;
    }
    return serve(kWorkerSocketFd);
}

} // namespace

void runWorker(int argc, char **argv)
{
    const int status = workerMain(argc, argv);
    // No exit handlers: under the filter a sanitizer's leak check at exit (which needs ptrace)
    // would fail and change the status.
    std::fflush(stderr);
    _exit(status);
}

} // namespace wl::h5
