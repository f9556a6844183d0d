#include "graphview.h"

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
#include <QSvgGenerator>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtConcurrent>

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

} // namespace

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
    m_status = new QLabel(this);
    m_scene = new QGraphicsScene(this);
    m_view = new QGraphicsView(m_scene, this);
    m_view->setDragMode(QGraphicsView::ScrollHandDrag);
    m_view->setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    m_view->setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    m_view->viewport()->installEventFilter(this);
    m_view->setAccessibleName(tr("Graph"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_choice, 1);
    bar->addWidget(m_search, 1);
    for (auto *b : {fitButton, zoomIn, zoomOut, collapseAll, exportButton})
        bar->addWidget(b);
    bar->addWidget(m_status);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    connect(m_choice, &QComboBox::currentIndexChanged, this, [this] { relayout(); });
    connect(m_search, &QLineEdit::returnPressed, this, [this] {
        if (!find(m_search->text()))
            m_status->setText(tr("No node matches “%1”").arg(m_search->text()));
    });
    connect(fitButton, &QToolButton::clicked, this, &GraphView::fit);
    connect(zoomIn, &QToolButton::clicked, this, [this] { m_view->scale(1.25, 1.25); });
    connect(zoomOut, &QToolButton::clicked, this, [this] { m_view->scale(0.8, 0.8); });
    connect(collapseAll, &QToolButton::clicked, this, [this] { setExpanded({}); });
    connect(exportButton, &QToolButton::clicked, this, &GraphView::exportAs);
    connect(m_scene, &QGraphicsScene::selectionChanged, this, &GraphView::onSceneSelection);
    connect(&m_watcher, &QFutureWatcher<GraphLayout>::finished, this, &GraphView::showLayout);
    m_status->setText(tr("No model graph"));
}

GraphView::~GraphView()
{
    m_watcher.waitForFinished();
}

const GraphView::Entry *GraphView::current() const
{
    const int i = m_choice->currentIndex();
    return i >= 0 && i < int(m_entries.size()) ? &m_entries[std::size_t(i)] : nullptr;
}

int GraphView::graphCount() const
{
    return int(m_entries.size());
}

void GraphView::setGraphs(const QString &path, std::vector<graph::ModelGraph> graphs)
{
    removeGraphs(path);
    const QSignalBlocker block(m_choice);
    for (auto &g : graphs) {
        const QString label = QStringLiteral("%1 — %2").arg(QFileInfo(path).fileName(), g.title);
        m_entries.push_back({path, std::make_shared<const graph::ModelGraph>(std::move(g)), {}});
        m_choice->addItem(label);
    }
    m_choice->setCurrentIndex(int(m_entries.size()) - 1);
    relayout();
}

void GraphView::removeGraphs(const QString &path)
{
    const QSignalBlocker block(m_choice);
    for (int i = int(m_entries.size()) - 1; i >= 0; --i)
        if (m_entries[std::size_t(i)].path == path) {
            m_entries.erase(m_entries.begin() + i);
            m_choice->removeItem(i);
        }
}

bool GraphView::isLayingOut() const
{
    return m_watcher.isRunning() || m_pending >= 0;
}

void GraphView::setExpanded(const QSet<QString> &groups)
{
    const int i = m_choice->currentIndex();
    if (i < 0 || i >= int(m_entries.size()))
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
        QColor fill = item.group ? pal.color(QPalette::Button) : pal.color(QPalette::Base);
        if (weights)
            fill = QColor::fromHsv(210, 60, pal.color(QPalette::Base).value() > 128 ? 245 : 90);
        auto *r = m_scene->addRect(layout.items[i],
                                   QPen(item.group ? pal.color(QPalette::Mid) : text, 1,
                                        item.group ? Qt::DashLine : Qt::SolidLine),
                                   QBrush(fill));
        r->setFlag(QGraphicsItem::ItemIsSelectable);
        r->setData(kItemRole, int(i));
        r->setToolTip(item.group ? tr("%1 — double-click to expand").arg(item.id)
                                 : item.id + QLatin1Char('\n') +
                                       e->graph->nodes[std::size_t(item.node)].tensors.join('\n'));
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
    updateHighlight();
    emit layoutFinished();
}

void GraphView::fit()
{
    if (!m_scene->items().isEmpty()) {
        m_view->fitInView(m_scene->sceneRect(), Qt::KeepAspectRatio);
        // Tiny graphs are not blown up past their natural size.
        if (m_view->transform().m11() > 1.5)
            m_view->setTransform(QTransform::fromScale(1.5, 1.5));
    }
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
        if (event->type() == QEvent::Wheel) {
            const auto *w = static_cast<QWheelEvent *>(event);
            const double f = std::pow(1.0015, w->angleDelta().y());
            m_view->scale(f, f);
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
