// The parent's side of HDF5 isolation: a pool of reader processes (`weightlens __hdf5-worker`,
// hdf5worker.cpp), one request and its replies at a time on each, with a watchdog. Whatever a
// reader sends is untrusted: sizes, counts and offsets are checked before use, and a reader
// that dies, hangs or talks nonsense becomes an error for that file.
#include "hdf5isolation.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <thread>

extern char **environ;

namespace wl::h5
{
namespace
{
thread_local bool t_isolated = false;
} // namespace

IsolatedScope::IsolatedScope(bool on) : m_previous(t_isolated)
{
    t_isolated = on && isolationEnabled();
}

IsolatedScope::~IsolatedScope()
{
    t_isolated = m_previous;
}

bool isolationEnabled()
{
    return qEnvironmentVariable("WEIGHTLENS_ISOLATION") != QLatin1String("off");
}

} // namespace wl::h5

namespace wl::h5::detail
{
namespace
{

constexpr std::size_t kMaxSnapshotBytes = std::size_t(512) << 20;
constexpr std::size_t kMaxObjects = 1'000'001; // the walk's limit and the root
constexpr std::uint64_t kRetireCpuMs = 60'000; // below the worker's CPU limit
constexpr std::size_t kMaxIdle = 4;

int timeoutMs()
{
    bool ok = false;
    const int s = qEnvironmentVariableIntValue("WEIGHTLENS_WORKER_TIMEOUT", &ok);
    return ok && s > 0 ? s * 1000 : 20'000;
}

QString workerBinary()
{
    const QString forced = qEnvironmentVariable("WEIGHTLENS_WORKER_BINARY");
    if (!forced.isEmpty())
        return forced;
    // `weightlens` itself, or the one beside `weightlens-gui` and the test suites.
    const QString dir =
        QCoreApplication::instance()
            ? QCoreApplication::applicationDirPath()
            : QFileInfo(QFile::symLinkTarget(QStringLiteral("/proc/self/exe"))).path();
    return dir + QLatin1String("/weightlens");
}

struct Proc {
    pid_t pid = -1;
    int sock = -1;
    const char *crumb = nullptr; // shared page where the worker notes the object it is at
};

// Waits for a worker that is ending; kills it if it does not end soon.
int reap(pid_t pid)
{
    int status = 0;
    for (int i = 0; i < 200; ++i) {
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return status;
        std::this_thread::sleep_for(std::chrono::milliseconds(i < 20 ? 1 : 10));
    }
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

void unmapCrumb(Proc &p)
{
    if (p.crumb)
        ::munmap(const_cast<char *>(p.crumb), kCrumbSize);
    p.crumb = nullptr;
}

void discard(Proc &p)
{
    if (p.pid > 0) {
        ::kill(p.pid, SIGKILL);
        reap(p.pid);
    }
    if (p.sock >= 0)
        ::close(p.sock);
    unmapCrumb(p);
    p = {};
}

class Pool
{
public:
    ~Pool() { stopIdle(); }

    Result<Proc> acquire(const QString &label)
    {
        {
            std::lock_guard lock(m_mutex);
            if (!m_idle.empty()) {
                Proc p = m_idle.back();
                m_idle.pop_back();
                return p;
            }
        }
        return spawn(label);
    }

    void release(Proc p)
    {
        std::lock_guard lock(m_mutex);
        if (m_idle.size() < kMaxIdle) {
            m_idle.push_back(p);
            return;
        }
        discard(p);
    }

    void prestart()
    {
        {
            std::lock_guard lock(m_mutex);
            if (!m_idle.empty())
                return;
        }
        if (auto p = spawn(QString()))
            release(*p);
    }

    void stopIdle()
    {
        std::deque<Proc> idle;
        {
            std::lock_guard lock(m_mutex);
            idle.swap(m_idle);
        }
        for (auto &p : idle) {
            // Closing its socket ends a worker; it is reaped here so that none is left behind.
            ::close(p.sock);
            p.sock = -1;
            reap(p.pid);
            unmapCrumb(p);
        }
    }

private:
    static Result<Proc> spawn(const QString &label)
    {
        auto fail = [&](const QString &what) {
            return makeError(
                LoadError::Code::Unreadable, label, {}, QStringLiteral("an HDF5 reader process"),
                what + QLatin1String(": ") + QString::fromLocal8Bit(std::strerror(errno)));
        };
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return fail(QStringLiteral("socketpair"));
        const int crumb = ::memfd_create("weightlens-crumb", MFD_CLOEXEC);
        void *page = MAP_FAILED;
        if (crumb >= 0 && ::ftruncate(crumb, kCrumbSize) == 0)
            page = ::mmap(nullptr, kCrumbSize, PROT_READ, MAP_SHARED, crumb, 0);
        // Above the numbers they are moved to, so one dup2 cannot overwrite the other.
        const int childSock = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
        const int childCrumb = crumb >= 0 ? ::fcntl(crumb, F_DUPFD_CLOEXEC, 10) : -1;
        ::close(sv[1]);
        if (crumb >= 0)
            ::close(crumb);
        auto closeAll = [&] {
            ::close(sv[0]);
            if (childSock >= 0)
                ::close(childSock);
            if (childCrumb >= 0)
                ::close(childCrumb);
            if (page != MAP_FAILED)
                ::munmap(page, kCrumbSize);
        };
        if (page == MAP_FAILED || childSock < 0 || childCrumb < 0) {
            auto e = fail(QStringLiteral("shared page"));
            closeAll();
            return e;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, childSock, kWorkerSocketFd);
        posix_spawn_file_actions_adddup2(&actions, childCrumb, kWorkerCrumbFd);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        const QByteArray exe = QFile::encodeName(workerBinary());
        char command[] = "__hdf5-worker";
        char *argv[] = {const_cast<char *>(exe.constData()), command, nullptr};
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, exe.constData(), &actions, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        ::close(childSock);
        ::close(childCrumb);
        if (rc != 0) {
            errno = rc;
            auto e = fail(QStringLiteral("cannot start ") + QFile::decodeName(exe));
            ::close(sv[0]);
            ::munmap(page, kCrumbSize);
            return e;
        }
        return Proc{pid, sv[0], static_cast<const char *>(page)};
    }

    std::mutex m_mutex;
    std::deque<Proc> m_idle;
};

Pool &pool()
{
    static Pool p;
    return p;
}

// Sends n bytes; the first message carries the descriptors in `fds` that are >= 0.
bool sendAll(int sock, const char *p, std::size_t n, std::initializer_list<int> fds)
{
    int passed[2];
    std::size_t count = 0;
    for (int fd : fds)
        if (fd >= 0 && count < 2)
            passed[count++] = fd;
    bool first = true;
    while (n > 0) {
        iovec iov{const_cast<char *>(p), n};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof passed)] = {};
        if (first && count > 0) {
            msg.msg_control = control;
            msg.msg_controllen = CMSG_SPACE(count * sizeof(int));
            cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(count * sizeof(int));
            std::memcpy(CMSG_DATA(c), passed, count * sizeof(int));
        }
        const ssize_t sent = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        first = false;
        p += sent;
        n -= std::size_t(sent);
    }
    return true;
}

enum class Got { Frame, Closed, Timeout, Malformed };

using Clock = std::chrono::steady_clock;

Got recvAll(int sock, char *p, std::size_t n, Clock::time_point deadline)
{
    while (n > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0)
            return Got::Timeout;
        pollfd pfd{sock, POLLIN, 0};
        const int r = ::poll(&pfd, 1, int(std::min<long long>(left, 1'000'000)));
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return Got::Timeout;
        const ssize_t got = ::recv(sock, p, n, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return Got::Closed;
        p += got;
        n -= std::size_t(got);
    }
    return Got::Frame;
}

Got recvFrame(int sock, std::string &body, std::size_t maxBytes, Clock::time_point deadline)
{
    unsigned char head[4];
    if (auto g = recvAll(sock, reinterpret_cast<char *>(head), 4, deadline); g != Got::Frame)
        return g;
    const std::uint32_t n = std::uint32_t(head[0]) | std::uint32_t(head[1]) << 8 |
                            std::uint32_t(head[2]) << 16 | std::uint32_t(head[3]) << 24;
    if (n > maxBytes)
        return Got::Malformed;
    body.resize(n);
    return recvAll(sock, body.data(), n, deadline);
}

QString signalName(int sig)
{
    const char *abbrev = ::sigabbrev_np(sig);
    return abbrev ? QStringLiteral("SIG") + QLatin1String(abbrev)
                  : QStringLiteral("signal %1").arg(sig);
}

// What became of a worker that stopped answering.
QString describeEnd(int status)
{
    if (WIFSIGNALED(status)) {
        if (WTERMSIG(status) == SIGXCPU)
            return QStringLiteral("the reader used up its CPU time");
        return QStringLiteral("the reader stopped (%1)").arg(signalName(WTERMSIG(status)));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kExitOutOfMemory)
        return QStringLiteral("the reader needed more than 2 GiB");
    if (WIFEXITED(status))
        return QStringLiteral("the reader stopped (exit status %1)").arg(WEXITSTATUS(status));
    return QStringLiteral("the reader stopped");
}

// The object a worker was at when it stopped, from its shared page (untrusted: bounded, and
// anything but printable text is dropped).
QString crumbText(const Proc &p)
{
    if (!p.crumb)
        return {};
    char copy[kCrumbSize];
    std::memcpy(copy, p.crumb, kCrumbSize);
    copy[kCrumbSize - 1] = '\0';
    QString s = QString::fromUtf8(copy).left(512);
    s.removeIf([](QChar c) { return !c.isPrint(); });
    return s;
}

LoadError unsafe(const QString &label, const QString &where, const QString &found)
{
    return makeError(LoadError::Code::Unreadable, label, where,
                     QStringLiteral("HDF5 to read it safely"), found);
}

enum class Step { More, Done, Stop };

// Sends one request with the file's descriptor (and `shared`, when >= 0) and hands each reply
// to `onReply` until it is done. `where` names what is being read when the worker fails
// without noting a place.
Status transact(const Remote &remote, const h5w::Request &request, const QString &where,
                std::size_t maxReply, const std::function<Result<Step>(h5w::Reply &)> &onReply,
                int shared = -1)
{
    const QString &label = remote.label;
    std::string bytes;
    request.SerializeToString(&bytes);
    const std::uint32_t n = std::uint32_t(bytes.size());
    const char head[4] = {char(n), char(n >> 8), char(n >> 16), char(n >> 24)};
    bytes.insert(0, head, 4);
    Proc p;
    // An idle worker may have ended (its CPU limit, an outside kill): one fresh try.
    for (int attempt = 0;; ++attempt) {
        auto got = pool().acquire(label);
        if (!got)
            return got.error();
        p = *got;
        if (sendAll(p.sock, bytes.data(), bytes.size(), {remote.fd, shared}))
            break;
        discard(p);
        if (attempt > 0)
            return unsafe(label, where, QStringLiteral("a reader process that accepts requests"));
    }
    const int timeout = timeoutMs();
    std::string body;
    for (;;) {
        const auto deadline = Clock::now() + std::chrono::milliseconds(timeout);
        const Got g = recvFrame(p.sock, body, maxReply, deadline);
        auto place = [&] {
            const QString c = crumbText(p);
            return c.isEmpty() ? where : c;
        };
        if (g == Got::Timeout) {
            const QString at = place();
            discard(p);
            return unsafe(label, at,
                          QStringLiteral("the reader took longer than %1 s").arg(timeout / 1000));
        }
        if (g == Got::Closed) {
            const QString at = place();
            ::close(p.sock);
            p.sock = -1;
            const int status = reap(p.pid);
            p.pid = -1;
            discard(p);
            return unsafe(label, at, describeEnd(status));
        }
        h5w::Reply reply;
        if (g == Got::Malformed || !reply.ParseFromString(body) ||
            reply.version() != kProtocolVersion) {
            const QString at = place();
            discard(p);
            return unsafe(label, at, QStringLiteral("a malformed reply from the reader"));
        }
        if (reply.has_error()) {
            // The worker survived, but the file did not read cleanly: not reused.
            discard(p);
            return fromProto(reply.error());
        }
        auto step = onReply(reply);
        if (!step || *step == Step::Stop) {
            discard(p); // mid-stream: its remaining replies are not wanted
            if (!step)
                return step.error();
            return Ok{};
        }
        if (*step == Step::Done) {
            if (reply.cpu_ms() < kRetireCpuMs)
                pool().release(p);
            else
                discard(p);
            return Ok{};
        }
    }
}

struct CacheKey {
    dev_t dev;
    ino_t ino;
    off_t size;
    std::int64_t mtimeNs;
    std::uint64_t offset;
    std::uint64_t length;
    QString label;
    bool operator==(const CacheKey &) const = default;
};

// Probing and opening a file take the same snapshot: the last few are kept.
class SnapshotCache
{
public:
    std::shared_ptr<const Remote> find(const CacheKey &k)
    {
        std::lock_guard lock(m_mutex);
        for (const auto &[key, remote] : m_entries)
            if (key == k)
                return remote;
        return nullptr;
    }
    void clear()
    {
        std::lock_guard lock(m_mutex);
        m_entries.clear();
    }
    void put(const CacheKey &k, std::shared_ptr<const Remote> r)
    {
        std::lock_guard lock(m_mutex);
        m_entries.emplace_front(k, std::move(r));
        if (m_entries.size() > 8)
            m_entries.pop_back();
    }

private:
    std::mutex m_mutex;
    std::deque<std::pair<CacheKey, std::shared_ptr<const Remote>>> m_entries;
};

SnapshotCache &cache()
{
    static SnapshotCache c;
    return c;
}

} // namespace

Remote::~Remote()
{
    if (fd >= 0)
        ::close(fd);
}

bool isolatedHere()
{
    return t_isolated;
}

Result<std::shared_ptr<const Remote>> openRemote(int fd, std::uint64_t offset, std::uint64_t size,
                                                 const QString &label)
{
    auto remote = std::make_shared<Remote>();
    remote->fd = fd;
    remote->offset = offset;
    remote->size = size;
    remote->label = label;
    struct stat st {
    };
    std::optional<CacheKey> key;
    // memfd copies have no name to come back to: not cached.
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 0) {
        key = CacheKey{
            st.st_dev,  st.st_ino,
            st.st_size, std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
            offset,     size,
            label};
        if (auto hit = cache().find(*key))
            return hit;
    }
    h5w::Request req;
    req.set_version(kProtocolVersion);
    req.set_op(h5w::Request::SNAPSHOT);
    req.set_label(label.toStdString());
    req.set_offset(offset);
    req.set_size(size);
    auto st2 = transact(*remote, req, {}, kMaxSnapshotBytes, [&](h5w::Reply &r) -> Result<Step> {
        if (std::size_t(r.objects_size()) > kMaxObjects)
            return unsafe(
                label, {},
                QStringLiteral("a reply of %1 objects from the reader").arg(r.objects_size()));
        remote->objects.reserve(r.objects_size());
        for (auto &o : *r.mutable_objects()) {
            const QString path = QString::fromStdString(o.path());
            if (remote->objects.contains(path))
                return unsafe(label, {},
                              QStringLiteral("a reply naming %1 twice from the reader").arg(path));
            remote->objects.insert(path, std::move(o));
        }
        return Step::Done;
    });
    if (!st2)
        return st2.error();
    std::shared_ptr<const Remote> done = std::move(remote);
    if (key)
        cache().put(*key, done);
    return done;
}

namespace
{

// Shared memory for one READ: created, sized and sealed against resizing here, so that the
// worker can neither shrink it under the parent's mapping nor grow it.
struct SharedWindow {
    int fd = -1;
    const std::uint8_t *data = nullptr;
    std::size_t size = 0;
    SharedWindow() = default;
    SharedWindow(const SharedWindow &) = delete;
    SharedWindow &operator=(const SharedWindow &) = delete;
    ~SharedWindow()
    {
        if (data)
            ::munmap(const_cast<std::uint8_t *>(data), size);
        if (fd >= 0)
            ::close(fd);
    }
    bool create(std::size_t n)
    {
        size = n;
        fd = ::memfd_create("weightlens-hdf5-data", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        return fd >= 0 && ::ftruncate(fd, off_t(n)) == 0 &&
               ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0;
    }
    // After the worker is done: no one may write any more (this fails while the worker still
    // has the memory mapped for writing), then it is mapped read-only.
    bool seal()
    {
        struct stat st {
        };
        if (::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) != 0 || ::fstat(fd, &st) != 0 ||
            std::uint64_t(st.st_size) != size)
            return false;
        void *p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            return false;
        data = static_cast<const std::uint8_t *>(p);
        return true;
    }
};

} // namespace

Status readRemote(const Remote &remote, const DatasetInfo &d, std::size_t maxBytes,
                  const ChunkSink &sink, std::int64_t begin, std::int64_t end)
{
    const QString where = QLatin1Char('/') + d.path;
    const std::int64_t item = std::max(d.elementSize, 1);
    // Pieces of whole elements, as HDF5 delivered them in-process.
    const std::size_t piece =
        std::max(maxBytes / std::size_t(item), std::size_t(1)) * std::size_t(item);
    end = std::min(end, d.logicalBytes());
    // Windows of whole elements, sized from the dataset and bounded.
    const std::int64_t window = std::max(item, kMaxReadWindow / item * item);
    for (std::int64_t at = std::max<std::int64_t>(begin, 0); at < end;) {
        const std::int64_t n = std::min(window, end - at);
        SharedWindow shared;
        if (!shared.create(std::size_t(n)))
            return unsafe(remote.label, where,
                          QStringLiteral("shared memory of %1 bytes: %2")
                              .arg(n)
                              .arg(QString::fromLocal8Bit(std::strerror(errno))));
        h5w::Request req;
        req.set_version(kProtocolVersion);
        req.set_op(h5w::Request::READ);
        req.set_label(remote.label.toStdString());
        req.set_offset(remote.offset);
        req.set_size(remote.size);
        req.set_dataset(d.path.toStdString());
        req.set_max_bytes(
            std::clamp<std::size_t>(piece, std::size_t(1) << 20, std::size_t(64) << 20));
        req.set_begin(std::uint64_t(at));
        req.set_length(std::uint64_t(n));
        auto st = transact(
            remote, req, where, 4096,
            [&](h5w::Reply &r) -> Result<Step> {
                if (r.written() != std::uint64_t(n))
                    return unsafe(remote.label, where,
                                  QStringLiteral("%1 of %2 bytes at byte %3 from the reader")
                                      .arg(r.written())
                                      .arg(n)
                                      .arg(at));
                if (!shared.seal())
                    return unsafe(remote.label, where,
                                  QStringLiteral("shared memory the reader still writes to (%1)")
                                      .arg(QString::fromLocal8Bit(std::strerror(errno))));
                return Step::Done;
            },
            shared.fd);
        if (!st)
            return st.error();
        for (std::size_t off = 0; off < shared.size; off += piece)
            if (!sink(shared.data + off, std::min(piece, shared.size - off)))
                return Ok{};
        at += n;
    }
    return Ok{};
}

const h5w::Object *remoteObject(const Remote &remote, const QString &path)
{
    auto it = remote.objects.constFind(path);
    return it == remote.objects.constEnd() ? nullptr : &*it;
}

Result<DatasetInfo> datasetFromProto(const Remote &remote, const QString &path,
                                     const h5w::Dataset &d)
{
    const QString where = QLatin1Char('/') + path;
    auto bad = [&](const QString &what) {
        return unsafe(remote.label, where, QStringLiteral("%1 from the reader").arg(what));
    };
    DatasetInfo info;
    info.path = path;
    if (d.dtype() < 0 || d.dtype() > int(DType::Unknown))
        return bad(QStringLiteral("dtype %1").arg(d.dtype()));
    info.dtype = DType(d.dtype());
    info.h5Class = d.h5_class();
    if (d.element_size() <= 0)
        return bad(QStringLiteral("an element size of %1").arg(d.element_size()));
    info.elementSize = d.element_size();
    if (d.dims_size() > 32)
        return bad(QStringLiteral("rank %1").arg(d.dims_size()));
    std::int64_t bytes = info.elementSize;
    for (auto v : d.dims()) {
        if (v < 0 || __builtin_mul_overflow(bytes, v, &bytes))
            return bad(QStringLiteral("a dimension of %1").arg(v));
        info.shape.dims.push_back(v);
    }
    info.bigEndian = d.big_endian();
    info.typeText = QString::fromStdString(d.type_text());
    if (d.contiguous()) {
        std::int64_t end = 0;
        if (d.offset() < 0 || d.storage_size() != info.logicalBytes() ||
            __builtin_add_overflow(d.offset(), d.storage_size(), &end) ||
            std::uint64_t(end) > remote.size)
            return bad(QStringLiteral("data of %1 bytes at offset %2 in a file of %3 bytes")
                           .arg(d.storage_size())
                           .arg(d.offset())
                           .arg(remote.size));
        info.contiguous = true;
        info.offset = d.offset();
        info.storageSize = d.storage_size();
    }
    return info;
}

Attribute fromProto(const h5w::Attribute &a)
{
    Attribute out;
    out.name = QString::fromStdString(a.name());
    out.isString = a.is_string();
    out.scalar = a.scalar();
    for (const auto &s : a.strings())
        out.strings << QString::fromStdString(s);
    out.numbers.assign(a.numbers().begin(), a.numbers().end());
    out.typeText = QString::fromStdString(a.type_text());
    return out;
}

LoadError fromProto(const h5w::Error &e)
{
    const int code = std::clamp(e.code(), 0, int(LoadError::Code::WriteFailed));
    return makeError(LoadError::Code(code), QString::fromStdString(e.file()),
                     QString::fromStdString(e.where()), QString::fromStdString(e.expected()),
                     QString::fromStdString(e.found()), QString::fromStdString(e.detail()));
}

void toProto(const LoadError &e, h5w::Error *out)
{
    out->set_code(int(e.code));
    out->set_file(e.file.toStdString());
    out->set_where(e.where.toStdString());
    out->set_expected(e.expected.toStdString());
    out->set_found(e.found.toStdString());
    out->set_detail(e.detail.toStdString());
}

} // namespace wl::h5::detail

namespace wl::h5
{

void stopIdleWorkers()
{
    detail::pool().stopIdle();
    detail::cache().clear();
}

void prestartWorker()
{
    if (isolationEnabled())
        detail::pool().prestart();
}

} // namespace wl::h5
