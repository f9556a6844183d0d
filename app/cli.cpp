#include "cli.h"
#include "cli_diff.h"
#include "cli_events.h"
#include "cli_graph.h"
#include "clioutput.h"
#include "commandspec.h"

#include "analysis/spectral.h"
#include "core/glob.h"
#include "core/jsonline.h"
#include "core/plural.h"
#include "formats/readerregistry.h"
#include "io/hdf5file.h"
#include "report/reportwriters.h"
#include "stats/statsengine.h"
#include "write/demo.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
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

// A tensor's fields, with what its checkpoint adds: the save time, as the state file stores it
// (seconds since the epoch).
void tensorJson(JsonLine &o, const QString &label, const CheckpointIndex &idx, const TensorInfo &t)
{
    o.add(QLatin1String("checkpoint"), label);
    o.add(QLatin1String("key"), t.key);
    o.add(QLatin1String("name"), t.name);
    o.add(QLatin1String("dtype"), t.dtypeText());
    o.add(QLatin1String("shape"), std::span<const std::int64_t>(t.shape.dims));
    o.add(QLatin1String("role"), roleName(t.role));
    if (t.trainable)
        o.add(QLatin1String("trainable"), *t.trainable);
    if (!t.slotName.isEmpty()) {
        o.add(QLatin1String("slot"), t.slotName);
        o.add(QLatin1String("slot_of"), t.slotOf);
        o.add(QLatin1String("optimizer"), t.optimizerPath);
    }
    if (idx.savedAt)
        o.add(QLatin1String("saved_at"), idx.savedAt);
}

// JSON lines gathered in bytes and written to standard output in large pieces.
class JsonOut
{
public:
    ~JsonOut() { flush(); }
    void add(JsonLine &line)
    {
        line.appendTo(m_bytes);
        if (m_bytes.size() > (qsizetype(1) << 20))
            flush();
    }
    void add(const QJsonObject &o)
    {
        m_bytes += QJsonDocument(o).toJson(QJsonDocument::Compact);
        m_bytes += '\n';
    }
    void flush()
    {
        if (m_bytes.isEmpty())
            return;
        out().flush();
        out().device()->write(m_bytes);
        m_bytes.clear();
    }

private:
    QByteArray m_bytes;
};

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
    // An HDF5 reader process starts while the registry looks at the paths, when one may need
    // it: starting it costs a folder of TensorFlow shards a tenth of its listing time.
    const QStringList h5Suffixes{QStringLiteral("h5"), QStringLiteral("hdf5"),
                                 QStringLiteral("keras")};
    const QStringList h5Globs{QStringLiteral("*.h5"), QStringLiteral("*.hdf5"),
                              QStringLiteral("*.keras")};
    for (const auto &input : o.paths) {
        const QFileInfo fi(input);
        const bool mayHoldHdf5 =
            fi.isDir() ? !QDir(input).entryList(h5Globs, QDir::Files).isEmpty() ||
                             !QDir(input).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty()
                       : h5Suffixes.contains(fi.suffix().toLower());
        if (mayHoldHdf5) {
            h5::prestartWorker();
            break;
        }
    }
    const auto &registry = ReaderRegistry::builtin();
    JobContext job;
    job.setAllowLarge(o.allowLarge);
    JsonOut json;
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
            json.add(opened->summary);
        if (!o.json && !opened->summaryText.isEmpty())
            out() << opened->summaryText << (opened->summaryText.endsWith('\n') ? "" : "\n");
        for (const auto &cp : opened->checkpoints) {
            const auto &idx = cp->index();
            const QString label = checkpointLabel(input, *cp);
            printProblems(input, idx.problems);
            if (o.json && !stats && !idx.summary.isEmpty())
                json.add(idx.summary);
            QVector<int> selected;
            int nameWidth = 8, shapeWidth = 5;
            QStringList shapes; // of the selected tensors, for the text listing
            for (int i = 0; i < idx.tensors.size(); ++i)
                if (matches(o, idx.tensors[i])) {
                    selected << i;
                    if (o.json)
                        continue;
                    nameWidth = std::max<int>(nameWidth, idx.tensors[i].name.size());
                    shapes << idx.tensors[i].shape.toString();
                    shapeWidth = std::max<int>(shapeWidth, shapes.last().size());
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
                for (qsizetype k = 0; k < selected.size(); ++k) {
                    const auto &t = idx.tensors[selected[k]];
                    if (o.json) {
                        JsonLine j;
                        tensorJson(j, label, idx, t);
                        json.add(j);
                    } else
                        out() << "  " << t.name.leftJustified(nameWidth) << "  "
                              << t.dtypeText().leftJustified(9) << ' '
                              << shapes[k].leftJustified(shapeWidth) << "  " << roleName(t.role)
                              << "\n";
                }
                continue;
            }
            StatsRequest req;
            req.bins = o.bins;
            req.hash = o.hash;
            const auto reports = computeStats(*cp, selected, req);
            std::vector<double> edges;
            for (qsizetype k = 0; k < reports.size(); ++k) {
                const auto &r = reports[k];
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
                    JsonLine j;
                    tensorJson(j, label, idx, t);
                    j.add(QLatin1String("count"), std::int64_t(s.count));
                    if (r.reduced) {
                        j.add(QLatin1String("min"), s.min);
                        j.add(QLatin1String("max"), s.max);
                        j.add(QLatin1String("mean"), s.mean);
                        j.add(QLatin1String("std"), s.std);
                        j.add(QLatin1String("nan"), std::int64_t(s.nan));
                        j.add(QLatin1String("inf"), std::int64_t(s.inf));
                        j.add(QLatin1String("zeros"), std::int64_t(s.zeros));
                        j.add(QLatin1String("l2"), std::optional<double>(s.l2));
                    }
                    if (r.checksum == ChecksumState::Ok || r.checksum == ChecksumState::Mismatch)
                        j.add(QLatin1String("checksum"), r.checksum == ChecksumState::Ok
                                                             ? QLatin1String("ok")
                                                             : QLatin1String("mismatch"));
                    if (o.hash && !r.sha256.isEmpty())
                        j.add(QLatin1String("sha256"), QString::fromLatin1(r.sha256.toHex()));
                    if (!s.histogram.isEmpty()) {
                        edges.resize(s.histogram.counts.size() + 1);
                        for (std::size_t b = 0; b < edges.size(); ++b)
                            edges[b] = s.histogram.edge(b);
                        j.add(QLatin1String("edges"), std::span<const double>(edges));
                        j.add(QLatin1String("counts"),
                              std::span<const std::uint64_t>(s.histogram.counts));
                    }
                    if (!r.error.isEmpty())
                        j.add(QLatin1String("error"), r.error);
                    json.add(j);
                } else {
                    out() << "  " << t.name.leftJustified(nameWidth) << "  "
                          << t.dtypeText().leftJustified(9) << ' '
                          << shapes[k].leftJustified(shapeWidth);
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
    json.flush();
    out().flush();
    err().flush();
    return status;
}

// A number for a JSON line: null where the value is missing or infinite.
std::optional<double> finiteOrNone(double v)
{
    return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

int analyze(const QStringList &args)
{
    CommandLine cl(QStringLiteral("analyze"));
    if (auto stop = cl.parse(args))
        return *stop;
    if (cl.positional().size() != 1)
        return cl.fail(QStringLiteral("takes one PATH"));
    Options o;
    o.json = cl.isSet(QStringLiteral("json"));
    o.filters = cl.values(QStringLiteral("filter"));
    const QString input = cl.positional().first();
    JobContext job;
    job.setAllowLarge(cl.isSet(QStringLiteral("allow-large")));
    auto opened = ReaderRegistry::builtin().open(input, job);
    if (!opened.ok()) {
        err() << "weightlens: " << failureText(opened.error()) << "\n";
        return 1;
    }
    printProblems(input, opened->problems);
    if (opened->checkpoints.empty()) {
        err() << "weightlens: " << input << ": no checkpoint, only training logs\n";
        return 1;
    }
    int status = 0;
    qsizetype matched = 0;
    JsonOut json;
    for (const auto &cp : opened->checkpoints) {
        const auto &idx = cp->index();
        const QString label = checkpointLabel(input, *cp);
        QVector<int> selected;
        for (int i = 0; i < idx.tensors.size(); ++i)
            if (matches(o, idx.tensors[i]))
                selected << i;
        matched += selected.size();
        const auto layers = analysis::analyzeCheckpoint(*cp, selected);
        if (!o.json)
            out() << label << "  (" << counted(layers.size(), "weight matrix", "weight matrices")
                  << ")\n";
        for (const auto &l : layers) {
            const auto &t = idx.tensors[l.tensor];
            const auto &m = l.matrix;
            if (!l.error.isEmpty()) {
                err() << "weightlens: " << l.error << "\n";
                status = 1;
                continue;
            }
            const QString name = analysis::matrixName(t, l);
            if (!m.note.isEmpty())
                err() << "weightlens: note: " << label << ": " << name << ": " << m.note << "\n";
            if (o.json) {
                JsonLine j;
                j.add(QLatin1String("checkpoint"), label);
                j.add(QLatin1String("key"), t.key);
                j.add(QLatin1String("name"), name);
                if (!l.gate.isEmpty())
                    j.add(QLatin1String("gate"), l.gate);
                const std::int64_t shape[] = {m.rows, m.cols};
                j.add(QLatin1String("shape"), std::span<const std::int64_t>(shape));
                j.add(QLatin1String("frobenius_norm"), finiteOrNone(m.frobeniusNorm));
                j.add(QLatin1String("spectral_norm"), finiteOrNone(m.spectralNorm));
                j.add(QLatin1String("stable_rank"), finiteOrNone(m.stableRank));
                j.add(QLatin1String("effective_rank"), finiteOrNone(m.effectiveRank));
                j.add(QLatin1String("condition_number"), finiteOrNone(m.conditionNumber));
                j.add(QLatin1String("near_zero_fraction"), finiteOrNone(m.nearZeroFraction));
                j.add(QLatin1String("alpha"), finiteOrNone(m.fit.alpha));
                j.add(QLatin1String("alpha_xmin"), finiteOrNone(m.fit.xmin));
                j.add(QLatin1String("alpha_ks"), finiteOrNone(m.fit.ks));
                j.add(QLatin1String("mp_edge"), finiteOrNone(m.mpEdge));
                j.add(QLatin1String("mp_spikes"), m.mpSpikes);
                j.add(QLatin1String("dead_rows"), m.deadRows);
                j.add(QLatin1String("dead_cols"), m.deadCols);
                json.add(j);
                continue;
            }
            const auto num = [](double v) { return formatNumber(finiteOrNone(v)); };
            out() << "  " << name << "  " << m.rows << "x" << m.cols << "  frob "
                  << num(m.frobeniusNorm) << " spectral " << num(m.spectralNorm) << " stable_rank "
                  << num(m.stableRank) << " eff_rank " << num(m.effectiveRank) << " cond "
                  << num(m.conditionNumber) << " alpha " << num(m.fit.alpha) << " spikes "
                  << m.mpSpikes;
            if (m.deadRows || m.deadCols)
                out() << " dead " << m.deadRows << " rows " << m.deadCols << " cols";
            out() << "\n";
        }
    }
    if (!o.filters.isEmpty() && matched == 0) {
        err() << "weightlens: " << input << ": no tensor name or key matches --filter '"
              << o.filters.join(QLatin1String("' or '")) << "'\n";
        status = 1;
    }
    json.flush();
    return status;
}

int flushed(int status)
{
    out().flush();
    err().flush();
    return status;
}

const report::PlotRenderer *g_plots = nullptr;

// "--compare A B" takes two values, which QCommandLineParser cannot: B is given the option's
// name too, so that values() holds both.
QStringList splitCompare(QStringList args)
{
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--"))
            break;
        if (args[i] == QLatin1String("--compare") && i + 2 < args.size()) {
            args.insert(i + 2, QStringLiteral("--compare"));
            i += 3;
        } else if (args[i].startsWith(QLatin1String("--compare=")) && i + 1 < args.size()) {
            args.insert(i + 1, QStringLiteral("--compare"));
            i += 2;
        }
    }
    return args;
}

int report(const QStringList &args)
{
    CommandLine cl(QStringLiteral("report"));
    if (auto stop = cl.parse(splitCompare(args)))
        return *stop;
    report::ReportRequest req;
    req.paths = cl.positional();
    const QString outFile = cl.value(QStringLiteral("output"));
    const QStringList compare = cl.values(QStringLiteral("compare"));
    if (!compare.isEmpty() && compare.size() != 2)
        return cl.fail(QStringLiteral("--compare takes two checkpoints, A and B"));
    if ((req.paths.isEmpty() && compare.isEmpty()) || outFile.isEmpty())
        return cl.fail(QStringLiteral("needs at least one PATH (or --compare A B) and -o FILE"));
    if (!report::formatFor(outFile))
        return cl.fail(
            QStringLiteral("%1: expected a .html, .pdf, .md or .json file name").arg(outFile));
    if (cl.isSet(QStringLiteral("sections"))) {
        auto s = report::parseSections(cl.value(QStringLiteral("sections")));
        if (!s.ok())
            return cl.fail(s.error().message());
        req.sections = *s;
    }
    if (!compare.isEmpty()) {
        req.compareA = compare[0];
        req.compareB = compare[1];
    }
    QElapsedTimer timer;
    timer.start();
    JobContext job;
    job.setAllowLarge(cl.isSet(QStringLiteral("allow-large")));
    auto built = report::buildReport(req, job);
    if (!built.ok()) {
        err() << "weightlens: " << built.error().message() << "\n";
        return 1;
    }
    const auto &unread = built->unread;
    const auto format = *report::formatFor(outFile);
    if (!g_plots && format != report::Format::Json)
        err() << "weightlens: warning: this build draws no plots (no window libraries); the "
                 "report holds the tables only\n";
    auto st = report::writeReport(*built, outFile, g_plots, job);
    for (const auto &u : unread)
        err() << "weightlens: " << failureText(u.error) << "\n";
    if (!st.ok()) {
        err() << "weightlens: " << st.error().message() << "\n";
        return st.error().code == LoadError::Code::BadArgument ? 2 : 1;
    }
    const int inputs = int(req.paths.size() + compare.size());
    const QString took = QStringLiteral(" in %1 s").arg(double(timer.elapsed()) / 1000, 0, 'f', 1);
    if (unread.isEmpty()) {
        out() << "weightlens: wrote " << outFile << took << "\n";
        return 0;
    }
    // Here unread < inputs means at least two inputs, so "inputs" is always plural.
    if (unread.size() == inputs)
        err() << "weightlens: wrote " << outFile
              << ", but no input could be read; the report lists why\n";
    else
        err() << "weightlens: wrote " << outFile << " without " << unread.size() << " of " << inputs
              << " inputs, which could not be read; the report lists why\n";
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

void setPlotRenderer(const report::PlotRenderer *plots)
{
    g_plots = plots;
}

bool needsPlots(const QStringList &args)
{
    if (args.value(0) != QLatin1String("report"))
        return false;
    for (int i = 1; i < args.size(); ++i) {
        QString file;
        if ((args[i] == QLatin1String("-o") || args[i] == QLatin1String("--output")) &&
            i + 1 < args.size())
            file = args[i + 1];
        else if (args[i].startsWith(QLatin1String("--output=")))
            file = args[i].mid(9);
        if (!file.isEmpty())
            return report::formatFor(file).value_or(report::Format::Json) != report::Format::Json;
    }
    return false;
}

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
    if (cmd == QLatin1String("convert"))
        return flushed(convert(rest));
    if (cmd == QLatin1String("events"))
        return flushed(events(rest));
    if (cmd == QLatin1String("analyze"))
        return flushed(analyze(rest));
    if (cmd == QLatin1String("graph"))
        return flushed(graphCommand(rest));
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

QStringList headlessDemoReport(const char *why)
{
    const QStringList runs = demoRuns();
    if (runs.isEmpty())
        return {};
    const QString reportFile =
        QDir::current().filePath(QStringLiteral("weightlens-demo-report.html"));
    err() << "weightlens: " << why << "; writing an HTML report of the demo runs to " << reportFile
          << " instead\n";
    err().flush();
    return QStringList{QStringLiteral("report")} + runs +
           QStringList{QStringLiteral("-o"), reportFile};
}

} // namespace wl::cli
