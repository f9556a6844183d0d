#pragma once

#include "core/result.h"
#include "formats/checkpoint.h"
#include "itemmodels/checkpointtreemodel.h"

#include <QHash>
#include <QList>
#include <QWidget>

#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QCPAxisRect;
class QCPGraph;
class QCPItemStraightLine;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QMouseEvent;
class QSlider;
class QToolButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace wl
{

// Training curves of one or more log runs: a tag list (check boxes, search, grouped by prefix),
// one plot per checked tag with every run overlaid in its own colour (or, in overlay mode, every
// checked tag of every run on one plot, a colour per run and tag), TensorBoard's smoothing
// with the raw series faint behind it, step / relative time / wall time on x, log y, a hover
// readout of every run at one x, and markers at the steps of the source's checkpoints (a click
// on one emits checkpointClicked). Series are smoothed whole and thinned to the pixels shown,
// so a million points pan smoothly.
class CurvesPanel : public QWidget
{
    Q_OBJECT
public:
    enum class XAxis { Step, RelativeTime, WallTime };
    static constexpr int kMaxPlots = 6; // checked tags drawn at once

    explicit CurvesPanel(QWidget *parent = nullptr);
    ~CurvesPanel() override;

    // The runs to show and the checkpoints their markers stand for. Tags checked before stay
    // checked when the new runs have them; otherwise the first loss, else the first tag.
    // With `keepView` (new points of the same runs), a plot the user zoomed keeps its ranges and
    // one showing everything grows with the data.
    void setRuns(const QList<LogRunRef> &runs,
                 const QList<std::shared_ptr<const Checkpoint>> &checkpoints = {},
                 bool keepView = false);
    const QList<std::shared_ptr<const Checkpoint>> &checkpoints() const { return m_checkpoints; }
    const QList<LogRunRef> &runs() const { return m_runs; }
    // Legend names: the part of each run's name that tells the runs apart.
    QStringList runNames() const;

    // Scalar tags of the runs, first-seen order.
    QStringList tags() const { return m_tags; }
    QStringList checkedTags() const;
    void setCheckedTags(const QStringList &tags);
    // Tags to check when new runs have none of the checked ones (kept in the settings):
    // the checked tags, else the ones set here.
    QStringList preferredTags() const;
    void setPreferredTags(const QStringList &tags) { m_preferred = tags; }
    // Shows only tags containing `text` (any case).
    void setTagFilter(const QString &text);
    QStringList visibleTags() const;

    double smoothing() const;
    void setSmoothing(double weight); // 0..0.999
    XAxis xAxis() const { return m_xAxis; }
    void setXAxis(XAxis axis);
    bool logY() const;
    void setLogY(bool on);
    // All checked tags on one plot instead of one plot each.
    bool overlay() const;
    void setOverlay(bool on);
    void resetZoom();

    QCustomPlot *plot() const { return m_plot; }
    QTreeWidget *tagList() const { return m_tagList; }
    // Points handed to the plot for one run and tag: raw and smoothed (after thinning).
    int drawnPoints(int run, const QString &tag, bool smoothed) const;
    // Colour of the curve of one run and tag as drawn now, invalid when it is not drawn.
    QColor curveColor(int run, const QString &tag) const;
    // Checkpoint markers of the plot of `tag`, as x positions.
    QList<double> markerPositions(const QString &tag) const;
    // The checkpoints of those markers, in the same order.
    QList<const Checkpoint *> markerCheckpoints(const QString &tag) const;
    // What the readout says at x in the plot of `tag`.
    QString readoutAt(const QString &tag, double x) const;
    QString readoutText() const;
    // Which checkpoints of the shown runs have no marker on the step axis, and why; empty when
    // every one has.
    QString markerNote() const { return m_markerNote; }
    // Checkpoint whose marker is at most a few pixels from pixel position `pos` of plot().
    const Checkpoint *markerAt(const QPointF &pos) const;

    // The checked tags' points of every run: run,tag,step,wall_time,value,smoothed.
    QByteArray csv() const;
    // PNG, SVG or PDF by suffix (the plot), or CSV (the values).
    Status exportTo(const QString &path);

signals:
    void checkpointClicked(const Checkpoint *checkpoint);

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Curve; // one run's series of one tag, with its smoothed values
    struct Pane;  // the plot of one tag

    void rebuildTagList();
    void rebuildPlots();
    void resmooth();
    void redraw(); // thins every curve to the current x range and replots
    void updateMarkers();
    void onMouseMove(QMouseEvent *event);
    void onMousePress(QMouseEvent *event);
    Pane *paneAt(const QPointF &pos) const;
    const Pane *paneOf(const QString &tag) const;
    const Curve *curveOf(int run, const QString &tag) const;
    QString readoutOf(const Pane &pane, double x) const;
    QString curveName(const Curve &c, const QStringList &runNames) const;
    double xOf(const Curve &c, std::size_t i) const;
    QColor runColor(int run) const;
    int legendColumns() const;
    QString runKey(int run) const;
    QColor pairColor(int run, const QString &tag);

    QList<LogRunRef> m_runs;
    QList<std::shared_ptr<const Checkpoint>> m_checkpoints;
    QStringList m_tags;
    QStringList m_preferred;
    QString m_markerNote;
    QHash<QString, int> m_colorOf;     // stable colours: by run folder or file, first come first
    QHash<QString, int> m_pairColorOf; // the same for run and tag pairs, in overlay mode
    XAxis m_xAxis = XAxis::Step;
    std::vector<std::unique_ptr<Pane>> m_panes;
    bool m_building = false;

    QLineEdit *m_search = nullptr;
    QTreeWidget *m_tagList = nullptr;
    QSlider *m_smoothing = nullptr;
    QLabel *m_smoothingLabel = nullptr;
    QComboBox *m_xChoice = nullptr;
    QCheckBox *m_log = nullptr;
    QCheckBox *m_overlay = nullptr;
    QToolButton *m_export = nullptr;
    QCustomPlot *m_plot = nullptr;
    QLabel *m_readout = nullptr;
};

} // namespace wl
