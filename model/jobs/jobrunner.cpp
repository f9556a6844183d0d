#include "jobrunner.h"

#include "core/plural.h"
#include "events/series.h"
#include "formats/readerregistry.h"
#include "stats/kernels.h"

#include <QElapsedTimer>
#include <QMetaObject>
#include <QThread>
#include <algorithm>
#include <functional>
#include <mutex>
#include <utility>

namespace wl
{

namespace
{

constexpr int kProgressIntervalMs = 50;
constexpr int kBatchTensors = 256;
constexpr std::int64_t kBatchBytes = std::int64_t(64) << 20;

// Splits tensors into batches that are small enough to deliver results steadily.
QList<QVector<int>> makeBatches(const Checkpoint &c, const QVector<int> &tensors, int maxCount)
{
    QList<QVector<int>> out;
    QVector<int> cur;
    std::int64_t bytes = 0;
    for (int i : tensors) {
        cur << i;
        bytes += std::max<std::int64_t>(0, c.tensor(i).location.size);
        if (cur.size() >= maxCount || bytes >= kBatchBytes) {
            out << cur;
            cur.clear();
            bytes = 0;
        }
    }
    if (!cur.isEmpty())
        out << cur;
    return out;
}

qint64 monotonicMs()
{
    static QElapsedTimer timer = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return timer.elapsed();
}

} // namespace

void JobRunner::registerMetaTypes()
{
    static std::once_flag once;
    std::call_once(once, [] {
        qRegisterMetaType<wl::OpenResult>("wl::OpenResult");
        qRegisterMetaType<wl::LoadError>("wl::LoadError");
        qRegisterMetaType<wl::TensorStats>("wl::TensorStats");
        qRegisterMetaType<wl::TensorReport>("wl::TensorReport");
        qRegisterMetaType<wl::TensorRef>("wl::TensorRef");
        qRegisterMetaType<wl::StatsBatch>("wl::StatsBatch");
        qRegisterMetaType<QVector<double>>("QVector<double>");
        qRegisterMetaType<wl::OverTime>("wl::OverTime");
        qRegisterMetaType<wl::LayerAnalyses>("wl::LayerAnalyses");
        qRegisterMetaType<wl::AnalysisBatch>("wl::AnalysisBatch");
    });
}

JobRunner::JobRunner(QObject *parent)
    : QObject(parent), m_lastProgressMs(std::make_shared<std::atomic<qint64>>(-1000))
{
    registerMetaTypes();
    m_pool.setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
    // Column statistics use one thread so selection requests keep the others.
    m_background.setMaxThreadCount(1);
}

JobRunner::~JobRunner()
{
    cancelAll();
    m_pool.waitForDone();
    m_background.waitForDone();
}

void JobRunner::begin()
{
    if (m_active++ == 0)
        emit busyChanged(true);
}

void JobRunner::end()
{
    if (m_active > 0 && --m_active == 0)
        emit busyChanged(false);
}

JobContext::ProgressFn JobRunner::progressReporter()
{
    auto last = m_lastProgressMs;
    return [this, last](double fraction, const QString &phase) {
        const qint64 now = monotonicMs();
        qint64 prev = last->load();
        // Throttled: workers report far more often than anyone can read.
        if (fraction < 1.0 && now - prev < kProgressIntervalMs)
            return;
        if (!last->compare_exchange_strong(prev, now) && fraction < 1.0)
            return;
        QMetaObject::invokeMethod(
            this, [this, fraction, phase] { emit progress(fraction, phase); },
            Qt::QueuedConnection);
    };
}

quint64 JobRunner::openPaths(const QStringList &paths, bool allowLarge)
{
    const quint64 job = ++m_nextJob;
    m_openBatches[job].ready.resize(paths.size());
    for (qsizetype i = 0; i < paths.size(); ++i) {
        const QString path = paths[i];
        auto flag = std::make_shared<std::atomic<bool>>(false);
        m_openCancels << flag;
        begin();
        m_pool.start([this, job, i, path, flag, allowLarge, report = progressReporter()] {
            JobContext context(flag.get(), report);
            context.setAllowLarge(allowLarge);
            auto result = ReaderRegistry::builtin().open(path, context);
            QMetaObject::invokeMethod(
                this,
                [this, job, i, path, flag, result = std::move(result)] {
                    m_openCancels.removeOne(flag);
                    m_openBatches[job].ready[i] = [this, job, path, flag, result] {
                        if (flag->load())
                            emit openFailed(job, path,
                                            makeError(LoadError::Code::Cancelled, path, {},
                                                      tr("the open to finish"), tr("cancelled")));
                        else if (result.ok())
                            emit opened(job, result.value());
                        else
                            emit openFailed(job, path, result.error());
                        end();
                    };
                    deliverOpens(job);
                },
                Qt::QueuedConnection);
        });
    }
    return job;
}

void JobRunner::deliverOpens(quint64 job)
{
    auto it = m_openBatches.find(job);
    while (it != m_openBatches.end() && it->next < it->ready.size() && it->ready[it->next]) {
        // Take it out first: receivers may start new opens, which can rehash the table.
        const auto deliver = std::exchange(it->ready[it->next], {});
        ++it->next;
        if (it->next == it->ready.size())
            m_openBatches.erase(it);
        deliver();
        it = m_openBatches.find(job);
    }
}

void JobRunner::storeCache(const TensorRef &t, int bins, const TensorReport &r)
{
    if (!r.error.isEmpty() || !t.checkpoint)
        return;
    m_cache.insert({t.checkpoint.get(), t.index, bins}, {t.checkpoint, r});
}

std::optional<TensorReport> JobRunner::cachedStats(const TensorRef &t, int bins) const
{
    auto it = m_cache.constFind({t.checkpoint.get(), t.index, bins});
    if (it == m_cache.cend() || it->checkpoint.lock() != t.checkpoint)
        return std::nullopt;
    return it->report;
}

void JobRunner::requestStats(const QList<TensorRef> &tensors, int bins)
{
    const quint64 gen = ++m_selectionGen;
    if (m_selectionCancel)
        m_selectionCancel->store(true);
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_selectionCancel = flag;

    StatsBatch hits;
    // Misses grouped per checkpoint, in request order.
    QList<QPair<std::shared_ptr<const Checkpoint>, QVector<int>>> todo;
    for (const TensorRef &t : tensors) {
        if (!t.isValid())
            continue;
        if (auto r = cachedStats(t, bins)) {
            hits << qMakePair(t, *r);
            continue;
        }
        auto it = std::find_if(todo.begin(), todo.end(),
                               [&](const auto &p) { return p.first == t.checkpoint; });
        if (it == todo.end())
            todo << qMakePair(t.checkpoint, QVector<int>{t.index});
        else
            it->second << t.index;
    }
    if (!hits.isEmpty())
        QMetaObject::invokeMethod(
            this,
            [this, gen, hits] {
                for (const auto &[t, r] : hits)
                    if (gen == m_selectionGen)
                        emit statsReady(t, r);
            },
            Qt::QueuedConnection);
    if (todo.isEmpty())
        return;

    begin();
    m_pool.start([this, gen, flag, todo, bins, report = progressReporter()] {
        for (const auto &[cp, indices] : todo) {
            for (const auto &batch : makeBatches(*cp, indices, kBatchTensors)) {
                if (flag->load())
                    break;
                StatsRequest req;
                req.bins = bins;
                const auto reports = computeStats(*cp, batch, req, JobContext(flag.get(), report));
                if (flag->load())
                    break;
                StatsBatch out;
                for (const auto &r : reports)
                    out << qMakePair(TensorRef{cp, r.tensor}, r);
                QMetaObject::invokeMethod(
                    this,
                    [this, gen, bins, out] {
                        for (const auto &[t, r] : out) {
                            storeCache(t, bins, r);
                            if (gen == m_selectionGen)
                                emit statsReady(t, r);
                        }
                    },
                    Qt::QueuedConnection);
            }
        }
        QMetaObject::invokeMethod(
            this, [this] { end(); }, Qt::QueuedConnection);
    });
}

void JobRunner::requestBackgroundStats(const std::shared_ptr<const Checkpoint> &checkpoint)
{
    if (!checkpoint || m_backgroundCancels.contains(checkpoint.get()))
        return;
    StatsBatch hits;
    QVector<int> todo;
    const int n = int(checkpoint->index().tensors.size());
    for (int i = 0; i < n; ++i) {
        const TensorRef t{checkpoint, i};
        if (auto r = cachedStats(t, 0))
            hits << qMakePair(t, *r);
        else
            todo << i;
    }
    auto flag = std::make_shared<std::atomic<bool>>(false);
    if (!hits.isEmpty())
        QMetaObject::invokeMethod(
            this,
            [this, flag, hits] {
                if (!flag->load())
                    emit statsBatchReady(hits);
            },
            Qt::QueuedConnection);
    if (todo.isEmpty())
        return;
    const Checkpoint *key = checkpoint.get();
    m_backgroundCancels.insert(key, flag);
    begin();
    m_background.start([this, key, flag, checkpoint, todo] {
        const auto batches = makeBatches(*checkpoint, todo, 4 * kBatchTensors);
        int done = 0;
        for (const auto &batch : batches) {
            if (flag->load())
                break;
            StatsRequest req;
            req.threads = 1;
            const auto reports = computeStats(*checkpoint, batch, req, JobContext(flag.get()));
            if (flag->load())
                break;
            StatsBatch out;
            out.reserve(reports.size());
            for (const auto &r : reports)
                out << qMakePair(TensorRef{checkpoint, r.tensor}, r);
            done += int(batch.size());
            const double fraction = double(done) / double(todo.size());
            QMetaObject::invokeMethod(
                this,
                [this, flag, out, fraction] {
                    if (flag->load())
                        return;
                    for (const auto &[t, r] : out)
                        storeCache(t, 0, r);
                    emit statsBatchReady(out);
                    emit progress(fraction, tr("column statistics"));
                },
                Qt::QueuedConnection);
        }
        QMetaObject::invokeMethod(
            this,
            [this, key, flag] {
                auto it = m_backgroundCancels.find(key);
                if (it != m_backgroundCancels.end() && it.value() == flag)
                    m_backgroundCancels.erase(it);
                end();
            },
            Qt::QueuedConnection);
    });
}

void JobRunner::cancelBackgroundStats(const Checkpoint *checkpoint)
{
    for (auto *cancels : {&m_backgroundCancels, &m_analysisCancels}) {
        auto it = cancels->find(checkpoint);
        if (it == cancels->end())
            continue;
        it.value()->store(true);
        cancels->erase(it);
    }
}

void JobRunner::storeAnalysis(const TensorRef &t, const LayerAnalyses &a)
{
    for (const auto &l : a)
        if (!l.error.isEmpty())
            return;
    if (t.checkpoint)
        m_analysisCache.insert({t.checkpoint.get(), t.index, 0}, {t.checkpoint, a});
}

std::optional<LayerAnalyses> JobRunner::cachedAnalysis(const TensorRef &t) const
{
    auto it = m_analysisCache.constFind({t.checkpoint.get(), t.index, 0});
    if (it == m_analysisCache.cend() || it->checkpoint.lock() != t.checkpoint)
        return std::nullopt;
    return it->analyses;
}

namespace
{

// Results of analyzeCheckpoint grouped by tensor, in order.
AnalysisBatch jobAnalysesByTensor(const std::shared_ptr<const Checkpoint> &cp,
                                  const QVector<analysis::LayerAnalysis> &layers)
{
    AnalysisBatch out;
    for (const auto &l : layers) {
        if (out.isEmpty() || out.back().first.index != l.tensor)
            out << qMakePair(TensorRef{cp, l.tensor}, LayerAnalyses{});
        out.back().second << l;
    }
    return out;
}

} // namespace

void JobRunner::requestBackgroundAnalysis(const std::shared_ptr<const Checkpoint> &checkpoint)
{
    if (!checkpoint || m_analysisCancels.contains(checkpoint.get()))
        return;
    const auto &idx = checkpoint->index();
    AnalysisBatch hits;
    QVector<int> todo;
    for (int i = 0; i < idx.tensors.size(); ++i) {
        if (!analysis::matrixShape(idx.tensors[i], idx.readerId))
            continue;
        const TensorRef t{checkpoint, i};
        if (auto a = cachedAnalysis(t))
            hits << qMakePair(t, *a);
        else
            todo << i;
    }
    auto flag = std::make_shared<std::atomic<bool>>(false);
    if (!hits.isEmpty())
        QMetaObject::invokeMethod(
            this,
            [this, flag, hits] {
                if (!flag->load())
                    emit analysisBatchReady(hits);
            },
            Qt::QueuedConnection);
    if (todo.isEmpty())
        return;
    const Checkpoint *key = checkpoint.get();
    m_analysisCancels.insert(key, flag);
    begin();
    m_background.start([this, key, flag, checkpoint, todo] {
        // Few matrices a batch: each may take seconds.
        const auto batches = makeBatches(*checkpoint, todo, 8);
        int done = 0;
        for (const auto &batch : batches) {
            if (flag->load())
                break;
            const auto layers =
                analysis::analyzeCheckpoint(*checkpoint, batch, 1, JobContext(flag.get()));
            if (flag->load())
                break;
            const auto out = jobAnalysesByTensor(checkpoint, layers);
            done += int(batch.size());
            const double fraction = double(done) / double(todo.size());
            QMetaObject::invokeMethod(
                this,
                [this, flag, out, fraction] {
                    if (flag->load())
                        return;
                    for (const auto &[t, a] : out)
                        storeAnalysis(t, a);
                    emit analysisBatchReady(out);
                    emit progress(fraction, tr("layer analysis"));
                },
                Qt::QueuedConnection);
        }
        QMetaObject::invokeMethod(
            this,
            [this, key, flag] {
                auto it = m_analysisCancels.find(key);
                if (it != m_analysisCancels.end() && it.value() == flag)
                    m_analysisCancels.erase(it);
                end();
            },
            Qt::QueuedConnection);
    });
}

void JobRunner::requestAnalysis(const TensorRef &t)
{
    const quint64 gen = ++m_analysisGen;
    if (m_analysisCancel)
        m_analysisCancel->store(true);
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_analysisCancel = flag;
    const auto deliver = [this, gen, t](LayerAnalyses a, QString reason) {
        QMetaObject::invokeMethod(
            this,
            [this, gen, t, a, reason] {
                if (reason.isEmpty())
                    storeAnalysis(t, a);
                if (gen != m_analysisGen)
                    return;
                if (reason.isEmpty())
                    emit analysisReady(t, a);
                else
                    emit analysisFailed(t, reason);
            },
            Qt::QueuedConnection);
    };
    if (!t.isValid())
        return deliver({}, tr("no tensor"));
    if (auto a = cachedAnalysis(t))
        return deliver(*a, {});
    const auto &idx = t.checkpoint->index();
    if (!analysis::matrixShape(t.info(), idx.readerId))
        return deliver({}, tr("%1 is no weight matrix: a floating-point variable of rank 2 to 4")
                               .arg(t.info().name));
    begin();
    m_pool.start([this, t, flag, deliver, report = progressReporter()] {
        const auto layers = analysis::analyzeCheckpoint(*t.checkpoint, {t.index}, 1,
                                                        JobContext(flag.get(), report));
        QString reason;
        for (const auto &l : layers)
            if (!l.error.isEmpty())
                reason = l.error;
        if (!flag->load())
            deliver(layers, reason);
        QMetaObject::invokeMethod(
            this, [this] { end(); }, Qt::QueuedConnection);
    });
}

void JobRunner::requestValues(const TensorRef &t, qint64 maxElements)
{
    const quint64 gen = ++m_valuesGen;
    if (m_valuesCancel)
        m_valuesCancel->store(true);
    m_valuesCancel = std::make_shared<std::atomic<bool>>(false);
    auto fail = [this, gen, t](const QString &reason) {
        QMetaObject::invokeMethod(
            this,
            [this, gen, t, reason] {
                if (gen == m_valuesGen)
                    emit valuesFailed(t, reason);
            },
            Qt::QueuedConnection);
    };
    if (!t.isValid())
        return fail(tr("no tensor"));
    const TensorInfo &info = t.info();
    const auto count = info.shape.numElements();
    if (!count)
        return fail(tr("the shape %1 has no known element count").arg(info.shape.toString()));
    if (*count > maxElements)
        return fail(tr("%1 elements, more than the limit of %2").arg(*count).arg(maxElements));
    if (!dtypeIsNumeric(info.dtype) || dtypeSize(info.dtype) <= 0)
        return fail(tr("%1 values cannot be shown as numbers").arg(info.dtypeText()));
    begin();
    m_pool.start([this, gen, t, count = *count] {
        const TensorInfo &info = t.info();
        const std::int64_t bytes = count * dtypeSize(info.dtype);
        auto data = t.checkpoint->readTensor(t.index, bytes);
        QVector<double> values;
        QString error;
        if (!data.ok())
            error = data.error().message();
        else if (data->size() != bytes)
            error = tr("expected %1, read %2").arg(counted(bytes, "byte")).arg(data->size());
        else {
            values.resize(qsizetype(count));
            kernels::toDouble(info.dtype, data->constData(), std::size_t(count), values.data());
        }
        QMetaObject::invokeMethod(
            this,
            [this, gen, t, values = std::move(values), error] {
                if (gen == m_valuesGen) {
                    if (error.isEmpty())
                        emit valuesReady(t, values);
                    else
                        emit valuesFailed(t, error);
                }
                end();
            },
            Qt::QueuedConnection);
    });
}

void JobRunner::requestOverTime(const std::vector<OverTimeInput> &inputs,
                                const OverTimeRequest &request, const QStringList &notes)
{
    startOverTime([inputs, request, notes](const JobContext &job) {
        auto result = computeOverTime(inputs, request, job);
        if (result.ok())
            result->notes = notes + result->notes;
        return result;
    });
}

void JobRunner::requestOverTime(std::shared_ptr<const events::Series> series, int bins)
{
    startOverTime([series = std::move(series), bins](const JobContext &job) {
        return overTimeFromHistograms(*series, bins, job);
    });
}

void JobRunner::startOverTime(std::function<Result<OverTime>(const JobContext &)> compute)
{
    const quint64 gen = ++m_overTimeGen;
    if (m_overTimeCancel)
        m_overTimeCancel->store(true);
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_overTimeCancel = flag;
    begin();
    m_pool.start([this, gen, flag, compute = std::move(compute), report = progressReporter()] {
        auto result = compute(JobContext(flag.get(), report));
        QMetaObject::invokeMethod(
            this,
            [this, gen, result = std::move(result)] {
                if (gen == m_overTimeGen) {
                    if (result.ok())
                        emit overTimeReady(result.value());
                    else
                        emit overTimeFailed(result.error().message());
                }
                end();
            },
            Qt::QueuedConnection);
    });
}

void JobRunner::cancelOverTime(bool report)
{
    if (!report)
        ++m_overTimeGen;
    if (m_overTimeCancel)
        m_overTimeCancel->store(true);
}

void JobRunner::cancelAll()
{
    ++m_selectionGen;
    ++m_valuesGen;
    ++m_cancelGen;
    if (m_selectionCancel)
        m_selectionCancel->store(true);
    if (m_valuesCancel)
        m_valuesCancel->store(true);
    // The weights over time report that they were cancelled, so their view can say so.
    if (m_overTimeCancel)
        m_overTimeCancel->store(true);
    for (const auto &f : std::as_const(m_openCancels))
        f->store(true);
    for (const auto &f : std::as_const(m_backgroundCancels))
        f->store(true);
    m_backgroundCancels.clear();
    ++m_analysisGen;
    if (m_analysisCancel)
        m_analysisCancel->store(true);
    for (const auto &f : std::as_const(m_analysisCancels))
        f->store(true);
    m_analysisCancels.clear();
}

} // namespace wl
