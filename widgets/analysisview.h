#pragma once

#include "analysis/spectral.h"
#include "itemmodels/tensorref.h"

#include <QVector>
#include <QWidget>

class QCustomPlot;
class QComboBox;
class QLabel;
class QStackedLayout;
class QTextBrowser;

namespace wl
{

// The Analysis tab: for one weight matrix (a recurrent kernel: one gate, chosen above), its
// singular values on a log scale, the empirical spectral density of W^T W / rows on log-log
// axes with the fitted power law and the Marchenko-Pastur edge, and the numbers of
// `weightlens analyze`.
class AnalysisView : public QWidget
{
    Q_OBJECT
public:
    explicit AnalysisView(QWidget *parent = nullptr);

    // A tensor's matrices (one, or its gates) as the job runner computed them.
    void setAnalyses(const TensorRef &t, const QVector<analysis::LayerAnalysis> &analyses);
    // Replaces the plots with a note ("Computing…", "Select one weight matrix").
    void setMessage(const QString &text);

    const TensorRef &tensor() const { return m_tensor; }
    QCustomPlot *singularPlot() const { return m_singular; }
    QCustomPlot *esdPlot() const { return m_esd; }
    QString numbersText() const;
    // Draws one matrix's plots and numbers under `title` (reports draw the ESD plot so).
    void showMatrix(const QString &title, const analysis::MatrixAnalysis &m);

private:
    void showGate(int i);

    TensorRef m_tensor;
    QVector<analysis::LayerAnalysis> m_analyses;
    QLabel *m_title = nullptr;
    QComboBox *m_gate = nullptr;
    QLabel *m_gateLabel = nullptr;
    QStackedLayout *m_stack = nullptr;
    QLabel *m_message = nullptr;
    QWidget *m_body = nullptr;
    QCustomPlot *m_singular = nullptr;
    QCustomPlot *m_esd = nullptr;
    QTextBrowser *m_numbers = nullptr;
};

} // namespace wl
