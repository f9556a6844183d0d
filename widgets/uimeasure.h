#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QString>

class QTimer;

namespace wl
{

class Workbench;

// WEIGHTLENS_MEASURE=1 (or =quit, which also closes the window once done): logs to stderr how
// long the window takes to fill the tree's statistics columns after an open, to show a
// histogram after a selection, and the longest the event loop went without running (a timer
// that should fire every 2 ms measures the gaps). For checking the window's speed targets
// under xvfb-run; timings are never asserted by tests.
class UiMeasure : public QObject
{
    Q_OBJECT
public:
    static bool enabled();
    explicit UiMeasure(Workbench *bench);
    ~UiMeasure() override;

private:
    void tick();
    void log(const QString &what);
    void maybeFinish();
    double ms() const { return double(m_clock.nsecsElapsed()) / 1e6; }

    Workbench *m_bench;
    QTimer *m_ticker = nullptr;
    QElapsedTimer m_clock;
    double m_lastTick = 0;
    double m_lastCpu = 0;
    double m_longestStall = 0;
    double m_longestStallAt = 0;
    double m_openedAt = -1;
    qint64 m_tensorsExpected = 0;
    qint64 m_tensorsWithStats = 0;
    bool m_columnsFull = false;
    double m_selectedAt = -1;
    bool m_histogramShown = false;
    bool m_quit = false;
};

} // namespace wl
