#include "logwatcher.h"

#include "formats/tfbundleopen.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSet>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace wl::events
{
namespace
{

constexpr int kPollMs = 1000;     // a silent watcher still shows new records within a second
constexpr int kSettleMs = 150;    // writers append in bursts: read once after the burst
constexpr int kMaxDepth = 5;      // as deep as the logs were first searched
constexpr int kMaxFolders = 2000; // watched at most: inotify watches are a per-user budget

// What a refresh can change: points, runs, files and findings.
struct Extent {
    std::size_t runs = 0;
    std::int64_t points = 0, files = 0, problems = 0;
    bool operator==(const Extent &) const = default;
};

Extent extentOf(const RunLogs &logs)
{
    Extent e;
    e.runs = logs.runs.size();
    for (const auto &run : logs.runs) {
        e.files += std::int64_t(run.eventFiles.size());
        e.problems += run.problems.size();
        for (const auto &s : run.series.all())
            e.points += s.size();
    }
    return e;
}

// Whether every tensor of the bundle at `prefix` lies within its shard: TF writes the shards
// first and the .index last, so an index that does not open yet, or names a shard that is
// missing or short, is a checkpoint still being written.
bool bundleComplete(const QString &prefix)
{
    const auto opened = tfopen::openV2(prefix, JobContext{});
    if (!opened)
        return false;
    QHash<QString, qint64> sizes;
    for (const auto &t : opened->checkpoint->index().tensors) {
        const auto &loc = t.location;
        if (loc.storage != TensorLocation::Storage::Raw || loc.size == 0)
            continue;
        auto it = sizes.find(loc.file);
        if (it == sizes.end()) {
            const QFileInfo fi(loc.file);
            it = sizes.insert(loc.file, fi.isFile() ? fi.size() : -1);
        }
        if (it.value() < loc.offset + loc.size)
            return false;
    }
    return true;
}

// Whether the HDF5 file at `path` holds all that its superblock says it does. The superblock
// (at the start, as Keras writes it) records the end-of-file address, and a copy or save still
// under way is shorter than that. A superblock elsewhere (after a user block) is not looked
// for: the size that held across two refreshes decides alone.
bool hdf5Complete(const QString &path, qint64 size)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray head = f.read(64);
    if (!head.startsWith(QByteArray("\x89HDF\r\n\x1a\n", 8)) || head.size() < 16)
        return false;
    // Versions 0 and 1: offsets from byte 24 (28 for 1), their size at byte 13; versions 2
    // and 3: from byte 12, their size at byte 9. Base, then two addresses, the second the end.
    const int version = quint8(head[8]);
    const int width = quint8(version <= 1 ? head[13] : head[9]);
    const int at = version == 0 ? 24 : version == 1 ? 28 : 12;
    if (version > 3 || (width != 4 && width != 8) || head.size() < at + 3 * width)
        return true;
    auto address = [&](int i) {
        quint64 v = 0;
        for (int b = width - 1; b >= 0; --b)
            v = (v << 8) | quint8(head[at + i * width + b]);
        return v;
    };
    const quint64 base = address(0);
    const quint64 end = address(2);
    return base + end <= quint64(size);
}

// Checkpoint files in `folder` that became complete since the last call, and the `checkpoint`
// state file when it changed (TF updates it after the bundle: it names the newest).
QStringList newCheckpoints(const QString &folder, QSet<QString> &known,
                           QHash<QString, qint64> &h5Sizes, QString &stateSeen)
{
    QStringList out;
    const QFileInfo state(QDir(folder).filePath(QStringLiteral("checkpoint")));
    const QString stateNow = state.isFile() ? QStringLiteral("%1 %2")
                                                  .arg(state.size())
                                                  .arg(state.lastModified().toMSecsSinceEpoch())
                                            : QStringLiteral("none");
    if (!stateSeen.isEmpty() && stateNow != stateSeen)
        out << state.absoluteFilePath();
    stateSeen = stateNow;
    const auto files = QDir(folder).entryInfoList(QDir::Files, QDir::Name);
    QHash<QString, qint64> sizesNow;
    for (const auto &fi : files) {
        const QString path = fi.absoluteFilePath(), name = fi.fileName();
        if (known.contains(path) || tfopen::isTempName(name))
            continue;
        if (name.endsWith(QLatin1String(".index"))) {
            if (bundleComplete(path.chopped(6)))
                out << path;
        } else if (name.endsWith(QLatin1String(".h5")) || name.endsWith(QLatin1String(".hdf5"))) {
            const qint64 size = fi.size();
            if (size > 0 && h5Sizes.value(path, -1) == size && hdf5Complete(path, size))
                out << path;
            else
                sizesNow.insert(path, size);
        }
    }
    h5Sizes = sizesNow; // files gone or complete are forgotten
    for (const auto &p : std::as_const(out))
        if (p != state.absoluteFilePath())
            known.insert(p);
    return out;
}

// The folders below `root` that discovery searches (runlogs.cpp: hidden ones skipped, at most
// kMaxDepth levels down), so a log folder created deep inside is seen without waiting for the
// poll. Breadth first, so a huge tree gives up its deepest folders first.
QStringList logFolders(const QString &root)
{
    QStringList out;
    if (root.isEmpty())
        return out;
    QStringList level{root};
    for (int depth = 0; depth < kMaxDepth && !level.isEmpty(); ++depth) {
        QStringList next;
        for (const auto &dir : std::as_const(level))
            for (const auto &sub :
                 QDir(dir).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
                if (out.size() >= kMaxFolders)
                    return out;
                out << sub.absoluteFilePath();
                next << sub.absoluteFilePath();
            }
        level = next;
    }
    return out;
}

} // namespace

LogWatcher::LogWatcher(std::shared_ptr<const RunLogs> logs, QObject *parent)
    : QObject(parent), m_published(std::move(logs)),
      m_work(std::make_shared<RunLogs>(m_published ? *m_published : RunLogs{}))
{
    m_watcher = new QFileSystemWatcher(this);
    m_poll = new QTimer(this);
    m_poll->setInterval(kPollMs);
    m_settle = new QTimer(this);
    m_settle->setSingleShot(true);
    m_settle->setInterval(kSettleMs);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, m_settle, qOverload<>(&QTimer::start));
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, m_settle,
            qOverload<>(&QTimer::start));
    connect(m_settle, &QTimer::timeout, this, &LogWatcher::refreshNow);
    connect(m_poll, &QTimer::timeout, this, &LogWatcher::refreshNow);
    watchPaths();
    m_poll->start();
    refreshNow(); // finds the folders below the run to watch
}

LogWatcher::~LogWatcher()
{
    // The worker reads m_work: it must be done before the watcher goes.
    m_task.waitForFinished();
}

void LogWatcher::setPollInterval(int ms)
{
    m_poll->setInterval(ms);
}

void LogWatcher::refreshNow()
{
    if (m_running) {
        m_again = true;
        return;
    }
    m_running = true;
    m_task = QtConcurrent::run([this, work = m_work, folder = m_ckptFolder] {
        const Extent before = extentOf(*work);
        // A failure (a file removed meanwhile) leaves what was read; the next refresh retries.
        if (!work->root.isEmpty())
            (void)refreshLogs(*work, kMaxDepth);
        const bool changed = !(extentOf(*work) == before);
        QStringList added;
        if (!folder.isEmpty())
            added = newCheckpoints(folder, m_knownCkpt, m_h5Sizes, m_stateSeen);
        const QStringList folders = logFolders(work->root);
        QMetaObject::invokeMethod(
            this,
            [this, changed, added, folders] {
                m_folders = folders;
                finished(changed, added);
            },
            Qt::QueuedConnection);
    });
}

void LogWatcher::watchCheckpoints(const QString &folder, const QStringList &known)
{
    // The worker owns the known set while it runs.
    m_task.waitForFinished();
    m_ckptFolder = QFileInfo(folder).absoluteFilePath();
    for (const auto &f : known)
        m_knownCkpt.insert(QFileInfo(f).absoluteFilePath());
    watchPaths();
    refreshNow();
}

void LogWatcher::finished(bool changed, const QStringList &newCheckpoints)
{
    m_running = false;
    if (!newCheckpoints.isEmpty())
        emit checkpointsAppeared(newCheckpoints);
    // Folders made since the last refresh are watched even before they hold logs.
    watchPaths();
    if (changed) {
        m_published = std::make_shared<const RunLogs>(*m_work);
        emit updated(m_published);
    }
    if (m_again) {
        m_again = false;
        refreshNow();
    }
}

void LogWatcher::watchPaths()
{
    QStringList paths{m_work->root, m_ckptFolder};
    paths += m_folders;
    for (const auto &run : m_work->runs) {
        paths << run.folder;
        if (!run.csvFile.isEmpty())
            paths << run.csvFile;
        for (const auto &f : run.eventFiles)
            paths << f.path;
    }
    const QStringList have = m_watcher->files() + m_watcher->directories();
    const QSet<QString> known(have.begin(), have.end());
    QStringList add;
    for (const auto &p : std::as_const(paths))
        if (!known.contains(p) && !add.contains(p) && QFileInfo::exists(p))
            add << p;
    if (!add.isEmpty())
        m_watcher->addPaths(add); // paths it cannot watch are left to polling
}

QStringList LogWatcher::watchedPaths() const
{
    return m_watcher->files() + m_watcher->directories();
}

} // namespace wl::events
