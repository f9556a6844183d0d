#pragma once

#include "runlogs.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QSet>
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
// It can also report checkpoints that appear complete in the run folder (watchCheckpoints).
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
    // Also looks for checkpoints that appear in `folder` besides the `known` files (absolute
    // paths): a TF bundle once its .index opens and every shard holds its tensors, an .h5 file
    // once its size held across two refreshes and reaches the end its HDF5 superblock records;
    // and a rewritten state file.
    void watchCheckpoints(const QString &folder, const QStringList &known);
    // Files and folders the file system watcher reports on: the logs' files, and every folder
    // below the run that discovery searches.
    QStringList watchedPaths() const;

signals:
    // A snapshot with what was appended or added since the last one; run indices of the last
    // snapshot keep their meaning (new runs come after them).
    void updated(std::shared_ptr<const RunLogs> logs);
    // Files of checkpoints that became complete since the last report (each reported once).
    void checkpointsAppeared(const QStringList &files);

private:
    void watchPaths();
    void finished(bool changed, const QStringList &newCheckpoints);

    std::shared_ptr<const RunLogs> m_published;
    std::shared_ptr<RunLogs> m_work; // the reader's own copy; never shared while it reads
    QFileSystemWatcher *m_watcher = nullptr;
    QTimer *m_poll = nullptr;
    QTimer *m_settle = nullptr; // coalesces bursts of change notifications
    bool m_running = false;
    bool m_again = false;
    QFuture<void> m_task;
    QString m_ckptFolder;
    QStringList m_folders; // below the logs' root, found by the last refresh
    // Both touched by the worker only while it runs, by the owner otherwise.
    QSet<QString> m_knownCkpt;
    QHash<QString, qint64> m_h5Sizes; // size at the last refresh of .h5 files not yet complete
    QString m_stateSeen;              // size and time of the state file at the last refresh
};

} // namespace wl::events
