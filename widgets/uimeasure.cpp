#include "uimeasure.h"

#include "jobs/jobrunner.h"
#include "sourcesview.h"
#include "workbench.h"

#include <QApplication>
#include <QTimer>

#include <cstdio>
#include <ctime>

namespace wl
{
namespace
{
constexpr int kTickMs = 2;
constexpr double kReportStallMs = 50; // the window's target: no stall longer

// CPU time of the calling thread: a stall the GUI thread spent running is work to move off it;
// one it spent waiting is other threads or processes holding the cores.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}
} // namespace

bool UiMeasure::enabled()
{
    const QString v = qEnvironmentVariable("WEIGHTLENS_MEASURE");
    return !v.isEmpty() && v != QLatin1String("0");
}

UiMeasure::UiMeasure(Workbench *bench) : QObject(bench), m_bench(bench)
{
    m_quit = qEnvironmentVariable("WEIGHTLENS_MEASURE") == QLatin1String("quit");
    m_clock.start();
    m_ticker = new QTimer(this);
    m_ticker->setTimerType(Qt::PreciseTimer);
    m_ticker->setInterval(kTickMs);
    connect(m_ticker, &QTimer::timeout, this, &UiMeasure::tick);
    m_ticker->start();

    auto *runner = bench->runner();
    connect(runner, &JobRunner::opened, this, [this](quint64, const OpenResult &r) {
        m_openedAt = ms();
        for (const auto &cp : r.checkpoints)
            m_tensorsExpected += cp->index().tensors.size();
        log(QStringLiteral("opened %1: %2 tensors in the tree").arg(r.path).arg(m_tensorsExpected));
    });
    // Connected after the workbench's own handlers, so these run once the views are updated.
    connect(runner, &JobRunner::statsBatchReady, this, [this](const StatsBatch &batch) {
        m_tensorsWithStats += batch.size();
        if (!m_columnsFull && m_tensorsExpected > 0 && m_tensorsWithStats >= m_tensorsExpected) {
            m_columnsFull = true;
            log(QStringLiteral("statistics columns full: %1 ms after the open finished")
                    .arg(ms() - m_openedAt, 0, 'f', 1));
            maybeFinish();
        }
    });
    connect(bench->sources(), &SourcesView::selectionChanged, this, [this] {
        m_selectedAt = ms();
        m_histogramShown = false;
    });
    connect(runner, &JobRunner::statsReady, this,
            [this](const TensorRef &t, const TensorReport &report) {
                if (m_selectedAt < 0 || m_histogramShown || report.stats.histogram.isEmpty())
                    return;
                m_histogramShown = true;
                const double delivered = ms();
                const double mib = double(t.info().location.size) / double(1 << 20);
                // The plot repaints on the next pass of the event loop.
                QTimer::singleShot(0, this, [this, delivered, mib, name = t.info().name] {
                    log(QStringLiteral("histogram of %1 (%2 MiB): delivered %3 ms, painted %4 ms "
                                       "after the selection")
                            .arg(name)
                            .arg(mib, 0, 'f', 1)
                            .arg(delivered - m_selectedAt, 0, 'f', 1)
                            .arg(ms() - m_selectedAt, 0, 'f', 1));
                    maybeFinish();
                });
            });
}

UiMeasure::~UiMeasure()
{
    std::fprintf(stderr, "measure: longest event-loop stall %.1f ms (at %.0f ms)\n", m_longestStall,
                 m_longestStallAt);
}

void UiMeasure::tick()
{
    const double now = ms();
    const double cpu = threadCpuMs();
    if (m_lastTick > 0) {
        const double stall = now - m_lastTick - kTickMs;
        if (stall > kReportStallMs)
            std::fprintf(stderr,
                         "measure: %8.1f ms  the event loop stalled %.1f ms (GUI thread ran %.1f "
                         "ms of it)\n",
                         m_lastTick, stall, cpu - m_lastCpu);
        if (stall > m_longestStall) {
            m_longestStall = stall;
            m_longestStallAt = m_lastTick;
        }
    }
    m_lastTick = now;
    m_lastCpu = cpu;
}

void UiMeasure::log(const QString &what)
{
    std::fprintf(stderr, "measure: %8.1f ms  %s (longest stall so far %.1f ms)\n", ms(),
                 qPrintable(what), m_longestStall);
}

void UiMeasure::maybeFinish()
{
    const bool selecting = qEnvironmentVariableIsSet("WEIGHTLENS_SELECT");
    if (!m_quit || !m_columnsFull || (selecting && !m_histogramShown))
        return;
    // A little longer, so that stalls right after the last result count too.
    QTimer::singleShot(500, qApp, [] { QApplication::quit(); });
}

} // namespace wl
