#include "cli.h"

#include "formats/readerregistry.h"
#include "report/report.h"
#include "stats/statsengine.h"
#include "write/demo.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace wl::cli
{
namespace
{

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

int usage(const QString &problem = {})
{
    if (!problem.isEmpty())
        err() << "weightlens: " << problem << "\n";
    err() << "usage:\n"
             "  weightlens [PATH...]                 open the GUI\n"
             "  weightlens ls PATH [--json] [--allow-large]\n"
             "  weightlens stats PATH [--json] [--hash] [--filter GLOB] [--bins N] "
             "[--allow-large]\n"
             "  weightlens report PATH... -o FILE.{md,json} [--allow-large]\n"
             "  weightlens demo DIR                  write the built-in demo run into DIR\n";
    err().flush();
    return 2;
}

// Lets an archive member inflate past the limit of io/zipmember.h.
const QLatin1String kAllowLarge("--allow-large");

// An open error for the terminal; one that needs permission says how to give it.
QString failureText(const LoadError &e)
{
    return e.code == LoadError::Code::TooLarge
               ? e.message() + QStringLiteral("; pass %1 to read it").arg(kAllowLarge)
               : e.message();
}

struct Options {
    QStringList paths;
    bool json = false;
    bool hash = false;
    bool allowLarge = false;
    int bins = 0;
    QList<QRegularExpression> filters;
};

// Parses PATH arguments and flags; returns an error text for bad usage.
QString parse(const QStringList &args, Options &o, bool statsFlags)
{
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--json")) {
            o.json = true;
        } else if (a == kAllowLarge) {
            o.allowLarge = true;
        } else if (statsFlags && a == QLatin1String("--hash")) {
            o.hash = true;
        } else if (statsFlags && a == QLatin1String("--bins")) {
            bool ok = false;
            o.bins = i + 1 < args.size() ? args[++i].toInt(&ok) : 0;
            if (!ok || o.bins < 1 || o.bins > 1000000)
                return QStringLiteral("--bins takes a whole number from 1 to 1000000");
        } else if (statsFlags && a == QLatin1String("--filter")) {
            if (i + 1 >= args.size())
                return QStringLiteral("--filter takes a glob pattern");
            o.filters << QRegularExpression(QRegularExpression::wildcardToRegularExpression(
                args[++i], QRegularExpression::UnanchoredWildcardConversion));
        } else if (a.startsWith(QLatin1String("--"))) {
            return QStringLiteral("unknown option %1").arg(a);
        } else {
            o.paths << a;
        }
    }
    if (o.paths.isEmpty())
        return QStringLiteral("a PATH is required");
    return {};
}

bool matches(const Options &o, const TensorInfo &t)
{
    if (o.filters.isEmpty())
        return true;
    for (const auto &re : o.filters) {
        const auto whole = [&](const QString &s) {
            auto m = re.match(s);
            return m.hasMatch() && m.capturedStart() == 0 && m.capturedLength() == s.size();
        };
        if (whole(t.name) || whole(t.key))
            return true;
    }
    return false;
}

QString checkpointLabel(const QString &input, const Checkpoint &cp)
{
    const Source s = Source::fromPath(input);
    const QString path = cp.index().path;
    if (s.kind() == Source::Kind::Directory) {
        const QString rel = QDir(s.path()).relativeFilePath(path);
        return rel.isEmpty() || rel == QLatin1String(".") ? QFileInfo(path).fileName() : rel;
    }
    return cp.index().displayName.isEmpty() ? QFileInfo(path).fileName() : cp.index().displayName;
}

QJsonArray shapeJson(const Shape &s)
{
    QJsonArray a;
    for (auto d : s.dims)
        a.append(qint64(d));
    return a;
}

QJsonObject tensorJson(const QString &label, const TensorInfo &t)
{
    QJsonObject o;
    o[QLatin1String("checkpoint")] = label;
    o[QLatin1String("key")] = t.key;
    o[QLatin1String("name")] = t.name;
    o[QLatin1String("dtype")] = t.dtypeText();
    o[QLatin1String("shape")] = shapeJson(t.shape);
    o[QLatin1String("role")] = roleName(t.role);
    if (!t.slotName.isEmpty()) {
        o[QLatin1String("slot")] = t.slotName;
        o[QLatin1String("slot_of")] = t.slotOf;
        o[QLatin1String("optimizer")] = t.optimizerPath;
    }
    return o;
}

QJsonValue number(const std::optional<double> &v)
{
    if (!v || !std::isfinite(*v))
        return QJsonValue(QJsonValue::Null);
    return *v;
}

void printJson(const QJsonObject &o)
{
    out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << '\n';
}

QString formatNumber(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'g', 7) : QStringLiteral("-");
}

void printProblems(const QString &input, const Problems &problems)
{
    for (const auto &p : problems)
        err() << "weightlens: warning: " << (p.file.isEmpty() ? input : p.file)
              << (p.where.isEmpty() ? QString() : QLatin1String(": ") + p.where) << ": " << p.text
              << "\n";
}

int lsOrStats(const QStringList &args, bool stats)
{
    Options o;
    if (auto e = parse(args, o, stats); !e.isEmpty())
        return usage(e);
    int status = 0;
    const auto &registry = ReaderRegistry::builtin();
    JobContext job;
    job.setAllowLarge(o.allowLarge);
    for (const auto &input : o.paths) {
        auto opened = registry.open(input, job);
        if (!opened.ok()) {
            err() << "weightlens: " << failureText(opened.error()) << "\n";
            status = 1;
            continue;
        }
        printProblems(input, opened->problems);
        if (o.json && !opened->summary.isEmpty() && !stats)
            printJson(opened->summary);
        if (!o.json && !opened->summaryText.isEmpty())
            out() << opened->summaryText << (opened->summaryText.endsWith('\n') ? "" : "\n");
        for (const auto &cp : opened->checkpoints) {
            const auto &idx = cp->index();
            const QString label = checkpointLabel(input, *cp);
            printProblems(input, idx.problems);
            if (o.json && !stats && !idx.summary.isEmpty())
                printJson(idx.summary);
            QVector<int> selected;
            int nameWidth = 8, shapeWidth = 5;
            for (int i = 0; i < idx.tensors.size(); ++i)
                if (matches(o, idx.tensors[i])) {
                    selected << i;
                    nameWidth = std::max<int>(nameWidth, idx.tensors[i].name.size());
                    shapeWidth = std::max<int>(shapeWidth, idx.tensors[i].shape.toString().size());
                }
            nameWidth = std::min(nameWidth, 96);
            if (!o.json) {
                out() << label
                      << (idx.displayName == opened->latest && opened->checkpoints.size() > 1
                              ? " (latest)"
                              : "")
                      << "  (" << idx.formatName
                      << (idx.subtype.isEmpty() ? QString() : QLatin1String(", ") + idx.subtype)
                      << ", " << selected.size() << " tensors)\n";
                for (const auto &[k, v] : idx.metadata)
                    out() << "  " << k << ": " << v << "\n";
                if (!idx.summaryText.isEmpty())
                    out() << idx.summaryText << (idx.summaryText.endsWith('\n') ? "" : "\n");
            }
            if (!stats) {
                for (int i : selected) {
                    const auto &t = idx.tensors[i];
                    if (o.json)
                        printJson(tensorJson(label, t));
                    else
                        out() << "  " << t.name.leftJustified(nameWidth) << "  "
                              << t.dtypeText().leftJustified(9) << ' '
                              << t.shape.toString().leftJustified(shapeWidth) << "  "
                              << roleName(t.role) << "\n";
                }
                continue;
            }
            StatsRequest req;
            req.bins = o.bins;
            req.hash = o.hash;
            const auto reports = computeStats(*cp, selected, req);
            for (const auto &r : reports) {
                const auto &t = idx.tensors[r.tensor];
                if (!r.error.isEmpty()) {
                    err() << "weightlens: " << r.error << "\n";
                    status = 1;
                }
                if (r.checksum == ChecksumState::Mismatch)
                    err() << "weightlens: warning: " << t.location.file << ": " << t.key
                          << ": checksum mismatch (stored CRC-32C does not match the data)\n";
                const auto &s = r.stats;
                if (o.json) {
                    QJsonObject j = tensorJson(label, t);
                    j[QLatin1String("count")] = qint64(s.count);
                    if (r.reduced) {
                        j[QLatin1String("min")] = number(s.min);
                        j[QLatin1String("max")] = number(s.max);
                        j[QLatin1String("mean")] = number(s.mean);
                        j[QLatin1String("std")] = number(s.std);
                        j[QLatin1String("nan")] = qint64(s.nan);
                        j[QLatin1String("inf")] = qint64(s.inf);
                        j[QLatin1String("zeros")] = qint64(s.zeros);
                        j[QLatin1String("l2")] = s.l2;
                    }
                    if (r.checksum == ChecksumState::Ok || r.checksum == ChecksumState::Mismatch)
                        j[QLatin1String("checksum")] = r.checksum == ChecksumState::Ok
                                                           ? QStringLiteral("ok")
                                                           : QStringLiteral("mismatch");
                    if (o.hash && !r.sha256.isEmpty())
                        j[QLatin1String("sha256")] = QString::fromLatin1(r.sha256.toHex());
                    if (!s.histogram.isEmpty()) {
                        QJsonArray edges, counts;
                        for (std::size_t b = 0; b <= s.histogram.counts.size(); ++b)
                            edges.append(s.histogram.edge(b));
                        for (auto c : s.histogram.counts)
                            counts.append(qint64(c));
                        j[QLatin1String("edges")] = edges;
                        j[QLatin1String("counts")] = counts;
                    }
                    if (!r.error.isEmpty())
                        j[QLatin1String("error")] = r.error;
                    printJson(j);
                } else {
                    out() << "  " << t.name.leftJustified(nameWidth) << "  "
                          << t.dtypeText().leftJustified(9) << ' '
                          << t.shape.toString().leftJustified(shapeWidth);
                    if (r.reduced)
                        out() << " min " << formatNumber(s.min) << " max " << formatNumber(s.max)
                              << " mean " << formatNumber(s.mean) << " std " << formatNumber(s.std);
                    if (s.nan || s.inf)
                        out() << " nan " << s.nan << " inf " << s.inf;
                    if (o.hash && !r.sha256.isEmpty())
                        out() << " sha256 " << r.sha256.toHex();
                    out() << "\n";
                }
            }
        }
    }
    out().flush();
    err().flush();
    return status;
}

int flushed(int status)
{
    out().flush();
    err().flush();
    return status;
}

int report(const QStringList &args)
{
    QStringList paths;
    QString outFile;
    JobContext job;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == kAllowLarge) {
            job.setAllowLarge(true);
        } else if (args[i] == QLatin1String("-o") || args[i] == QLatin1String("--output")) {
            if (i + 1 >= args.size())
                return usage(QStringLiteral("-o takes a file name"));
            outFile = args[++i];
        } else if (args[i].startsWith(QLatin1Char('-'))) {
            return usage(QStringLiteral("unknown option %1").arg(args[i]));
        } else {
            paths << args[i];
        }
    }
    if (paths.isEmpty() || outFile.isEmpty())
        return usage(QStringLiteral("report needs at least one PATH and -o FILE"));
    QList<LoadError> failures;
    auto st = writeReport(paths, outFile, &failures, {}, job);
    for (const auto &f : failures)
        err() << "weightlens: " << failureText(f) << "\n";
    if (!st.ok()) {
        err() << "weightlens: " << st.error().message() << "\n";
        return st.error().code == LoadError::Code::BadArgument ? 2 : 1;
    }
    out() << "weightlens: wrote " << outFile << "\n";
    return failures.isEmpty() ? 0 : 1;
}

int demo(const QStringList &args)
{
    if (args.size() != 1)
        return usage(QStringLiteral("demo takes one folder"));
    auto r = writeDemo(args.first());
    if (!r.ok()) {
        err() << "weightlens: " << r.error().message() << "\n";
        return 1;
    }
    out() << "weightlens: wrote the demo run " << r.value() << "\n";
    return 0;
}

} // namespace

bool isCommand(const QString &word)
{
    static const QStringList commands{QStringLiteral("ls"),     QStringLiteral("stats"),
                                      QStringLiteral("report"), QStringLiteral("demo"),
                                      QStringLiteral("help"),   QStringLiteral("--help")};
    return commands.contains(word);
}

int run(const QStringList &args)
{
    const QString cmd = args.value(0);
    const QStringList rest = args.mid(1);
    if (cmd == QLatin1String("ls"))
        return lsOrStats(rest, false);
    if (cmd == QLatin1String("stats"))
        return lsOrStats(rest, true);
    if (cmd == QLatin1String("report"))
        return flushed(report(rest));
    if (cmd == QLatin1String("demo"))
        return flushed(demo(rest));
    usage();
    return cmd == QLatin1String("help") || cmd == QLatin1String("--help") ? 0 : 2;
}

QString demoRun()
{
    const QString base =
        QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/demo";
    const QString run = base + QLatin1String("/mnist-mlp-run");
    if (QFileInfo::exists(run + QLatin1String("/checkpoint")))
        return run;
    auto r = writeDemo(base);
    if (!r.ok()) {
        err() << "weightlens: " << r.error().message() << "\n";
        err().flush();
        return {};
    }
    return r.value();
}

int headlessDemo(const char *why)
{
    const QString runDir = demoRun();
    if (runDir.isEmpty())
        return 1;
    const QString reportFile =
        QDir::current().filePath(QStringLiteral("weightlens-demo-report.md"));
    err() << "weightlens: " << why << "; writing a report of the demo run instead\n";
    err().flush();
    return run({QStringLiteral("report"), runDir, QStringLiteral("-o"), reportFile});
}

} // namespace wl::cli
