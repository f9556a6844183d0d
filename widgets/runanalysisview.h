#pragma once

#include "analysis/runanalysis.h"

#include <QWidget>
#include <atomic>
#include <memory>

class QComboBox;
class QLabel;
class QProgressBar;
class QThread;
class QToolButton;

namespace wl
{

class HeatmapView;

// Layer analysis across a run: alpha or the spectral norm of every weight matrix at each
// checkpoint as a heatmap, matrices down, steps across, to see which layers still change shape.
// Computed on a thread of its own (progress, Cancel); the checkpoints are only read.
class RunAnalysisView : public QWidget
{
    Q_OBJECT
public:
    enum class Measure { Alpha, SpectralNorm };

    RunAnalysisView(QVector<std::shared_ptr<const Checkpoint>> run, const QString &title,
                    QWidget *parent = nullptr);
    ~RunAnalysisView() override; // cancels and waits for the computation

    void start();
    void cancel();
    bool isRunning() const { return m_thread != nullptr; }
    const analysis::RunAnalysis &result() const { return m_result; }
    void setMeasure(Measure m);
    HeatmapView *heatmap() const { return m_heatmap; }
    QLabel *summary() const { return m_summary; }

signals:
    void finished(bool ok);

private:
    void onDone(const Result<analysis::RunAnalysis> &r);
    void showMeasure();

    QVector<std::shared_ptr<const Checkpoint>> m_run;
    analysis::RunAnalysis m_result;
    HeatmapView *m_heatmap = nullptr;
    QLabel *m_summary = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    QComboBox *m_measure = nullptr;
    QThread *m_thread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
};

} // namespace wl
