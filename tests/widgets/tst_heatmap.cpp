// The heatmap paints every cell in the colour its value maps to, including matrices of one row
// or one column (a [1, 5] bias-like tensor of A − B was drawn blank) and the edge cells.

#include "testutil.h"

#include "heatmapview.h"

#include <QTest>

#include <cmath>
#include <qcustomplot.h>

using namespace wl;

class TestHeatmap : public QObject
{
    Q_OBJECT

    // Every cell's centre, as painted, against the gradient's colour for its value.
    static void checkCells(HeatmapView &view, const QVector<double> &v, int rows, int cols)
    {
        view.setSlice(v, rows, cols, QStringLiteral("A − B"));
        QCustomPlot *plot = view.plot();
        const QImage image = plot->toPixmap(plot->width(), plot->height(), 1.0).toImage();
        QCPColorGradient gradient = view.colorMap()->gradient(); // color() is not const
        const QCPRange range(-view.colorRange(), view.colorRange());
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c) {
                // Near the corner of the cell as well as its centre: edge cells drawn whole.
                for (const double d : {0.0, 0.4}) {
                    const int x = int(std::lround(plot->xAxis->coordToPixel(c + d)));
                    const int y = int(std::lround(plot->yAxis->coordToPixel(r + d)));
                    const QRgb want = gradient.color(v[r * cols + c], range);
                    const QRgb got = image.pixel(x, y);
                    if (qAbs(qRed(got) - qRed(want)) > 2 || qAbs(qGreen(got) - qGreen(want)) > 2 ||
                        qAbs(qBlue(got) - qBlue(want)) > 2)
                        QFAIL(
                            qPrintable(QStringLiteral("%1x%2 cell (%3, %4)+%5: painted %6, want %7")
                                           .arg(rows)
                                           .arg(cols)
                                           .arg(r)
                                           .arg(c)
                                           .arg(d)
                                           .arg(QColor(got).name(), QColor(want).name())));
                }
            }
        }
    }

private slots:
    void cellsPainted_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::newRow("1x5") << 1 << 5;
        QTest::newRow("5x1") << 5 << 1;
        QTest::newRow("1x1") << 1 << 1;
        QTest::newRow("3x4") << 3 << 4;
    }
    void cellsPainted()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        HeatmapView view;
        view.resize(600, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QVector<double> v(rows * cols);
        for (int i = 0; i < v.size(); ++i)
            v[i] = (i % 2 ? -1.0 : 1.0) * (0.25 + 0.5 * i / double(v.size()));
        checkCells(view, v, rows, cols);
    }

    // Cleared (a pair that is not 2-D): no cell painted, not even the NaN colour.
    void clearedDrawsNothing()
    {
        HeatmapView view;
        view.resize(600, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSlice({1.0, -1.0}, 1, 2, {});
        QVERIFY(view.colorMap()->visible());
        view.clear();
        QCustomPlot *plot = view.plot();
        const QImage image = plot->toPixmap(plot->width(), plot->height(), 1.0).toImage();
        const QPoint centre = plot->axisRect()->rect().center();
        QVERIFY(QColor(image.pixel(centre)) != view.colorMap()->gradient().nanColor());
    }

    // All equal values (A − B all zero): a usable colour range, not an empty one.
    void identicalValues()
    {
        HeatmapView view;
        view.resize(600, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSlice(QVector<double>(5, 0.0), 1, 5, {});
        QCOMPARE(view.colorRange(), 1.0);
        QCOMPARE(view.colorMap()->dataRange(), QCPRange(-1, 1));
        QCOMPARE(view.colorMap()->data()->cell(4, 0), 0.0);
    }
};

QTEST_MAIN(TestHeatmap)
#include "tst_heatmap.moc"
