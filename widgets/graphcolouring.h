#pragma once

#include "graph/nodestats.h"
#include "jobs/jobrunner.h"

#include <QHash>
#include <QObject>
#include <QThreadPool>
#include <atomic>
#include <memory>

namespace wl
{

class Checkpoint;

// Feeds the Graph tab's node colours: the sums each weight adds to its node's statistic. The L2
// norm comes from the tree's statistics cache (the runner's column statistics fill what is
// missing); mean |w| and the change from the previous checkpoint are computed here, in the
// background, once per tensor and kept.
class GraphColouring : public QObject
{
    Q_OBJECT
public:
    explicit GraphColouring(JobRunner *runner, QObject *parent = nullptr);
    ~GraphColouring() override; // cancels and waits

    // The sums of `stat` for the tensors `keys` of `checkpoint` (for the change: against their
    // copies in `previous`). Known ones arrive at once (queued), the rest as computed; supersedes
    // the previous request.
    void request(graph::NodeStat stat, std::shared_ptr<const Checkpoint> checkpoint,
                 std::shared_ptr<const Checkpoint> previous, const QStringList &keys);
    void cancel();

signals:
    // By tensor key.
    void sumsReady(const QHash<QString, wl::graph::WeightSums> &sums);
    // What is being computed ("mean |w|: 3 of 12 tensors…"); empty once done.
    void progress(const QString &text);

private:
    struct Key {
        const Checkpoint *checkpoint = nullptr;
        const Checkpoint *previous = nullptr;
        int tensor = -1;
        bool operator==(const Key &) const = default;
        friend size_t qHash(const Key &k, size_t seed = 0)
        {
            return qHashMulti(seed, k.checkpoint, k.previous, k.tensor);
        }
    };
    struct Entry {
        std::weak_ptr<const Checkpoint> checkpoint; // guards against a reused address
        graph::WeightSums sums;
    };
    std::optional<graph::WeightSums> cached(const Key &k) const;
    void onStatsBatch(const StatsBatch &batch);

    JobRunner *m_runner = nullptr;
    QThreadPool m_pool;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    quint64 m_generation = 0;
    graph::NodeStat m_stat = graph::NodeStat::None;
    std::shared_ptr<const Checkpoint> m_checkpoint;
    QHash<int, QString> m_waiting; // L2: tensor index -> key, until the column statistics arrive
    QHash<Key, Entry> m_cache;
};

} // namespace wl
