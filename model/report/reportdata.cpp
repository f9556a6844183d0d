#include "reportdata.h"

#include "compare/namematch.h"
#include "events/checkpointmarks.h"
#include "events/runlogs.h"
#include "events/smoothing.h"
#include "formats/readerregistry.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace wl::report
{

QList<Section> allSections()
{
    return {Section::Summary,    Section::Layers,   Section::Statistics,
            Section::Histograms, Section::Analysis, Section::Curves,
            Section::OverTime,   Section::Compare,  Section::Restore};
}

Sections everySection()
{
    Sections s;
    for (auto x : allSections())
        s |= x;
    return s;
}

QString sectionKey(Section s)
{
    switch (s) {
    case Section::Summary:
        return QStringLiteral("summary");
    case Section::Layers:
        return QStringLiteral("layers");
    case Section::Statistics:
        return QStringLiteral("statistics");
    case Section::Histograms:
        return QStringLiteral("histograms");
    case Section::Curves:
        return QStringLiteral("curves");
    case Section::OverTime:
        return QStringLiteral("over-time");
    case Section::Compare:
        return QStringLiteral("compare");
    case Section::Restore:
        return QStringLiteral("restore");
    case Section::Analysis:
        return QStringLiteral("analysis");
    }
    return {};
}

QString sectionTitle(Section s)
{
    switch (s) {
    case Section::Summary:
        return QStringLiteral("Summary");
    case Section::Layers:
        return QStringLiteral("Layers");
    case Section::Statistics:
        return QStringLiteral("Tensor statistics");
    case Section::Histograms:
        return QStringLiteral("Histograms of the largest tensors");
    case Section::Curves:
        return QStringLiteral("Training curves");
    case Section::OverTime:
        return QStringLiteral("Weights over time");
    case Section::Compare:
        return QStringLiteral("Comparison");
    case Section::Restore:
        return QStringLiteral("Restore log");
    case Section::Analysis:
        return QStringLiteral("Layer analysis");
    }
    return {};
}

Result<Sections> parseSections(const QString &list)
{
    Sections out;
    for (const QString &word : list.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString w = word.trimmed().toLower();
        if (w == QLatin1String("all")) {
            out |= everySection();
            continue;
        }
        bool found = false;
        for (auto s : allSections())
            if (sectionKey(s) == w) {
                out |= s;
                found = true;
            }
        if (!found) {
            QStringList known;
            for (auto s : allSections())
                known << sectionKey(s);
            return makeError(LoadError::Code::BadArgument, QStringLiteral("--sections"), {},
                             QStringLiteral("one of all, ") + known.join(QStringLiteral(", ")),
                             word);
        }
    }
    if (!out)
        return makeError(LoadError::Code::BadArgument, QStringLiteral("--sections"), {},
                         QStringLiteral("at least one section"), list);
    return out;
}

std::int64_t Report::tensorCount() const
{
    std::int64_t n = 0;
    for (const auto &s : sources)
        for (const auto &c : s.checkpoints)
            n += c.checkpoint->index().tensors.size();
    return n;
}

std::int64_t Report::elementCount() const
{
    std::int64_t n = 0;
    for (const auto &s : sources)
        for (const auto &c : s.checkpoints)
            n += c.checkpoint->index().totalValues();
    return n;
}

std::int64_t Report::byteCount() const
{
    std::int64_t n = 0;
    for (const auto &s : sources)
        for (const auto &c : s.checkpoints)
            n += c.checkpoint->index().totalBytes();
    return n;
}

std::int64_t Report::problemCount() const
{
    std::int64_t n = unread.size();
    for (const auto &s : sources) {
        n += s.problems.size();
        for (const auto &c : s.checkpoints) {
            n += c.checkpoint->index().problems.size();
            for (const auto &r : c.stats)
                n += !r.error.isEmpty() || r.checksum == ChecksumState::Mismatch;
        }
    }
    return n;
}

QJsonObject tensorStatsJson(const TensorInfo &t, const TensorReport &r)
{
    auto number = [](const std::optional<double> &v) {
        return v && std::isfinite(*v) ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
    };
    QJsonArray shape;
    for (auto d : t.shape.dims)
        shape.append(qint64(d));
    QJsonObject o{{QStringLiteral("key"), t.key},
                  {QStringLiteral("name"), t.name},
                  {QStringLiteral("dtype"), t.dtypeText()},
                  {QStringLiteral("shape"), shape},
                  {QStringLiteral("role"), roleName(t.role)},
                  {QStringLiteral("count"), qint64(r.stats.count)}};
    if (r.reduced) {
        const auto &s = r.stats;
        o[QStringLiteral("min")] = number(s.min);
        o[QStringLiteral("max")] = number(s.max);
        o[QStringLiteral("mean")] = number(s.mean);
        o[QStringLiteral("std")] = number(s.std);
        o[QStringLiteral("nan")] = qint64(s.nan);
        o[QStringLiteral("inf")] = qint64(s.inf);
        o[QStringLiteral("zeros")] = qint64(s.zeros);
        o[QStringLiteral("l2")] = s.l2;
    }
    if (r.checksum == ChecksumState::Ok || r.checksum == ChecksumState::Mismatch)
        o[QStringLiteral("checksum")] =
            r.checksum == ChecksumState::Ok ? QStringLiteral("ok") : QStringLiteral("mismatch");
    if (!r.error.isEmpty())
        o[QStringLiteral("error")] = r.error;
    return o;
}

namespace
{

LoadError cancelled()
{
    return makeError(LoadError::Code::Cancelled, QString(), {}, {}, {},
                     QStringLiteral("cancelled"));
}

// Numeric tensors by element count, largest first; variables before optimizer state.
QVector<int> largestTensors(const CheckpointIndex &idx, int n)
{
    QVector<int> all;
    for (int i = 0; i < idx.tensors.size(); ++i)
        if (dtypeIsNumeric(idx.tensors[i].dtype) && idx.tensors[i].numElements() > 1 &&
            idx.tensors[i].role == TensorRole::Variable)
            all << i;
    std::stable_sort(all.begin(), all.end(), [&](int a, int b) {
        return idx.tensors[a].numElements() > idx.tensors[b].numElements();
    });
    all.resize(std::min<qsizetype>(all.size(), n));
    return all;
}

HistogramSeries seriesOf(const QString &label, const TensorStats &s)
{
    return HistogramSeries{label, s.histogram, s.nan, s.inf, s.count, s.mean, s.std, s.min, s.max};
}

void collectCheckpoint(CheckpointPart &part, const ReportRequest &req, bool histograms,
                       const JobContext &job)
{
    const auto &idx = part.checkpoint->index();
    const auto &cp = *part.checkpoint;
    const auto layers = idx.summary.value(QStringLiteral("total_params"));
    if (layers.isDouble())
        part.parameters = std::int64_t(layers.toDouble());
    const QString log = idx.path + QLatin1String(".restore.json");
    if (req.sections & Section::Restore && QFileInfo::exists(log)) {
        part.restoreLogPath = log;
        QFile f(log);
        if (f.open(QIODevice::ReadOnly))
            part.restoreLog = QJsonDocument::fromJson(f.read(std::int64_t(16) << 20)).object();
    }
    const bool stats = req.sections & (Section::Statistics | Section::Summary);
    if (stats) {
        QVector<int> which;
        for (int i = 0; i < idx.tensors.size() && which.size() < req.maxTensors; ++i)
            which << i;
        part.omitted = int(idx.tensors.size() - which.size());
        part.stats = computeStats(cp, which, {}, job.part(0, 0.5));
    }
    if (histograms && req.sections & Section::Histograms && !job.cancelled()) {
        StatsRequest hr;
        hr.bins = req.histogramBins;
        for (const auto &r :
             computeStats(cp, largestTensors(idx, req.histogramTensors), hr, job.part(0.5, 0.7)))
            if (r.reduced && !r.stats.histogram.isEmpty())
                part.largest << seriesOf(idx.tensors[r.tensor].name, r.stats);
    }
    if (histograms && req.sections & Section::Analysis && !job.cancelled())
        part.analysis = analysis::analyzeCheckpoint(cp, allTensors(idx), 0, job.part(0.7, 1));
}

void collectCurves(Report &report, const ReportRequest &req)
{
    QList<LogRunRef> runs;
    QList<std::shared_ptr<const Checkpoint>> checkpoints;
    for (const auto &logs : report.logs)
        for (int i = 0; i < int(logs->runs.size()); ++i)
            runs << LogRunRef{logs, i};
    for (const auto &s : report.sources)
        for (const auto &c : s.checkpoints)
            checkpoints << c.checkpoint;
    // Scalar tags in first-seen order; losses first, as the window checks them first.
    QStringList tags;
    for (const auto &r : runs)
        for (const auto &s : r.get().series.all())
            if (s.kind == events::SeriesKind::Scalar && !s.scalars.empty() && !tags.contains(s.tag))
                tags << s.tag;
    std::stable_sort(tags.begin(), tags.end(), [](const QString &a, const QString &b) {
        return a.contains(QLatin1String("loss")) && !b.contains(QLatin1String("loss"));
    });
    tags = tags.mid(0, req.maxCurveTags);
    for (const auto &tag : tags) {
        CurvePart part{tag, {}, checkpoints, req.smoothing, {}};
        for (const auto &r : runs) {
            const auto *s = r.get().series.find(tag);
            if (!s || s->scalars.empty())
                continue;
            part.runs << r;
            std::vector<double> values;
            for (const auto &p : s->scalars)
                values.push_back(p.value);
            const auto smooth = events::smoothEma(values, req.smoothing);
            CurvePart::Row row;
            row.run = r.logs->runs.size() > 1 || report.logs.size() > 1
                          ? QFileInfo(r.logs->root).fileName() + QLatin1Char('/') + r.get().name
                          : r.get().name;
            row.points = std::int64_t(values.size());
            row.lastStep = s->scalars.back().step;
            row.last = values.back();
            row.lastSmoothed = smooth.back();
            row.min = *std::min_element(values.begin(), values.end());
            const auto marks = events::markersFor(*r.logs, r.run, tag, checkpoints);
            for (const auto &[cp, x] : marks.placed)
                row.markers << qMakePair(cp->index().displayName, x);
            for (const auto &cp : marks.unplaced)
                row.unplaced << cp->index().displayName;
            part.rows << row;
        }
        if (!part.runs.isEmpty())
            report.curves << part;
    }
}

void collectOverTime(Report &report, const ReportRequest &req, const JobContext &job)
{
    int done = 0, total = 0;
    for (const auto &s : report.sources)
        total += s.checkpoints.size() > 1;
    for (const auto &s : report.sources) {
        if (s.checkpoints.size() < 2)
            continue;
        // The newest checkpoint the state file names, and those of its format: a run's
        // best-epoch .h5 stores the same variables under other keys.
        std::shared_ptr<const Checkpoint> reference = s.checkpoints.back().checkpoint;
        for (const auto &c : s.checkpoints)
            if (c.checkpoint->index().latest)
                reference = c.checkpoint;
        std::vector<std::shared_ptr<const Checkpoint>> cps;
        for (const auto &c : s.checkpoints)
            if (c.checkpoint->index().readerId == reference->index().readerId)
                cps.push_back(c.checkpoint);
        const auto &newest = reference->index();
        const JobContext part = job.part(double(done) / total, double(done + 1) / total);
        ++done;
        for (int t : largestTensors(newest, req.overTimeVariables)) {
            QStringList notes;
            const auto inputs = variableAcrossCheckpoints(cps, newest.tensors[t], &notes);
            if (inputs.size() < 2)
                continue;
            auto r = computeOverTime(inputs, {}, part);
            if (r.ok())
                report.overTime << OverTimePart{s.path, std::move(r).value()};
            else if (!job.cancelled())
                report.notes << QStringLiteral("%1: %2").arg(s.path, r.error().message());
        }
    }
}

Status collectCompare(Report &report, const OpenResult &a, const OpenResult &b,
                      const ReportRequest &req, const JobContext &job)
{
    auto pick = [](const OpenResult &o) -> std::shared_ptr<const Checkpoint> {
        for (const auto &c : o.checkpoints)
            if (c->index().latest)
                return c;
        return o.checkpoints.back();
    };
    ComparePart part;
    part.pathA = a.path; // as opened, also when the window opened them
    part.pathB = b.path;
    part.a = pick(a);
    part.b = pick(b);
    const auto matching = matchTensors(part.a->index(), part.b->index());
    part.pairs = int(matching.pairs.size());
    part.onlyA = int(matching.onlyA.size());
    part.onlyB = int(matching.onlyB.size());
    part.tensors = computeDiff(*part.a, *part.b, matching.pairs, {}, job.part(0, 0.8));
    if (job.cancelled())
        return cancelled();
    part.total = diffTotal(part.tensors);
    part.layers = diffByLayer(part.a->index(), part.tensors);
    std::stable_sort(part.tensors.begin(), part.tensors.end(),
                     [](const TensorDiff &x, const TensorDiff &y) {
                         return x.sums.relL2().value_or(0) > y.sums.relL2().value_or(0);
                     });
    // The largest comparable pair, A's and B's histograms overlaid.
    const auto &ia = part.a->index();
    int best = -1;
    for (int i = 0; i < part.tensors.size(); ++i) {
        const auto &m = part.tensors[i].match;
        if (!part.tensors[i].computed || !m.comparable() || !dtypeIsNumeric(ia.tensors[m.a].dtype))
            continue;
        if (best < 0 ||
            ia.tensors[m.a].numElements() > ia.tensors[part.tensors[best].match.a].numElements())
            best = i;
    }
    if (best >= 0) {
        const auto &m = part.tensors[best].match;
        StatsRequest hr;
        hr.bins = req.histogramBins;
        const auto ra = computeStats(*part.a, {m.a}, hr, job.part(0.8, 0.9));
        const auto rb = computeStats(*part.b, {m.b}, hr, job.part(0.9, 1));
        part.overlayTensor = ia.tensors[m.a].name;
        if (!ra.isEmpty() && ra[0].reduced)
            part.overlay << seriesOf(QStringLiteral("A: ") + part.a->index().displayName,
                                     ra[0].stats);
        if (!rb.isEmpty() && rb[0].reduced)
            part.overlay << seriesOf(QStringLiteral("B: ") + part.b->index().displayName,
                                     rb[0].stats);
    }
    report.compare = std::move(part);
    return Ok{};
}

Result<Report> build(const ReportRequest &req, const QList<OpenResult> &opened,
                     const QList<UnreadInput> &unread, const OpenResult *compareA,
                     const OpenResult *compareB, const JobContext &job)
{
    Report report;
    report.written = QDateTime::currentDateTimeUtc();
    report.request = req;
    report.unread = unread;
    int checkpoints = 0;
    for (const auto &o : opened)
        checkpoints += int(o.checkpoints.size());
    int done = 0;
    for (const auto &o : opened) {
        SourcePart s{o.path, o.kind, o.readerId, o.summaryText, o.problems, o.consumedFiles, {}};
        if (o.logs)
            report.logs.push_back(o.logs);
        // A run's histograms are those of its newest checkpoint; the others are in Weights
        // over time.
        std::shared_ptr<const Checkpoint> newest =
            o.checkpoints.empty() ? nullptr : o.checkpoints.back();
        for (const auto &c : o.checkpoints)
            if (c->index().latest)
                newest = c;
        for (const auto &c : o.checkpoints) {
            CheckpointPart part;
            part.checkpoint = c;
            job.progress(0.6 * done / std::max(checkpoints, 1),
                         QStringLiteral("Statistics of %1").arg(c->index().displayName));
            collectCheckpoint(part, req, c == newest,
                              job.part(0.6 * done / std::max(checkpoints, 1),
                                       0.6 * (done + 1) / std::max(checkpoints, 1)));
            ++done;
            if (job.cancelled())
                return cancelled();
            s.checkpoints.push_back(std::move(part));
        }
        report.sources.push_back(std::move(s));
    }
    if (req.sections & Section::Curves)
        collectCurves(report, req);
    if (req.sections & Section::OverTime) {
        job.progress(0.6, QStringLiteral("Weights over time"));
        collectOverTime(report, req, job.part(0.6, 0.85));
        if (job.cancelled())
            return cancelled();
    }
    if (req.sections & Section::Compare && compareA && compareB) {
        job.progress(0.85, QStringLiteral("Comparison"));
        if (auto st = collectCompare(report, *compareA, *compareB, req, job.part(0.85, 1));
            !st.ok())
            return st.error();
    }
    job.progress(1, QString());
    return report;
}

} // namespace

Result<Report> buildReport(const ReportRequest &request, const QList<OpenResult> &opened,
                           const OpenResult *compareA, const OpenResult *compareB,
                           const JobContext &job)
{
    const bool compare =
        compareA && compareB && !compareA->checkpoints.empty() && !compareB->checkpoints.empty();
    return build(request, opened, {}, compare ? compareA : nullptr, compare ? compareB : nullptr,
                 job);
}

Result<Report> buildReport(const ReportRequest &request, const JobContext &job)
{
    const auto &registry = ReaderRegistry::builtin();
    QList<OpenResult> opened;
    QList<UnreadInput> unread;
    auto open = [&](const QString &p) -> std::optional<OpenResult> {
        job.progress(0, QStringLiteral("Opening %1").arg(p));
        auto r = registry.open(p, job);
        if (job.cancelled())
            return std::nullopt;
        if (r.ok() && r->checkpoints.empty() && !r->logs)
            unread << UnreadInput{p, makeError(LoadError::Code::UnknownFormat, p, {},
                                               QStringLiteral("a checkpoint"),
                                               QStringLiteral("nothing WeightLens reads"))};
        else if (r.ok())
            return std::move(r).value();
        else
            unread << UnreadInput{p, r.error()};
        return std::nullopt;
    };
    for (const auto &p : request.paths)
        if (auto r = open(p))
            opened << std::move(*r);
    std::optional<OpenResult> a, b;
    if (!request.compareA.isEmpty() && !request.compareB.isEmpty()) {
        a = open(request.compareA);
        b = open(request.compareB);
        if (a && a->checkpoints.empty())
            a.reset();
        if (b && b->checkpoints.empty())
            b.reset();
    }
    if (job.cancelled())
        return cancelled();
    auto r = build(request, opened, unread, a ? &*a : nullptr, b ? &*b : nullptr, job.part(0, 1));
    return r;
}

} // namespace wl::report
