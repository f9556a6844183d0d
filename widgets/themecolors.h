#pragma once

#include <QColor>
#include <QPalette>

class QCustomPlot;
class QCPColorGradient;

// Colours of plots, colour scales and the overview, derived from the widget palette so that a
// dark desktop gets dark plots with light text, and a light one the reverse.
namespace wl::theme
{

// A dark palette for the Fusion style, for desktops whose platform theme gives Qt none.
QPalette darkPalette();

// a blended towards b by t (0 = a, 1 = b).
QColor mix(const QColor &a, const QColor &b, double t);
bool isDark(const QPalette &p);
// Secondary text: captions, keys of key-value tables.
QColor mutedText(const QPalette &p);
// Headings and links.
QColor accent(const QPalette &p);
// Warnings and errors in text.
QColor warningText(const QPalette &p);
// A background that marks an input as rejected.
QColor errorBackground(const QPalette &p);

// Background, axes, ticks, grid, legend and text elements of a plot.
void applyToPlot(QCustomPlot *plot, const QPalette &p);
// Blue below zero, red above, the view's background at zero: the midpoint disappears into the
// page in light and dark palettes alike.
QCPColorGradient divergingGradient(const QPalette &p);
// The diverging gradient's upper half: the background at zero, red at the top, for values that
// are never negative (magnitudes of change).
QCPColorGradient sequentialGradient(const QPalette &p);

} // namespace wl::theme
