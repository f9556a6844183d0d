#include "logwatcher.h"

#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSet>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace wl::events
{
namespace
{

constexpr int kPollMs = 1000;  // a silent watcher still shows new records within a second
constexpr int kSettleMs = 150; // writers append in bursts: read once after the burst
constexpr int kMaxDepth = 5;   // as deep as the logs were first searched

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
    m_task = QtConcurrent::run([this, work = m_work] {
        const Extent before = extentOf(*work);
        // A failure (a file removed meanwhile) leaves what was read; the next refresh retries.
        (void)refreshLogs(*work, kMaxDepth);
        const bool changed = !(extentOf(*work) == before);
        QMetaObject::invokeMethod(
            this, [this, changed] { finished(changed); }, Qt::QueuedConnection);
    });
}

void LogWatcher::finished(bool changed)
{
    m_running = false;
    if (changed) {
        m_published = std::make_shared<const RunLogs>(*m_work);
        watchPaths();
        emit updated(m_published);
    }
    if (m_again) {
        m_again = false;
        refreshNow();
    }
}

void LogWatcher::watchPaths()
{
    QStringList paths{m_work->root};
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

} // namespace wl::events
