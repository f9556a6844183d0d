#include "overviewhtml.h"

#include "core/checkpointnames.h"
#include "core/plural.h"
#include "themecolors.h"

#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLocale>
#include <QSet>

namespace wl::overview
{
namespace
{

// Colours from the application palette, so the page reads on light and dark desktops alike.
QString style()
{
    const QPalette p = QGuiApplication::palette();
    const QString muted = theme::mutedText(p).name();
    return QStringLiteral(
               "<style>"
               "body { margin: 8px; }"
               "h2 { margin: 0 0 2px 0; }"
               "h3 { margin: 14px 0 4px 0; color: %1; }"
               "td { padding: 2px 12px 2px 0; vertical-align: top; }"
               "td.k { color: %2; white-space: nowrap; }"
               "td.n { text-align: right; font-family: monospace; white-space: nowrap; }"
               "th { text-align: left; padding: 2px 12px 2px 0; color: %3; white-space: nowrap;"
               "     border-bottom: 1px solid %4; }"
               ".sub { color: %2; }"
               ".warn { color: %5; }"
               ".info { color: %2; }"
               "pre { font-family: monospace; white-space: pre-wrap; }"
               "</style>")
        .arg(theme::accent(p).name(), muted,
             theme::mix(p.color(QPalette::Text), p.color(QPalette::Base), 0.2).name(),
             theme::mix(p.color(QPalette::Text), p.color(QPalette::Base), 0.6).name(),
             theme::warningText(p).name());
}

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

QString row(const QString &k, const QString &v, bool numeric = false)
{
    return QStringLiteral("<tr><td class='k'>%1</td><td%3>%2</td></tr>")
        .arg(esc(k), v, numeric ? QStringLiteral(" class='n'") : QString());
}

QString num(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'g', 8) : QStringLiteral("—");
}

QString header(const QString &title, const QString &subtitle)
{
    return style() +
           QStringLiteral("<h2>%1</h2><div class='sub'>%2</div>").arg(esc(title), esc(subtitle));
}

// Errors and warnings first, in red; information (files not read) after them, in grey.
QString problemsSection(const Problems &problems)
{
    if (problems.isEmpty())
        return {};
    QString out = QObject::tr("<h3>Problems</h3>") + QStringLiteral("<ul>");
    for (const bool info : {false, true})
        for (const auto &p : problems)
            if ((p.severity == Problem::Severity::Info) == info)
                out += QStringLiteral("<li class='%1'>%2</li>")
                           .arg(info ? QLatin1String("info") : QLatin1String("warn"),
                                esc(p.toString()));
    return out + QStringLiteral("</ul>");
}

QString checksumText(ChecksumState s)
{
    switch (s) {
    case ChecksumState::None:
        return QObject::tr("none stored");
    case ChecksumState::NotChecked:
        return QObject::tr("stored, not checked yet");
    case ChecksumState::Ok:
        return QObject::tr("verified");
    case ChecksumState::Mismatch:
        return QStringLiteral("<span class='warn'>%1</span>").arg(QObject::tr("MISMATCH"));
    }
    return {};
}

std::int64_t bytesOf(const TensorInfo &t)
{
    const int size = dtypeSize(t.dtype);
    return size > 0 ? t.numElements() * size : t.location.size;
}

// Variables' values, a storage tied weights share counted once.
std::int64_t parametersOf(const CheckpointIndex &idx)
{
    std::int64_t params = 0;
    QList<const TensorInfo *> variables;
    for (const auto &t : idx.tensors)
        if (t.role == TensorRole::Variable) {
            params += t.numElements();
            variables << &t;
        }
    for (const auto &o : storageOverlaps(variables))
        params -= o.values;
    return params;
}

// One row per checkpoint, in the order given (the source's, as the tree and `ls` list them).
QString checkpointsTable(const QList<const CheckpointIndex *> &checkpoints)
{
    const QStringList names = checkpointNames(checkpoints);
    QString html = QObject::tr("<h3>Checkpoints</h3><table><tr><th>Name</th><th>Format</th>"
                               "<th>Step</th><th>Saved</th><th>Tensors</th>"
                               "<th>Model parameters</th><th>Size</th></tr>");
    for (qsizetype i = 0; i < checkpoints.size(); ++i) {
        const CheckpointIndex *idx = checkpoints[i];
        html += QStringLiteral("<tr><td>%1</td><td>%2</td><td class='n'>%3</td><td>%4</td>"
                               "<td class='n'>%5</td><td class='n'>%6</td><td class='n'>%7</td>"
                               "</tr>")
                    .arg(esc(names[i]) + (idx->latest ? QObject::tr(" (latest)") : QString()),
                         esc(idx->formatName),
                         idx->step ? formatCount(*idx->step) : QStringLiteral("—"),
                         idx->savedAt ? idx->savedAtText() : QStringLiteral("—"),
                         formatCount(idx->tensors.size()), formatCount(parametersOf(*idx)),
                         formatBytes(idx->totalBytes()));
    }
    return html + QStringLiteral("</table>");
}

} // namespace

QString formatBytes(std::int64_t bytes)
{
    return QLocale().formattedDataSize(bytes, 2, QLocale::DataSizeIecFormat);
}

QString formatCount(std::int64_t n)
{
    return QLocale().toString(qlonglong(n));
}

QString formatCount(std::int64_t n, const QString &one, const QString &many)
{
    return formatCount(n) + QLatin1Char(' ') + nounFor(n, one, many);
}

QString emptyPage()
{
    return style() +
           QObject::tr("<p class='sub'>Select a checkpoint, a layer or a tensor in the tree. "
                       "Several tensors (Ctrl+click) overlay their histograms.</p>");
}

QString sourcePage(const OpenResult &source, const Problems &problems)
{
    QString html = header(QFileInfo(source.path).fileName(), source.path);
    html += QObject::tr("<h3>Source</h3>") + QStringLiteral("<table>");
    html += row(QObject::tr("Kind"), esc(source.kind));
    // The reader that claimed the source (none for a scanned folder), then those of the
    // checkpoints it holds, which a folder may have from sub-runs of other formats.
    QStringList readers{source.readerId};
    for (const auto &cp : source.checkpoints)
        readers << cp->index().readerId;
    readers.removeAll(QString());
    readers.removeDuplicates();
    html += row(QObject::tr("Reader"), esc(readers.join(QStringLiteral(", "))));
    html += row(QObject::tr("Checkpoints"), formatCount(qlonglong(source.checkpoints.size())));
    if (!source.latest.isEmpty())
        html += row(QObject::tr("Latest"), esc(source.latest));
    std::int64_t tensors = 0, bytes = 0;
    for (const auto &cp : source.checkpoints) {
        tensors += cp->index().tensors.size();
        bytes += cp->index().totalBytes();
    }
    html += row(QObject::tr("Tensors"), formatCount(tensors));
    html += row(QObject::tr("Size"), formatBytes(bytes));
    if (source.logs && !source.logs->runs.empty()) {
        QSet<QString> tags;
        for (const auto &run : source.logs->runs)
            for (const auto &s : run.series.all())
                tags.insert(s.tag);
        html += row(QObject::tr("Training logs"),
                    QObject::tr("%1, %2 (select Logs to plot them)")
                        .arg(formatCount(qlonglong(source.logs->runs.size()), QObject::tr("run"),
                                         QObject::tr("runs")),
                             formatCount(tags.size(), QObject::tr("tag"), QObject::tr("tags"))));
    }
    html += QStringLiteral("</table>");
    if (!source.summaryText.isEmpty())
        html += QStringLiteral("<h3>Summary</h3><pre>%1</pre>").arg(esc(source.summaryText));
    if (source.checkpoints.size() == 1) {
        const auto &idx = source.checkpoints.front()->index();
        html += QStringLiteral("<h3>Checkpoint %1</h3><table>").arg(esc(idx.displayName));
        html += row(QObject::tr("Format"), esc(idx.formatName));
        for (const auto &[k, v] : idx.metadata)
            html += row(k, esc(v));
        html += QStringLiteral("</table>");
        if (!idx.summaryText.isEmpty())
            html += QStringLiteral("<pre>%1</pre>").arg(esc(idx.summaryText));
    } else if (source.checkpoints.size() > 1) {
        QList<const CheckpointIndex *> indexes;
        for (const auto &cp : source.checkpoints)
            indexes << &cp->index();
        html += checkpointsTable(indexes);
    }
    return html + problemsSection(problems);
}

QString checkpointPage(const CheckpointIndex &idx, const Problems &problems)
{
    QString html = header(idx.displayName, idx.path);
    html += QObject::tr("<h3>Format</h3>") + QStringLiteral("<table>");
    html += row(QObject::tr("Format"), esc(idx.formatName));
    if (!idx.subtype.isEmpty())
        html += row(QObject::tr("Kind"), esc(idx.subtype));
    html += row(QObject::tr("Reader"), esc(idx.readerId));
    if (idx.step)
        html += row(QObject::tr("Step"), formatCount(*idx.step));
    html += row(QObject::tr("Tensors"), formatCount(idx.tensors.size()));
    html += row(QObject::tr("Model parameters"), formatCount(parametersOf(idx)));
    html += row(QObject::tr("Size"), formatBytes(idx.totalBytes()));
    html += QStringLiteral("</table>");
    if (!idx.metadata.isEmpty()) {
        html += QObject::tr("<h3>Metadata</h3>") + QStringLiteral("<table>");
        for (const auto &[k, v] : idx.metadata)
            html += row(k, esc(v));
        html += QStringLiteral("</table>");
    }
    if (!idx.summaryText.isEmpty())
        html += QStringLiteral("<h3>Structure</h3><pre>%1</pre>").arg(esc(idx.summaryText));
    return html + problemsSection(problems);
}

QString groupPage(const QString &title, const QList<TensorRef> &tensors)
{
    std::int64_t params = 0, bytes = 0;
    QList<const TensorInfo *> infos;
    for (const auto &t : tensors) {
        params += t.info().numElements();
        bytes += bytesOf(t.info());
        infos << &t.info();
    }
    for (const auto &o : storageOverlaps(infos)) {
        params -= o.values;
        bytes -= o.bytes;
    }
    QString html = header(
        title, QObject::tr("%1 tensors, %2 values, %3")
                   .arg(formatCount(tensors.size()), formatCount(params), formatBytes(bytes)));
    // Tensors of several checkpoints (a run folder, a selection across checkpoints) repeat
    // their names: list the checkpoints, then the tensors of one of them, the latest.
    QList<std::shared_ptr<const Checkpoint>> checkpoints;
    for (const auto &t : tensors)
        if (!checkpoints.contains(t.checkpoint))
            checkpoints << t.checkpoint;
    QList<TensorRef> shown = tensors;
    QString tensorsHeading = QObject::tr("Tensors");
    if (checkpoints.size() > 1) {
        QList<const CheckpointIndex *> indexes;
        auto latest = checkpoints.back();
        for (const auto &cp : checkpoints) {
            indexes << &cp->index();
            if (cp->index().latest)
                latest = cp;
        }
        html += checkpointsTable(indexes);
        shown.clear();
        for (const auto &t : tensors)
            if (t.checkpoint == latest)
                shown << t;
        tensorsHeading =
            QObject::tr("Tensors of %1 (latest)").arg(esc(latest->index().displayName));
    }
    html += QStringLiteral("<h3>%1</h3><table><tr><th>Name</th><th>Shape</th>"
                           "<th>DType</th><th>Values</th><th>Role</th></tr>")
                .arg(tensorsHeading);
    constexpr int kMaxRows = 500;
    for (int i = 0; i < shown.size() && i < kMaxRows; ++i) {
        const auto &t = shown[i].info();
        html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td class='n'>%4</td>"
                               "<td>%5</td></tr>")
                    .arg(esc(t.name), esc(t.shape.toString()), esc(t.dtypeText()),
                         formatCount(t.numElements()), esc(roleName(t.role)));
    }
    html += QStringLiteral("</table>");
    if (shown.size() > kMaxRows)
        html += QObject::tr("<p class='sub'>… and %1 more</p>").arg(shown.size() - kMaxRows);
    return html;
}

QString tensorPage(const TensorRef &ref, const std::optional<TensorReport> &report,
                   const Problems &problems)
{
    const auto &t = ref.info();
    QString html = header(t.name, ref.checkpoint->index().displayName);
    html += QObject::tr("<h3>Tensor</h3>") + QStringLiteral("<table>");
    html += row(QObject::tr("Key"), QStringLiteral("<code>%1</code>").arg(esc(t.key)));
    html += row(QObject::tr("Name"), esc(t.name));
    html += row(QObject::tr("DType"), esc(t.dtypeText()));
    html += row(QObject::tr("Shape"), esc(t.shape.toString()));
    html += row(QObject::tr("Values"), formatCount(t.numElements()));
    const std::int64_t bytes = bytesOf(t);
    html +=
        row(QObject::tr("Bytes"),
            bytes < 1024 ? formatCount(bytes)
                         : QStringLiteral("%1 (%2)").arg(formatCount(bytes), formatBytes(bytes)));
    html += row(QObject::tr("Role"), esc(roleName(t.role)));
    if (!t.slotName.isEmpty())
        html += row(QObject::tr("Optimizer slot"),
                    esc(QObject::tr("%1 of %2").arg(t.slotName, t.slotOf)));
    if (t.trainable)
        html +=
            row(QObject::tr("Trainable"), *t.trainable ? QObject::tr("yes") : QObject::tr("no"));
    if (t.location.storage != TensorLocation::Storage::None) {
        html += row(QObject::tr("File"), esc(t.location.file));
        if (t.location.storage == TensorLocation::Storage::Raw)
            html += row(QObject::tr("Offset"), QStringLiteral("%1 (0x%2)")
                                                   .arg(formatCount(t.location.offset))
                                                   .arg(QString::number(t.location.offset, 16)));
        const QString aliases = ref.checkpoint->index().aliasesText(ref.index);
        if (!aliases.isEmpty())
            html += row(QObject::tr("Shares its storage with"),
                        QObject::tr("%1 (its bytes counted once in totals)").arg(esc(aliases)));
    }
    const ChecksumState cs = report ? report->checksum : t.checksum;
    html += row(QObject::tr("Checksum"), checksumText(cs));
    html += QStringLiteral("</table>") + QObject::tr("<h3>Statistics</h3>");
    if (!report) {
        html += QObject::tr("<p class='sub'>Computing…</p>");
    } else if (!report->error.isEmpty()) {
        html += QStringLiteral("<p class='warn'>%1</p>").arg(esc(report->error));
    } else if (!report->reduced) {
        html += QObject::tr("<p class='sub'>No numeric statistics for %1 tensors.</p>")
                    .arg(esc(t.dtypeText()));
    } else {
        const auto &s = report->stats;
        html += QStringLiteral("<table>");
        html += row(QObject::tr("Count"), formatCount(s.count), true);
        html += row(QObject::tr("Min"), num(s.min), true);
        html += row(QObject::tr("Max"), num(s.max), true);
        html += row(QObject::tr("Mean"), num(s.mean), true);
        html += row(QObject::tr("Std"), num(s.std), true);
        html += row(QObject::tr("L2 norm"), QString::number(s.l2, 'g', 8), true);
        html += row(QObject::tr("Zeros"), formatCount(s.zeros), true);
        auto bad = [](std::int64_t n) {
            return n ? QStringLiteral("<span class='warn'>%1</span>").arg(formatCount(n))
                     : formatCount(n);
        };
        html += row(QObject::tr("NaN"), bad(s.nan), true);
        html += row(QObject::tr("±Inf"), bad(s.inf), true);
        html += QStringLiteral("</table>");
    }
    return html + problemsSection(problems);
}

QString logsPage(const QString &title, const QList<LogRunRef> &runs, const Problems &problems)
{
    using events::SeriesKind;
    QString html =
        header(title, QObject::tr("Training logs: %1")
                          .arg(formatCount(runs.size(), QObject::tr("run"), QObject::tr("runs"))));
    for (const auto &ref : runs) {
        const auto &run = ref.get();
        html += QStringLiteral("<h3>%1</h3><div class='sub'>%2</div>")
                    .arg(esc(run.name),
                         esc(run.csvFile.isEmpty()
                                 ? QObject::tr("%1 event files").arg(run.eventFiles.size())
                                 : QFileInfo(run.csvFile).fileName()));
        html += QStringLiteral("<table><tr><th>%1</th><th>%2</th><th>%3</th><th>%4</th>"
                               "<th>%5</th><th>%6</th></tr>")
                    .arg(QObject::tr("Tag"), QObject::tr("Kind"), QObject::tr("Points"),
                         QObject::tr("First step"), QObject::tr("Last step"),
                         QObject::tr("Last value"));
        for (const auto &s : run.series.all()) {
            QString kind, first, last, value;
            switch (s.kind) {
            case SeriesKind::Scalar:
                kind = QObject::tr("scalar");
                if (!s.scalars.empty()) {
                    first = QString::number(s.scalars.front().step);
                    last = QString::number(s.scalars.back().step);
                    value = QString::number(s.scalars.back().value, 'g', 8);
                }
                break;
            case SeriesKind::Histogram:
                kind = QObject::tr("histogram");
                if (!s.histograms.empty()) {
                    first = QString::number(s.histograms.front().step);
                    last = QString::number(s.histograms.back().step);
                }
                break;
            case SeriesKind::Image:
                kind = QObject::tr("images");
                break;
            case SeriesKind::Audio:
                kind = QObject::tr("audio");
                break;
            case SeriesKind::Other:
                kind = QObject::tr("tensor");
                break;
            }
            html += QStringLiteral("<tr><td>%1</td><td>%2</td><td class='n'>%3</td>"
                                   "<td class='n'>%4</td><td class='n'>%5</td>"
                                   "<td class='n'>%6</td></tr>")
                        .arg(esc(s.tag), kind, formatCount(s.size()), first, last, value);
        }
        html += QStringLiteral("</table>");
    }
    return html + problemsSection(problems);
}

} // namespace wl::overview
