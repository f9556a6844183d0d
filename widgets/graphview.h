#pragma once

#include "graph/modelgraph.h"
#include "graphlayout.h"

#include <QFutureWatcher>
#include <QSet>
#include <QWidget>
#include <memory>

class QComboBox;
class QGraphicsScene;
class QGraphicsView;
class QLabel;
class QLineEdit;
class QGraphicsRectItem;

namespace wl
{

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

signals:
    // The node's weights ("dense" layer path for Keras, else its tensor keys).
    void nodeSelected(const QString &selectPath, const QStringList &tensorKeys);
    void layoutFinished();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    // A layout finished while the tab was hidden was fitted to a viewport of no size.
    void showEvent(QShowEvent *event) override;

private:
    struct Entry {
        QString path;
        std::shared_ptr<const graph::ModelGraph> graph;
        QSet<QString> expanded;
    };
    const Entry *current() const;
    void relayout();
    void showLayout();
    void onSceneSelection();
    void toggleGroup(const QString &group);
    void exportAs();
    void updateHighlight();

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
};

} // namespace wl
