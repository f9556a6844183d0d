#pragma once

#include "analysis/spectral.h"
#include "core/result.h"
#include "formats/reader.h"
#include "itemmodels/tensorref.h"
#include "stats/overtime.h"
#include "stats/statsengine.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QPair>
#include <QStringList>
#include <QThreadPool>
#include <QVector>
#include <atomic>
#include <functional>
#include <memory>

namespace wl
{

using StatsBatch = QList<QPair<TensorRef, TensorReport>>;
// Per tensor, its weight matrices' analyses (one, or a recurrent kernel's gates).
using LayerAnalyses = QVector<analysis::LayerAnalysis>;
using AnalysisBatch = QList<QPair<TensorRef, LayerAnalyses>>;

// Background work for the GUI: opening paths, statistics, value reads. Work runs on thread
// pools; results come back as signals on the runner's own thread. Each request kind carries a
// generation counter, so results of a superseded or cancelled request are dropped.
class JobRunner : public QObject
{
    Q_OBJECT
public:
    explicit JobRunner(QObject *parent = nullptr);
    ~JobRunner() override; // cancels and waits for running work

    // Registers the value types used in signals (also done by the constructor).
    static void registerMetaTypes();

    // Opens each path off the GUI thread; one opened or openFailed per path, in the order of
    // `paths` (a slow first path holds back the ones after it). An archive member that would
    // inflate past the limit fails with LoadError::Code::TooLarge unless allowLarge.
    quint64 openPaths(const QStringList &paths, bool allowLarge = false);

    // Statistics for a selection (bins = histogram bins, 0 = none). Supersedes the previous
    // selection request: its remaining results are not delivered. Cached results are
    // delivered too, always queued.
    void requestStats(const QList<TensorRef> &tensors, int bins);
    // Fills statistics (no histogram) for every tensor of a checkpoint at low priority,
    // independent of selection requests; delivered in batches by statsBatchReady.
    void requestBackgroundStats(const std::shared_ptr<const Checkpoint> &checkpoint);
    // Stops both the column statistics and the column analysis of the checkpoint.
    void cancelBackgroundStats(const Checkpoint *checkpoint);
    // Spectral analysis (analysis/spectral.h) of every weight matrix of a checkpoint for the
    // tree's analysis columns, on the same low-priority thread as the column statistics (after
    // them); delivered in batches by analysisBatchReady and cached.
    void requestBackgroundAnalysis(const std::shared_ptr<const Checkpoint> &checkpoint);
    // The analysis of one tensor for the Analysis tab: cached or computed; only the latest
    // request delivers (analysisReady, or analysisFailed when it is no weight matrix or its
    // bytes cannot be read).
    void requestAnalysis(const TensorRef &t);
    std::optional<LayerAnalyses> cachedAnalysis(const TensorRef &t) const;
    // A cached report, if any.
    std::optional<TensorReport> cachedStats(const TensorRef &t, int bins) const;

    // The tensor's elements as doubles; refused above maxElements. Only the latest request
    // delivers.
    void requestValues(const TensorRef &t, qint64 maxElements);

    // One variable across the checkpoints of a run (stats/overtime.h). Only the latest request
    // delivers; cancelAll stops it. `notes` (checkpoints left out) are added to the result's.
    void requestOverTime(const std::vector<OverTimeInput> &inputs, const OverTimeRequest &request,
                         const QStringList &notes = {});
    // The same from a histogram tag of the logs; `series` keeps the log snapshot it is part of
    // alive (an aliasing pointer), so a live update cannot pull it away mid-way.
    void requestOverTime(std::shared_ptr<const events::Series> series, int bins);
    // Stops it; it then fails with a cancelled error, unless !report: then nothing is delivered.
    void cancelOverTime(bool report = true);

    void cancelAll();
    bool isBusy() const { return m_active > 0; }

signals:
    void opened(quint64 job, const wl::OpenResult &result);
    void openFailed(quint64 job, const QString &path, const wl::LoadError &error);
    void statsReady(const wl::TensorRef &tensor, const wl::TensorReport &report);
    void statsBatchReady(const wl::StatsBatch &batch);
    void analysisBatchReady(const wl::AnalysisBatch &batch);
    void analysisReady(const wl::TensorRef &tensor, const wl::LayerAnalyses &analyses);
    void analysisFailed(const wl::TensorRef &tensor, const QString &reason);
    void valuesReady(const wl::TensorRef &tensor, const QVector<double> &values);
    void valuesFailed(const wl::TensorRef &tensor, const QString &reason);
    void overTimeReady(const wl::OverTime &result);
    void overTimeFailed(const QString &reason);
    void progress(double fraction, const QString &phase);
    void busyChanged(bool busy);

private:
    struct CacheKey {
        const Checkpoint *checkpoint = nullptr;
        int tensor = -1;
        int bins = 0;
        bool operator==(const CacheKey &) const = default;
        friend size_t qHash(const CacheKey &k, size_t seed = 0)
        {
            return qHashMulti(seed, k.checkpoint, k.tensor, k.bins);
        }
    };
    struct CacheEntry {
        std::weak_ptr<const Checkpoint> checkpoint; // guards against a reused address
        TensorReport report;
    };
    using Flag = std::shared_ptr<std::atomic<bool>>;

    void begin();
    void end();
    // Both kinds of weights over time: one at a time, the latest delivers.
    void startOverTime(std::function<Result<OverTime>(const JobContext &)> compute);
    void storeCache(const TensorRef &t, int bins, const TensorReport &r);
    JobContext::ProgressFn progressReporter();

    QThreadPool m_pool;       // opens, selection statistics, values
    QThreadPool m_background; // tree column statistics
    quint64 m_nextJob = 0;
    quint64 m_selectionGen = 0;
    quint64 m_valuesGen = 0;
    quint64 m_overTimeGen = 0;
    quint64 m_cancelGen = 0; // bumped by cancelAll
    Flag m_selectionCancel;
    Flag m_valuesCancel;
    Flag m_overTimeCancel;
    QList<Flag> m_openCancels;
    // Per openPaths call: outcomes by path index, delivered in order from `next`.
    struct OpenBatch {
        QList<std::function<void()>> ready; // empty until that path's outcome arrives
        int next = 0;
    };
    QHash<quint64, OpenBatch> m_openBatches;
    void deliverOpens(quint64 job);
    QHash<const Checkpoint *, Flag> m_backgroundCancels;
    QHash<const Checkpoint *, Flag> m_analysisCancels;
    struct AnalysisEntry {
        std::weak_ptr<const Checkpoint> checkpoint;
        LayerAnalyses analyses;
    };
    QHash<CacheKey, AnalysisEntry> m_analysisCache; // bins 0
    void storeAnalysis(const TensorRef &t, const LayerAnalyses &a);
    quint64 m_analysisGen = 0;
    Flag m_analysisCancel;
    QHash<CacheKey, CacheEntry> m_cache;
    int m_active = 0;
    std::shared_ptr<std::atomic<qint64>> m_lastProgressMs;
};

} // namespace wl

Q_DECLARE_METATYPE(wl::OpenResult)
Q_DECLARE_METATYPE(wl::LoadError)
Q_DECLARE_METATYPE(wl::TensorStats)
Q_DECLARE_METATYPE(wl::TensorReport)
