#include "restore.h"

#include "atomicfile.h"
#include "core/glob.h"
#include "formats/readerregistry.h"
#include "io/mappedfile.h"
#include "stats/statsengine.h"
#include "tfbundlewriter.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileDevice>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
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
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256);
}

bool selected(const QStringList &globs, const TensorInfo &a, const TensorInfo &b)
{
    return std::any_of(globs.begin(), globs.end(), [&](const QString &g) {
        return globMatch(g, a.name) || globMatch(g, a.key) || globMatch(g, b.name) ||
               globMatch(g, b.key);
    });
}

// Reads the result back through the registry, as anything opening it would, and compares the
// sha256 of every tensor with what was meant to be written.
Status verifyWritten(const QString &outPrefix, const QHash<QString, QByteArray> &expected,
                     const JobContext &job)
{
    job.progress(0.85, QStringLiteral("verifying"));
    auto opened = ReaderRegistry::builtin().open(outPrefix);
    if (!opened.ok())
        return opened.error();
    if (opened->checkpoints.size() != 1)
        return makeError(LoadError::Code::WriteFailed, outPrefix, {},
                         QStringLiteral("one checkpoint read back"),
                         QString::number(opened->checkpoints.size()));
    const auto &written = *opened->checkpoints.front();
    StatsRequest hash;
    hash.hash = true;
    const auto reports = computeStats(written, allTensors(written.index()), hash, job);
    if (reports.size() != expected.size())
        return makeError(LoadError::Code::WriteFailed, outPrefix, {},
                         QStringLiteral("%1 tensors read back").arg(expected.size()),
                         QString::number(reports.size()));
    for (const auto &r : reports) {
        const auto &t = written.tensor(r.tensor);
        if (!r.error.isEmpty())
            return makeError(LoadError::Code::WriteFailed, outPrefix, t.key,
                             QStringLiteral("a readable tensor"), r.error);
        if (r.checksum == ChecksumState::Mismatch || r.sha256 != expected.value(t.key))
            return makeError(
                LoadError::Code::WriteFailed, outPrefix, t.key,
                QStringLiteral("sha256 %1").arg(QString::fromLatin1(expected.value(t.key).toHex())),
                QStringLiteral("sha256 %1").arg(QString::fromLatin1(r.sha256.toHex())));
    }

    return Ok{};
}

} // namespace

Result<RestoreReport> restoreTensors(const Checkpoint &from, const Checkpoint &into,
                                     const QString &outPrefix, const RestoreRequest &request,
                                     const JobContext &job)
{
    const auto &ia = from.index();
    const auto &ib = into.index();
    if (ib.readerId != QLatin1String("tf-bundle"))
        return refuse(ib.path, {}, QStringLiteral("a TensorFlow checkpoint to restore into"),
                      ib.formatName);
    for (const auto &t : ib.tensors)
        if (t.location.storage != TensorLocation::Storage::Raw || t.location.bigEndian)
            return refuse(ib.path, t.key, QStringLiteral("tensors stored whole and little-endian"),
                          QStringLiteral("a partitioned or big-endian tensor"));

    // What goes where: B's tensor -> A's tensor.
    const NameMatching m = matchTensors(ia, ib, request.rules);
    QHash<int, int> source;
    QStringList unusedGlobs = request.select;
    for (const auto &p : m.pairs) {
        const auto &ta = ia.tensors[p.a];
        const auto &tb = ib.tensors[p.b];
        const bool take = request.select.isEmpty() ? tb.role == TensorRole::Variable
                                                   : selected(request.select, ta, tb);
        if (!take)
            continue;
        for (qsizetype g = unusedGlobs.size() - 1; g >= 0; --g)
            if (selected({unusedGlobs[g]}, ta, tb))
                unusedGlobs.removeAt(g);
        if (p.shapeMismatch || p.dtypeMismatch)
            return refuse(
                ib.path, tb.key,
                QStringLiteral("%1 %2, as B's tensor is").arg(tb.dtypeText(), tb.shape.toString()),
                QStringLiteral("%1 %2 in A's tensor %3")
                    .arg(ta.dtypeText(), ta.shape.toString(), ta.key));
        if (!dtypeIsNumeric(tb.dtype))
            return refuse(ib.path, tb.key, QStringLiteral("a numeric tensor to restore"),
                          tb.dtypeText());
        source.insert(p.b, p.a);
    }
    if (!unusedGlobs.isEmpty())
        return refuse(ia.path, {},
                      QStringLiteral("a matched tensor for --select '%1'").arg(unusedGlobs.first()),
                      QStringLiteral("none"));
    if (source.isEmpty())
        return refuse(ia.path, {}, QStringLiteral("tensors of A matching B's by name"),
                      QStringLiteral("none"));

    // Nothing is written unless every file of the result is new.
    for (const QString &suffix : {QStringLiteral(".index"), QStringLiteral(".data-00000-of-00001"),
                                  QStringLiteral(".restore.json")})
        if (QFileInfo::exists(outPrefix + suffix))
            return makeError(LoadError::Code::WriteFailed, outPrefix + suffix, {},
                             QStringLiteral("a new file"), QStringLiteral("an existing file"));

    // B's tensors in its own file order, as it was written.
    QVector<int> order(ib.tensors.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
        const auto &lx = ib.tensors[x].location;
        const auto &ly = ib.tensors[y].location;
        return std::tie(lx.shard, lx.offset) < std::tie(ly.shard, ly.offset);
    });

    RestoreReport report;
    report.prefix = outPrefix;
    QHash<QString, QByteArray> expected; // key -> sha256 of what was written
    TfBundleWriter writer(outPrefix);
    for (int j : order) {
        if (job.cancelled())
            return makeError(LoadError::Code::Cancelled, outPrefix, {}, {});
        const auto &tb = ib.tensors[j];
        Status st = Ok{};
        if (const auto it = source.constFind(j); it != source.cend()) {
            const auto &ta = ia.tensors[*it];
            auto bytes = from.readTensor(*it);
            if (!bytes.ok())
                return bytes.error();
            st = writer.add(tb.key, tb.dtype, tb.shape, *bytes);
            report.restored.append({tb.key, ta.key, sha256(*bytes)});
            expected.insert(tb.key, report.restored.last().sha256);
        } else {
            auto stored = readFileBytes(tb.location.file, tb.location.offset, tb.location.size);
            if (!stored.ok())
                return stored.error();
            if (stored->size() != tb.location.size)
                return makeError(LoadError::Code::Truncated, tb.location.file,
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

    auto verified = verifyWritten(outPrefix, expected, job);
    if (!verified.ok()) {
        // A result that does not read back as written is not left under its name.
        QFile::remove(outPrefix + QLatin1String(".index"));
        QFile::remove(outPrefix + QLatin1String(".data-00000-of-00001"));
        return verified.error();
    }

    // The log beside the result.
    QJsonArray restored;
    for (const auto &r : report.restored)
        restored.append(
            QJsonObject{{QStringLiteral("key"), r.key},
                        {QStringLiteral("from_key"), r.fromKey},
                        {QStringLiteral("sha256"), QString::fromLatin1(r.sha256.toHex())}});
    const QJsonObject log{{QStringLiteral("from"), ia.path},
                          {QStringLiteral("into"), ib.path},
                          {QStringLiteral("out"), outPrefix},
                          {QStringLiteral("restored"), restored},
                          {QStringLiteral("kept"), report.kept}};
    report.logPath = outPrefix + QLatin1String(".restore.json");
    auto st = writeFileAtomically(report.logPath, [&](QFileDevice &dev) -> Status {
        const QByteArray text = QJsonDocument(log).toJson();
        if (dev.write(text) != text.size())
            return makeError(LoadError::Code::WriteFailed, report.logPath, {}, {}, {},
                             dev.errorString());
        return Ok{};
    });
    if (!st.ok())
        return st.error();
    job.progress(1.0, QStringLiteral("done"));
    return report;
}

} // namespace wl
