#pragma once

#include "compare/runchanges.h"

#include <QWidget>
#include <atomic>
#include <memory>

class QCheckBox;
class QLabel;
class QProgressBar;
class QThread;
class QToolButton;

namespace wl
{

class HeatmapView;

// A whole run at a glance: each weight's relative change ||A−B|| / ||A|| from one checkpoint to
// the next as a heatmap, weights down, steps across, so the layers still learning stand out.
// Computed on a thread of its own (progress, Cancel); the checkpoints are only read.
class RunChangesView : public QWidget
{
    Q_OBJECT
public:
    RunChangesView(QVector<std::shared_ptr<const Checkpoint>> run, const QString &title,
                   QWidget *parent = nullptr);
    ~RunChangesView() override; // cancels and waits for the computation

    void start();
    void cancel();
    bool isRunning() const { return m_thread != nullptr; }
    const RunChanges &changes() const { return m_changes; }
    HeatmapView *heatmap() const { return m_heatmap; }
    QLabel *summary() const { return m_summary; }
    QProgressBar *progressBar() const { return m_progress; }
    QCheckBox *logScale() const { return m_log; }

    DiffRequest request;

signals:
    void finished(bool ok);

private:
    void onDone(const Result<RunChanges> &r);

    QVector<std::shared_ptr<const Checkpoint>> m_run;
    RunChanges m_changes;
    HeatmapView *m_heatmap = nullptr;
    QLabel *m_summary = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    QCheckBox *m_log = nullptr;
    QThread *m_thread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
};

} // namespace wl
