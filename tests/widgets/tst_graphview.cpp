// The Graph tab over corpus models: Graphviz layout off the GUI thread, node selection naming
// the node's weights, find, expanding scopes, export, and colouring by weight statistics.
#include "formats/checkpoint.h"
#include "graph/modelgraph.h"
#include "graphcolouring.h"
#include "graphview.h"
#include "jobs/jobcontext.h"
#include "jobs/jobrunner.h"
#include "testutil.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QGraphicsRectItem>
#include <QGraphicsScene>
#include <QGraphicsView>
#include <QImage>
#include <QMouseEvent>
#include <QScrollBar>
#include <QSignalSpy>
#include <QtTest>

using namespace wl;

class TestGraphView : public QObject
{
    Q_OBJECT

private slots:
    void kerasNodeSelectsItsLayer();
    void tenThousandOpsTimings();
    void scopesExpandAndExport();
    void kerasNodesColouredByTheirWeights();
    void estimatorNodesColouredByChange();
    void minimapPansTheView();
    void findCentresTheMatch();
    void savedModelOpsAndObjects();
};

namespace
{

// The node boxes of the scene (selectable rectangles), by the id they show first.
QList<QGraphicsRectItem *> nodeBoxes(const GraphView &v)
{
    QList<QGraphicsRectItem *> out;
    for (auto *item : v.view()->scene()->items())
        if (auto *r = qgraphicsitem_cast<QGraphicsRectItem *>(item))
            if (r->flags() & QGraphicsItem::ItemIsSelectable)
                out << r;
    return out;
}

// A float32, int32 or int64 tensor's elements, read from its raw little-endian bytes.
std::vector<double> numericElements(const Checkpoint &cp, const QString &key)
{
    const int i = cp.index().indexOfKey(key);
    if (i < 0)
        return {};
    const DType dtype = cp.tensor(i).dtype;
    auto bytes = cp.readTensor(i);
    if (!bytes)
        return {};
    const char *p = bytes->constData();
    auto read = [&]<class T>(T) {
        std::vector<double> out(std::size_t(bytes->size()) / sizeof(T));
        for (std::size_t k = 0; k < out.size(); ++k) {
            T x;
            std::memcpy(&x, p + sizeof(T) * k, sizeof(T));
            out[k] = double(x);
        }
        return out;
    };
    if (dtype == DType::Float32)
        return read(float());
    if (dtype == DType::Int32)
        return read(std::int32_t());
    if (dtype == DType::Int64)
        return read(std::int64_t());
    return {};
}

// The view coloured by `stat` with sums from a GraphColouring, as the window wires them.
void colourView(GraphView &view, GraphColouring &colouring, graph::NodeStat stat,
                std::shared_ptr<const Checkpoint> cp, std::shared_ptr<const Checkpoint> previous)
{
    QObject::connect(&colouring, &GraphColouring::sumsReady, &view, &GraphView::addWeightSums,
                     Qt::UniqueConnection);
    QObject::connect(&view, &GraphView::colourRequested, &colouring, [&, cp, previous](int s) {
        colouring.request(graph::NodeStat(s), cp, previous, view.currentTensorKeys());
    });
    view.setColourStat(stat);
    QObject::disconnect(&view, &GraphView::colourRequested, &colouring, nullptr);
}

bool relativelyClose(double a, double b, double tolerance = 1e-9)
{
    return std::abs(a - b) <= tolerance * std::max(std::abs(a), std::abs(b));
}

} // namespace

void TestGraphView::kerasNodesColouredByTheirWeights()
{
    const QString path =
        test::corpus(QStringLiteral("keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5"));
    auto graphs = graph::loadGraphs(path, JobContext::none());
    QVERIFY(graphs);
    const auto g = graphs->front();
    std::shared_ptr<const Checkpoint> cp = test::openOne(path);
    QVERIFY(cp);
    GraphView view;
    view.resize(900, 700);
    view.show();
    QSignalSpy laidOut(&view, &GraphView::layoutFinished);
    view.setGraphs(path, *graphs);
    QVERIFY(laidOut.wait(20000));
    JobRunner runner;
    GraphColouring colouring(&runner);

    int weighted = 0;
    // L2 first: from the column statistics the runner computes, not from mean |w|'s pass.
    for (const auto stat : {graph::NodeStat::L2, graph::NodeStat::MeanAbs}) {
        colourView(view, colouring, stat, cp, nullptr);
        for (const auto &n : g.nodes) {
            if (n.tensors.isEmpty()) {
                QVERIFY(!view.itemValue(n.id));
                continue;
            }
            QTRY_VERIFY_WITH_TIMEOUT(view.itemValue(n.id).has_value(), 20000);
            // Independently: every element of the node's weights, as one tensor.
            double sumAbs = 0, sumSq = 0;
            std::size_t count = 0;
            for (const auto &key : n.tensors) {
                const auto v = numericElements(*cp, key);
                QVERIFY2(!v.empty(), qPrintable(key));
                for (double x : v) {
                    sumAbs += std::abs(x);
                    sumSq += x * x;
                }
                count += v.size();
            }
            const double expected =
                stat == graph::NodeStat::MeanAbs ? sumAbs / double(count) : std::sqrt(sumSq);
            QVERIFY2(relativelyClose(*view.itemValue(n.id), expected),
                     qPrintable(QStringLiteral("%1 %2: %3 != %4")
                                    .arg(n.id, graph::nodeStatName(stat))
                                    .arg(*view.itemValue(n.id), 0, 'g', 17)
                                    .arg(expected, 0, 'g', 17)));
            ++weighted;
        }
    }
    QVERIFY(weighted >= 4);
    // Nodes of different weights get different colours.
    QSet<QRgb> fills;
    for (auto *r : nodeBoxes(view))
        fills.insert(r->brush().color().rgb());
    QVERIFY(fills.size() >= 3);
}

void TestGraphView::estimatorNodesColouredByChange()
{
    const QString dir = test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run"));
    auto graphs =
        graph::loadGraphs(dir + QStringLiteral("/model.ckpt-20000.meta"), JobContext::none());
    QVERIFY(graphs);
    const auto g = graphs->front();
    std::shared_ptr<const Checkpoint> before = test::openOne(dir + "/model.ckpt-1.index");
    std::shared_ptr<const Checkpoint> after = test::openOne(dir + "/model.ckpt-20000.index");
    QVERIFY(before && after);
    GraphView view;
    view.resize(900, 700);
    view.show();
    QSignalSpy laidOut(&view, &GraphView::layoutFinished);
    view.setGraphs(dir, *graphs);
    QVERIFY(laidOut.wait(20000));
    JobRunner runner;
    GraphColouring colouring(&runner);
    colourView(view, colouring, graph::NodeStat::RelChange, after, before);
    // Collapsed, each top scope is one item coloured by all of its members' weights.
    const auto v = graph::collapse(g, {});
    int checked = 0;
    for (std::size_t i = 0; i < v.items.size(); ++i) {
        QStringList keys;
        for (int n = 0; n < int(g.nodes.size()); ++n)
            if (v.itemOfNode(n) == int(i) && g.nodes[std::size_t(n)].attachedTo < 0)
                keys << g.nodes[std::size_t(n)].tensors;
        keys.removeDuplicates();
        if (keys.isEmpty())
            continue;
        double diffSq = 0, prevSq = 0;
        for (const auto &key : keys) {
            const auto a = numericElements(*before, key), b = numericElements(*after, key);
            QVERIFY2(!a.empty() && a.size() == b.size(), qPrintable(key));
            for (std::size_t k = 0; k < a.size(); ++k) {
                diffSq += (b[k] - a[k]) * (b[k] - a[k]);
                prevSq += a[k] * a[k];
            }
        }
        if (prevSq == 0)
            continue;
        QTRY_VERIFY_WITH_TIMEOUT(view.itemValue(v.items[i].id).has_value(), 20000);
        const double expected = std::sqrt(diffSq) / std::sqrt(prevSq);
        // The diff kernel sums float32 lanes in float before double: within 2e-6 of the exact
        // sums (tst_diffkernel).
        QVERIFY2(relativelyClose(*view.itemValue(v.items[i].id), expected, 2e-6),
                 qPrintable(QStringLiteral("%1: %2 != %3")
                                .arg(v.items[i].id)
                                .arg(*view.itemValue(v.items[i].id), 0, 'g', 17)
                                .arg(expected, 0, 'g', 17)));
        QVERIFY(expected > 0);
        ++checked;
    }
    QVERIFY(checked >= 3);
}

namespace
{

// The estimator's graph with every scope expanded: far larger than the view at 1:1.
std::vector<graph::ModelGraph> expandedEstimator(GraphView &view)
{
    const QString path =
        test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run/model.ckpt-20000.meta"));
    auto graphs = graph::loadGraphs(path, JobContext::none());
    if (!graphs)
        return {};
    QSignalSpy laidOut(&view, &GraphView::layoutFinished);
    view.setGraphs(path, *graphs);
    if (!laidOut.wait(20000))
        return {};
    const QStringList all = graphs->front().groups();
    view.setExpanded(QSet<QString>(all.begin(), all.end()));
    if (!laidOut.wait(60000))
        return {};
    return *graphs;
}

double distance(const QPointF &a, const QPointF &b)
{
    return QLineF(a, b).length();
}

// Whether the view is centred on a scene point, on each axis unless scrolled to that axis's end.
bool centredAt(const GraphView &view, const QPointF &at)
{
    const QPointF c = view.visibleSceneRect().center();
    auto axis = [](double a, double b, const QScrollBar *bar) {
        return std::abs(a - b) < 2 || bar->value() == bar->minimum() ||
               bar->value() == bar->maximum();
    };
    return axis(c.x(), at.x(), view.view()->horizontalScrollBar()) &&
           axis(c.y(), at.y(), view.view()->verticalScrollBar()) &&
           view.visibleSceneRect().contains(at);
}

bool centredOn(const GraphView &view, const QGraphicsItem *item)
{
    return centredAt(view, item->sceneBoundingRect().center()) &&
           view.visibleSceneRect().contains(item->sceneBoundingRect());
}

} // namespace

void TestGraphView::minimapPansTheView()
{
    GraphView view;
    view.resize(900, 700);
    view.show();
    QVERIFY(!view.minimap()->isVisible()); // nothing to show yet
    const auto graphs = expandedEstimator(view);
    QVERIFY(!graphs.empty());
    QVERIFY(!view.minimap()->isVisible());   // fitted: all of it in view
    view.view()->setTransform(QTransform()); // 1:1, so that the view shows a part
    QTRY_VERIFY(view.minimap()->isVisible());
    // Inside the view's viewport, in its bottom-right corner.
    const QRect vp(view.view()->viewport()->mapTo(&view, QPoint(0, 0)),
                   view.view()->viewport()->size());
    QVERIFY(vp.contains(view.minimap()->geometry()));
    QVERIFY(view.minimap()->geometry().center().x() > vp.center().x());
    QVERIFY(view.minimap()->geometry().center().y() > vp.center().y());

    const QSize m = view.minimap()->size();
    // Pressing the minimap's middle centres the view on the scene's middle.
    const QPoint middle(m.width() / 2, m.height() / 2);
    QTest::mousePress(view.minimap(), Qt::LeftButton, {}, middle);
    QVERIFY(centredAt(view, view.minimapToScene(middle)));
    QVERIFY(distance(view.minimapToScene(middle), view.view()->sceneRect().center()) < 10);
    // Dragging follows the mouse: to a point of the minimap that shows the scene (the scene's
    // picture keeps its aspect, so one of these two lies on it).
    QPoint to(m.width() * 3 / 4, m.height() / 2);
    if (!view.view()->sceneRect().contains(view.minimapToScene(to)))
        to = QPoint(m.width() / 2, m.height() * 3 / 4);
    QVERIFY(view.view()->sceneRect().contains(view.minimapToScene(to)));
    QMouseEvent move(QEvent::MouseMove, QPointF(to), view.minimap()->mapToGlobal(QPointF(to)),
                     Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(view.minimap(), &move);
    QTest::mouseRelease(view.minimap(), Qt::LeftButton, {}, to);
    QVERIFY(centredAt(view, view.minimapToScene(to)));
    QVERIFY(distance(view.visibleSceneRect().center(), view.view()->sceneRect().center()) > 50);

    // A graph that fits the view shows none.
    GraphView small;
    small.resize(900, 700);
    small.show();
    const QString keras =
        test::corpus(QStringLiteral("keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5"));
    auto kg = graph::loadGraphs(keras, JobContext::none());
    QVERIFY(kg);
    QSignalSpy laidOut(&small, &GraphView::layoutFinished);
    small.setGraphs(keras, *kg);
    QVERIFY(laidOut.wait(20000));
    QVERIFY(!small.minimap()->isVisible());
}

void TestGraphView::findCentresTheMatch()
{
    GraphView view;
    view.resize(900, 700);
    view.show();
    const auto graphs = expandedEstimator(view);
    QVERIFY(!graphs.empty());
    QVERIFY(view.find(QStringLiteral("dense/MatMul")));
    const auto selected = view.view()->scene()->selectedItems();
    QCOMPARE(selected.size(), 1);
    QVERIFY(centredOn(view, selected.first()));
    // Found inside a collapsed scope: expanded, laid out, then centred.
    QSignalSpy laidOut(&view, &GraphView::layoutFinished);
    view.setExpanded({});
    QVERIFY(laidOut.wait(20000));
    QVERIFY(view.find(QStringLiteral("conv2d/Conv2D")));
    QVERIFY(laidOut.wait(20000));
    const auto found = view.view()->scene()->selectedItems();
    QCOMPARE(found.size(), 1);
    QVERIFY(centredOn(view, found.first()));
}

void TestGraphView::savedModelOpsAndObjects()
{
    const QString path = test::corpus(QStringLiteral("savedmodel/tetris-dqn-keras-savedmodel"));
    auto graphs = graph::loadGraphs(path, JobContext::none());
    QVERIFY(graphs);
    std::shared_ptr<const Checkpoint> cp = test::openOne(path);
    QVERIFY(cp);
    auto objects = graph::objectGraphOf(*cp);
    QVERIFY(objects);
    const auto objectGraph = *objects;
    graphs->push_back(std::move(*objects));
    GraphView view;
    view.resize(900, 700);
    view.show();
    QSignalSpy laidOut(&view, &GraphView::layoutFinished);
    view.setGraphs(path, *graphs);
    QVERIFY(laidOut.wait(20000));
    QVERIFY(!view.objectsShown());
    QCOMPARE(view.currentGraph()->kind, QStringLiteral("graphdef"));

    view.setObjectsShown(true);
    QVERIFY(laidOut.wait(20000));
    QCOMPARE(view.currentGraph()->kind, QStringLiteral("objects"));
    QCOMPARE(nodeBoxes(view).size(), int(graph::collapse(objectGraph, {}).items.size()));
    // An object node selects its variable's tensor; the tensor highlights the node.
    const QString key = QStringLiteral("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
    QVERIFY(cp->index().indexOfKey(key) >= 0);
    QSignalSpy selected(&view, &GraphView::nodeSelected);
    // Inside a collapsed object: expanded, laid out, then selected.
    QVERIFY(view.find(QStringLiteral("layer_with_weights-0/kernel")));
    QTRY_COMPARE_WITH_TIMEOUT(selected.size(), 1, 20000);
    QCOMPARE(selected.first().at(0).toString(), key);
    view.view()->scene()->clearSelection();
    view.highlightTensors({key});
    int highlighted = 0;
    for (auto *r : nodeBoxes(view))
        highlighted += r->pen().widthF() > 2;
    QCOMPARE(highlighted, 1);

    // In the ops view, the op reading that variable names the same key.
    view.setObjectsShown(false);
    QVERIFY(laidOut.wait(20000));
    const auto &ops = *view.currentGraph();
    const int var = ops.indexOf(QStringLiteral("dense/kernel"));
    QVERIFY(var >= 0);
    QCOMPARE(ops.nodes[std::size_t(var)].tensors, QStringList{key});
    // Closing the source takes both away.
    view.removeGraphs(path);
    QCOMPARE(view.graphCount(), 0);
    QVERIFY(!view.currentGraph());
}

namespace
{

// The resident set's peak, in MiB, from the kernel's accounting.
double peakRssMiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024;
    return 0;
}

} // namespace

// Times, not assertions: 100 name scopes of 100 chained ops each (the shape of tst_graph's
// generated GraphDef), opened collapsed and one scope expanded, in the view.
void TestGraphView::tenThousandOpsTimings()
{
    graph::ModelGraph g;
    g.kind = QStringLiteral("graphdef");
    g.title = QStringLiteral("generated");
    int previous = -1;
    for (int s = 0; s < 100; ++s) {
        const QString scope = QStringLiteral("block_%1").arg(s);
        for (int i = 0; i < 100; ++i) {
            graph::Node n;
            n.name = QStringLiteral("op_%1").arg(i);
            n.id = scope + QLatin1Char('/') + n.name;
            n.group = scope;
            n.type = i == 0 ? QStringLiteral("MatMul") : QStringLiteral("Relu");
            if (i == 0)
                n.tensors << scope + QStringLiteral("/kernel");
            const int at = g.addNode(n);
            g.addEdge(previous, at);
            previous = at;
        }
    }
    QCOMPARE(int(g.nodes.size()), 10000);
    const double rssBefore = peakRssMiB();
    GraphView view;
    view.resize(1200, 800);
    view.show();
    QSignalSpy laidOut(&view, &GraphView::layoutFinished);
    QElapsedTimer t;
    t.start();
    view.setGraphs(QStringLiteral("generated.meta"), {g});
    QVERIFY(laidOut.wait(60000));
    const qint64 openMs = t.elapsed();
    QCOMPARE(nodeBoxes(view).size(), 100);
    t.restart();
    view.setExpanded({QStringLiteral("block_50")});
    QVERIFY(laidOut.wait(60000));
    const qint64 expandMs = t.elapsed();
    QCOMPARE(nodeBoxes(view).size(), 199);
    qInfo("10,000 ops in the view: open collapsed %lld ms, expand one scope %lld ms; peak RSS "
          "%.0f MiB (%.0f MiB before the view)",
          openMs, expandMs, peakRssMiB(), rssBefore);
}

void TestGraphView::kerasNodeSelectsItsLayer()
{
    const QString path =
        test::corpus(QStringLiteral("keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5"));
    auto graphs = graph::loadGraphs(path, JobContext::none());
    QVERIFY(graphs);
    const auto g = graphs->front();
    GraphView view;
    view.resize(900, 700);
    view.show();
    QSignalSpy laidOut(&view, &GraphView::layoutFinished);
    view.setGraphs(path, *graphs);
    QVERIFY(laidOut.wait(20000));
    QCOMPARE(nodeBoxes(view).size(), int(g.nodes.size()));

    QSignalSpy selected(&view, &GraphView::nodeSelected);
    QVERIFY(view.find(QStringLiteral("dense_10")));
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().at(0).toString(), QStringLiteral("dense_10"));
    const auto &node = g.nodes[std::size_t(g.indexOf(QStringLiteral("dense_10")))];
    QCOMPARE(selected.first().at(1).toStringList(), node.tensors);
    QVERIFY(!node.tensors.isEmpty());
    // The found node is in view.
    const auto boxes = view.view()->scene()->selectedItems();
    QCOMPARE(boxes.size(), 1);
    QVERIFY(view.view()->viewport()->rect().intersects(
        view.view()->mapFromScene(boxes.first()->sceneBoundingRect()).boundingRect()));
    QVERIFY(!view.find(QStringLiteral("no_such_layer")));
}

void TestGraphView::scopesExpandAndExport()
{
    const QString path =
        test::corpus(QStringLiteral("tf1-checkpoint/mnist-estimator-run/model.ckpt-20000.meta"));
    auto graphs = graph::loadGraphs(path, JobContext::none());
    QVERIFY(graphs);
    const auto &g = graphs->front();
    GraphView view;
    view.resize(900, 700);
    view.show();
    QSignalSpy laidOut(&view, &GraphView::layoutFinished);
    view.setGraphs(path, *graphs);
    QVERIFY(laidOut.wait(20000));
    const int collapsed = nodeBoxes(view).size();
    QCOMPARE(collapsed, int(graph::collapse(g, {}).items.size()));
    view.setExpanded({QStringLiteral("conv2d")});
    QVERIFY(laidOut.wait(20000));
    const int expanded = nodeBoxes(view).size();
    QCOMPARE(expanded, int(graph::collapse(g, {QStringLiteral("conv2d")}).items.size()));
    QVERIFY(expanded > collapsed);

    const QByteArray svg = view.render(QStringLiteral("svg"));
    QVERIFY(svg.contains("<svg"));
    QVERIFY(svg.contains("Conv2D"));
    QImage png;
    QVERIFY(png.loadFromData(view.render(QStringLiteral("png")), "PNG"));
    QVERIFY(png.width() > 100 && png.height() > 100);
}

QTEST_MAIN(TestGraphView)
#include "tst_graphview.moc"
