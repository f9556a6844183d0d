#include "runchangesview.h"

#include "heatmapview.h"

#include <QCheckBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QThread>
#include <QToolButton>
#include <QVBoxLayout>

namespace wl
{

RunChangesView::RunChangesView(QVector<std::shared_ptr<const Checkpoint>> run, const QString &title,
                               QWidget *parent)
    : QWidget(parent), m_run(std::move(run))
{
    setWindowTitle(tr("Changes over %1").arg(title));
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop comparing (Esc)"));
    m_cancel->setShortcut(Qt::Key_Escape);
    connect(m_cancel, &QToolButton::clicked, this, &RunChangesView::cancel);
    m_log = new QCheckBox(tr("Log colour scale"), this);
    m_log->setToolTip(tr("Small changes of some layers stay visible beside large ones"));
    m_log->setChecked(true);
    m_heatmap = new HeatmapView(this);
    m_heatmap->setSequential(true, true);
    connect(m_log, &QCheckBox::toggled, this,
            [this](bool on) { m_heatmap->setSequential(true, on); });

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_progress, 1);
    bar->addWidget(m_cancel);
    bar->addWidget(m_log);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(bar);
    layout->addWidget(m_heatmap, 1);
    resize(1000, 700);
}

RunChangesView::~RunChangesView()
{
    cancel();
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

void RunChangesView::cancel()
{
    if (m_cancelFlag)
        m_cancelFlag->store(true);
}

void RunChangesView::start()
{
    if (m_thread)
        return;
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    m_summary->setText(tr("Comparing %1 checkpoints, each with the next…").arg(m_run.size()));
    m_progress->setValue(0);
    m_progress->show();
    m_cancel->show();
    auto flag = m_cancelFlag;
    auto run = m_run;
    const DiffRequest req = request;
    m_thread = QThread::create([this, flag, run, req] {
        // Progress at most every 50 ms: the event queue is not a log.
        QElapsedTimer timer;
        timer.start();
        const JobContext job(flag.get(), [this, &timer](double f, const QString &) {
            if (timer.elapsed() < 50 && f < 1)
                return;
            timer.restart();
            QMetaObject::invokeMethod(
                this, [this, f] { m_progress->setValue(int(f * 1000)); }, Qt::QueuedConnection);
        });
        auto r = computeRunChanges(run, req, job);
        QMetaObject::invokeMethod(
            this, [this, r = std::move(r)] { onDone(r); }, Qt::QueuedConnection);
    });
    m_thread->start(QThread::LowPriority);
}

void RunChangesView::onDone(const Result<RunChanges> &r)
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
    m_changes = r.value();
    const auto &c = m_changes;
    m_heatmap->setLabels(c.variables, c.columns, tr("weight"), tr("step"));
    m_heatmap->setSlice(c.rel, int(c.variables.size()), int(c.columns.size()),
                        tr("‖A − B‖ / ‖A‖ from the previous checkpoint"));
    QString text = tr("%1 weights over %2 steps.").arg(c.variables.size()).arg(c.columns.size());
    // The last step's extremes: what is still learning, and what has stopped (or is frozen).
    int most = -1, least = -1;
    const int last = int(c.columns.size()) - 1;
    for (int r = 0; r < c.variables.size() && last >= 0; ++r) {
        const double v = c.at(r, last);
        if (std::isnan(v))
            continue;
        if (most < 0 || v > c.at(most, last))
            most = r;
        if (least < 0 || v < c.at(least, last))
            least = r;
    }
    if (most >= 0)
        text += QLatin1Char(' ') + tr("Last step: %1 moved most (%2), %3 least (%4).")
                                       .arg(c.variables[most])
                                       .arg(c.at(most, last), 0, 'g', 3)
                                       .arg(c.variables[least])
                                       .arg(c.at(least, last), 0, 'g', 3);
    if (!c.problems.isEmpty())
        text +=
            QLatin1Char(' ') + tr("Not compared: %1").arg(c.problems.join(QStringLiteral("; ")));
    m_summary->setText(text);
    emit finished(true);
}

} // namespace wl
