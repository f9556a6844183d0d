#pragma once

#include "stats/histogramseries.h"

#include <QColor>
#include <QList>
#include <QWidget>

#include <optional>

class QCustomPlot;
class QCPBars;
class QCPItemText;
class QCPTextElement;
class QCheckBox;
class QLabel;
class QSpinBox;
class QToolButton;
class QMouseEvent;

namespace wl
{

// Bars of one or more histograms (overlaid in distinct colours with a legend), a bin-count
// control, log counts, wheel zoom and drag pan, a hover readout and export.
class HistogramPlot : public QWidget
{
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget *parent = nullptr);

    void setSeries(const QList<HistogramSeries> &series);
    const QList<HistogramSeries> &series() const { return m_series; }
    // Replaces the bars with a centred note ("Computing…", "Not a numeric tensor").
    void setMessage(const QString &text);
    // A line above the plot naming what is shown (kept in exports).
    void setTitle(const QString &title);

    int bins() const;
    void setBins(int bins); // 0 = automatic
    // The bin count to request for tensors of up to `values` elements.
    int binsFor(std::int64_t values) const;
    bool logScale() const;
    void setLogScale(bool on);
    void resetZoom();
    // Bars as count / (total * bin width): tensors of different sizes compare by shape.
    bool density() const;
    void setDensity(bool on);

    QCustomPlot *plot() const { return m_plot; }
    // Each bar holds its value minus baseValue(), so that it is drawn from the base to the value.
    QList<QCPBars *> bars() const { return m_bars; }
    QString readoutText() const;
    // The readout for the bar under a point in widget coordinates of plot().
    QString readoutAt(const QPointF &pos) const;

    static QColor seriesColor(int i);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

signals:
    void binsChanged(int bins);
    void logScaleChanged(bool on);

private:
    void rebuild();
    void wrapNote();
    void updateReadout(QMouseEvent *event);
    void updateNonFinite();
    void exportTo(const QString &format);

    QList<HistogramSeries> m_series;
    QList<QCPBars *> m_bars;
    QCustomPlot *m_plot = nullptr;
    QSpinBox *m_bins = nullptr;
    QCheckBox *m_log = nullptr;
    QCheckBox *m_density = nullptr;
    QToolButton *m_export = nullptr;
    QLabel *m_readout = nullptr;
    QLabel *m_nonFinite = nullptr;
    QString m_message;
    QCPItemText *m_note = nullptr; // the message, when one is shown
    QCPTextElement *m_title = nullptr;
    double m_base = 0; // where the bars start: 0, or below the smallest value on a log axis
};

} // namespace wl
