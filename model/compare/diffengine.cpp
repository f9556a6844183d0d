#include "diffengine.h"

#include "core/permute.h"
#include "core/plural.h"
#include "io/crc32c.h"
#include "jobs/parallel.h"

#include <QThread>

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

namespace wl
{
namespace
{

struct Piece {
    int slot = 0; // position in the result vector
    std::int64_t begin = 0;
    std::int64_t end = 0;
};

bool isRaw(const TensorInfo &t)
{
    return t.location.storage == TensorLocation::Storage::Raw && !t.location.bigEndian;
}

// Checksummed data is compared and checksummed a cache-sized piece at a time, so memory is
// read once.
constexpr std::size_t kCachePiece = std::size_t(64) << 10;

bool isDiffable(DType t)
{
    return dtypeIsNumeric(t) && dtypeSize(t) > 0 && t != DType::Complex64 && t != DType::Complex128;
}

// Both stored as plain little-endian numbers in the same element order: compared as they
// stream from the files. The rest are read whole.
bool streams(const TensorMatch &m, const TensorInfo &ta, const TensorInfo &tb)
{
    return isDiffable(ta.dtype) && isRaw(ta) && isRaw(tb) && ta.location.size == tb.location.size &&
           !m.transposed();
}

} // namespace

QVector<TensorDiff> computeDiff(const Checkpoint &a, const Checkpoint &b,
                                const QVector<TensorMatch> &pairs, const DiffRequest &request,
                                const JobContext &job)
{
    const int threads =
        request.threads > 0 ? request.threads : std::max(1, QThread::idealThreadCount());
    QVector<TensorDiff> out(pairs.size());
    std::vector<Piece> pieces;
    for (int s = 0; s < pairs.size(); ++s) {
        out[s].match = pairs[s];
        if (!pairs[s].comparable())
            continue;
        const auto &ta = a.tensor(pairs[s].a);
        const auto &tb = b.tensor(pairs[s].b);
        const std::int64_t size = ta.location.size;
        const bool split = streams(pairs[s], ta, tb) && size > std::int64_t(request.splitBytes);
        if (!split) {
            pieces.push_back({s, 0, size});
            continue;
        }
        const std::int64_t item = dtypeSize(ta.dtype);
        std::int64_t step = std::int64_t(request.splitBytes);
        step -= step % item;
        for (std::int64_t p = 0; p < size; p += step)
            pieces.push_back({s, p, std::min(size, p + step)});
    }
    // In A's file order, so each thread's windows move forward through the shards.
    auto at = [&](const Piece &p) {
        const auto &loc = a.tensor(pairs[p.slot].a).location;
        return std::tie(loc.file, loc.offset, p.begin);
    };
    std::stable_sort(pieces.begin(), pieces.end(),
                     [&](const Piece &x, const Piece &y) { return at(x) < at(y); });

    std::vector<DiffSums> sums(pieces.size());
    std::vector<QString> errors(pieces.size());
    std::vector<char> computed(pieces.size(), 0);
    std::vector<std::uint32_t> crcA(pieces.size(), 0), crcB(pieces.size(), 0);
    // The readers' own check of what they decode (TF strings, for one).
    std::vector<ChecksumState> readStateA(pieces.size(), ChecksumState::None),
        readStateB(pieces.size(), ChecksumState::None);
    const auto checked = [&](const TensorInfo &t) {
        return request.verifyChecksum && t.location.maskedCrc32c.has_value();
    };
    // In doubles: a damaged file can declare sizes whose sum overflows 64 bits.
    double bytesDone = 0, bytesTotal = 0;
    for (const auto &p : pieces)
        bytesTotal += double(p.end - p.begin);
    std::mutex progressMutex;
    const std::size_t workers = std::size_t(std::max(1, threads));
    std::vector<RangeStreamer> streamA(workers), streamB(workers);

    runParallel(threads, pieces.size(), [&](std::size_t pi, std::size_t w) {
        const Piece &p = pieces[pi];
        if (job.cancelled()) {
            errors[pi] = QStringLiteral("cancelled");
            return;
        }
        const TensorMatch &m = pairs[p.slot];
        const auto &ta = a.tensor(m.a);
        const auto &tb = b.tensor(m.b);
        auto &s = sums[pi];
        const bool numeric = isDiffable(ta.dtype);
        if (streams(m, ta, tb)) {
            const std::size_t item = std::size_t(dtypeSize(ta.dtype));
            std::int64_t posA = p.begin;
            QString innerError;
            const bool checkA = checked(ta), checkB = checked(tb);
            auto st = streamA[w].stream(
                ta.location.file, ta.location.offset + p.begin, p.end - p.begin, request.window,
                item, [&](const std::uint8_t *da, std::size_t na) {
                    // The same bytes of B, in one or more pieces of its own window.
                    std::size_t used = 0;
                    auto inner = streamB[w].stream(
                        tb.location.file, tb.location.offset + posA, std::int64_t(na),
                        request.window, item, [&](const std::uint8_t *db, std::size_t nb) {
                            if (!checkA && !checkB) {
                                kernels::diff(ta.dtype, da + used, db, nb / item, s);
                                used += nb;
                                return !job.cancelled();
                            }
                            for (std::size_t k = 0; k < nb; k += kCachePiece) {
                                const std::size_t n = std::min(kCachePiece, nb - k);
                                const std::uint8_t *qa = da + used + k;
                                kernels::diff(ta.dtype, qa, db + k, n / item, s);
                                if (checkA)
                                    crcA[pi] = crc32cExtend(crcA[pi], qa, n);
                                if (checkB)
                                    crcB[pi] = crc32cExtend(crcB[pi], db + k, n);
                            }
                            used += nb;
                            return !job.cancelled();
                        });
                    if (!inner.ok()) {
                        innerError = tensorError(inner.error(), b.index(), tb);
                        return false;
                    }
                    posA += std::int64_t(na);
                    return !job.cancelled();
                });
            if (!st.ok())
                errors[pi] = tensorError(st.error(), a.index(), ta);
            else if (!innerError.isEmpty())
                errors[pi] = innerError;
            else if (job.cancelled())
                errors[pi] = QStringLiteral("cancelled");
            else
                computed[pi] = 1;
        } else {
            // Decoded by the reader, or not numbers: both whole, within the request's limit.
            auto ra = a.readTensor(m.a, request.maxDecodedBytes,
                                   request.verifyChecksum ? &readStateA[pi] : nullptr);
            if (!ra.ok()) {
                errors[pi] = tensorError(ra.error(), a.index(), ta);
                return;
            }
            auto rb = b.readTensor(m.b, request.maxDecodedBytes,
                                   request.verifyChecksum ? &readStateB[pi] : nullptr);
            if (!rb.ok()) {
                errors[pi] = tensorError(rb.error(), b.index(), tb);
                return;
            }
            if (numeric) {
                const qsizetype item = dtypeSize(ta.dtype);
                if (m.transposed()) { // B's elements into A's order
                    const std::int64_t want = tb.numElements() * item;
                    if (rb->size() != want) {
                        errors[pi] = tensorError(
                            makeError(LoadError::Code::Truncated, b.index().path, tb.key,
                                      counted(want, "byte"), QString::number(rb->size())),
                            b.index(), tb);
                        return;
                    }
                    QByteArray ordered(rb->size(), Qt::Uninitialized);
                    permuteAxes(rb->constData(), tb.shape.dims, m.axes, std::size_t(item),
                                ordered.data());
                    *rb = std::move(ordered);
                }
                const qsizetype n = std::min(ra->size(), rb->size()) / item;
                kernels::diff(ta.dtype, ra->constData(), rb->constData(), std::size_t(n), s);
                if (ra->size() != rb->size())
                    s.identical = false;
            } else {
                s.identical = *ra == *rb;
            }
            computed[pi] = numeric ? 1 : 2;
        }
        std::lock_guard lock(progressMutex);
        bytesDone += double(p.end - p.begin);
        job.progress(bytesTotal > 0 ? bytesDone / bytesTotal : 1.0, QStringLiteral("comparing"));
    });

    // A tensor's pieces come in order of their offsets: their CRCs chain into the tensor's.
    std::vector<bool> seen(std::size_t(pairs.size()), false);
    std::vector<std::uint32_t> slotCrcA(std::size_t(pairs.size()), 0),
        slotCrcB(std::size_t(pairs.size()), 0);
    std::vector<std::size_t> firstPiece(std::size_t(pairs.size()), 0);
    for (std::size_t pi = 0; pi < pieces.size(); ++pi) {
        auto &d = out[pieces[pi].slot];
        const auto slot = std::size_t(pieces[pi].slot);
        const bool first = !seen[slot];
        seen[slot] = true;
        if (first)
            firstPiece[slot] = pi;
        const auto len = std::uint64_t(pieces[pi].end - pieces[pi].begin);
        slotCrcA[slot] = first ? crcA[pi] : crc32cCombine(slotCrcA[slot], crcA[pi], len);
        slotCrcB[slot] = first ? crcB[pi] : crc32cCombine(slotCrcB[slot], crcB[pi], len);
        if (!errors[pi].isEmpty()) {
            if (d.error.isEmpty())
                d.error = errors[pi];
            d.computed = false;
            continue;
        }
        if (first)
            d.computed = computed[pi] == 1;
        else
            d.computed = d.computed && computed[pi] == 1;
        d.sums.merge(sums[pi]);
    }
    for (int slot = 0; slot < out.size(); ++slot) {
        auto &d = out[slot];
        if (!d.error.isEmpty()) {
            d.computed = false;
            d.sums = DiffSums{};
            continue;
        }
        if (!seen[std::size_t(slot)])
            continue; // not comparable: nothing was read
        // Streamed tensors were checksummed here; the others by their reader.
        const auto &ta = a.tensor(pairs[slot].a);
        const auto &tb = b.tensor(pairs[slot].b);
        const bool streamed = streams(pairs[slot], ta, tb);
        const auto state = [&](const TensorInfo &t, std::uint32_t crc, ChecksumState read) {
            if (!streamed)
                return read;
            if (!checked(t))
                return ChecksumState::None;
            return crc32cMask(crc) == *t.location.maskedCrc32c ? ChecksumState::Ok
                                                               : ChecksumState::Mismatch;
        };
        d.checksumA =
            state(ta, slotCrcA[std::size_t(slot)], readStateA[firstPiece[std::size_t(slot)]]);
        d.checksumB =
            state(tb, slotCrcB[std::size_t(slot)], readStateB[firstPiece[std::size_t(slot)]]);
    }
    return out;
}

QVector<GroupDiff> diffByLayer(const CheckpointIndex &a, const QVector<TensorDiff> &diffs)
{
    std::map<QString, GroupDiff> groups;
    for (const auto &d : diffs) {
        if (!d.computed)
            continue;
        const auto &t = a.tensors[d.match.a];
        // A layer is where weights live; optimizer state and bookkeeping get a group each.
        QString layer;
        if (t.role == TensorRole::OptimizerSlot || t.role == TensorRole::Optimizer) {
            layer = QStringLiteral("(optimizer state)");
        } else if (t.role == TensorRole::Metadata) {
            layer = QStringLiteral("(metadata)");
        } else {
            const QString name = canonicalTensorName(t.name.isEmpty() ? t.key : t.name);
            const qsizetype slash = name.lastIndexOf(QLatin1Char('/'));
            layer = slash > 0 ? name.left(slash) : QString();
        }
        auto &g = groups[layer];
        g.name = layer;
        ++g.tensors;
        g.sums.merge(d.sums);
    }
    QVector<GroupDiff> out;
    for (auto &[k, g] : groups)
        out << g;
    return out;
}

GroupDiff diffTotal(const QVector<TensorDiff> &diffs)
{
    GroupDiff g;
    for (const auto &d : diffs)
        if (d.computed) {
            ++g.tensors;
            g.sums.merge(d.sums);
        }
    return g;
}

} // namespace wl
