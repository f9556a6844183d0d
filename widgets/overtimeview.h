#pragma once

#include "itemmodels/checkpointtreemodel.h"
#include "stats/overtime.h"

#include <QWidget>

class QComboBox;
class QCustomPlot;
class QLabel;
class QPushButton;
class QToolButton;

namespace wl
{

// A variable across the checkpoints of a run (or a histogram tag across its steps): a ridge of
// offset histograms on shared bins, later steps further back, or filled percentile bands
// against step; below them, the relative L2 change from the previous checkpoint.
class OverTimeView : public QWidget
{
    Q_OBJECT
public:
    enum class Mode { Ridge, Band };

    explicit OverTimeView(QWidget *parent = nullptr);

    void setResult(const OverTime &result);
    const OverTime &result() const { return m_result; }
    bool hasResult() const { return !m_result.steps.empty(); }
    // Replaces the plots with a centred note; `busy` shows Cancel beside it.
    void setMessage(const QString &text, bool busy = false);
    QString message() const;

    // The histogram tags of these log runs, offered in a list above the plots; the chosen one
    // is asked for (logHistogramRequested) and drawn once its result comes to setResult. The
    // tag chosen before stays chosen when the runs still hold it. False (and no list) when the
    // runs hold none.
    bool setLogHistograms(const QList<LogRunRef> &runs);
    QComboBox *logTags() const { return m_logTags; }

    Mode mode() const { return m_mode; }
    void setMode(Mode mode);

    QCustomPlot *plot() const { return m_plot; }         // ridge or band
    QCustomPlot *changePlot() const { return m_change; } // relative L2 change vs step
    QString notesText() const;
    // What the readout says for a point of plot() in pixels: the step and bin under it (ridge)
    // or the nearest step's band (bands).
    QString readoutAt(const QPointF &pos) const;

    // Per step: label, count, non-finite values, the band's percentiles and the relative change.
    QByteArray csv() const;
    // PNG, SVG or PDF by suffix (both plots, one below the other), or CSV (csv()).
    Status exportTo(const QString &path);

protected:
    void changeEvent(QEvent *event) override;

signals:
    void cancelRequested();
    void modeChanged(wl::OverTimeView::Mode mode);
    // The histograms of one logged tag over its steps are wanted; `series` keeps its log
    // snapshot alive.
    void logHistogramRequested(std::shared_ptr<const wl::events::Series> series);

private:
    void redraw();
    void drawRidge();
    void drawBand();
    void drawChange();
    void showLogTag(int choice);

    OverTime m_result;
    Mode m_mode = Mode::Ridge;
    QLabel *m_title = nullptr;
    QToolButton *m_ridgeButton = nullptr;
    QToolButton *m_bandButton = nullptr;
    QToolButton *m_export = nullptr;
    QComboBox *m_logTags = nullptr;
    QList<QPair<LogRunRef, QString>> m_logChoices; // run and tag of each list entry
    QPushButton *m_cancel = nullptr;
    QLabel *m_message = nullptr;
    QCustomPlot *m_plot = nullptr;
    QCustomPlot *m_change = nullptr;
    QLabel *m_notes = nullptr;
    QLabel *m_readout = nullptr;
};

} // namespace wl
