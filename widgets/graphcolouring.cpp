#include "graphcolouring.h"

#include "compare/diffengine.h"
#include "compare/namematch.h"
#include "formats/checkpoint.h"

#include <QMetaObject>

namespace wl
{

GraphColouring::GraphColouring(JobRunner *runner, QObject *parent)
    : QObject(parent), m_runner(runner), m_cancel(std::make_shared<std::atomic<bool>>(false))
{
    // One thread: the tree's statistics and the selection keep the others.
    m_pool.setMaxThreadCount(1);
    connect(m_runner, &JobRunner::statsBatchReady, this, &GraphColouring::onStatsBatch);
}

GraphColouring::~GraphColouring()
{
    cancel();
    m_pool.waitForDone();
}

void GraphColouring::cancel()
{
    m_cancel->store(true);
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    ++m_generation;
    m_waiting.clear();
    m_checkpoint.reset();
    m_stat = graph::NodeStat::None;
}

std::optional<graph::WeightSums> GraphColouring::cached(const Key &k) const
{
    auto it = m_cache.constFind(k);
    if (it == m_cache.constEnd() || it->checkpoint.expired())
        return std::nullopt;
    return it->sums;
}

void GraphColouring::request(graph::NodeStat stat, std::shared_ptr<const Checkpoint> checkpoint,
                             std::shared_ptr<const Checkpoint> previous, const QStringList &keys)
{
    cancel();
    if (!checkpoint || stat == graph::NodeStat::None ||
        (stat == graph::NodeStat::RelChange && !previous))
        return;
    m_stat = stat;
    m_checkpoint = checkpoint;
    const auto &index = checkpoint->index();
    QHash<QString, graph::WeightSums> known;
    QVector<int> todo;
    const Checkpoint *prevKey = stat == graph::NodeStat::RelChange ? previous.get() : nullptr;
    for (const auto &key : keys) {
        const int i = index.indexOfKey(key);
        if (i < 0)
            continue;
        if (stat == graph::NodeStat::L2) {
            if (auto r = m_runner->cachedStats(TensorRef{checkpoint, i}, 0))
                known.insert(key, r->reduced ? graph::sumsFromStats(r->stats)
                                             : graph::emptySums(graph::NodeStat::L2));
            else if (auto c = cached({checkpoint.get(), nullptr, i}); c && c->hasSq)
                known.insert(key, *c);
            else
                m_waiting.insert(i, key);
            continue;
        }
        if (auto c = cached({checkpoint.get(), prevKey, i}))
            known.insert(key, *c);
        else
            todo << i;
    }
    const quint64 gen = m_generation;
    if (!known.isEmpty())
        QMetaObject::invokeMethod(
            this,
            [this, gen, known] {
                if (gen == m_generation)
                    emit sumsReady(known);
            },
            Qt::QueuedConnection);
    if (stat == graph::NodeStat::L2) {
        // Column statistics are under way for every open checkpoint; this restarts them if
        // they were cancelled.
        if (!m_waiting.isEmpty()) {
            m_runner->requestBackgroundStats(checkpoint);
            emit progress(tr("L2 norm: waiting for the statistics of %n tensors…", nullptr,
                             int(m_waiting.size())));
        } else {
            emit progress({});
        }
        return;
    }
    if (todo.isEmpty()) {
        emit progress({});
        return;
    }
    const QString what = graph::nodeStatName(stat);
    emit progress(tr("%1: computing %n tensors…", nullptr, int(todo.size())).arg(what));
    auto flag = m_cancel;
    m_pool.start([this, gen, flag, stat, checkpoint, previous, todo, what] {
        const JobContext job(flag.get());
        auto deliver = [&](const QHash<int, graph::WeightSums> &sums, int done) {
            QMetaObject::invokeMethod(
                this,
                [this, gen, sums, done, checkpoint, previous, stat, total = int(todo.size()),
                 what] {
                    const Checkpoint *prevKey =
                        stat == graph::NodeStat::RelChange ? previous.get() : nullptr;
                    QHash<QString, graph::WeightSums> out;
                    for (auto it = sums.begin(); it != sums.end(); ++it) {
                        m_cache.insert({checkpoint.get(), prevKey, it.key()},
                                       {checkpoint, it.value()});
                        out.insert(checkpoint->tensor(it.key()).key, it.value());
                    }
                    if (gen != m_generation)
                        return;
                    emit sumsReady(out);
                    emit progress(done < total
                                      ? tr("%1: %2 of %3 tensors…").arg(what).arg(done).arg(total)
                                      : QString());
                },
                Qt::QueuedConnection);
        };
        if (stat == graph::NodeStat::MeanAbs) {
            QHash<int, graph::WeightSums> batch;
            for (int k = 0; k < todo.size() && !job.cancelled(); ++k) {
                auto s = graph::magnitudeSums(*checkpoint, todo[k], job);
                if (job.cancelled())
                    return;
                // An unreadable tensor adds nothing; the tree names its error.
                batch.insert(todo[k], s ? *s : graph::emptySums(graph::NodeStat::MeanAbs));
                if (batch.size() >= 16 || k + 1 == todo.size()) {
                    deliver(batch, k + 1);
                    batch.clear();
                }
            }
            return;
        }
        // The change: each tensor against its partner in the previous checkpoint (A).
        const auto matching = matchTensors(previous->index(), checkpoint->index());
        QHash<int, TensorMatch> byB;
        for (const auto &m : matching.pairs)
            byB.insert(m.b, m);
        QHash<int, graph::WeightSums> unpaired;
        QVector<TensorMatch> pairs;
        for (int i : todo) {
            if (byB.contains(i) && byB.value(i).comparable())
                pairs << byB.value(i);
            else
                unpaired.insert(i, graph::emptySums(graph::NodeStat::RelChange));
        }
        int done = int(unpaired.size());
        if (!unpaired.isEmpty())
            deliver(unpaired, done);
        for (qsizetype at = 0; at < pairs.size() && !job.cancelled(); at += 32) {
            const auto slice = pairs.mid(at, 32);
            DiffRequest request;
            request.threads = 1;
            const auto diffs = computeDiff(*previous, *checkpoint, slice, request, job);
            if (job.cancelled())
                return;
            QHash<int, graph::WeightSums> batch;
            for (const auto &d : diffs)
                batch.insert(d.match.b, d.computed ? graph::sumsFromDiff(d.sums)
                                                   : graph::emptySums(graph::NodeStat::RelChange));
            done += int(slice.size());
            deliver(batch, done);
        }
    });
}

void GraphColouring::onStatsBatch(const StatsBatch &batch)
{
    if (m_stat != graph::NodeStat::L2 || m_waiting.isEmpty())
        return;
    QHash<QString, graph::WeightSums> out;
    for (const auto &[t, r] : batch) {
        if (t.checkpoint != m_checkpoint)
            continue;
        auto it = m_waiting.find(t.index);
        if (it == m_waiting.end())
            continue;
        out.insert(it.value(), r.reduced ? graph::sumsFromStats(r.stats)
                                         : graph::emptySums(graph::NodeStat::L2));
        m_waiting.erase(it);
    }
    if (out.isEmpty())
        return;
    emit sumsReady(out);
    emit progress(m_waiting.isEmpty() ? QString()
                                      : tr("L2 norm: waiting for the statistics of %n tensors…",
                                           nullptr, int(m_waiting.size())));
}

} // namespace wl
