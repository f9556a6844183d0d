#include "cli.h"
#include "cli_diff.h"
#include "cli_events.h"
#include "clioutput.h"
#include "commandspec.h"

#include "core/glob.h"
#include "core/plural.h"
#include "formats/readerregistry.h"
#include "io/hdf5file.h"
#include "report/report.h"
#include "stats/statsengine.h"
#include "write/demo.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

namespace wl::cli
{
namespace
{

int usage(const QString &problem = {})
{
    if (!problem.isEmpty())
        err() << "weightlens: " << problem << "\n";
    err() << overviewText();
    err().flush();
    return 2;
}

// An open error for the terminal; one that needs permission says how to give it.
QString failureText(const LoadError &e)
{
    return e.code == LoadError::Code::TooLarge
               ? e.message() + QStringLiteral("; pass --allow-large to read it")
               : e.message();
}

struct Options {
    QStringList paths;
    bool json = false;
    bool hash = false;
    bool allowLarge = false;
    int bins = 0;
    QStringList filters;
};

bool matches(const Options &o, const TensorInfo &t)
{
    if (o.filters.isEmpty())
        return true;
    return std::any_of(o.filters.begin(), o.filters.end(), [&](const QString &glob) {
        return globMatch(glob, t.name) || globMatch(glob, t.key);
    });
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
    if (t.trainable)
        o[QLatin1String("trainable")] = *t.trainable;
    if (!t.slotName.isEmpty()) {
        o[QLatin1String("slot")] = t.slotName;
        o[QLatin1String("slot_of")] = t.slotOf;
        o[QLatin1String("optimizer")] = t.optimizerPath;
    }
    return o;
}

// A tensor's line with what its checkpoint adds: the save time, as the state file stores it
// (seconds since the epoch).
QJsonObject tensorJson(const QString &label, const CheckpointIndex &idx, const TensorInfo &t)
{
    QJsonObject o = tensorJson(label, t);
    if (idx.savedAt)
        o[QLatin1String("saved_at")] = *idx.savedAt;
    return o;
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

// Reads the options of ls (stats adds its own); returns an exit status when the command stops.
std::optional<int> parseLsOrStats(const QStringList &args, bool stats, Options &o)
{
    CommandLine cl(stats ? QStringLiteral("stats") : QStringLiteral("ls"));
    if (auto stop = cl.parse(args))
        return stop;
    o.paths = cl.positional();
    o.json = cl.isSet(QStringLiteral("json"));
    o.allowLarge = cl.isSet(QStringLiteral("allow-large"));
    if (stats) {
        o.hash = cl.isSet(QStringLiteral("hash"));
        o.filters = cl.values(QStringLiteral("filter"));
        if (cl.isSet(QStringLiteral("bins"))) {
            bool ok = false;
            o.bins = cl.value(QStringLiteral("bins")).toInt(&ok);
            if (!ok || o.bins < 1 || o.bins > 1000000)
                return cl.fail(QStringLiteral("--bins takes a whole number from 1 to 1000000"));
        }
    }
    if (o.paths.isEmpty())
        return cl.fail(QStringLiteral("a PATH is required"));
    return std::nullopt;
}

int lsOrStats(const QStringList &args, bool stats)
{
    Options o;
    if (auto stop = parseLsOrStats(args, stats, o))
        return *stop;
    int status = 0;
    // An HDF5 reader process starts while the registry looks at the paths.
    for (const auto &input : o.paths) {
        const QFileInfo fi(input);
        if (fi.isDir() ||
            QStringList{QStringLiteral("h5"), QStringLiteral("hdf5"), QStringLiteral("keras")}
                .contains(fi.suffix().toLower())) {
            h5::prestartWorker();
            break;
        }
    }
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
        if (opened->checkpoints.empty()) {          // a folder of training logs alone
            printProblems(input, opened->problems); // why no checkpoint was read, if one failed
            err() << "weightlens: " << input
                  << ": no checkpoint, only training logs (see weightlens events)\n";
            status = 1;
            continue;
        }
        printProblems(input, opened->problems);
        qsizetype matched = 0, total = 0;
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
            matched += selected.size();
            total += idx.tensors.size();
            if (!o.json) {
                out() << label << (idx.latest && opened->checkpoints.size() > 1 ? " (latest)" : "")
                      << "  (" << idx.formatName
                      << (idx.subtype.isEmpty() ? QString() : QLatin1String(", ") + idx.subtype)
                      << ", "
                      << (o.filters.isEmpty() ? QString()
                                              : QStringLiteral("%1 of ").arg(selected.size()))
                      << counted(idx.tensors.size(), "tensor") << ")\n";
                for (const auto &[k, v] : idx.metadata)
                    out() << "  " << k << ": " << v << "\n";
                if (!idx.summaryText.isEmpty())
                    out() << idx.summaryText << (idx.summaryText.endsWith('\n') ? "" : "\n");
            }
            if (!stats) {
                for (int i : selected) {
                    const auto &t = idx.tensors[i];
                    if (o.json)
                        printJson(tensorJson(label, idx, t));
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
                    QJsonObject j = tensorJson(label, idx, t);
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
        if (!o.filters.isEmpty() && matched == 0) {
            // Said on stderr so a script sees why it got no lines; an empty selection is a failure.
            err() << "weightlens: " << input << ": no tensor name or key matches --filter '"
                  << o.filters.join(QLatin1String("' or '")) << "' (of " << counted(total, "tensor")
                  << "; '*' matches '/' too, case counts)\n";
            status = 1;
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
    CommandLine cl(QStringLiteral("report"));
    if (auto stop = cl.parse(args))
        return *stop;
    const QStringList paths = cl.positional();
    const QString outFile = cl.value(QStringLiteral("output"));
    if (paths.isEmpty() || outFile.isEmpty())
        return cl.fail(QStringLiteral("needs at least one PATH and -o FILE"));
    JobContext job;
    job.setAllowLarge(cl.isSet(QStringLiteral("allow-large")));
    QList<UnreadInput> unread;
    auto st = writeReport(paths, outFile, &unread, {}, job);
    for (const auto &u : unread)
        err() << "weightlens: " << failureText(u.error) << "\n";
    if (!st.ok()) {
        err() << "weightlens: " << st.error().message() << "\n";
        return st.error().code == LoadError::Code::BadArgument ? 2 : 1;
    }
    if (unread.isEmpty()) {
        out() << "weightlens: wrote " << outFile << "\n";
        return 0;
    }
    // Here unread < paths means at least two paths, so "inputs" is always plural.
    if (unread.size() == paths.size())
        err() << "weightlens: wrote " << outFile
              << ", but no input could be read; the report lists why\n";
    else
        err() << "weightlens: wrote " << outFile << " without " << unread.size() << " of "
              << paths.size() << " inputs, which could not be read; the report lists why\n";
    return 1;
}

int demo(const QStringList &args)
{
    CommandLine cl(QStringLiteral("demo"));
    if (auto stop = cl.parse(args))
        return *stop;
    const QStringList dirs = cl.positional();
    if (dirs.size() != 1)
        return cl.fail(QStringLiteral("takes one folder"));
    auto r = writeDemo(dirs.first());
    if (!r.ok()) {
        err() << "weightlens: " << r.error().message() << "\n";
        return 1;
    }
    for (const auto &run : r.value())
        out() << "weightlens: wrote the demo run " << run << "\n";
    return 0;
}

} // namespace

bool isCommand(const QString &word)
{
    return findCommand(word) || word == QLatin1String("help") || word == QLatin1String("--help") ||
           word == QLatin1String("-h") || word == QLatin1String("--version") ||
           word == QLatin1String("__manpage") || word == QLatin1String("__completion");
}

int run(const QStringList &args)
{
    const QString cmd = args.value(0);
    const QStringList rest = args.mid(1);
    if (cmd == QLatin1String("ls"))
        return lsOrStats(rest, false);
    if (cmd == QLatin1String("stats"))
        return lsOrStats(rest, true);
    if (cmd == QLatin1String("diff"))
        return flushed(diff(rest));
    if (cmd == QLatin1String("restore"))
        return flushed(restore(rest));
    if (cmd == QLatin1String("events"))
        return flushed(events(rest));
    if (cmd == QLatin1String("report"))
        return flushed(report(rest));
    if (cmd == QLatin1String("demo"))
        return flushed(demo(rest));
    if (cmd == QLatin1String("help") || cmd == QLatin1String("--help") ||
        cmd == QLatin1String("-h")) {
        if (!rest.isEmpty() && findCommand(rest.first()))
            return run({rest.first(), QStringLiteral("--help")}); // "help stats"
        out() << overviewText();
        return flushed(0);
    }
    if (cmd == QLatin1String("--version")) {
        out() << versionText();
        return flushed(0);
    }
    // Hidden: the build writes the man page and the bash completion with these.
    if (cmd == QLatin1String("__manpage")) {
        out() << manPage();
        return flushed(0);
    }
    if (cmd == QLatin1String("__completion")) {
        out() << bashCompletion();
        return flushed(0);
    }
    return usage(QStringLiteral("unknown command %1").arg(cmd));
}

QStringList demoRuns()
{
    const QString base =
        QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/demo";
    QStringList runs;
    for (const auto &name : demoRunNames())
        runs << base + QLatin1Char('/') + name;
    if (std::all_of(runs.begin(), runs.end(), [](const QString &run) {
            return QFileInfo::exists(run + QLatin1String("/best_model.h5"));
        }))
        return runs;
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
    const QStringList runs = demoRuns();
    if (runs.isEmpty())
        return 1;
    const QString reportFile =
        QDir::current().filePath(QStringLiteral("weightlens-demo-report.md"));
    err() << "weightlens: " << why << "; writing a report of the demo runs instead\n";
    err().flush();
    return run(QStringList{QStringLiteral("report")} + runs +
               QStringList{QStringLiteral("-o"), reportFile});
}

} // namespace wl::cli
