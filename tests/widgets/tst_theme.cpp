// Plots, the heatmap's colour scale and the overview take their colours from the palette: a
// dark palette gives dark plots with light text, a light one the reverse.
#include "heatmapview.h"
#include "histogramplot.h"
#include "overviewhtml.h"
#include "themecolors.h"

#include <QApplication>
#include <QTest>
#include <qcustomplot.h>

using namespace wl;

namespace
{

QPalette lightPalette()
{
    QPalette p;
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::Text, Qt::black);
    p.setColor(QPalette::Window, QColor(0xef, 0xef, 0xef));
    p.setColor(QPalette::WindowText, Qt::black);
    return p;
}

// Relative luminance difference, enough to tell light text on dark from dark on light.
double contrast(const QColor &a, const QColor &b)
{
    return std::abs(a.lightnessF() - b.lightnessF());
}

// The plot as drawn: its top-left pixel is background.
QColor cornerColor(QCustomPlot *plot)
{
    return plot->toPixmap(200, 150).toImage().pixelColor(1, 1);
}

} // namespace

class TestTheme : public QObject
{
    Q_OBJECT

private slots:
    void plotsFollowPalette_data()
    {
        QTest::addColumn<bool>("dark");
        QTest::newRow("light") << false;
        QTest::newRow("dark") << true;
    }
    void plotsFollowPalette()
    {
        QFETCH(bool, dark);
        const QPalette pal = dark ? theme::darkPalette() : lightPalette();
        QCOMPARE(theme::isDark(pal), dark);

        HistogramPlot hist;
        hist.setPalette(pal);
        QCustomPlot *plot = hist.plot();
        QCOMPARE(cornerColor(plot), pal.color(QPalette::Base));
        QCOMPARE(plot->xAxis->tickLabelColor(), pal.color(QPalette::Text));
        QCOMPARE(plot->yAxis->labelColor(), pal.color(QPalette::Text));
        QVERIFY(contrast(plot->xAxis->grid()->pen().color(), pal.color(QPalette::Base)) < 0.3);
        QCOMPARE(plot->legend->textColor(), pal.color(QPalette::Text));

        HeatmapView heat;
        heat.setPalette(pal);
        QCOMPARE(cornerColor(heat.plot()), pal.color(QPalette::Base));
        QCPColorGradient g = heat.colorMap()->gradient();
        const QCPRange range(-1, 1);
        // Zero is the page's own colour; the ends stand out from it.
        const QColor zero = QColor::fromRgb(g.color(0, range));
        QVERIFY2(contrast(zero, pal.color(QPalette::Base)) < 0.02, qPrintable(zero.name()));
        for (double end : {-1.0, 1.0}) {
            const QColor c = QColor::fromRgb(g.color(end, range));
            QVERIFY2(contrast(c, pal.color(QPalette::Base)) > 0.2, qPrintable(c.name()));
        }
        QVERIFY(QColor::fromRgb(g.color(-1, range)).blue() >
                QColor::fromRgb(g.color(-1, range)).red());
        QVERIFY(QColor::fromRgb(g.color(1, range)).red() >
                QColor::fromRgb(g.color(1, range)).blue());
    }

    // A palette changed while shown recolours the plots.
    void paletteChangeRecolours()
    {
        HistogramPlot hist;
        hist.setPalette(lightPalette());
        QCOMPARE(cornerColor(hist.plot()), QColor(Qt::white));
        hist.setPalette(theme::darkPalette());
        QCOMPARE(cornerColor(hist.plot()), theme::darkPalette().color(QPalette::Base));
    }

    // The overview page's colours come from the application palette.
    void overviewFollowsPalette()
    {
        const QPalette before = QApplication::palette();
        QApplication::setPalette(theme::darkPalette());
        const QString dark = overview::emptyPage();
        QApplication::setPalette(lightPalette());
        const QString light = overview::emptyPage();
        QApplication::setPalette(before);
        const QString darkMuted = theme::mutedText(theme::darkPalette()).name();
        const QString lightMuted = theme::mutedText(lightPalette()).name();
        QVERIFY2(dark.contains(darkMuted), qPrintable(dark.left(600)));
        QVERIFY(!dark.contains(lightMuted));
        QVERIFY(light.contains(lightMuted));
    }
};

QTEST_MAIN(TestTheme)
#include "tst_theme.moc"
