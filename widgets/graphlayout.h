#pragma once

#include "graph/modelgraph.h"

#include <QHash>
#include <QPainterPath>
#include <QRectF>
#include <QString>
#include <vector>

namespace wl
{

// Where Graphviz's `dot` puts the visible items of a model graph, y pointing down.
struct GraphLayout {
    std::vector<QRectF> items;       // parallel to VisibleGraph::items
    std::vector<QPainterPath> edges; // parallel to VisibleGraph::edges
    std::vector<QPointF> arrowTips;  // where each edge meets its head
    std::vector<QPointF> arrowFrom;  // a point before the tip, for the arrowhead's direction
    QHash<QString, QRectF> clusters; // expanded group path -> its box
    QRectF bounds;
    QString error;
};

// Item sizes come from their labels in `font`'s metrics (passed in points per character
// cell). Runs on any thread; Graphviz itself is not re-entrant, so calls are serialised.
GraphLayout layoutGraph(const graph::ModelGraph &g, const graph::VisibleGraph &v,
                        const std::vector<QSizeF> &itemSizes);

} // namespace wl
