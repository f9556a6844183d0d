#pragma once

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

    QCustomPlot *plot() const { return m_plot; }
    QCPColorMap *colorMap() const { return m_map; }
    // Symmetric colour range [-r, r] in use.
    double colorRange() const { return m_range; }

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
};

} // namespace wl
