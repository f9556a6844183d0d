#include "report.h"

#include "core/plural.h"
#include "formats/readerregistry.h"
#include "stats/statsengine.h"
#include "write/atomicfile.h"

#include <QDateTime>
#include <QFileDevice>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace wl
{
namespace
{

QString num(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'g', 6) : QStringLiteral("–");
}

QString escapeCell(QString s)
{
    return s.replace(QLatin1Char('|'), QLatin1String("\\|"));
}

QVector<int> reportedTensors(const CheckpointIndex &idx, const ReportOptions &options)
{
    QVector<int> out;
    for (int i = 0; i < idx.tensors.size() && out.size() < options.maxTensorsPerCheckpoint; ++i)
        out << i;
    return out;
}

} // namespace

QString markdownReport(const QList<OpenResult> &sources, const QList<UnreadInput> &unread,
                       const ReportOptions &options, const JobContext &job)
{
    QString md;
    md += QStringLiteral("# WeightLens report\n\nWritten %1.\n")
              .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    if (!unread.isEmpty()) {
        md += QLatin1String("\n## Not read\n\nThese inputs could not be read:\n\n");
        for (const auto &u : unread)
            md += QStringLiteral("- %1: %2\n").arg(u.path, u.error.message());
    }
    for (const auto &src : sources) {
        md += QStringLiteral("\n## %1\n\n").arg(src.path);
        if (!src.summaryText.isEmpty())
            md += QLatin1String("```\n") + src.summaryText + QLatin1String("\n```\n\n");
        for (const auto &p : src.problems)
            md += QStringLiteral("- warning: %1\n").arg(p.toString());
        for (const auto &cp : src.checkpoints) {
            const auto &idx = cp->index();
            md += QStringLiteral("\n### %1%2\n\n%3%4, %5\n\n")
                      .arg(idx.displayName,
                           idx.latest && src.checkpoints.size() > 1 ? QStringLiteral(" (latest)")
                                                                    : QString(),
                           idx.formatName,
                           idx.subtype.isEmpty() ? QString() : QLatin1String(", ") + idx.subtype)
                      .arg(counted(idx.tensors.size(), "tensor"));
            for (const auto &[k, v] : idx.metadata)
                md += QStringLiteral("- %1: %2\n").arg(k, v);
            for (const auto &p : idx.problems)
                md += QStringLiteral("- warning: %1\n").arg(p.toString());
            if (!idx.summaryText.isEmpty())
                md += QLatin1String("\n```\n") + idx.summaryText + QLatin1String("\n```\n");
            const auto reports = computeStats(*cp, reportedTensors(idx, options), {}, job);
            md += QLatin1String("\n| tensor | role | dtype | shape | mean | std | min | max | "
                                "nan | inf |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|\n");
            for (const auto &r : reports) {
                const auto &t = idx.tensors[r.tensor];
                const auto &s = r.stats;
                md += QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 | %7 | %8 | %9 | %10 |\n")
                          .arg(escapeCell(t.name), roleName(t.role), t.dtypeText(),
                               t.shape.toString(), num(s.mean), num(s.std), num(s.min), num(s.max))
                          .arg(r.reduced ? QString::number(s.nan) : QStringLiteral("–"))
                          .arg(r.reduced ? QString::number(s.inf) : QStringLiteral("–"));
            }
            if (idx.tensors.size() > options.maxTensorsPerCheckpoint)
                md += QStringLiteral("\n(%1 not shown)\n")
                          .arg(counted(idx.tensors.size() - options.maxTensorsPerCheckpoint,
                                       "more tensor"));
        }
    }
    return md;
}

QByteArray jsonReport(const QList<OpenResult> &sources, const QList<UnreadInput> &unread,
                      const ReportOptions &options, const JobContext &job)
{
    QJsonArray out;
    for (const auto &u : unread)
        out.append(QJsonObject{{QStringLiteral("path"), u.path},
                               {QStringLiteral("error"), u.error.message()},
                               {QStringLiteral("checkpoints"), QJsonArray()}});
    for (const auto &src : sources) {
        QJsonObject so{{QStringLiteral("path"), src.path}, {QStringLiteral("kind"), src.kind}};
        QJsonArray cps;
        for (const auto &cp : src.checkpoints) {
            const auto &idx = cp->index();
            QJsonArray tensors;
            for (const auto &r : computeStats(*cp, reportedTensors(idx, options), {}, job)) {
                const auto &t = idx.tensors[r.tensor];
                QJsonObject o{{QStringLiteral("key"), t.key},
                              {QStringLiteral("name"), t.name},
                              {QStringLiteral("dtype"), t.dtypeText()},
                              {QStringLiteral("role"), roleName(t.role)},
                              {QStringLiteral("count"), qint64(r.stats.count)}};
                if (r.reduced) {
                    o[QStringLiteral("mean")] = r.stats.mean.value_or(0);
                    o[QStringLiteral("std")] = r.stats.std.value_or(0);
                    o[QStringLiteral("nan")] = qint64(r.stats.nan);
                    o[QStringLiteral("inf")] = qint64(r.stats.inf);
                }
                tensors.append(o);
            }
            cps.append(QJsonObject{{QStringLiteral("name"), idx.displayName},
                                   {QStringLiteral("format"), idx.formatName},
                                   {QStringLiteral("tensors"), tensors}});
        }
        so[QStringLiteral("checkpoints")] = cps;
        out.append(so);
    }
    return QJsonDocument(out).toJson();
}

Status writeReport(const QStringList &paths, const QString &outFile, QList<UnreadInput> *unread,
                   const ReportOptions &options, const JobContext &job)
{
    const bool json = outFile.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
    if (!json && !outFile.endsWith(QLatin1String(".md"), Qt::CaseInsensitive))
        return makeError(LoadError::Code::BadArgument, outFile, {},
                         QStringLiteral("a .md or .json file name"), QFileInfo(outFile).suffix());
    QList<OpenResult> sources;
    QList<UnreadInput> failed;
    for (const auto &p : paths) {
        auto r = ReaderRegistry::builtin().open(p, job);
        if (r.ok() && r->checkpoints.empty()) // a folder of training logs alone
            failed << UnreadInput{p, makeError(LoadError::Code::UnknownFormat, p, {},
                                               QStringLiteral("a checkpoint"),
                                               QStringLiteral("training logs only"))};
        else if (r.ok())
            sources << std::move(r).value();
        else
            failed << UnreadInput{p, r.error()};
    }
    if (unread)
        *unread = failed;
    const QString target = QFileInfo(outFile).absoluteFilePath();
    for (const auto &src : sources)
        if (src.consumedFiles.contains(target) || src.path == target)
            return makeError(LoadError::Code::BadArgument, outFile, {},
                             QStringLiteral("an output file that is not one of the inputs"));
    const QByteArray body = json ? jsonReport(sources, failed, options, job)
                                 : markdownReport(sources, failed, options, job).toUtf8();
    return writeFileAtomically(
        outFile,
        [&](QFileDevice &f) -> Status {
            if (f.write(body) != body.size())
                return makeError(LoadError::Code::WriteFailed, f.fileName(), {}, {}, {},
                                 f.errorString());
            return Ok{};
        },
        true);
}

} // namespace wl
