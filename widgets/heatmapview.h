#pragma once

#include <QStringList>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QLabel;
class QMouseEvent;

namespace wl
{

// A 2-D slice as a colour map: diverging gradient symmetric around zero (blue < 0 < red),
// row 0 at the top, with a colour scale, wheel zoom, drag pan and a hover readout.
class HeatmapView : public QWidget
{
    Q_OBJECT
public:
    explicit HeatmapView(QWidget *parent = nullptr);

    // rowMajor holds rows * cols values.
    void setSlice(const QVector<double> &rowMajor, int rows, int cols, const QString &title);
    void clear();
    // Names for rows and columns instead of indices, with the axes' titles; empty lists go back
    // to indices. Applies from the next setSlice.
    void setLabels(const QStringList &rows, const QStringList &cols, const QString &rowTitle,
                   const QString &colTitle);
    // Values that are never negative: a sequential gradient over [0, max] (or, logarithmic,
    // [smallest positive, max]) instead of one symmetric around zero.
    void setSequential(bool on, bool logScale = false);

    QCustomPlot *plot() const { return m_plot; }
    QCPColorMap *colorMap() const { return m_map; }
    // Symmetric colour range [-r, r] in use; for a sequential map, its upper end.
    double colorRange() const { return m_range; }
    QString readoutText() const;

protected:
    void changeEvent(QEvent *event) override;

private:
    void hover(QMouseEvent *event);
    void applyPalette();

    QCustomPlot *m_plot = nullptr;
    QCPColorMap *m_map = nullptr;
    QCPColorScale *m_scale = nullptr;
    QLabel *m_readout = nullptr;
    QVector<double> m_values;
    int m_rows = 0;
    int m_cols = 0;
    double m_range = 1;
    QStringList m_rowLabels;
    QStringList m_colLabels;
    bool m_sequential = false;
    bool m_log = false;
};

} // namespace wl
