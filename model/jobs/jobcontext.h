#pragma once

#include <QString>
#include <atomic>
#include <functional>

namespace wl
{

// Cancellation and progress for long work; shared by readers, statistics and writers.
class JobContext
{
public:
    using ProgressFn = std::function<void(double fraction, const QString &phase)>;

    JobContext() = default;
    explicit JobContext(const std::atomic<bool> *cancel, ProgressFn progress = {})
        : m_cancel(cancel), m_progress(std::move(progress))
    {
    }

    bool cancelled() const { return m_cancel && m_cancel->load(std::memory_order_relaxed); }
    void progress(double fraction, const QString &phase = {}) const
    {
        if (m_progress)
            m_progress(fraction, phase);
    }

    // Whether work may grow far beyond its input (an archive member inflating past the limit
    // of io/zipmember.h): the user's answer, carried through the open path.
    bool allowLarge() const { return m_allowLarge; }
    void setAllowLarge(bool allow) { m_allowLarge = allow; }

    // The same cancellation, with progress mapped into [from, to] of this context's: one step
    // of a longer job.
    JobContext part(double from, double to) const
    {
        JobContext c(m_cancel);
        c.m_allowLarge = m_allowLarge;
        if (m_progress)
            c.m_progress = [p = m_progress, from, to](double f, const QString &phase) {
                p(from + (to - from) * f, phase);
            };
        return c;
    }

    // A context that never cancels and reports nowhere.
    static const JobContext &none()
    {
        static const JobContext ctx;
        return ctx;
    }

private:
    const std::atomic<bool> *m_cancel = nullptr;
    ProgressFn m_progress;
    bool m_allowLarge = false;
};

} // namespace wl
