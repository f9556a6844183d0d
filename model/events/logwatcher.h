#pragma once

#include "runlogs.h"

#include <QFuture>
#include <QObject>
#include <QStringList>

#include <memory>

class QFileSystemWatcher;
class QTimer;

namespace wl::events
{

// Keeps the logs of a run folder current while training writes them: appended records are read
// from where reading stopped (a record still being written waits for its end), new event files
// and new log folders join, and each change is published as a fresh snapshot. The folder is
// watched with QFileSystemWatcher and polled as well, for file systems where the watcher stays
// silent (network and container mounts). Reading runs on a worker thread, one refresh at a time.
class LogWatcher : public QObject
{
    Q_OBJECT
public:
    LogWatcher(std::shared_ptr<const RunLogs> logs, QObject *parent = nullptr);
    ~LogWatcher() override;

    std::shared_ptr<const RunLogs> logs() const { return m_published; }
    void setPollInterval(int ms);
    // Starts a refresh now unless one is running (then one follows it).
    void refreshNow();

signals:
    // A snapshot with what was appended or added since the last one; run indices of the last
    // snapshot keep their meaning (new runs come after them).
    void updated(std::shared_ptr<const RunLogs> logs);

private:
    void watchPaths();
    void finished(bool changed);

    std::shared_ptr<const RunLogs> m_published;
    std::shared_ptr<RunLogs> m_work; // the reader's own copy; never shared while it reads
    QFileSystemWatcher *m_watcher = nullptr;
    QTimer *m_poll = nullptr;
    QTimer *m_settle = nullptr; // coalesces bursts of change notifications
    bool m_running = false;
    bool m_again = false;
    QFuture<void> m_task;
};

} // namespace wl::events
