#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QToolButton;

namespace wl
{

class JobRunner;

// Status-bar progress for background work: phase text, a bar and Cancel; hidden when idle.
class WorkStatus : public QWidget
{
    Q_OBJECT
public:
    explicit WorkStatus(JobRunner *runner, QWidget *parent = nullptr);

private:
    QLabel *m_phase = nullptr;
    QProgressBar *m_bar = nullptr;
    QToolButton *m_cancel = nullptr;
};

} // namespace wl
