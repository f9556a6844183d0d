#include "runanalysisview.h"

#include "heatmapview.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QThread>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

namespace wl
{

RunAnalysisView::RunAnalysisView(QVector<std::shared_ptr<const Checkpoint>> run,
                                 const QString &title, QWidget *parent)
    : QWidget(parent), m_run(std::move(run))
{
    setWindowTitle(tr("Layer analysis over %1").arg(title));
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the analysis (Esc)"));
    m_cancel->setShortcut(Qt::Key_Escape);
    connect(m_cancel, &QToolButton::clicked, this, &RunAnalysisView::cancel);
    m_measure = new QComboBox(this);
    m_measure->addItem(tr("Alpha (power-law exponent)"));
    m_measure->addItem(tr("Spectral norm"));
    m_measure->setToolTip(tr("What the colours show (Alt+M): alpha of the eigenvalue density's "
                             "tail, or the largest singular value"));
    auto *measureLabel = new QLabel(tr("&Measure:"), this);
    measureLabel->setBuddy(m_measure);
    connect(m_measure, &QComboBox::currentIndexChanged, this, &RunAnalysisView::showMeasure);
    m_heatmap = new HeatmapView(this);
    m_heatmap->setSequential(true, false);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_progress, 1);
    bar->addWidget(m_cancel);
    bar->addWidget(measureLabel);
    bar->addWidget(m_measure);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(bar);
    layout->addWidget(m_heatmap, 1);
    resize(1000, 700);
}

RunAnalysisView::~RunAnalysisView()
{
    cancel();
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

void RunAnalysisView::cancel()
{
    if (m_cancelFlag)
        m_cancelFlag->store(true);
}

void RunAnalysisView::setMeasure(Measure m)
{
    m_measure->setCurrentIndex(m == Measure::Alpha ? 0 : 1);
}

void RunAnalysisView::start()
{
    if (m_thread)
        return;
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    m_summary->setText(tr("Analysing the weight matrices of %1 checkpoints…").arg(m_run.size()));
    m_progress->setValue(0);
    m_progress->show();
    m_cancel->show();
    auto flag = m_cancelFlag;
    auto run = m_run;
    m_thread = QThread::create([this, flag, run] {
        QElapsedTimer timer;
        timer.start();
        const JobContext job(flag.get(), [this, &timer](double f, const QString &) {
            if (timer.elapsed() < 50 && f < 1)
                return;
            timer.restart();
            QMetaObject::invokeMethod(
                this, [this, f] { m_progress->setValue(int(f * 1000)); }, Qt::QueuedConnection);
        });
        auto r = analysis::computeRunAnalysis(run, 0, job);
        QMetaObject::invokeMethod(
            this, [this, r = std::move(r)] { onDone(r); }, Qt::QueuedConnection);
    });
    m_thread->start(QThread::LowPriority);
}

void RunAnalysisView::onDone(const Result<analysis::RunAnalysis> &r)
{
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    m_progress->hide();
    m_cancel->hide();
    if (!r.ok()) {
        m_summary->setText(r.error().code == LoadError::Code::Cancelled ? tr("Cancelled.")
                                                                        : r.error().message());
        emit finished(false);
        return;
    }
    m_result = r.value();
    showMeasure();
    emit finished(true);
}

void RunAnalysisView::showMeasure()
{
    const auto &a = m_result;
    if (a.columns.isEmpty())
        return;
    const bool alpha = m_measure->currentIndex() == 0;
    const auto &values = alpha ? a.alpha : a.spectral;
    m_heatmap->setLabels(a.matrices, a.columns, tr("weight matrix"), tr("step"));
    m_heatmap->setSlice(values, int(a.matrices.size()), int(a.columns.size()),
                        alpha ? tr("alpha") : tr("spectral norm"));
    QString text =
        tr("%1 weight matrices over %2 checkpoints.").arg(a.matrices.size()).arg(a.columns.size());
    // What moved most between the first and the last checkpoint: the layers still changing.
    int most = -1;
    double change = 0;
    const int last = int(a.columns.size()) - 1;
    for (int r = 0; r < a.matrices.size() && last > 0; ++r) {
        const double d = std::fabs(a.at(values, r, last) - a.at(values, r, 0));
        if (std::isfinite(d) && (most < 0 || d > change)) {
            most = r;
            change = d;
        }
    }
    if (most >= 0)
        text += QLatin1Char(' ') + tr("%1 changed most from the first to the last: %2 → %3.")
                                       .arg(a.matrices[most])
                                       .arg(a.at(values, most, 0), 0, 'g', 4)
                                       .arg(a.at(values, most, last), 0, 'g', 4);
    if (!a.problems.isEmpty())
        text +=
            QLatin1Char(' ') + tr("Not analysed: %1").arg(a.problems.join(QStringLiteral("; ")));
    m_summary->setText(text);
}

} // namespace wl
