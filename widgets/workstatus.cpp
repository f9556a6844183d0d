#include "workstatus.h"

#include "jobs/jobrunner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QTimer>
#include <QToolButton>

namespace wl
{

WorkStatus::WorkStatus(JobRunner *runner, QWidget *parent) : QWidget(parent)
{
    m_phase = new QLabel(this);
    m_bar = new QProgressBar(this);
    m_bar->setRange(0, 1000);
    m_bar->setTextVisible(false);
    m_bar->setFixedWidth(160);
    m_bar->setMaximumHeight(14);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop opening files and computing statistics (Esc)"));
    m_cancel->setAutoRaise(true);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_phase);
    layout->addWidget(m_bar);
    layout->addWidget(m_cancel);
    setVisible(false);

    // Short jobs finish before the bar would be noticed: show it only after a moment.
    auto *delay = new QTimer(this);
    delay->setSingleShot(true);
    delay->setInterval(250);
    connect(delay, &QTimer::timeout, this, [this, runner] { setVisible(runner->isBusy()); });
    connect(runner, &JobRunner::busyChanged, this, [this, delay](bool busy) {
        if (busy) {
            m_bar->setValue(0);
            m_phase->clear();
            delay->start();
        } else {
            delay->stop();
            setVisible(false);
        }
    });
    connect(runner, &JobRunner::progress, this, [this](double fraction, const QString &phase) {
        if (fraction < 0)
            m_bar->setRange(0, 0);
        else {
            m_bar->setRange(0, 1000);
            m_bar->setValue(int(std::clamp(fraction, 0.0, 1.0) * 1000));
        }
        if (!phase.isEmpty())
            m_phase->setText(phase);
    });
    connect(m_cancel, &QToolButton::clicked, runner, &JobRunner::cancelAll);
}

} // namespace wl
