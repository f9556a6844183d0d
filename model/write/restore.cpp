#include "restore.h"

#include "atomicfile.h"
#include "compare/namematch.h"
#include "core/glob.h"
#include "core/permute.h"
#include "core/plural.h"
#include "core/sha256.h"
#include "formats/readerregistry.h"
#include "formats/tfstatefile.h"
#include "io/mappedfile.h"
#include "io/zipmember.h"
#include "kerash5writer.h"
#include "statefile.h"
#include "stats/kernels.h"
#include "stats/statsengine.h"
#include "tfbundlewriter.h"
#include "verifywritten.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDevice>
#include <QFileInfo>
#include <QFloat16>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <tuple>

namespace wl
{
namespace
{

LoadError refuse(const QString &file, const QString &where, const QString &expected,
                 const QString &found)
{
    return makeError(LoadError::Code::BadArgument, file, where, expected, found);
}

QByteArray sha256(QByteArrayView bytes)
{
    return Sha256::hash(bytes);
}

bool selected(const QStringList &globs, const TensorInfo &a, const TensorInfo &b)
{
    return std::any_of(globs.begin(), globs.end(), [&](const QString &g) {
        return globMatch(g, a.name) || globMatch(g, a.key) || globMatch(g, b.name) ||
               globMatch(g, b.key);
    });
}

enum class Target { Tf, Safetensors, KerasH5, PyTorch };

std::optional<Target> targetOf(const CheckpointIndex &index)
{
    if (index.readerId == QLatin1String("tf-bundle"))
        return Target::Tf;
    if (index.readerId == QLatin1String("safetensors"))
        return Target::Safetensors;
    if (index.readerId == QLatin1String("keras-h5"))
        return Target::KerasH5;
    if (index.readerId == QLatin1String("pytorch"))
        return Target::PyTorch;
    return std::nullopt;
}

// The files of a result: a TF checkpoint's data (first, so an index only ever names complete
// data) and index, or the one file; then the log.
QStringList suffixesOf(Target target)
{
    if (target == Target::Tf)
        return {QStringLiteral(".data-00000-of-00001"), QStringLiteral(".index"),
                QStringLiteral(".restore.json")};
    return {QString(), QStringLiteral(".restore.json")};
}

void removeResult(const QString &prefix, Target target)
{
    for (const auto &suffix : suffixesOf(target))
        QFile::remove(prefix + suffix);
}

// A hidden sibling of `prefix`; folder listings skip ".tmp" names (formats-tensorflow.md 3).
// The name keeps its extension, by which readers know a file.
QString stagingPrefix(const QString &prefix)
{
    const QFileInfo f(prefix);
    return f.dir().filePath(
        QStringLiteral(".tmp%1-%2")
            .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'))
            .arg(f.fileName()));
}

// Renames the staged files to their final names in suffixesOf order; an existing file is never
// replaced.
Status publish(const QString &staged, const QString &prefix, Target target)
{
    QStringList done;
    for (const auto &suffix : suffixesOf(target)) {
        const QString to = prefix + suffix;
        if (!QFile::rename(staged + suffix, to)) {
            for (const auto &f : done)
                QFile::remove(f);
            removeResult(staged, target);
            return makeError(LoadError::Code::WriteFailed, to, {}, {}, {},
                             QStringLiteral("cannot rename the written file into place"));
        }
        done << to;
    }
    return Ok{};
}

struct Choice {
    int a = -1;
    int b = -1;
    bool cast = false;
    std::vector<int> axes; // A's axis for each of B's when B keeps the other layout (layoutAxes)
};

// The slot of A's variable `ta` that goes with B's slot `sb`: same slot name, and the same
// optimizer where A's variable has several.
int partnerSlot(const CheckpointIndex &ia, const TensorInfo &ta, const TensorInfo &sb)
{
    int found = -1;
    for (int i = 0; i < ia.tensors.size(); ++i) {
        const auto &s = ia.tensors[i];
        if (s.role != TensorRole::OptimizerSlot || s.slotOf != ta.name || s.slotName != sb.slotName)
            continue;
        if (found < 0 || s.optimizerPath == sb.optimizerPath)
            found = i;
    }
    return found;
}

bool castable(DType t)
{
    switch (t) {
    case DType::Float16:
    case DType::BFloat16:
    case DType::Float32:
    case DType::Float64:
    case DType::Int8:
    case DType::Int16:
    case DType::Int32:
    case DType::Int64:
    case DType::UInt8:
    case DType::UInt16:
    case DType::UInt32:
        return true;
    default:
        return false;
    }
}

Result<QVector<Choice>> plan(const CheckpointIndex &ia, const CheckpointIndex &ib,
                             const RestoreRequest &request)
{
    const NameMatching m = matchTensors(ia, ib, request.rules);
    QVector<Choice> chosen;
    QSet<int> taken; // B's tensors already chosen
    QStringList unusedGlobs = request.select;
    auto choose = [&](int a, int b) -> Status {
        const auto &ta = ia.tensors[a];
        const auto &tb = ib.tensors[b];
        std::vector<int> axes = layoutAxes(tb, ta);
        if (axes.empty() && ta.shape.dims != tb.shape.dims)
            return refuse(
                ib.path, tb.key,
                QStringLiteral("%1 %2, as B's tensor is").arg(tb.dtypeText(), tb.shape.toString()),
                QStringLiteral("%1 %2 in A's tensor %3")
                    .arg(ta.dtypeText(), ta.shape.toString(), ta.key));
        if (!dtypeIsNumeric(tb.dtype))
            return refuse(ib.path, tb.key, QStringLiteral("a numeric tensor to restore"),
                          tb.dtypeText());
        const bool cast = ta.dtype != tb.dtype;
        if (cast && !request.cast)
            return refuse(
                ib.path, tb.key,
                QStringLiteral("%1, as B's tensor is (--cast converts)").arg(tb.dtypeText()),
                QStringLiteral("%1 in A's tensor %2").arg(ta.dtypeText(), ta.key));
        if (cast && (!castable(tb.dtype) || !dtypeIsNumeric(ta.dtype)))
            return refuse(ib.path, tb.key,
                          QStringLiteral("a dtype to cast %1 to").arg(ta.dtypeText()),
                          tb.dtypeText());
        if (!taken.contains(b)) {
            taken.insert(b);
            chosen.append({a, b, cast, std::move(axes)});
        }
        return Ok{};
    };
    for (const auto &[a, b] : request.pairs) {
        if (a < 0 || a >= ia.tensors.size() || b < 0 || b >= ib.tensors.size())
            return refuse(ib.path, {}, QStringLiteral("tensors of A and B"),
                          QStringLiteral("pair (%1, %2)").arg(a).arg(b));
        if (auto st = choose(a, b); !st.ok())
            return st.error();
    }
    for (const auto &p : request.pairs.isEmpty() ? m.pairs : QVector<TensorMatch>()) {
        const auto &ta = ia.tensors[p.a];
        const auto &tb = ib.tensors[p.b];
        const bool take = request.select.isEmpty() ? tb.role == TensorRole::Variable
                                                   : selected(request.select, ta, tb);
        if (!take)
            continue;
        for (qsizetype g = unusedGlobs.size() - 1; g >= 0; --g)
            if (selected({unusedGlobs[g]}, ta, tb))
                unusedGlobs.removeAt(g);
        if (auto st = choose(p.a, p.b); !st.ok())
            return st.error();
    }
    if (!unusedGlobs.isEmpty())
        return refuse(ia.path, {},
                      QStringLiteral("a matched tensor for --select '%1'").arg(unusedGlobs.first()),
                      QStringLiteral("none"));
    if (request.withSlots) {
        const QVector<Choice> variables = chosen;
        for (const auto &c : variables) {
            const auto &ta = ia.tensors[c.a];
            const auto &tb = ib.tensors[c.b];
            if (tb.role != TensorRole::Variable)
                continue;
            for (int j = 0; j < ib.tensors.size(); ++j) {
                const auto &sb = ib.tensors[j];
                if (sb.role != TensorRole::OptimizerSlot || sb.slotOf != tb.name)
                    continue;
                const int i = partnerSlot(ia, ta, sb);
                if (i < 0)
                    return refuse(
                        ia.path, ta.key,
                        QStringLiteral("a slot '%1' to go with B's %2").arg(sb.slotName, sb.key),
                        QStringLiteral("none in A"));
                if (auto st = choose(i, j); !st.ok())
                    return st.error();
            }
        }
    }
    if (chosen.isEmpty())
        return refuse(ia.path, {}, QStringLiteral("tensors of A matching B's by name"),
                      QStringLiteral("none"));
    return chosen;
}

// bfloat16 nearest to f, ties to even, as TensorFlow and ml_dtypes round.
std::uint16_t toBFloat16(float f)
{
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if (std::isnan(f))
        return std::uint16_t((bits >> 16) | 0x40);
    bits += 0x7fff + ((bits >> 16) & 1);
    return std::uint16_t(bits >> 16);
}

template <typename T> void put(QByteArray &out, qsizetype i, T v)
{
    std::memcpy(out.data() + i * qsizetype(sizeof(T)), &v, sizeof(T));
}

// A's elements as B's dtype; also the largest |cast - A| over the elements (NaN kept as NaN).
Result<QByteArray> castTo(const QByteArray &bytes, DType from, DType to, const TensorInfo &tb,
                          double &maxError)
{
    const qsizetype n = bytes.size() / dtypeSize(from);
    std::vector<double> values{};
    values.resize(std::size_t(n));
    kernels::toDouble(from, bytes.constData(), std::size_t(n), values.data());
    QByteArray out(n * dtypeSize(to), Qt::Uninitialized);
    maxError = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const double v = values[std::size_t(i)];
        double back = v;
        switch (to) {
        case DType::Float64:
            put(out, i, v);
            break;
        case DType::Float32:
            put(out, i, float(v));
            back = float(v);
            break;
        case DType::Float16: {
            const qfloat16 h{float(v)};
            put(out, i, h);
            back = double(float(h));
            break;
        }
        case DType::BFloat16: {
            const std::uint16_t h = toBFloat16(float(v));
            put(out, i, h);
            back = kernels::bfloat16ToDouble(h);
            break;
        }
        default: {
            // Integers: nearest, and refused where the value has no integer of B's type.
            const int bits = 8 * dtypeSize(to);
            const bool isSigned =
                to == DType::Int8 || to == DType::Int16 || to == DType::Int32 || to == DType::Int64;
            const double lo = isSigned ? -std::ldexp(1.0, bits - 1) : 0.0;
            const double hi = isSigned ? std::ldexp(1.0, bits - 1) : std::ldexp(1.0, bits);
            const double r = std::nearbyint(v);
            if (!(r >= lo && r < hi))
                return refuse(tb.location.file, tb.key,
                              QStringLiteral("values that fit %1").arg(dtypeName(to)),
                              QStringLiteral("%1 at element %2").arg(v).arg(i));
            const std::int64_t x = std::int64_t(r);
            std::memcpy(out.data() + i * dtypeSize(to), &x, std::size_t(dtypeSize(to)));
            back = r;
        }
        }
        if (!std::isnan(v))
            maxError = std::max(maxError, std::abs(back - v));
    }
    return out;
}

// B's file with the chosen regions replaced by new bytes, copied in pieces.
Status copyPatched(const QString &from, const QString &to,
                   std::vector<std::pair<std::int64_t, QByteArray>> patches, const JobContext &job)
{
    std::sort(patches.begin(), patches.end(),
              [](const auto &x, const auto &y) { return x.first < y.first; });
    return writeFileAtomically(to, [&](QFileDevice &dev) -> Status {
        QFile in(from);
        if (!in.open(QIODevice::ReadOnly))
            return makeError(LoadError::Code::Unreadable, from, {}, {}, {}, in.errorString());
        auto copy = [&](qint64 until) -> Status {
            constexpr qint64 kPiece = qint64(8) << 20;
            while (in.pos() < until) {
                if (job.cancelled())
                    return makeError(LoadError::Code::Cancelled, to, {}, {});
                const QByteArray piece = in.read(std::min(kPiece, until - in.pos()));
                if (piece.isEmpty() || dev.write(piece) != piece.size())
                    return makeError(LoadError::Code::WriteFailed, to,
                                     QStringLiteral("offset %1").arg(in.pos()), {}, {},
                                     piece.isEmpty() ? in.errorString() : dev.errorString());
            }
            return Ok{};
        };
        for (const auto &[offset, bytes] : patches) {
            if (auto st = copy(offset); !st.ok())
                return st;
            if (dev.write(bytes) != bytes.size())
                return makeError(LoadError::Code::WriteFailed, to,
                                 QStringLiteral("offset %1").arg(offset), {}, {},
                                 dev.errorString());
            in.seek(offset + bytes.size());
            job.progress(0.5, QStringLiteral("writing"));
        }
        return copy(in.size());
    });
}

// Writes the result under `staged`, reads it back and writes the log there. Names in the report
// and the log are the final ones, under `outPrefix`.
Result<RestoreReport> stageWritten(const Checkpoint &from, const Checkpoint &into, Target target,
                                   const QString &outPrefix, const QString &staged,
                                   const RestoreRequest &request, const JobContext &job)
{
    const auto &ia = from.index();
    const auto &ib = into.index();
    if (target == Target::Tf) {
        for (const auto &t : ib.tensors)
            if (t.location.storage != TensorLocation::Storage::Raw || t.location.bigEndian)
                return refuse(ib.path, t.key,
                              QStringLiteral("tensors stored whole and little-endian"),
                              QStringLiteral("a partitioned or big-endian tensor"));
    }
    auto chosen = plan(ia, ib, request);
    if (!chosen.ok())
        return chosen.error();
    if (target == Target::Safetensors)
        for (const auto &c : *chosen)
            if (ib.tensors[c.b].location.storage != TensorLocation::Storage::Raw)
                return refuse(ib.path, ib.tensors[c.b].key, QStringLiteral("a readable tensor"),
                              QStringLiteral("none"));
    // A PyTorch B's storage bytes are written in place: each chosen tensor must be a contiguous
    // little-endian storage of its own, or its aliases would change with it.
    if (target == Target::PyTorch)
        for (const auto &c : *chosen) {
            const auto &tb = ib.tensors[c.b];
            const QString aliases = ib.aliasesText(c.b);
            if (tb.location.storage != TensorLocation::Storage::Raw || tb.location.bigEndian ||
                !aliases.isEmpty())
                return refuse(
                    ib.path, tb.key,
                    QStringLiteral("a contiguous little-endian tensor with a storage of its own"),
                    !aliases.isEmpty() ? QStringLiteral("a storage shared with %1").arg(aliases)
                    : tb.location.bigEndian ? QStringLiteral("a big-endian storage")
                                            : QStringLiteral("a strided view"));
        }

    // Nothing is written unless every file of the result is new.
    for (const auto &suffix : suffixesOf(target))
        if (QFileInfo::exists(outPrefix + suffix))
            return makeError(LoadError::Code::WriteFailed, outPrefix + suffix, {},
                             QStringLiteral("a new file"), QStringLiteral("an existing file"));

    RestoreReport report;
    report.prefix = outPrefix;
    QHash<int, QByteArray> bytesFor;     // B's tensor -> what it becomes (not for TF)
    QHash<QString, QByteArray> expected; // key -> sha256 of what was written
    auto restoredBytes = [&](const Choice &c) -> Result<QByteArray> {
        const auto &ta = ia.tensors[c.a];
        const auto &tb = ib.tensors[c.b];
        auto bytes = from.readTensor(c.a);
        if (!bytes.ok())
            return bytes.error();
        RestoredTensor r;
        r.key = tb.key;
        r.fromKey = ta.key;
        if (c.cast) {
            auto cast = castTo(*bytes, ta.dtype, tb.dtype, tb, r.maxRoundingError);
            if (!cast.ok())
                return cast.error();
            *bytes = *cast;
            r.castFrom = ta.dtype;
        }
        if (!c.axes.empty()) { // into B's layout
            const std::int64_t want = ta.numElements() * dtypeSize(tb.dtype);
            if (bytes->size() != want)
                return makeError(LoadError::Code::Truncated, ia.path, ta.key, counted(want, "byte"),
                                 QString::number(bytes->size()));
            QByteArray ordered(bytes->size(), Qt::Uninitialized);
            permuteAxes(bytes->constData(), ta.shape.dims, c.axes, std::size_t(dtypeSize(tb.dtype)),
                        ordered.data());
            *bytes = std::move(ordered);
            r.axes = c.axes;
        }
        r.sha256 = sha256(*bytes);
        expected.insert(tb.key, r.sha256);
        report.restored.append(r);
        return bytes;
    };
    QHash<int, Choice> byB;
    for (const auto &c : *chosen)
        byB.insert(c.b, c);

    if (target == Target::Tf) {
        // B's tensors in its own file order, as it was written.
        QVector<int> order(ib.tensors.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
            const auto &lx = ib.tensors[x].location;
            const auto &ly = ib.tensors[y].location;
            return std::tie(lx.shard, lx.offset) < std::tie(ly.shard, ly.offset);
        });
        TfBundleWriter writer(staged);
        for (int j : order) {
            if (job.cancelled())
                return makeError(LoadError::Code::Cancelled, outPrefix, {}, {});
            const auto &tb = ib.tensors[j];
            Status st = Ok{};
            if (const auto it = byB.constFind(j); it != byB.cend()) {
                auto bytes = restoredBytes(*it);
                if (!bytes.ok())
                    return bytes.error();
                st = writer.add(tb.key, tb.dtype, tb.shape, *bytes);
            } else {
                auto stored = readFileBytes(tb.location.file, tb.location.offset, tb.location.size);
                if (!stored.ok())
                    return stored.error();
                if (stored->size() != tb.location.size)
                    return makeError(
                        LoadError::Code::Truncated, tb.location.file,
                        QStringLiteral("offset %1").arg(tb.location.offset),
                        QStringLiteral("%1 bytes of %2").arg(tb.location.size).arg(tb.key),
                        QString::number(stored->size()));
                // A stored checksum that does not match is B's damage, not ours to bless.
                if (tb.location.maskedCrc32c)
                    st = writer.addStored(tb.key, tb.dtype, tb.shape, *stored,
                                          *tb.location.maskedCrc32c);
                else
                    st = writer.add(tb.key, tb.dtype, tb.shape, *stored);
                expected.insert(tb.key, sha256(*stored));
                ++report.kept;
            }
            if (!st.ok())
                return st.error();
            job.progress(0.8 * double(expected.size()) / double(ib.tensors.size()),
                         QStringLiteral("writing"));
        }
        if (auto st = writer.finish(); !st.ok())
            return st.error();
    } else {
        // Every other tensor must read back as B holds it: B's own sha256 of each.
        StatsRequest hash;
        hash.hash = true;
        QVector<int> others;
        for (int j = 0; j < ib.tensors.size(); ++j)
            if (!byB.contains(j))
                others << j;
        for (const auto &r : computeStats(into, others, hash, job)) {
            const auto &tb = ib.tensors[r.tensor];
            if (!r.error.isEmpty())
                return refuse(ib.path, tb.key, QStringLiteral("a readable tensor"), r.error);
            expected.insert(tb.key, r.sha256);
            ++report.kept;
        }
        std::vector<std::pair<std::int64_t, QByteArray>> patches;
        QList<QPair<QString, QByteArray>> datasets;
        for (const auto &c : *chosen) {
            if (job.cancelled())
                return makeError(LoadError::Code::Cancelled, outPrefix, {}, {});
            auto bytes = restoredBytes(c);
            if (!bytes.ok())
                return bytes.error();
            const auto &tb = ib.tensors[c.b];
            if (target == Target::Safetensors || target == Target::PyTorch)
                patches.emplace_back(tb.location.offset, *bytes);
            else
                datasets.append({tb.key, *bytes});
            job.progress(0.4 * double(report.restored.size()) / double(chosen->size()),
                         QStringLiteral("writing"));
        }
        if (target == Target::PyTorch &&
            ib.summary.value(QStringLiteral("format")).toString() == QLatin1String("zip")) {
            // The members' CRC-32s change with their bytes.
            auto crcs = zipCrcPatches(ib.path, patches, job);
            if (!crcs.ok())
                return crcs.error();
            patches.insert(patches.end(), crcs->begin(), crcs->end());
        }
        if (target == Target::Safetensors || target == Target::PyTorch) {
            if (auto st = copyPatched(ib.path, staged, std::move(patches), job); !st.ok())
                return st.error();
        } else {
            // B copied whole, then only the chosen datasets rewritten by the HDF5 library.
            if (auto st = copyPatched(ib.path, staged, {}, job); !st.ok())
                return st.error();
            if (auto st = overwriteH5Datasets(staged, datasets); !st.ok())
                return st.error();
        }
    }

    if (auto verified = verifyWritten(staged, expected, job); !verified.ok())
        return verified.error();

    // The log beside the result.
    QJsonArray restored;
    for (const auto &r : report.restored) {
        QJsonObject o{{QStringLiteral("key"), r.key},
                      {QStringLiteral("from_key"), r.fromKey},
                      {QStringLiteral("sha256"), QString::fromLatin1(r.sha256.toHex())}};
        if (r.castFrom != DType::Invalid) {
            o.insert(QStringLiteral("cast_from"), dtypeName(r.castFrom));
            o.insert(QStringLiteral("max_rounding_error"), r.maxRoundingError);
        }
        if (!r.axes.empty()) {
            QJsonArray axes;
            for (const int x : r.axes)
                axes.append(x);
            o.insert(QStringLiteral("axes_from"), axes);
        }
        restored.append(o);
    }
    const QJsonObject log{{QStringLiteral("from"), ia.path},
                          {QStringLiteral("into"), ib.path},
                          {QStringLiteral("out"), outPrefix},
                          {QStringLiteral("restored"), restored},
                          {QStringLiteral("kept"), report.kept}};
    report.logPath = outPrefix + QLatin1String(".restore.json");
    const QString logStaged = staged + QLatin1String(".restore.json");
    auto st = writeFileAtomically(logStaged, [&](QFileDevice &dev) -> Status {
        const QByteArray text = QJsonDocument(log).toJson();
        if (dev.write(text) != text.size())
            return makeError(LoadError::Code::WriteFailed, report.logPath, {}, {}, {},
                             dev.errorString());
        return Ok{};
    });
    if (!st.ok())
        return st.error();
    return report;
}

// As stageWritten, removing what it wrote on any failure.
Result<RestoreReport> stage(const Checkpoint &from, const Checkpoint &into, Target target,
                            const QString &outPrefix, const QString &staged,
                            const RestoreRequest &request, const JobContext &job)
{
    auto r = stageWritten(from, into, target, outPrefix, staged, request, job);
    if (!r.ok())
        removeResult(staged, target);
    return r;
}

} // namespace

Result<RestoreReport> restoreTensors(const Checkpoint &from, const Checkpoint &into,
                                     const QString &outPrefix, const RestoreRequest &request,
                                     const JobContext &job)
{
    const auto target = targetOf(into.index());
    if (!target)
        return refuse(into.index().path, {},
                      QStringLiteral("a TensorFlow checkpoint, Keras .h5, safetensors or "
                                     "PyTorch file to restore into"),
                      into.index().formatName);
    const QString staged = stagingPrefix(outPrefix);
    auto report = stage(from, into, *target, outPrefix, staged, request, job);
    if (!report.ok())
        return report;
    if (auto st = publish(staged, outPrefix, *target); !st.ok())
        return st.error();
    job.progress(1.0, QStringLiteral("done"));
    return report;
}

namespace
{

const QRegularExpression &numbered()
{
    static const QRegularExpression re(QStringLiteral("^(.*?)(\\d+)$"));
    return re;
}

QString statePathOf(const QString &runDir)
{
    return QDir(runDir).filePath(QStringLiteral("checkpoint"));
}

} // namespace

Result<QString> nextCheckpointPrefix(const QString &runDir)
{
    auto state = readCheckpointState(statePathOf(runDir));
    if (!state.ok())
        return state.error();
    const QString latest = QFileInfo(state->latest.written).fileName();
    const auto m = numbered().match(latest);
    const QString base = m.hasMatch() ? m.captured(1) : latest + QLatin1Char('-');
    qint64 highest = m.hasMatch() ? m.captured(2).toLongLong() : 0;
    QStringList names;
    for (const auto &e : state->all)
        names << QFileInfo(e.written).fileName();
    for (const auto &f : QDir(runDir).entryInfoList({QStringLiteral("*.index")}, QDir::Files))
        names << f.completeBaseName();
    for (const auto &n : names)
        if (n.startsWith(base)) {
            const auto nm = numbered().match(n);
            if (nm.hasMatch() && nm.captured(1) == base)
                highest = std::max(highest, nm.captured(2).toLongLong());
        }
    return QDir(runDir).filePath(base + QString::number(highest + 1));
}

Result<RestoreReport> restoreIntoRun(const Checkpoint &from, const QString &runDir,
                                     const RestoreRequest &request, const JobContext &job)
{
    const QString statePath = statePathOf(runDir);
    auto state = readCheckpointState(statePath);
    if (!state.ok())
        return state.error();
    if (!state->latest.indexExists)
        return makeError(LoadError::Code::BadArgument, statePath, state->latest.written,
                         QStringLiteral("a TensorFlow checkpoint to restore into"),
                         QStringLiteral("no %1.index").arg(state->latest.resolved));
    auto opened = ReaderRegistry::builtin().open(state->latest.resolved);
    if (!opened.ok())
        return opened.error();
    if (opened->checkpoints.size() != 1)
        return makeError(LoadError::Code::BadArgument, state->latest.resolved, {},
                         QStringLiteral("one checkpoint"),
                         QString::number(opened->checkpoints.size()));
    auto prefix = nextCheckpointPrefix(runDir);
    if (!prefix.ok())
        return prefix.error();
    const QString staged = stagingPrefix(*prefix);
    auto report =
        stage(from, *opened->checkpoints.front(), Target::Tf, *prefix, staged, request, job);
    if (!report.ok())
        return report;
    // The last moment to stop: once renamed and named by the state file it is the run's.
    job.progress(0.99, QStringLiteral("state"));
    if (job.cancelled()) {
        removeResult(staged, Target::Tf);
        return makeError(LoadError::Code::Cancelled, *prefix, {}, {});
    }
    if (auto st = publish(staged, *prefix, Target::Tf); !st.ok())
        return st.error();
    const double now = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    if (auto st = addToCheckpointState(runDir, QFileInfo(*prefix).fileName(), now); !st.ok()) {
        removeResult(*prefix, Target::Tf);
        return st.error();
    }
    report->statePath = statePath;
    job.progress(1.0, QStringLiteral("done"));
    return report;
}

} // namespace wl
