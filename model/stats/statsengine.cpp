#include "statsengine.h"

#include "core/sha256.h"
#include "io/crc32c.h"
#include "jobs/parallel.h"
#include "kernels.h"

#include <QThread>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <tuple>

namespace wl
{
namespace
{

// One unit of work: a byte range of one tensor (the whole tensor when not split).
struct Piece {
    int slot = 0; // position in the reports vector
    std::int64_t begin = 0;
    std::int64_t end = 0;
    bool whole = true;
};

struct PieceResult {
    StatsAccumulator stats{DType::Invalid};
    std::uint32_t crc = 0;
    std::optional<HistogramAccumulator> hist;
    QString error;
};

struct TensorWork {
    int index = -1;
    bool rawNumeric = false;
    std::vector<int> pieces; // indexes into the piece list
    std::atomic<int> remaining{0};
};

// A multiple of every element size, small enough to stay in L2 for a digest after the
// statistics; the kernels prefetch the next piece while reducing this one.
constexpr std::size_t kCachePiece = kernels::kPrefetchDistance;

bool isRawNumeric(const TensorInfo &t)
{
    return t.location.storage == TensorLocation::Storage::Raw && dtypeIsNumeric(t.dtype) &&
           dtypeSize(t.dtype) > 0 && !t.location.bigEndian;
}

} // namespace

QVector<int> allTensors(const CheckpointIndex &index)
{
    QVector<int> all(index.tensors.size());
    std::iota(all.begin(), all.end(), 0);
    return all;
}

QVector<TensorReport> computeStats(const Checkpoint &checkpoint, const QVector<int> &tensors,
                                   const StatsRequest &request, const JobContext &job,
                                   const std::function<void(const TensorReport &)> &onEach)
{
    const auto &index = checkpoint.index();
    const int threads =
        request.threads > 0 ? request.threads : std::max(1, QThread::idealThreadCount());

    QVector<TensorReport> reports(tensors.size());
    std::vector<TensorWork> work(std::size_t(tensors.size()));
    std::vector<Piece> pieces;
    for (int s = 0; s < tensors.size(); ++s) {
        const int ti = tensors[s];
        reports[s].tensor = ti;
        work[std::size_t(s)].index = ti;
        const auto &t = index.tensors[ti];
        const bool raw = isRawNumeric(t);
        work[std::size_t(s)].rawNumeric = raw;
        const std::int64_t size = t.location.size;
        const std::int64_t item = std::max(1, dtypeSize(t.dtype));
        // Hashing is sequential, so a hashed tensor stays whole.
        const bool split = raw && !request.hash && size > std::int64_t(request.splitBytes);
        if (!split) {
            pieces.push_back({s, 0, size, true});
            continue;
        }
        std::int64_t step = std::int64_t(request.splitBytes);
        step -= step % item;
        for (std::int64_t b = 0; b < size; b += step)
            pieces.push_back({s, b, std::min(size, b + step), false});
    }
    // In file order, so that each thread's window moves forward through a shard: writers lay
    // tensors out in their own order, not in key order.
    auto at = [&](const Piece &p) {
        const auto &loc = index.tensors[work[std::size_t(p.slot)].index].location;
        return std::tie(loc.file, loc.offset, p.begin);
    };
    std::stable_sort(pieces.begin(), pieces.end(),
                     [&](const Piece &a, const Piece &b) { return at(a) < at(b); });
    for (std::size_t pi = 0; pi < pieces.size(); ++pi)
        work[std::size_t(pieces[pi].slot)].pieces.push_back(int(pi));

    std::vector<PieceResult> results(pieces.size());
    std::vector<QByteArray> digests(std::size_t(tensors.size()));
    std::vector<ChecksumState> checks(std::size_t(tensors.size()), ChecksumState::NotChecked);
    // In doubles: a damaged file can declare sizes whose sum overflows 64 bits.
    double bytesDone = 0;
    double bytesTotal = 0;
    for (const auto &p : pieces)
        bytesTotal += double(p.end - p.begin);
    bytesTotal *= request.bins > 0 ? 2 : 1;
    std::mutex progressMutex;
    auto reportProgress = [&](std::int64_t add, const QString &phase) {
        std::lock_guard lock(progressMutex);
        bytesDone += double(add);
        job.progress(bytesTotal > 0 ? bytesDone / bytesTotal : 1.0, phase);
    };

    StreamOptions stream;
    stream.window = request.window;
    stream.verifyChecksum = request.verifyChecksum;
    std::vector<RangeStreamer> streamers(std::size_t(std::max(1, threads)));

    // With a histogram, a raw tensor is read twice: a cheap pass for its range (and checksum and
    // digest), then one fused loop for moments and histogram. A tensor in one window is read
    // twice while mapped (and, when small, cached); a split one has its range merged between.
    const bool twoPass = request.bins > 0;
    std::vector<kernels::Range> ranges(twoPass ? pieces.size() : 0);

    // Calls f on the pieces of a window of n bytes `done` bytes into a piece, cut at multiples of
    // kCachePiece from the piece's start, so that how the moments are summed depends on the
    // piece alone, not on where windows happened to fall.
    auto inCachePieces = [](std::int64_t done, const std::uint8_t *d, std::size_t n, auto &&f) {
        std::size_t o = 0;
        while (o < n) {
            const std::size_t len = std::min(
                kCachePiece - std::size_t((done + std::int64_t(o)) % std::int64_t(kCachePiece)),
                n - o);
            if (!f(d + o, len))
                return false;
            o += len;
        }
        return true;
    };

    // The fused loop over a piece whose range is known.
    auto fusedPass = [&](const std::uint8_t *d, std::size_t n, std::int64_t done,
                         PieceResult &res) {
        return inCachePieces(done, d, n, [&](const std::uint8_t *q, std::size_t len) {
            res.stats.addWithHistogram(q, len, *res.hist);
            return !job.cancelled();
        });
    };
    auto startHistogram = [&](const TensorInfo &t, const kernels::Range &r, PieceResult &res) {
        const bool any = r.min <= r.max;
        const auto [lo, hi] = histogramRange(any ? std::optional(r.min) : std::nullopt,
                                             any ? std::optional(r.max) : std::nullopt);
        res.hist.emplace(t.dtype, lo, hi, request.bins);
    };

    // Pass 1: moments (or, with a histogram, ranges and whole tensors), checksums, digests.
    runParallel(threads, pieces.size(), [&](std::size_t pi, std::size_t worker) {
        const Piece &p = pieces[pi];
        auto &res = results[pi];
        if (job.cancelled()) {
            res.error = QStringLiteral("cancelled");
            return;
        }
        const auto &t = index.tensors[work[std::size_t(p.slot)].index];
        res.stats = StatsAccumulator(t.dtype);
        Sha256 sha;
        auto digest = [&](const std::uint8_t *d, std::size_t n) {
            if (request.hash)
                sha.add(QByteArrayView(reinterpret_cast<const char *>(d), qsizetype(n)));
        };
        // With crc, the statistics checksum what they read as they go, so memory is read once.
        auto sink = [&](const std::uint8_t *d, std::size_t n, std::uint32_t *crc = nullptr) {
            res.stats.add(d, n, crc);
            digest(d, n);
            return !job.cancelled();
        };
        if (work[std::size_t(p.slot)].rawNumeric) {
            const std::size_t item = std::size_t(dtypeSize(t.dtype));
            const bool crc = t.location.maskedCrc32c && request.verifyChecksum;
            std::uint32_t *crcOut = crc ? &res.crc : nullptr;
            const auto bytes = std::size_t(p.end - p.begin);
            std::int64_t done = 0;
            bool inOneWindow = false;
            auto st = streamers[worker].stream(
                t.location.file, t.location.offset + p.begin, std::int64_t(bytes), request.window,
                item, [&](const std::uint8_t *d, std::size_t n) {
                    const std::int64_t at = done;
                    done += std::int64_t(n);
                    if (!twoPass)
                        // In pieces, so that a digest finds each in cache after the statistics.
                        return inCachePieces(at, d, n, [&](const std::uint8_t *q, std::size_t len) {
                            return sink(q, len, crcOut);
                        });
                    if (!inCachePieces(at, d, n, [&](const std::uint8_t *q, std::size_t len) {
                            kernels::finiteRange(t.dtype, q, len / item, ranges[pi], crcOut);
                            digest(q, len);
                            return !job.cancelled();
                        }))
                        return false;
                    // A whole tensor in one window is reduced while it is mapped.
                    if (p.whole && n == bytes) {
                        inOneWindow = true;
                        startHistogram(t, ranges[pi], res);
                        return fusedPass(d, n, 0, res);
                    }
                    return true;
                });
            // A whole tensor over several windows is streamed again for its fused loop.
            if (st.ok() && twoPass && p.whole && !inOneWindow && !job.cancelled()) {
                startHistogram(t, ranges[pi], res);
                std::int64_t again = 0;
                st = streamers[worker].stream(t.location.file, t.location.offset + p.begin,
                                              std::int64_t(bytes), request.window, item,
                                              [&](const std::uint8_t *d, std::size_t n) {
                                                  const std::int64_t at = again;
                                                  again += std::int64_t(n);
                                                  return fusedPass(d, n, at, res);
                                              });
            }
            if (!st.ok())
                res.error = tensorError(st.error(), index, t);
            else if (p.whole && t.location.maskedCrc32c && request.verifyChecksum)
                checks[std::size_t(p.slot)] = crc32cMask(res.crc) == *t.location.maskedCrc32c
                                                  ? ChecksumState::Ok
                                                  : ChecksumState::Mismatch;
            else if (p.whole)
                checks[std::size_t(p.slot)] = ChecksumState::None;
        } else {
            auto r = checkpoint.streamTensor(work[std::size_t(p.slot)].index, sink, stream);
            if (!r.ok())
                res.error = tensorError(r.error(), index, t);
            else
                checks[std::size_t(p.slot)] = r.value();
        }
        if (request.hash && res.error.isEmpty())
            digests[std::size_t(p.slot)] = sha.result();
        reportProgress(p.end - p.begin, QStringLiteral("statistics"));
    });

    // Pass 1b: the fused loop over the pieces of split tensors, once their range is whole.
    if (twoPass) {
        std::vector<std::size_t> split;
        for (std::size_t pi = 0; pi < pieces.size(); ++pi)
            if (!pieces[pi].whole && work[std::size_t(pieces[pi].slot)].rawNumeric)
                split.push_back(pi);
        std::vector<kernels::Range> merged(std::size_t(tensors.size()));
        std::vector<char> failed(std::size_t(tensors.size()), 0);
        for (std::size_t pi : split) {
            auto &m = merged[std::size_t(pieces[pi].slot)];
            m.min = std::min(m.min, ranges[pi].min);
            m.max = std::max(m.max, ranges[pi].max);
            if (!results[pi].error.isEmpty())
                failed[std::size_t(pieces[pi].slot)] = 1;
        }
        runParallel(threads, split.size(), [&](std::size_t k, std::size_t worker) {
            const std::size_t pi = split[k];
            const Piece &p = pieces[pi];
            auto &res = results[pi];
            if (failed[std::size_t(p.slot)] || job.cancelled())
                return;
            const auto &t = index.tensors[work[std::size_t(p.slot)].index];
            startHistogram(t, merged[std::size_t(p.slot)], res);
            std::int64_t done = 0;
            auto st = streamers[worker].stream(
                t.location.file, t.location.offset + p.begin, p.end - p.begin, request.window,
                std::size_t(dtypeSize(t.dtype)), [&](const std::uint8_t *d, std::size_t n) {
                    const std::int64_t at = done;
                    done += std::int64_t(n);
                    return fusedPass(d, n, at, res);
                });
            if (!st.ok())
                res.error = tensorError(st.error(), index, t);
        });
    }

    // Merge pieces in order.
    for (int s = 0; s < tensors.size(); ++s) {
        auto &rep = reports[s];
        const auto &w = work[std::size_t(s)];
        const auto &t = index.tensors[w.index];
        StatsAccumulator acc(t.dtype);
        std::uint32_t crc = 0;
        for (int pi : w.pieces) {
            if (!results[std::size_t(pi)].error.isEmpty() && rep.error.isEmpty())
                rep.error = results[std::size_t(pi)].error;
            acc.merge(results[std::size_t(pi)].stats);
            const auto &p = pieces[std::size_t(pi)];
            crc = p.begin == 0 ? results[std::size_t(pi)].crc
                               : crc32cCombine(crc, results[std::size_t(pi)].crc,
                                               std::uint64_t(p.end - p.begin));
        }
        if (w.pieces.size() > 1 && t.location.maskedCrc32c && request.verifyChecksum)
            checks[std::size_t(s)] = crc32cMask(crc) == *t.location.maskedCrc32c
                                         ? ChecksumState::Ok
                                         : ChecksumState::Mismatch;
        rep.checksum = checks[std::size_t(s)];
        rep.sha256 = digests[std::size_t(s)];
        if (rep.error.isEmpty() && dtypeIsNumeric(t.dtype) && dtypeSize(t.dtype) > 0) {
            rep.stats = acc.result();
            rep.reduced = true;
        } else {
            rep.stats.count = t.numElements();
        }
    }

    // Pass 2: histograms over each tensor's [min, max].
    if (request.bins > 0) {
        runParallel(threads, pieces.size(), [&](std::size_t pi, std::size_t worker) {
            const Piece &p = pieces[pi];
            const auto &rep = reports[p.slot];
            if (!rep.reduced || job.cancelled())
                return;
            if (results[pi].hist) { // taken in pass 1
                reportProgress(p.end - p.begin, QStringLiteral("histograms"));
                return;
            }
            const auto &t = index.tensors[rep.tensor];
            const auto [lo, hi] = histogramRange(rep.stats);
            auto &h = results[pi].hist.emplace(t.dtype, lo, hi, request.bins);
            auto sink = [&](const std::uint8_t *d, std::size_t n) {
                h.add(d, n);
                return !job.cancelled();
            };
            StreamOptions noCrc = stream;
            noCrc.verifyChecksum = false;
            if (work[std::size_t(p.slot)].rawNumeric)
                (void)streamers[worker].stream(t.location.file, t.location.offset + p.begin,
                                               p.end - p.begin, request.window,
                                               std::size_t(dtypeSize(t.dtype)), sink);
            else
                (void)checkpoint.streamTensor(rep.tensor, sink, noCrc);
            reportProgress(p.end - p.begin, QStringLiteral("histograms"));
        });
        for (int s = 0; s < tensors.size(); ++s) {
            auto &rep = reports[s];
            if (!rep.reduced)
                continue;
            std::optional<HistogramAccumulator> merged;
            for (int pi : work[std::size_t(s)].pieces) {
                auto &h = results[std::size_t(pi)].hist;
                if (!h)
                    continue;
                if (!merged)
                    merged = *h;
                else
                    merged->merge(*h);
            }
            if (merged) {
                rep.stats.histogram = merged->result();
                // The range as the statistics give it (a range pass may see -0 for +0).
                std::tie(rep.stats.histogram.lo, rep.stats.histogram.hi) =
                    histogramRange(rep.stats);
            }
        }
    }

    if (job.cancelled())
        for (auto &rep : reports)
            if (rep.error.isEmpty() && !rep.reduced && rep.sha256.isEmpty())
                rep.error = QStringLiteral("cancelled");
    if (onEach)
        for (const auto &rep : reports)
            onEach(rep);
    return reports;
}

} // namespace wl
