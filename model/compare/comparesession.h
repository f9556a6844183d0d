#pragma once

#include "diffengine.h"
#include "pairdetail.h"

#include <QList>
#include <QObject>
#include <atomic>
#include <memory>

class QThread;

namespace wl
{

// One comparison of two checkpoints for the GUI: the name matching (done at once, it reads
// only the indexes) and the element metrics and pair details computed on threads of their own,
// delivered as signals on the session's thread. A newer request supersedes an older one of the
// same kind, whose results are dropped; cancel() stops both.
class CompareSession : public QObject
{
    Q_OBJECT
public:
    CompareSession(std::shared_ptr<const Checkpoint> a, std::shared_ptr<const Checkpoint> b,
                   QObject *parent = nullptr);
    ~CompareSession() override; // cancels and waits for its threads

    const std::shared_ptr<const Checkpoint> &a() const { return m_a; }
    const std::shared_ptr<const Checkpoint> &b() const { return m_b; }
    const NameMatching &matching() const { return m_matching; }

    // Matches names (emits matched) and starts the metrics (progress, then finished).
    void start(const QList<NameRule> &rules = {});
    // The user's correction: A's tensor ta paired with B's tb (tb < 0 unpairs); recomputes.
    void setMatch(int ta, int tb);
    // Histograms of A, B and A−B for one pair (and its A−B heatmap when 2-D).
    void requestDetail(int ta, int tb, int bins, std::int64_t maxElements);
    void cancel();
    bool isRunning() const { return m_running > 0; }

    DiffRequest request; // thread count and windows for the metrics

signals:
    void matched(const wl::NameMatching &matching);
    void progress(double fraction, const QString &phase);
    void finished(const QVector<wl::TensorDiff> &diffs);
    void detailReady(int ta, int tb, const wl::PairDetail &detail);
    void detailFailed(int ta, int tb, const QString &reason);
    void runningChanged(bool running);

private:
    using Flag = std::shared_ptr<std::atomic<bool>>;
    void runDiff();
    void launch(std::function<void()> work);
    void done();

    std::shared_ptr<const Checkpoint> m_a;
    std::shared_ptr<const Checkpoint> m_b;
    NameMatching m_matching;
    Flag m_diffCancel;
    Flag m_detailCancel;
    quint64 m_diffGen = 0;
    quint64 m_detailGen = 0;
    QList<QThread *> m_threads;
    int m_running = 0;
};

} // namespace wl
