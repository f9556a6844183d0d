#pragma once

#include "itemmodels/tensorref.h"

#include <QList>
#include <QVector>
#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QSpinBox;
class QStackedWidget;
class QTableView;
class QToolButton;

namespace wl
{

class HeatmapView;
class ValuesTableModel;

// A tensor's elements: a table of a 2-D slice (spin boxes fix the other dimensions) and the
// same slice as a heatmap.
class ValuesView : public QWidget
{
    Q_OBJECT
public:
    explicit ValuesView(QWidget *parent = nullptr);

    // Shows a note until the values arrive.
    void setPending(const TensorRef &t);
    void setValues(const TensorRef &t, const QVector<double> &values);
    void setMessage(const QString &text);
    TensorRef tensor() const { return m_tensor; }

    // Rows along rowDim, columns along colDim; one spin box per other dimension.
    void setSliceDims(int rowDim, int colDim);
    void setFixedIndex(int dim, qint64 index);
    void setHeatmapVisible(bool on);

    ValuesTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    HeatmapView *heatmap() const { return m_heatmap; }

private:
    void rebuildControls();
    void applySlice();

    TensorRef m_tensor;
    ValuesTableModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    HeatmapView *m_heatmap = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_note = nullptr;
    QComboBox *m_rowDim = nullptr;
    QComboBox *m_colDim = nullptr;
    QLabel *m_rowLabel = nullptr;
    QLabel *m_colLabel = nullptr;
    QHBoxLayout *m_fixedLayout = nullptr;
    QList<QSpinBox *> m_fixed; // one per dimension; row/column ones hidden
    QToolButton *m_tableButton = nullptr;
    QToolButton *m_heatmapButton = nullptr;
    bool m_updating = false;
};

} // namespace wl
