#include "jobrunner.h"

namespace wl
{

JobRunner::JobRunner(QObject *parent) : QObject(parent) {}
JobRunner::~JobRunner() = default;
void JobRunner::registerMetaTypes() {}
quint64 JobRunner::openPaths(const QStringList &)
{
    return ++m_nextJob;
}
void JobRunner::requestStats(const QList<TensorRef> &, int) {}
void JobRunner::requestBackgroundStats(const std::shared_ptr<const Checkpoint> &) {}
void JobRunner::cancelBackgroundStats(const Checkpoint *) {}
std::optional<TensorReport> JobRunner::cachedStats(const TensorRef &, int) const
{
    return {};
}
void JobRunner::requestValues(const TensorRef &, qint64) {}
void JobRunner::cancelAll() {}

} // namespace wl
