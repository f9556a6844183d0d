#include "graphview.h"

#include "themecolors.h"
#include "write/atomicfile.h"

#include <QBuffer>
#include <QComboBox>
#include <QFileDialog>
#include <QGraphicsPathItem>
#include <QGraphicsRectItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsView>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QSvgGenerator>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtConcurrent>
#include <algorithm>
#include <qcustomplot.h>

namespace wl
{
namespace
{

constexpr int kItemRole = 0;    // index into the visible items
constexpr int kClusterRole = 1; // group path of an expanded group's box

QString itemText(const graph::ModelGraph &g, const graph::VisibleGraph::Item &item)
{
    if (item.group)
        return QStringLiteral("%1/\n%2 nodes").arg(item.label).arg(item.memberCount);
    const auto &n = g.nodes[std::size_t(item.node)];
    QString second = n.type;
    if (!n.outputShape.isEmpty())
        second += QStringLiteral("  ") + n.outputShape;
    if (n.params > 0)
        second += QStringLiteral("  %1 params").arg(n.params);
    else if (!n.tensors.isEmpty())
        second += QStringLiteral("  %1 w").arg(n.tensors.size());
    return n.name + QLatin1Char('\n') + second;
}

QColor graphItemFill(const QPalette &pal, bool group, bool weights)
{
    if (group)
        return pal.color(QPalette::Button);
    if (weights)
        return QColor::fromHsv(210, 60, pal.color(QPalette::Base).value() > 128 ? 245 : 90);
    return pal.color(QPalette::Base);
}

QString graphValueText(double v)
{
    return QString::number(v, 'g', 4);
}

// Where a value sits on the colour scale: the smallest value is still tinted, so that it stands
// apart from the nodes without weights. Values over more than two decades (a global step beside
// the weights, a batch norm's variance beside a kernel) go on a log scale.
double graphScalePosition(double v, double lo, double hi, bool log)
{
    if (log) {
        v = std::log10(std::max(v, lo));
        lo = std::log10(lo);
        hi = std::log10(hi);
    }
    const double t = hi > lo ? (v - lo) / (hi - lo) : 1.0;
    return 0.15 + 0.85 * std::clamp(t, 0.0, 1.0);
}

bool graphLogScale(std::optional<double> lo, std::optional<double> hi)
{
    return lo && hi && *lo > 0 && *hi > 100 * *lo;
}

} // namespace

// The colour scale of the node colouring: its statistic, the gradient between the smallest and
// the largest value shown, and a note (progress, or why there is nothing to show).
class GraphLegend : public QWidget
{
public:
    explicit GraphLegend(QWidget *parent) : QWidget(parent)
    {
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    }
    void setScale(const QString &name, std::optional<double> lo, std::optional<double> hi)
    {
        m_name = name;
        m_lo = lo;
        m_hi = hi;
        update();
    }
    void setNote(const QString &note)
    {
        m_note = note;
        update();
    }
    QSize sizeHint() const override { return {400, fontMetrics().height() + 8}; }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter p(this);
        const QPalette pal = palette();
        const QFontMetrics fm = fontMetrics();
        const int h = height();
        int x = 4;
        auto text = [&](const QString &t, const QColor &c) {
            p.setPen(c);
            p.drawText(QRect(x, 0, fm.horizontalAdvance(t) + 2, h), Qt::AlignVCenter, t);
            x += fm.horizontalAdvance(t) + 8;
        };
        text(m_name + QLatin1Char(':'), pal.color(QPalette::WindowText));
        if (m_lo && m_hi) {
            text(graphValueText(*m_lo), pal.color(QPalette::WindowText));
            QCPColorGradient g = theme::sequentialGradient(pal);
            const int w = 160;
            for (int i = 0; i < w; ++i) {
                const double pos = graphScalePosition(i / double(w - 1), 0, 1, false);
                p.setPen(QColor::fromRgb(g.color(pos, QCPRange(0, 1))));
                p.drawLine(x + i, 4, x + i, h - 5);
            }
            p.setPen(pal.color(QPalette::Mid));
            p.drawRect(x, 4, w, h - 9);
            x += w + 8;
            text(graphValueText(*m_hi), pal.color(QPalette::WindowText));
            if (graphLogScale(m_lo, m_hi))
                text(GraphView::tr("(log scale)"), theme::mutedText(pal));
        }
        if (!m_note.isEmpty())
            text(m_note, theme::mutedText(pal));
    }

private:
    QString m_name, m_note;
    std::optional<double> m_lo, m_hi;
};

// A small picture of the whole scene with the view's visible rectangle on it; pressing or
// dragging centres the view there. The scene is drawn once into a pixmap per layout or colouring,
// so panning a big graph redraws only the rectangle.
class GraphMinimap : public QWidget
{
public:
    GraphMinimap(QGraphicsView *view, QWidget *parent) : QWidget(parent), m_view(view)
    {
        setCursor(Qt::OpenHandCursor);
        setToolTip(GraphView::tr("Overview of the graph: click or drag to pan"));
        setAccessibleName(GraphView::tr("Graph overview"));
        resize(220, 160);
    }
    void render()
    {
        const QRectF source = m_view->scene()->sceneRect();
        m_pixmap = QPixmap(size() * devicePixelRatioF());
        m_pixmap.setDevicePixelRatio(devicePixelRatioF());
        m_pixmap.fill(palette().color(QPalette::Base));
        if (!source.isEmpty()) {
            QPainter p(&m_pixmap);
            p.setRenderHint(QPainter::Antialiasing);
            m_view->scene()->render(&p, target(), source, Qt::KeepAspectRatio);
        }
        update();
    }
    QPointF toScene(const QPointF &p) const
    {
        const QRectF source = m_view->scene()->sceneRect(), t = target();
        if (t.isEmpty())
            return source.center();
        return source.topLeft() + (p - t.topLeft()) * (source.width() / t.width());
    }
    QRectF toMinimap(const QRectF &r) const
    {
        const QRectF source = m_view->scene()->sceneRect(), t = target();
        const double s = source.width() > 0 ? t.width() / source.width() : 1;
        return QRectF(t.topLeft() + (r.topLeft() - source.topLeft()) * s, r.size() * s);
    }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter p(this);
        p.drawPixmap(0, 0, m_pixmap);
        const QColor accent = palette().color(QPalette::Highlight);
        QColor fill = accent;
        fill.setAlpha(40);
        p.setPen(QPen(accent, 1.5));
        p.setBrush(fill);
        const QRectF visible = m_view->mapToScene(m_view->viewport()->rect()).boundingRect();
        p.drawRect(toMinimap(visible).intersected(QRectF(rect()).adjusted(1, 1, -1, -1)));
        p.setPen(palette().color(QPalette::Mid));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5));
    }
    void mousePressEvent(QMouseEvent *e) override
    {
        setCursor(Qt::ClosedHandCursor);
        pan(e->position());
    }
    void mouseMoveEvent(QMouseEvent *e) override
    {
        if (e->buttons() & Qt::LeftButton)
            pan(e->position());
    }
    void mouseReleaseEvent(QMouseEvent *) override { setCursor(Qt::OpenHandCursor); }

private:
    // Where the scene goes: its aspect kept, centred, a few pixels in.
    QRectF target() const
    {
        const QRectF source = m_view->scene()->sceneRect();
        const QRectF area = QRectF(rect()).adjusted(3, 3, -3, -3);
        if (source.isEmpty() || area.isEmpty())
            return {};
        const double s = std::min(area.width() / source.width(), area.height() / source.height());
        QRectF t(0, 0, source.width() * s, source.height() * s);
        t.moveCenter(area.center());
        return t;
    }
    void pan(const QPointF &p)
    {
        m_view->centerOn(toScene(p));
        update();
    }

    QGraphicsView *m_view;
    QPixmap m_pixmap;
};

GraphView::GraphView(QWidget *parent) : QWidget(parent)
{
    m_choice = new QComboBox(this);
    m_choice->setAccessibleName(tr("Model graph"));
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Find node…"));
    m_search->setClearButtonEnabled(true);
    auto button = [this](const QString &text, const QString &tip) {
        auto *b = new QToolButton(this);
        b->setText(text);
        b->setToolTip(tip);
        b->setAutoRaise(true);
        return b;
    };
    auto *fitButton = button(tr("Fit"), tr("Show the whole graph"));
    auto *zoomIn = button(tr("+"), tr("Zoom in (wheel)"));
    auto *zoomOut = button(tr("−"), tr("Zoom out (wheel)"));
    auto *collapseAll = button(tr("Collapse"), tr("Collapse every group"));
    auto *exportButton = button(tr("Export…"), tr("Save the graph as SVG or PNG"));
    m_opsButton = button(tr("Ops"), tr("The model's layers or ops and their connections"));
    m_objectsButton =
        button(tr("Objects"), tr("The checkpoint's object graph: its trackable objects, each "
                                 "holding its variables"));
    for (auto *b : {m_opsButton, m_objectsButton}) {
        b->setCheckable(true);
        b->setAutoExclusive(true);
        b->setEnabled(false);
    }
    m_opsButton->setChecked(true);
    m_colourBy = new QComboBox(this);
    m_colourBy->addItem(tr("No colour"), int(graph::NodeStat::None));
    m_colourBy->addItem(tr("Mean |w|"), int(graph::NodeStat::MeanAbs));
    m_colourBy->addItem(tr("L2 norm"), int(graph::NodeStat::L2));
    m_colourBy->addItem(tr("Change"), int(graph::NodeStat::RelChange));
    m_colourBy->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_colourBy->setToolTip(
        tr("Colour each node by a statistic of all of its weights: mean |w|, the L2 norm, or "
           "the relative change ‖W − W_prev‖ / ‖W_prev‖ from the previous checkpoint of its run"));
    m_colourBy->setAccessibleName(tr("Colour nodes by"));
    m_legend = new GraphLegend(this);
    m_legend->setVisible(false);
    m_status = new QLabel(this);
    m_scene = new QGraphicsScene(this);
    m_view = new QGraphicsView(m_scene, this);
    m_view->setDragMode(QGraphicsView::ScrollHandDrag);
    m_view->setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    m_view->setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    m_view->viewport()->installEventFilter(this);
    m_view->setAccessibleName(tr("Graph"));
    m_minimap = new GraphMinimap(m_view, this);
    m_minimap->hide();
    for (auto *bar : {static_cast<QAbstractSlider *>(m_view->horizontalScrollBar()),
                      static_cast<QAbstractSlider *>(m_view->verticalScrollBar())})
        connect(bar, &QAbstractSlider::valueChanged, this, [this] { updateMinimap(false); });

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_opsButton);
    bar->addWidget(m_objectsButton);
    bar->addWidget(m_choice, 1);
    bar->addWidget(m_search, 1);
    for (auto *b : {fitButton, zoomIn, zoomOut, collapseAll, exportButton})
        bar->addWidget(b);
    bar->addWidget(m_colourBy);
    bar->addWidget(m_status);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_legend);
    layout->addWidget(m_view, 1);

    connect(m_choice, &QComboBox::currentIndexChanged, this, [this] {
        m_sums.clear();
        relayout();
        if (m_stat != graph::NodeStat::None)
            emit colourRequested(int(m_stat));
    });
    connect(m_colourBy, &QComboBox::currentIndexChanged, this,
            [this] { setColourStat(graph::NodeStat(m_colourBy->currentData().toInt())); });
    connect(m_search, &QLineEdit::returnPressed, this, [this] {
        if (!find(m_search->text()))
            m_status->setText(tr("No node matches “%1”").arg(m_search->text()));
    });
    connect(fitButton, &QToolButton::clicked, this, &GraphView::fit);
    connect(m_opsButton, &QToolButton::clicked, this, [this] { setObjectsShown(false); });
    connect(m_objectsButton, &QToolButton::clicked, this, [this] { setObjectsShown(true); });
    connect(zoomIn, &QToolButton::clicked, this, [this] {
        m_view->scale(1.25, 1.25);
        updateMinimap(false);
    });
    connect(zoomOut, &QToolButton::clicked, this, [this] {
        m_view->scale(0.8, 0.8);
        updateMinimap(false);
    });
    connect(collapseAll, &QToolButton::clicked, this, [this] { setExpanded({}); });
    connect(exportButton, &QToolButton::clicked, this, &GraphView::exportAs);
    connect(m_scene, &QGraphicsScene::selectionChanged, this, &GraphView::onSceneSelection);
    connect(&m_watcher, &QFutureWatcher<GraphLayout>::finished, this, &GraphView::showLayout);
    m_status->setText(tr("No model graph"));
}

GraphView::~GraphView()
{
    m_watcher.waitForFinished();
    // Children go in the order they were made: the scene (whose selection changes as its items
    // go) after the graph choice, before the view, whose scroll bars and viewport must not call
    // back into the minimap meanwhile.
    m_scene->disconnect(this);
    m_view->viewport()->removeEventFilter(this);
    m_view->horizontalScrollBar()->disconnect(this);
    m_view->verticalScrollBar()->disconnect(this);
}

int GraphView::currentEntry() const
{
    if (m_choice->currentIndex() < 0)
        return -1;
    const int i = m_choice->currentData().toInt();
    return i >= 0 && i < int(m_entries.size()) ? i : -1;
}

const GraphView::Entry *GraphView::current() const
{
    const int i = currentEntry();
    return i >= 0 ? &m_entries[std::size_t(i)] : nullptr;
}

int GraphView::graphCount() const
{
    return int(m_entries.size());
}

void GraphView::setGraphs(const QString &path, std::vector<graph::ModelGraph> graphs)
{
    removeEntries(path);
    int last[2] = {-1, -1}; // the last new entry of ops, of objects
    for (auto &g : graphs) {
        Entry e;
        e.path = path;
        e.label = QStringLiteral("%1 — %2").arg(QFileInfo(path).fileName(), g.title);
        e.objects = g.kind == QLatin1String("objects");
        e.graph = std::make_shared<const graph::ModelGraph>(std::move(g));
        last[e.objects] = int(m_entries.size());
        m_entries.push_back(std::move(e));
    }
    // The kind shown stays unless the new source has none of it and nothing else is shown.
    if (last[m_objects] < 0 && last[!m_objects] >= 0 &&
        std::none_of(m_entries.begin(), m_entries.end(),
                     [this](const Entry &e) { return e.objects == m_objects; }))
        m_objects = !m_objects;
    showEntries(last[m_objects]);
}

void GraphView::removeEntries(const QString &path)
{
    for (int i = int(m_entries.size()) - 1; i >= 0; --i)
        if (m_entries[std::size_t(i)].path == path)
            m_entries.erase(m_entries.begin() + i);
}

void GraphView::removeGraphs(const QString &path)
{
    const int before = int(m_entries.size());
    removeEntries(path);
    if (int(m_entries.size()) != before)
        showEntries(-1);
}

QStringList GraphView::graphPaths() const
{
    QStringList out;
    for (const auto &e : m_entries)
        if (!out.contains(e.path))
            out << e.path;
    return out;
}

void GraphView::setObjectsShown(bool objects)
{
    if (objects == m_objects)
        return;
    m_objects = objects;
    showEntries(-1);
}

void GraphView::showEntries(int entry)
{
    {
        const QSignalBlocker block(m_choice);
        m_choice->clear();
        int at = -1;
        bool kinds[2] = {false, false};
        for (int i = 0; i < int(m_entries.size()); ++i) {
            const auto &e = m_entries[std::size_t(i)];
            kinds[e.objects] = true;
            if (e.objects != m_objects)
                continue;
            m_choice->addItem(e.label, i);
            if (i == entry)
                at = m_choice->count() - 1;
        }
        m_choice->setCurrentIndex(at >= 0 ? at : m_choice->count() - 1);
        m_opsButton->setEnabled(kinds[0]);
        m_objectsButton->setEnabled(kinds[1]);
        (m_objects ? m_objectsButton : m_opsButton)->setChecked(true);
    }
    m_sums.clear();
    relayout();
    if (m_stat != graph::NodeStat::None)
        emit colourRequested(int(m_stat));
}

bool GraphView::isLayingOut() const
{
    return m_watcher.isRunning() || m_pending >= 0;
}

void GraphView::setExpanded(const QSet<QString> &groups)
{
    const int i = currentEntry();
    if (i < 0)
        return;
    m_entries[std::size_t(i)].expanded = groups;
    relayout();
}

void GraphView::toggleGroup(const QString &group)
{
    const auto *e = current();
    if (!e)
        return;
    QSet<QString> expanded = e->expanded;
    if (expanded.contains(group)) {
        // Collapsing a group collapses everything inside it.
        for (auto it = expanded.begin(); it != expanded.end();)
            it = (*it == group || it->startsWith(group + QLatin1Char('/'))) ? expanded.erase(it)
                                                                            : std::next(it);
    } else {
        expanded.insert(group);
    }
    setExpanded(expanded);
}

void GraphView::relayout()
{
    const auto *e = current();
    ++m_generation;
    if (!e) {
        m_scene->clear();
        m_items.clear();
        m_values.clear();
        m_visible = {};
        m_status->setText(tr("No model graph"));
        return;
    }
    m_visible = graph::collapse(*e->graph, e->expanded);
    const QFontMetricsF fm(font());
    std::vector<QSizeF> sizes;
    sizes.reserve(m_visible.items.size());
    for (const auto &item : m_visible.items) {
        double w = 0;
        const auto lines = itemText(*e->graph, item).split(QLatin1Char('\n'));
        for (const auto &l : lines)
            w = std::max(w, fm.horizontalAdvance(l));
        sizes.emplace_back(w + 16, fm.height() * lines.size() + 10);
    }
    m_status->setText(tr("Laying out %1 items…").arg(m_visible.items.size()));
    const int generation = m_generation;
    if (m_watcher.isRunning()) {
        // The running layout is dropped when it ends; this one follows.
        m_pending = generation;
        return;
    }
    m_pending = -1;
    auto graph = e->graph;
    auto visible = m_visible;
    m_watcher.setProperty("generation", generation);
    m_watcher.setFuture(
        QtConcurrent::run([graph, visible, sizes] { return layoutGraph(*graph, visible, sizes); }));
}

void GraphView::showLayout()
{
    if (m_watcher.property("generation").toInt() != m_generation) {
        m_pending = -1;
        relayout();
        return;
    }
    const GraphLayout layout = m_watcher.result();
    const auto *e = current();
    m_scene->clear();
    m_items.clear();
    if (!e)
        return;
    if (!layout.error.isEmpty()) {
        m_status->setText(layout.error);
        return;
    }
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    QColor edge = text;
    edge.setAlphaF(0.55);
    // Expanded groups: boxes behind their members; double-click collapses.
    for (auto it = layout.clusters.constBegin(); it != layout.clusters.constEnd(); ++it) {
        auto *box = m_scene->addRect(it.value(), QPen(pal.color(QPalette::Mid), 1, Qt::DashLine),
                                     QBrush(pal.color(QPalette::AlternateBase)));
        box->setZValue(-10 + it.key().count(QLatin1Char('/')));
        box->setData(kClusterRole, it.key());
        box->setToolTip(tr("%1 — double-click to collapse").arg(it.key()));
        auto *label = m_scene->addSimpleText(it.key().mid(it.key().lastIndexOf('/') + 1));
        label->setBrush(pal.color(QPalette::PlaceholderText));
        label->setPos(it.value().topLeft() + QPointF(4, 2));
        label->setZValue(box->zValue());
    }
    for (std::size_t i = 0; i < layout.edges.size(); ++i) {
        if (layout.edges[i].isEmpty())
            continue;
        m_scene->addPath(layout.edges[i], QPen(edge, 1.2))->setZValue(-1);
        const QPointF tip = layout.arrowTips[i], from = layout.arrowFrom[i];
        QLineF dir(tip, from);
        if (dir.length() < 0.1)
            continue;
        dir.setLength(8);
        QLineF left = dir, right = dir;
        left.setAngle(dir.angle() + 25);
        right.setAngle(dir.angle() - 25);
        m_scene->addPolygon(QPolygonF{tip, left.p2(), right.p2()}, QPen(Qt::NoPen), QBrush(edge))
            ->setZValue(-1);
    }
    m_items.resize(m_visible.items.size());
    for (std::size_t i = 0; i < m_visible.items.size(); ++i) {
        const auto &item = m_visible.items[i];
        const bool weights =
            !item.group && !e->graph->nodes[std::size_t(item.node)].tensors.isEmpty();
        const QColor fill = graphItemFill(pal, item.group, weights);
        auto *r = m_scene->addRect(layout.items[i],
                                   QPen(item.group ? pal.color(QPalette::Mid) : text, 1,
                                        item.group ? Qt::DashLine : Qt::SolidLine),
                                   QBrush(fill));
        r->setFlag(QGraphicsItem::ItemIsSelectable);
        r->setData(kItemRole, int(i));
        // Tooltips and fills by statistic: recolour().
        auto *t = new QGraphicsSimpleTextItem(itemText(*e->graph, item), r);
        t->setBrush(text);
        t->setPos(layout.items[i].topLeft() + QPointF(8, 5));
        m_items[i] = r;
    }
    m_scene->setSceneRect(layout.bounds.adjusted(-20, -20, 20, 20));
    m_status->setText(
        tr("%1 nodes, %2 shown").arg(e->graph->nodes.size()).arg(m_visible.items.size()));
    if (!m_focusId.isEmpty()) {
        const QString id = m_focusId;
        m_focusId.clear();
        find(id);
    } else {
        fit();
    }
    recolour();
    updateHighlight();
    updateMinimap(true);
    emit layoutFinished();
}

const graph::ModelGraph *GraphView::currentGraph() const
{
    const auto *e = current();
    return e ? e->graph.get() : nullptr;
}

QString GraphView::currentPath() const
{
    const auto *e = current();
    return e ? e->path : QString();
}

QStringList GraphView::currentTensorKeys() const
{
    QStringList keys;
    if (const auto *g = currentGraph())
        for (const auto &n : g->nodes)
            if (n.attachedTo < 0)
                keys << n.tensors;
    keys.removeDuplicates();
    return keys;
}

void GraphView::setColourStat(graph::NodeStat stat)
{
    if (const int i = m_colourBy->findData(int(stat)); i != m_colourBy->currentIndex()) {
        m_colourBy->setCurrentIndex(i); // comes back here through the combo's signal
        return;
    }
    m_stat = stat;
    m_sums.clear();
    m_legend->setNote({});
    m_legend->setVisible(stat != graph::NodeStat::None);
    recolour();
    emit colourRequested(int(stat));
}

void GraphView::addWeightSums(const QHash<QString, graph::WeightSums> &sums)
{
    m_sums.insert(sums);
    recolour();
}

void GraphView::setColourNote(const QString &text)
{
    m_legend->setNote(text);
}

std::optional<double> GraphView::itemValue(const QString &id) const
{
    for (std::size_t i = 0; i < m_visible.items.size() && i < m_values.size(); ++i)
        if (m_visible.items[i].id == id)
            return m_values[i];
    return std::nullopt;
}

std::vector<QStringList> GraphView::itemTensors() const
{
    std::vector<QStringList> out(m_visible.items.size());
    const auto *g = currentGraph();
    if (!g)
        return out;
    // Attached variables' keys are already on the op that uses them.
    for (int n = 0; n < int(g->nodes.size()); ++n) {
        const auto &node = g->nodes[std::size_t(n)];
        const int item = m_visible.itemOfNode(n);
        if (node.attachedTo < 0 && !node.tensors.isEmpty() && item >= 0 && item < int(out.size()))
            out[std::size_t(item)] << node.tensors;
    }
    for (auto &keys : out)
        keys.removeDuplicates();
    return out;
}

void GraphView::recolour()
{
    m_values.assign(m_items.size(), std::nullopt);
    const auto *e = current();
    const QPalette pal = palette();
    std::optional<double> lo, hi;
    std::vector<QStringList> tensors;
    if (e && m_stat != graph::NodeStat::None) {
        tensors = itemTensors();
        for (std::size_t i = 0; i < m_items.size() && i < tensors.size(); ++i) {
            if (tensors[i].isEmpty())
                continue;
            std::vector<const graph::WeightSums *> parts;
            for (const auto &k : tensors[i]) {
                auto it = m_sums.constFind(k);
                parts.push_back(it == m_sums.constEnd() ? nullptr : &*it);
            }
            m_values[i] = graph::nodeStatValue(m_stat, parts);
            if (m_values[i]) {
                lo = std::min(lo.value_or(*m_values[i]), *m_values[i]);
                hi = std::max(hi.value_or(*m_values[i]), *m_values[i]);
            }
        }
    }
    QCPColorGradient gradient = theme::sequentialGradient(pal);
    for (std::size_t i = 0; i < m_items.size() && e; ++i) {
        const auto &item = m_visible.items[i];
        const bool weights =
            !item.group && !e->graph->nodes[std::size_t(item.node)].tensors.isEmpty();
        QColor fill = graphItemFill(pal, item.group, weights);
        QString tip = item.group ? tr("%1 — double-click to expand").arg(item.id)
                                 : item.id + QLatin1Char('\n') +
                                       e->graph->nodes[std::size_t(item.node)].tensors.join('\n');
        if (m_values[i]) {
            fill = QColor::fromRgb(gradient.color(
                graphScalePosition(*m_values[i], *lo, *hi, graphLogScale(lo, hi)), QCPRange(0, 1)));
            tip += QStringLiteral("\n%1: %2")
                       .arg(graph::nodeStatName(m_stat), graphValueText(*m_values[i]));
        } else if (m_stat != graph::NodeStat::None && i < tensors.size() && !tensors[i].isEmpty()) {
            tip += QStringLiteral("\n%1: —").arg(graph::nodeStatName(m_stat));
        }
        m_items[i]->setBrush(fill);
        m_items[i]->setToolTip(tip);
    }
    m_legend->setScale(graph::nodeStatName(m_stat), lo, hi);
    if (!m_minimap->isHidden())
        m_minimap->render();
}

QWidget *GraphView::minimap() const
{
    return m_minimap;
}

QPointF GraphView::minimapToScene(const QPointF &p) const
{
    return m_minimap->toScene(p);
}

QRectF GraphView::visibleSceneRect() const
{
    return m_view->mapToScene(m_view->viewport()->rect()).boundingRect();
}

void GraphView::updateMinimap(bool rerender)
{
    const QRectF scene = m_scene->sceneRect();
    const bool wanted =
        !m_items.empty() && !visibleSceneRect().contains(scene.adjusted(20, 20, -20, -20));
    if (!wanted) {
        m_minimap->hide();
        return;
    }
    // The corner of the viewport, clear of the scroll bars; smaller in a small view.
    const QWidget *vp = m_view->viewport();
    const QPoint corner = vp->mapTo(this, QPoint(vp->width(), vp->height()));
    const QSize size(std::min(220, vp->width() / 3), std::min(160, vp->height() / 3));
    const QRect geometry(corner - QPoint(size.width() + 8, size.height() + 8), size);
    const bool moved = geometry != m_minimap->geometry();
    m_minimap->setGeometry(geometry);
    if (rerender || moved || m_minimap->isHidden())
        m_minimap->render();
    m_minimap->show();
    m_minimap->raise();
    m_minimap->update();
}

void GraphView::fit()
{
    if (!m_scene->items().isEmpty()) {
        m_view->fitInView(m_scene->sceneRect(), Qt::KeepAspectRatio);
        // Tiny graphs are not blown up past their natural size.
        if (m_view->transform().m11() > 1.5)
            m_view->setTransform(QTransform::fromScale(1.5, 1.5));
    }
    updateMinimap(false);
}

void GraphView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_focusId.isEmpty() && !m_items.empty())
        fit();
}

bool GraphView::find(const QString &text)
{
    const auto *e = current();
    if (!e || text.isEmpty())
        return false;
    auto centreOn = [&](std::size_t i) {
        m_scene->clearSelection();
        m_items[i]->setSelected(true);
        if (m_view->transform().m11() < 0.8)
            m_view->setTransform(QTransform::fromScale(1, 1));
        m_view->centerOn(m_items[i]);
    };
    for (std::size_t i = 0; i < m_visible.items.size() && i < m_items.size(); ++i)
        if (m_visible.items[i].id == text) {
            centreOn(i);
            return true;
        }
    for (std::size_t i = 0; i < m_visible.items.size() && i < m_items.size(); ++i)
        if (!m_visible.items[i].group &&
            m_visible.items[i].id.contains(text, Qt::CaseInsensitive)) {
            centreOn(i);
            return true;
        }
    // A match inside a collapsed group: expand its scopes, then centre after the layout.
    for (const auto &n : e->graph->nodes) {
        if (n.attachedTo >= 0 || !n.id.contains(text, Qt::CaseInsensitive))
            continue;
        QSet<QString> expanded = e->expanded;
        QString g = n.group;
        while (!g.isEmpty()) {
            expanded.insert(g);
            g = g.contains(QLatin1Char('/')) ? g.left(g.lastIndexOf(QLatin1Char('/'))) : QString();
        }
        m_focusId = n.id;
        setExpanded(expanded);
        return true;
    }
    for (std::size_t i = 0; i < m_visible.items.size() && i < m_items.size(); ++i)
        if (m_visible.items[i].id.contains(text, Qt::CaseInsensitive)) {
            centreOn(i);
            return true;
        }
    return false;
}

void GraphView::onSceneSelection()
{
    const auto *e = current();
    if (!e || m_syncing)
        return;
    const auto selected = m_scene->selectedItems();
    if (selected.size() != 1)
        return;
    const int i = selected.first()->data(kItemRole).toInt();
    if (i < 0 || i >= int(m_visible.items.size()) || m_visible.items[std::size_t(i)].group)
        return;
    const auto &n = e->graph->nodes[std::size_t(m_visible.items[std::size_t(i)].node)];
    if (n.tensors.isEmpty())
        return;
    // A Keras layer is a folder of the tree; a GraphDef op selects its first weight.
    emit nodeSelected(e->graph->kind == QLatin1String("keras") ? n.id : n.tensors.first(),
                      n.tensors);
}

void GraphView::highlightTensors(const QStringList &keys)
{
    m_highlightKeys = keys;
    updateHighlight();
}

void GraphView::updateHighlight()
{
    const auto *e = current();
    if (!e || m_items.empty())
        return;
    const QSet<QString> keys(m_highlightKeys.begin(), m_highlightKeys.end());
    const QColor accent = palette().color(QPalette::Highlight);
    int first = -1;
    for (std::size_t i = 0; i < m_visible.items.size(); ++i) {
        const auto &item = m_visible.items[i];
        bool hit = false;
        if (!item.group)
            for (const auto &k : e->graph->nodes[std::size_t(item.node)].tensors)
                hit = hit || keys.contains(k);
        QPen pen = m_items[i]->pen();
        pen.setWidthF(hit ? 3 : 1);
        if (hit)
            pen.setColor(accent);
        else if (!item.group)
            pen.setColor(palette().color(QPalette::Text));
        m_items[i]->setPen(pen);
        if (hit && first < 0)
            first = int(i);
    }
    if (first >= 0)
        m_view->ensureVisible(m_items[std::size_t(first)], 40, 40);
}

bool GraphView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport()) {
        if (event->type() == QEvent::Resize)
            QTimer::singleShot(0, this, [this] { updateMinimap(false); });
        if (event->type() == QEvent::Wheel) {
            const auto *w = static_cast<QWheelEvent *>(event);
            const double f = std::pow(1.0015, w->angleDelta().y());
            m_view->scale(f, f);
            updateMinimap(false);
            return true;
        }
        if (event->type() == QEvent::MouseButtonDblClick) {
            const auto *m = static_cast<QMouseEvent *>(event);
            for (auto *item : m_view->items(m->position().toPoint())) {
                const QVariant idx = item->data(kItemRole);
                if (idx.isValid() && idx.toInt() < int(m_visible.items.size()) &&
                    m_visible.items[std::size_t(idx.toInt())].group) {
                    toggleGroup(m_visible.items[std::size_t(idx.toInt())].id);
                    return true;
                }
                const QVariant cluster = item->data(kClusterRole);
                if (cluster.isValid()) {
                    toggleGroup(cluster.toString());
                    return true;
                }
            }
        }
    }
    return QWidget::eventFilter(watched, event);
}

QByteArray GraphView::render(const QString &suffix) const
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    const QRectF source = m_scene->sceneRect();
    if (suffix.compare(QLatin1String("svg"), Qt::CaseInsensitive) == 0) {
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setSize(source.size().toSize());
        svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
        svg.setTitle(current() ? current()->graph->title : QString());
        QPainter p(&svg);
        m_scene->render(&p, QRectF(QPointF(0, 0), source.size()), source);
    } else {
        // Twice the scene's size, capped so a huge graph stays a few tens of megapixels.
        const double scale = std::min(2.0, 8000.0 / std::max(source.width(), source.height()));
        QImage image((source.size() * scale).toSize(), QImage::Format_ARGB32);
        image.fill(palette().color(QPalette::Base));
        QPainter p(&image);
        p.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
        m_scene->render(&p, QRectF(QPointF(0, 0), source.size() * scale), source);
        p.end();
        image.save(&buffer, "PNG");
    }
    return bytes;
}

void GraphView::exportAs()
{
    if (!current() || m_items.empty())
        return;
    QString selectedFilter;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export graph"), current()->graph->title + QStringLiteral(".svg"),
        tr("SVG image (*.svg);;PNG image (*.png)"), &selectedFilter);
    if (path.isEmpty())
        return;
    const QString suffix =
        QFileInfo(path).suffix().isEmpty() ? QStringLiteral("svg") : QFileInfo(path).suffix();
    if (auto st = writeBytesAtomically(path, render(suffix), true); !st)
        QMessageBox::warning(this, tr("Export graph"), st.error().message());
}

} // namespace wl
