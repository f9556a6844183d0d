#pragma once

#include "graph/modelgraph.h"
#include "graph/nodestats.h"
#include "graphlayout.h"

#include <QFutureWatcher>
#include <QSet>
#include <QWidget>
#include <memory>
#include <optional>

class QComboBox;
class QGraphicsScene;
class QGraphicsView;
class QLabel;
class QLineEdit;
class QToolButton;
class QGraphicsRectItem;

namespace wl
{

class GraphLegend;
class GraphMinimap;

// The Graph tab: a model's layers or ops laid out by Graphviz (off the GUI thread), name scopes
// collapsed until double-clicked. Selecting a node asks for its tensors; selecting tensors
// highlights the nodes holding them.
class GraphView : public QWidget
{
    Q_OBJECT
public:
    explicit GraphView(QWidget *parent = nullptr);
    ~GraphView() override;

    // Replaces the graphs of the source `path` (a SavedModel may hold several).
    void setGraphs(const QString &path, std::vector<graph::ModelGraph> graphs);
    void removeGraphs(const QString &path);
    // The sources whose graphs it holds.
    QStringList graphPaths() const;
    // "Ops | Objects": the op and layer graphs, or the checkpoints' object graphs (their
    // trackable objects and the variables these hold). Graphs of kind "objects" are the latter.
    void setObjectsShown(bool objects);
    bool objectsShown() const { return m_objects; }
    int graphCount() const;
    // Highlights (and centres on the first of) the nodes holding these checkpoint keys.
    void highlightTensors(const QStringList &keys);
    // Centres on the first visible node whose name contains `text`; false when none does.
    bool find(const QString &text);
    void fit();
    void setExpanded(const QSet<QString> &groups);
    bool isLayingOut() const;
    // Scene as SVG or PNG bytes (by suffix), for export.
    QByteArray render(const QString &suffix) const;
    QGraphicsView *view() const { return m_view; }

    // The graph shown, and the path of the source it came from; none when empty.
    const graph::ModelGraph *currentGraph() const;
    QString currentPath() const;
    // Every checkpoint key the shown graph's nodes hold.
    QStringList currentTensorKeys() const;

    // Colouring by a statistic of each node's weights (the toolbar's "Colour" choice). Sums
    // arrive per tensor key and add to those known; a node is coloured once all of its tensors'
    // sums are there, a collapsed group by all of its members' tensors.
    graph::NodeStat colourStat() const { return m_stat; }
    void setColourStat(graph::NodeStat stat);
    void addWeightSums(const QHash<QString, graph::WeightSums> &sums);
    // Shown beside the legend: what is being computed, or why nothing can be.
    void setColourNote(const QString &text);
    // The value the visible item (node id or group path) is coloured by, if it is coloured.
    std::optional<double> itemValue(const QString &id) const;

    // The overview in the view's corner, shown while the view shows a part of the graph;
    // dragging in it pans the view.
    QWidget *minimap() const;
    // The scene point under a point of the minimap, and the scene rectangle the view shows.
    QPointF minimapToScene(const QPointF &p) const;
    QRectF visibleSceneRect() const;

signals:
    // The node's weights ("dense" layer path for Keras, else its tensor keys).
    void nodeSelected(const QString &selectPath, const QStringList &tensorKeys);
    void layoutFinished();
    // The colour choice changed, or the graph shown did while colouring: the sums of `stat`
    // (a graph::NodeStat) for currentTensorKeys() are wanted. None stops the work.
    void colourRequested(int stat);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    // A layout finished while the tab was hidden was fitted to a viewport of no size.
    void showEvent(QShowEvent *event) override;

private:
    struct Entry {
        QString path;
        std::shared_ptr<const graph::ModelGraph> graph;
        QSet<QString> expanded;
        QString label;
        bool objects = false;
    };
    int currentEntry() const;
    const Entry *current() const;
    void removeEntries(const QString &path);
    // Lists the entries of the kind shown, `entry` (or else the last) chosen; then lays it out.
    void showEntries(int entry);
    void relayout();
    void showLayout();
    void onSceneSelection();
    void toggleGroup(const QString &group);
    void exportAs();
    void updateHighlight();
    // The tensor keys of each visible item (a group's: all of its members').
    std::vector<QStringList> itemTensors() const;
    void recolour();
    // Places the minimap in the view's corner and shows it when there is something to navigate.
    void updateMinimap(bool rerender);

    std::vector<Entry> m_entries;
    QComboBox *m_choice = nullptr;
    QLineEdit *m_search = nullptr;
    QLabel *m_status = nullptr;
    QGraphicsView *m_view = nullptr;
    QGraphicsScene *m_scene = nullptr;
    graph::VisibleGraph m_visible;
    QFutureWatcher<GraphLayout> m_watcher;
    int m_generation = 0;
    int m_pending = -1;
    std::vector<QGraphicsRectItem *> m_items; // parallel to m_visible.items
    QStringList m_highlightKeys;
    bool m_syncing = false;
    QString m_focusId; // node to centre once the running layout is shown
    QComboBox *m_colourBy = nullptr;
    QToolButton *m_opsButton = nullptr;
    QToolButton *m_objectsButton = nullptr;
    bool m_objects = false;
    GraphLegend *m_legend = nullptr;
    GraphMinimap *m_minimap = nullptr;
    graph::NodeStat m_stat = graph::NodeStat::None;
    QHash<QString, graph::WeightSums> m_sums;
    std::vector<std::optional<double>> m_values; // parallel to m_items
};

} // namespace wl
