#include "themecolors.h"

#include <qcustomplot.h>

namespace wl::theme
{

QPalette darkPalette()
{
    const QColor window(0x2b, 0x2d, 0x30), base(0x1e, 0x1f, 0x22), text(0xe6, 0xe6, 0xe6);
    QPalette p;
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x8a, 0x8a));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Link, QColor(0x8f, 0xb7, 0xee));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x6f, 0xb8));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Light, QColor(0x4a, 0x4c, 0x50));
    p.setColor(QPalette::Midlight, QColor(0x3a, 0x3c, 0x40));
    p.setColor(QPalette::Mid, QColor(0x80, 0x80, 0x80));
    p.setColor(QPalette::Dark, QColor(0x18, 0x18, 0x1a));
    p.setColor(QPalette::Shadow, Qt::black);
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, QColor(0x7a, 0x7a, 0x7a));
    return p;
}

QColor mix(const QColor &a, const QColor &b, double t)
{
    const auto ch = [t](double x, double y) { return int(x + (y - x) * t + 0.5); };
    return QColor(ch(a.red(), b.red()), ch(a.green(), b.green()), ch(a.blue(), b.blue()),
                  ch(a.alpha(), b.alpha()));
}

bool isDark(const QPalette &p)
{
    return p.color(QPalette::Base).lightnessF() < p.color(QPalette::Text).lightnessF();
}

QColor mutedText(const QPalette &p)
{
    return mix(p.color(QPalette::Text), p.color(QPalette::Base), 0.4);
}

QColor accent(const QPalette &p)
{
    return isDark(p) ? QColor(0x8f, 0xb7, 0xee) : QColor(0x2f, 0x5e, 0x9e);
}

QColor warningText(const QPalette &p)
{
    return isDark(p) ? QColor(0xff, 0x8a, 0x80) : QColor(0xb0, 0x3a, 0x2e);
}

QColor errorBackground(const QPalette &p)
{
    return mix(p.color(QPalette::Base), QColor(0xe0, 0x40, 0x40), isDark(p) ? 0.35 : 0.15);
}

void applyToPlot(QCustomPlot *plot, const QPalette &p)
{
    const QColor base = p.color(QPalette::Base);
    const QColor text = p.color(QPalette::Text);
    const QColor grid = mix(base, text, 0.15);
    plot->setBackground(base);
    for (QCPAxisRect *rect : plot->axisRects())
        for (QCPAxis *axis : rect->axes()) {
            axis->setBasePen(QPen(mix(base, text, 0.6)));
            axis->setTickPen(QPen(mix(base, text, 0.6)));
            axis->setSubTickPen(QPen(mix(base, text, 0.45)));
            axis->setTickLabelColor(text);
            axis->setLabelColor(text);
            QPen g = axis->grid()->pen();
            g.setColor(grid);
            axis->grid()->setPen(g);
            axis->grid()->setZeroLinePen(QPen(mix(base, text, 0.35)));
        }
    plot->legend->setBrush(QColor(base.red(), base.green(), base.blue(), 220));
    plot->legend->setBorderPen(QPen(mix(base, text, 0.3)));
    plot->legend->setTextColor(text);
    for (int i = 0; i < plot->plotLayout()->elementCount(); ++i) {
        if (auto *t = qobject_cast<QCPTextElement *>(plot->plotLayout()->elementAt(i)))
            t->setTextColor(text);
        if (auto *scale = qobject_cast<QCPColorScale *>(plot->plotLayout()->elementAt(i))) {
            QCPAxis *axis = scale->axis();
            axis->setBasePen(QPen(mix(base, text, 0.6)));
            axis->setTickPen(QPen(mix(base, text, 0.6)));
            axis->setSubTickPen(QPen(mix(base, text, 0.45)));
            axis->setTickLabelColor(text);
            axis->setLabelColor(text);
        }
    }
}

QCPColorGradient divergingGradient(const QPalette &p)
{
    const bool dark = isDark(p);
    QCPColorGradient g;
    g.clearColorStops();
    // On a dark page the ends are lighter, so they stand out from it as on a light one.
    g.setColorStopAt(0.0, dark ? QColor(90, 140, 240) : QColor(33, 72, 160));
    g.setColorStopAt(0.25, dark ? QColor(45, 80, 140) : QColor(110, 160, 215));
    g.setColorStopAt(0.5, p.color(QPalette::Base));
    g.setColorStopAt(0.75, dark ? QColor(150, 60, 50) : QColor(235, 140, 110));
    g.setColorStopAt(1.0, dark ? QColor(250, 110, 90) : QColor(170, 30, 40));
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(QColor(255, 200, 0));
    g.setLevelCount(256);
    return g;
}

QCPColorGradient sequentialGradient(const QPalette &p)
{
    const QCPColorGradient diverging = divergingGradient(p);
    QCPColorGradient g;
    g.clearColorStops();
    for (auto it = diverging.colorStops().cbegin(); it != diverging.colorStops().cend(); ++it)
        if (it.key() >= 0.5)
            g.setColorStopAt((it.key() - 0.5) * 2, it.value());
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(p.color(QPalette::Mid)); // not computed: neutral, not an alarm colour
    g.setLevelCount(256);
    return g;
}

} // namespace wl::theme
