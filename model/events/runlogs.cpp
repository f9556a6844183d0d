#include "runlogs.h"

#include "core/naturalorder.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <limits>

namespace wl::events
{
namespace
{

QList<QByteArray> csvCells(QByteArray line)
{
    if (line.endsWith('\r'))
        line.chop(1);
    QList<QByteArray> cells = line.split(',');
    for (auto &c : cells) {
        c = c.trimmed();
        if (c.size() >= 2 && c.startsWith('"') && c.endsWith('"'))
            c = c.mid(1, c.size() - 2);
    }
    return cells;
}

int stepColumn(const QList<QByteArray> &header)
{
    if (int i = int(header.indexOf("step")); i >= 0)
        return i;
    return int(header.indexOf("epoch"));
}

const QStringList &groupedRunNames()
{
    static const QStringList names{QStringLiteral("train"), QStringLiteral("validation"),
                                   QStringLiteral("eval")};
    return names;
}

QString relativeName(const QDir &root, const QString &path)
{
    const QString rel = root.relativeFilePath(path);
    return rel.isEmpty() ? QStringLiteral(".") : rel;
}

// Folders (and CSV logs) below `dir`, at most `depth` levels down, hidden ones skipped.
void scan(const QString &dir, int depth, QStringList &eventDirs, QStringList &csvLogs)
{
    const QDir d(dir);
    const auto files = d.entryInfoList(QDir::Files, QDir::Name);
    bool hasEvents = false;
    for (const auto &f : files) {
        if (isEventFileName(f.fileName()))
            hasEvents = true;
        else if (f.suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0 &&
                 isCsvLog(f.filePath()))
            csvLogs << f.filePath();
    }
    if (hasEvents)
        eventDirs << dir;
    if (depth <= 0)
        return;
    for (const auto &sub : d.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        scan(sub.filePath(), depth - 1, eventDirs, csvLogs);
}

// Runs for the event folders and CSV logs below logs.root that it does not have yet, appended
// in natural order after the runs it has (their indices keep their meaning).
void addNewRuns(RunLogs &logs, int maxDepth)
{
    const QDir root(logs.root);
    QSet<QString> known;
    for (const auto &run : logs.runs)
        known.insert(run.csvFile.isEmpty() ? run.folder : run.csvFile);
    QStringList eventDirs, csvLogs;
    scan(logs.root, maxDepth, eventDirs, csvLogs);
    std::vector<LogRun> added;
    for (const auto &dir : std::as_const(eventDirs)) {
        if (known.contains(dir))
            continue;
        LogRun run;
        run.folder = dir;
        run.name = relativeName(root, dir);
        const QFileInfo di(dir);
        run.group = groupedRunNames().contains(di.fileName()) && dir != logs.root
                        ? relativeName(root, di.path())
                        : run.name;
        added.push_back(std::move(run));
    }
    for (const auto &csv : std::as_const(csvLogs)) {
        if (known.contains(csv))
            continue;
        LogRun run;
        run.csvFile = csv;
        run.folder = QFileInfo(csv).path();
        run.name = run.group = relativeName(root, csv);
        added.push_back(std::move(run));
    }
    std::sort(added.begin(), added.end(),
              [](const LogRun &a, const LogRun &b) { return naturalLess(a.name, b.name); });
    for (auto &run : added)
        logs.runs.push_back(std::move(run));
}

} // namespace

QString parseCsvLog(const QByteArray &bytes, const QString &file, SeriesSet &out,
                    Problems &problems)
{
    const QList<QByteArray> lines = bytes.split('\n');
    QList<QByteArray> header;
    QByteArray headerLine;
    std::vector<std::size_t> seriesOf; // column -> index in `out`, for the metric columns
    int stepCol = -1;
    std::int64_t row = 0;
    std::int64_t lastStep = std::numeric_limits<std::int64_t>::min();
    bool resumed = false;
    for (qsizetype n = 0; n < lines.size(); ++n) {
        const QByteArray line = lines[n].trimmed();
        if (line.isEmpty())
            continue;
        if (header.isEmpty()) {
            headerLine = line;
            header = csvCells(line);
            stepCol = stepColumn(header);
            for (qsizetype c = 0; c < header.size(); ++c) {
                if (c == stepCol)
                    continue;
                out.series(QString::fromUtf8(header[c]), SeriesKind::Scalar);
            }
            for (const auto &h : header)
                seriesOf.push_back(std::size_t(out.find(QString::fromUtf8(h)) - out.all().data()));
            continue;
        }
        if (line == headerLine) {
            resumed = true; // a resumed training appended its header again
            continue;
        }
        const QList<QByteArray> cells = csvCells(line);
        std::int64_t step = row++;
        if (stepCol >= 0) {
            bool ok = false;
            const double s = cells.value(stepCol).toDouble(&ok);
            if (!ok) {
                problems.append({Problem::Severity::Warning, file,
                                 QStringLiteral("line %1").arg(n + 1),
                                 QStringLiteral("no step in column %1; row skipped")
                                     .arg(QString::fromUtf8(header[stepCol]))});
                continue;
            }
            step = std::int64_t(s);
        }
        if (step < lastStep || resumed)
            out.purgeFrom(step); // a resumed training logs its steps again
        resumed = false;
        lastStep = step;
        for (qsizetype c = 0; c < header.size() && c < cells.size(); ++c) {
            if (c == stepCol || cells[c].isEmpty() || cells[c] == "NA")
                continue;
            bool ok = false;
            const double v = cells[c].toDouble(&ok);
            if (!ok)
                continue; // text columns (a file name, a phase) are not curves
            out.at(seriesOf[std::size_t(c)]).scalars.push_back({step, std::nan(""), v});
        }
    }
    return stepCol >= 0 ? QString::fromUtf8(header[stepCol]) : QString();
}

bool isCsvLog(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const auto header = csvCells(f.readLine(64 * 1024).trimmed());
    return header.contains("epoch") || header.contains("step");
}

Status LogRun::refresh()
{
    if (!csvFile.isEmpty()) {
        QFile f(csvFile);
        if (!f.open(QIODevice::ReadOnly))
            return makeError(LoadError::Code::Unreadable, csvFile, {}, QStringLiteral("readable"),
                             f.errorString());
        if (f.size() == m_csvSize)
            return Ok{};
        m_csvSize = f.size();
        series = SeriesSet();
        xColumn = parseCsvLog(f.readAll(), csvFile, series, problems);
        return Ok{};
    }
    QStringList names;
    for (const auto &fi : QDir(folder).entryInfoList(QDir::Files))
        if (isEventFileName(fi.fileName()))
            names << fi.filePath();
    std::sort(names.begin(), names.end(), [](const QString &a, const QString &b) {
        return naturalLess(QFileInfo(a).fileName(), QFileInfo(b).fileName());
    });
    for (const auto &n : names)
        if (std::none_of(eventFiles.begin(), eventFiles.end(),
                         [&](const EventFileCursor &c) { return c.path == n; }))
            eventFiles.emplace_back().path = n;
    for (auto &c : eventFiles)
        if (auto st = readEvents(c, series, problems); !st.ok())
            return st;
    return Ok{};
}

Result<RunLogs> loadLogs(const QString &path, int maxDepth)
{
    const QFileInfo info(path);
    if (!info.exists())
        return makeError(LoadError::Code::NotFound, path, {}, QStringLiteral("a file or folder"),
                         QStringLiteral("nothing"));
    RunLogs logs;
    logs.root = info.isDir() ? info.absoluteFilePath() : info.absolutePath();
    const QDir root(logs.root);
    if (info.isFile()) {
        logs.singleFile = true;
        LogRun run;
        run.name = run.group = info.fileName();
        run.folder = logs.root;
        if (isEventFileName(info.fileName()))
            run.eventFiles.emplace_back().path = info.absoluteFilePath();
        else if (isCsvLog(info.filePath()))
            run.csvFile = info.absoluteFilePath();
        else
            return makeError(LoadError::Code::UnknownFormat, path, {},
                             QStringLiteral("a TensorBoard event file or a CSV training log"),
                             QStringLiteral("neither"));
        // A single event file is read alone: its folder's other files are other sessions.
        if (run.csvFile.isEmpty()) {
            if (auto st = readEvents(run.eventFiles.front(), run.series, run.problems); !st.ok())
                return st.error();
        } else if (auto st = run.refresh(); !st.ok()) {
            return st.error();
        }
        logs.runs.push_back(std::move(run));
        return logs;
    }
    addNewRuns(logs, maxDepth);
    if (logs.runs.empty())
        return makeError(LoadError::Code::UnknownFormat, path, {},
                         QStringLiteral("event files or CSV training logs"),
                         QStringLiteral("none within %1 levels").arg(maxDepth));
    std::sort(logs.runs.begin(), logs.runs.end(),
              [](const LogRun &a, const LogRun &b) { return naturalLess(a.name, b.name); });
    for (auto &run : logs.runs)
        if (auto st = run.refresh(); !st.ok())
            return st.error();
    return logs;
}

Status refreshLogs(RunLogs &logs, int maxDepth)
{
    if (logs.singleFile && !logs.runs.empty() && logs.runs.front().csvFile.isEmpty()) {
        // One event file opened on its own stays alone: its folder's other files are other
        // sessions.
        auto &run = logs.runs.front();
        return readEvents(run.eventFiles.front(), run.series, run.problems);
    }
    if (!logs.singleFile)
        addNewRuns(logs, maxDepth);
    for (auto &run : logs.runs)
        if (auto st = run.refresh(); !st.ok())
            return st;
    return Ok{};
}

} // namespace wl::events
