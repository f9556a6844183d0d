#include "comparesession.h"

#include <QElapsedTimer>
#include <QThread>

namespace wl
{

CompareSession::CompareSession(std::shared_ptr<const Checkpoint> a,
                               std::shared_ptr<const Checkpoint> b, QObject *parent)
    : QObject(parent), m_a(std::move(a)), m_b(std::move(b))
{
}

CompareSession::~CompareSession()
{
    cancel();
    for (QThread *t : std::as_const(m_threads)) {
        t->wait();
        delete t;
    }
}

void CompareSession::launch(std::function<void()> work)
{
    // Finished threads are reaped here rather than by deleteLater, so the destructor can wait
    // for the rest.
    for (qsizetype i = m_threads.size() - 1; i >= 0; --i)
        if (m_threads[i]->isFinished())
            delete m_threads.takeAt(i);
    QThread *t = QThread::create(std::move(work));
    m_threads << t;
    if (m_running++ == 0)
        emit runningChanged(true);
    t->start(QThread::LowPriority);
}

void CompareSession::done()
{
    if (--m_running == 0)
        emit runningChanged(false);
}

void CompareSession::start(const QList<NameRule> &rules)
{
    m_matching = matchTensors(m_a->index(), m_b->index(), rules);
    emit matched(m_matching);
    runDiff();
}

void CompareSession::setMatch(int ta, int tb)
{
    wl::setMatch(m_matching, m_a->index(), m_b->index(), ta, tb);
    emit matched(m_matching);
    runDiff();
}

void CompareSession::runDiff()
{
    if (m_diffCancel)
        m_diffCancel->store(true);
    m_diffCancel = std::make_shared<std::atomic<bool>>(false);
    const quint64 gen = ++m_diffGen;
    auto flag = m_diffCancel;
    auto a = m_a, b = m_b;
    const auto pairs = m_matching.pairs;
    const DiffRequest req = request;
    launch([this, gen, flag, a, b, pairs, req] {
        // Progress at most every 50 ms: the event queue is not a log.
        auto timer = std::make_shared<QElapsedTimer>();
        timer->start();
        const JobContext job(flag.get(), [this, gen, timer](double f, const QString &phase) {
            if (timer->elapsed() < 50 && f < 1)
                return;
            timer->restart();
            QMetaObject::invokeMethod(
                this,
                [this, gen, f, phase] {
                    if (gen == m_diffGen)
                        emit progress(f, phase);
                },
                Qt::QueuedConnection);
        });
        auto diffs = computeDiff(*a, *b, pairs, req, job);
        QMetaObject::invokeMethod(
            this,
            [this, gen, diffs = std::move(diffs)] {
                done();
                if (gen == m_diffGen)
                    emit finished(diffs);
            },
            Qt::QueuedConnection);
    });
}

void CompareSession::requestDetail(int ta, int tb, int bins, std::int64_t maxElements)
{
    if (m_detailCancel)
        m_detailCancel->store(true);
    m_detailCancel = std::make_shared<std::atomic<bool>>(false);
    const quint64 gen = ++m_detailGen;
    auto flag = m_detailCancel;
    auto a = m_a, b = m_b;
    launch([this, gen, flag, a, b, ta, tb, bins, maxElements] {
        const JobContext job(flag.get());
        auto r = computePairDetail(*a, ta, *b, tb, bins, maxElements, job);
        QMetaObject::invokeMethod(
            this,
            [this, gen, ta, tb, r = std::move(r)] {
                done();
                if (gen != m_detailGen)
                    return;
                if (r.ok())
                    emit detailReady(ta, tb, r.value());
                else
                    emit detailFailed(ta, tb, r.error().message());
            },
            Qt::QueuedConnection);
    });
}

void CompareSession::cancel()
{
    for (const Flag &f : {m_diffCancel, m_detailCancel})
        if (f)
            f->store(true);
}

} // namespace wl
