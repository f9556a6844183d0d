// The Graph tab over corpus models: Graphviz layout off the GUI thread, node selection naming
// the node's weights, find, expanding scopes, and export.
#include "graph/modelgraph.h"
#include "graphview.h"
#include "jobs/jobcontext.h"
#include "testutil.h"

#include <QGraphicsRectItem>
#include <QGraphicsScene>
#include <QGraphicsView>
#include <QImage>
#include <QSignalSpy>
#include <QtTest>

using namespace wl;

class TestGraphView : public QObject
{
    Q_OBJECT

private slots:
    void kerasNodeSelectsItsLayer();
    void scopesExpandAndExport();
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

} // namespace

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
