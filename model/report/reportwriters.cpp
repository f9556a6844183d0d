#include "reportwriters.h"

#include "reportcontent.h"

#include "core/checkpointnames.h"
#include "core/plural.h"
#include "events/runlogs.h"
#include "write/atomicfile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QTemporaryDir>

#include <cmath>

namespace wl::report
{
namespace
{

QString num(const std::optional<double> &v)
{
    return v && std::isfinite(*v) ? QString::number(*v, 'g', 6)
                                  : (v ? QString::number(*v) : QStringLiteral("–"));
}

Cell numCell(const std::optional<double> &v)
{
    return Cell{num(v), v && std::isfinite(*v) ? v : std::nullopt};
}

QString grouped(std::int64_t n)
{
    QLocale c(QLocale::C);
    c.setNumberOptions(QLocale::DefaultNumberOptions);
    return c.toString(qlonglong(n));
}

QString bytesText(std::int64_t n)
{
    return QLocale(QLocale::C).formattedDataSize(n, 1, QLocale::DataSizeTraditionalFormat);
}

const QSize kHistogramSize(760, 300);
const QSize kCurveSize(760, 300);
const QSize kOverTimeSize(760, 440);
const QSize kEsdSize(560, 360);

QString checkpointLabel(const Report &r, const SourcePart &s, const CheckpointPart &c)
{
    QList<const CheckpointIndex *> all;
    qsizetype at = 0;
    for (const auto &cp : s.checkpoints) {
        if (&cp == &c)
            at = all.size();
        all << &cp.checkpoint->index();
    }
    QString name = checkpointNames(all).value(at);
    if (c.checkpoint->index().latest && s.checkpoints.size() > 1)
        name += QStringLiteral(" (latest)");
    if (r.sources.size() < 2)
        return name;
    return QFileInfo(s.path).fileName() + QStringLiteral(" / ") + name;
}

void summarySection(Content &c, const Report &r)
{
    int checkpoints = 0;
    std::int64_t parameters = 0;
    for (const auto &s : r.sources)
        for (const auto &cp : s.checkpoints) {
            ++checkpoints;
            parameters += cp.parameters.value_or(0);
        }
    const int inputs = int(r.sources.size() + r.unread.size());
    c.para(QStringLiteral("%1 and %2 holding %3: %4 %5 in %6. %7 found.")
               .arg(counted(inputs, "input"), counted(checkpoints, "checkpoint"),
                    counted(r.tensorCount(), "tensor"), grouped(r.elementCount()),
                    nounFor(r.elementCount(), "value"), bytesText(r.byteCount()))
               .arg(r.problemCount() ? counted(r.problemCount(), "problem")
                                     : QStringLiteral("No problems")));
    QList<QList<Cell>> rows;
    for (const auto &s : r.sources)
        for (const auto &cp : s.checkpoints) {
            const auto &idx = cp.checkpoint->index();
            const std::int64_t values = idx.totalValues();
            rows << QList<Cell>{
                {checkpointLabel(r, s, cp), {}},
                {idx.formatName, {}},
                {QString::number(idx.tensors.size()), double(idx.tensors.size())},
                {grouped(values), double(values)},
                {cp.parameters ? grouped(*cp.parameters) : QStringLiteral("–"),
                 cp.parameters ? std::optional<double>(*cp.parameters) : std::nullopt},
                {bytesText(idx.totalBytes()), double(idx.totalBytes())}};
        }
    if (!rows.isEmpty())
        c.table({QStringLiteral("checkpoint"), QStringLiteral("format"), QStringLiteral("tensors"),
                 QStringLiteral("values"), QStringLiteral("parameters (model)"),
                 QStringLiteral("bytes")},
                rows, {false, false, true, true, true, true});
    for (const auto &s : r.sources) {
        QStringList problems;
        for (const auto &p : s.problems)
            problems << QStringLiteral("warning: %1").arg(p.toString());
        if (!s.summaryText.isEmpty() || !problems.isEmpty()) {
            c.heading(3, s.path);
            if (!s.summaryText.isEmpty())
                c.pre(s.summaryText);
            c.list(problems);
        }
        for (const auto &cp : s.checkpoints) {
            const auto &idx = cp.checkpoint->index();
            c.heading(3, checkpointLabel(r, s, cp));
            c.para(QStringLiteral("%1%2, %3")
                       .arg(idx.formatName,
                            idx.subtype.isEmpty() ? QString() : QLatin1String(", ") + idx.subtype,
                            counted(idx.tensors.size(), "tensor")));
            QStringList facts;
            facts << QStringLiteral("path: %1").arg(idx.path);
            for (const auto &[k, v] : idx.metadata)
                facts << QStringLiteral("%1: %2").arg(k, v);
            for (const auto &p : idx.problems)
                facts << QStringLiteral("warning: %1").arg(p.toString());
            for (const auto &t : cp.stats) {
                if (!t.error.isEmpty())
                    facts << QStringLiteral("error: %1").arg(t.error);
                else if (t.checksum == ChecksumState::Mismatch)
                    facts << QStringLiteral("warning: %1: checksum mismatch")
                                 .arg(idx.tensors[t.tensor].key);
            }
            c.list(facts);
        }
    }
}

void layersSection(Content &c, const Report &r)
{
    bool any = false;
    for (const auto &s : r.sources)
        for (const auto &cp : s.checkpoints) {
            const auto &sum = cp.checkpoint->index().summary;
            const QJsonArray layers = sum.value(QStringLiteral("layers")).toArray();
            if (layers.isEmpty())
                continue;
            any = true;
            c.heading(3, checkpointLabel(r, s, cp));
            QString head = QStringLiteral("Model");
            if (sum.contains(QStringLiteral("model_name")))
                head += QStringLiteral(" \"%1\"").arg(
                    sum.value(QStringLiteral("model_name")).toString());
            if (sum.contains(QStringLiteral("model_class")))
                head += QStringLiteral(" (%1)").arg(
                    sum.value(QStringLiteral("model_class")).toString());
            c.para(head);
            QList<QList<Cell>> rows;
            for (const auto &v : layers) {
                const auto l = v.toObject();
                const double p = l.value(QStringLiteral("params")).toDouble();
                rows << QList<Cell>{
                    {QStringLiteral("%1 (%2)").arg(l.value(QStringLiteral("name")).toString(),
                                                   l.value(QStringLiteral("class")).toString()),
                     {}},
                    {l.value(QStringLiteral("output_shape")).toString(), {}},
                    {grouped(std::int64_t(p)), p}};
            }
            c.table({QStringLiteral("Layer (type)"), QStringLiteral("Output Shape"),
                     QStringLiteral("Param #")},
                    rows, {false, false, true});
            auto total = [&](const char *key) {
                return grouped(std::int64_t(sum.value(QLatin1String(key)).toDouble()));
            };
            c.list({QStringLiteral("Total params: %1").arg(total("total_params")),
                    QStringLiteral("Trainable params: %1").arg(total("trainable_params")),
                    QStringLiteral("Non-trainable params: %1").arg(total("non_trainable_params"))});
        }
    if (!any)
        c.para(QStringLiteral("No input holds a Keras model config, so there is no layer table."));
}

void statisticsSection(Content &c, const Report &r)
{
    for (const auto &s : r.sources)
        for (const auto &cp : s.checkpoints) {
            const auto &idx = cp.checkpoint->index();
            c.heading(3, checkpointLabel(r, s, cp));
            QList<QList<Cell>> rows;
            for (const auto &t : cp.stats) {
                const auto &ti = idx.tensors[t.tensor];
                const auto &st = t.stats;
                auto count = [&](std::int64_t n) {
                    return t.reduced ? Cell{QString::number(n), double(n)}
                                     : Cell{QStringLiteral("–"), {}};
                };
                rows << QList<Cell>{{ti.name, {}},
                                    {roleName(ti.role), {}},
                                    {ti.dtypeText(), {}},
                                    {ti.shape.toString(), {}},
                                    numCell(t.reduced ? st.mean : std::nullopt),
                                    numCell(t.reduced ? st.std : std::nullopt),
                                    numCell(t.reduced ? st.min : std::nullopt),
                                    numCell(t.reduced ? st.max : std::nullopt),
                                    count(st.nan),
                                    count(st.inf)};
            }
            c.table({QStringLiteral("tensor"), QStringLiteral("role"), QStringLiteral("dtype"),
                     QStringLiteral("shape"), QStringLiteral("mean"), QStringLiteral("std"),
                     QStringLiteral("min"), QStringLiteral("max"), QStringLiteral("nan"),
                     QStringLiteral("inf")},
                    rows, {false, false, false, false, true, true, true, true, true, true}, true);
            if (cp.omitted > 0)
                c.para(QStringLiteral("(%1 not shown)").arg(counted(cp.omitted, "more tensor")));
        }
}

void histogramsSection(Content &c, const Report &r)
{
    bool any = false;
    for (const auto &s : r.sources)
        for (const auto &cp : s.checkpoints) {
            if (cp.largest.isEmpty())
                continue;
            any = true;
            c.heading(3, checkpointLabel(r, s, cp));
            for (const auto &h : cp.largest) {
                PlotSpec p;
                p.kind = PlotSpec::Kind::Histogram;
                p.title = h.label;
                p.histograms = {h};
                c.figure(p, kHistogramSize,
                         QStringLiteral("%1: %2 values, mean %3, std %4, min %5, max %6")
                             .arg(h.label, grouped(h.count), num(h.mean), num(h.std), num(h.min),
                                  num(h.max)));
            }
        }
    if (!any)
        c.para(QStringLiteral("No numeric variable to draw."));
}

// Per checkpoint the numbers of `weightlens analyze` for every weight matrix, then the
// eigenvalue densities of the largest matrices with their power-law fits and MP edges.
void analysisSection(Content &c, const Report &r)
{
    bool any = false;
    for (const auto &s : r.sources)
        for (const auto &cp : s.checkpoints) {
            if (cp.analysis.isEmpty())
                continue;
            any = true;
            const auto &idx = cp.checkpoint->index();
            c.heading(3, checkpointLabel(r, s, cp));
            QList<QList<Cell>> rows;
            QStringList failed;
            QVector<int> drawn;
            for (int i = 0; i < cp.analysis.size(); ++i) {
                const auto &l = cp.analysis[i];
                const QString name = analysis::matrixName(idx.tensors[l.tensor], l);
                if (!l.error.isEmpty()) {
                    failed << l.error;
                    continue;
                }
                const auto &m = l.matrix;
                // Missing (too few eigenvalues for a fit) shows as a dash; infinite stays.
                const auto numCell = [](double v) {
                    return report::numCell(std::isnan(v) ? std::nullopt : std::optional(v));
                };
                rows << QList<Cell>{
                    Cell{name, {}},
                    Cell{QStringLiteral("%1 × %2").arg(m.rows).arg(m.cols), {}},
                    numCell(m.frobeniusNorm),
                    numCell(m.spectralNorm),
                    numCell(m.stableRank),
                    numCell(m.effectiveRank),
                    numCell(m.conditionNumber),
                    numCell(m.fit.alpha),
                    numCell(m.fit.ks),
                    numCell(m.mpEdge),
                    Cell{QString::number(m.mpSpikes), double(m.mpSpikes)},
                    Cell{QStringLiteral("%1 / %2").arg(m.deadRows).arg(m.deadCols), {}}};
                if (m.decomposed)
                    drawn << i;
            }
            c.table({QStringLiteral("matrix"), QStringLiteral("shape"), QStringLiteral("frobenius"),
                     QStringLiteral("spectral"), QStringLiteral("stable rank"),
                     QStringLiteral("eff. rank"), QStringLiteral("condition"),
                     QStringLiteral("alpha"), QStringLiteral("KS"), QStringLiteral("MP edge"),
                     QStringLiteral("spikes"), QStringLiteral("dead rows / cols")},
                    rows,
                    {false, false, true, true, true, true, true, true, true, true, true, false},
                    true);
            c.list(failed);
            // The largest matrices' densities.
            std::stable_sort(drawn.begin(), drawn.end(), [&](int a, int b) {
                const auto &x = cp.analysis[a].matrix, &y = cp.analysis[b].matrix;
                return x.rows * x.cols > y.rows * y.cols;
            });
            drawn.resize(std::min<qsizetype>(drawn.size(), r.request.esdPlots));
            for (int i : drawn) {
                const auto &l = cp.analysis[i];
                PlotSpec p;
                p.kind = PlotSpec::Kind::Esd;
                p.title = analysis::matrixName(idx.tensors[l.tensor], l);
                p.matrix = &l.matrix;
                c.figure(
                    p, kEsdSize,
                    QStringLiteral("%1: eigenvalues of WᵀW / %2, alpha %3 from %4 (KS %5), "
                                   "%6 above the Marchenko-Pastur edge %7")
                        .arg(p.title)
                        .arg(l.matrix.rows)
                        .arg(num(l.matrix.fit.alpha), num(l.matrix.fit.xmin), num(l.matrix.fit.ks))
                        .arg(l.matrix.mpSpikes)
                        .arg(num(l.matrix.mpEdge)));
            }
        }
    if (!any)
        c.para(QStringLiteral("No weight matrix to analyse."));
}

void curvesSection(Content &c, const Report &r)
{
    if (r.curves.isEmpty()) {
        c.para(QStringLiteral("No training logs (event files or CSV logs) beside the inputs."));
        return;
    }
    c.para(QStringLiteral("Smoothed as TensorBoard smooths (weight %1), the raw values faint "
                          "behind; dashed lines mark the steps of the checkpoints.")
               .arg(r.request.smoothing));
    for (const auto &part : r.curves) {
        c.heading(3, part.tag);
        PlotSpec p;
        p.kind = PlotSpec::Kind::Curves;
        p.title = part.tag;
        p.curves = &part;
        c.figure(p, kCurveSize, part.tag);
        QList<QList<Cell>> rows;
        QStringList unplaced;
        for (const auto &row : part.rows) {
            if (!row.unplaced.isEmpty())
                unplaced << QStringLiteral("%1 (%2)").arg(row.unplaced.join(QLatin1String(", ")),
                                                          row.run);
            rows << QList<Cell>{{row.run, {}},
                                {QString::number(row.points), double(row.points)},
                                {QString::number(row.lastStep), double(row.lastStep)},
                                numCell(row.last),
                                numCell(row.lastSmoothed),
                                numCell(row.min)};
        }
        c.table({QStringLiteral("run"), QStringLiteral("points"), QStringLiteral("last step"),
                 QStringLiteral("last value"), QStringLiteral("smoothed"),
                 QStringLiteral("lowest")},
                rows, {false, true, true, true, true, true});
        if (!unplaced.isEmpty())
            c.para(QStringLiteral("No marker for %1: nothing in the log places it on the step "
                                  "axis (no save time, epoch or step links it).")
                       .arg(unplaced.join(QLatin1String("; "))));
    }
}

void overTimeSection(Content &c, const Report &r)
{
    if (r.overTime.isEmpty()) {
        c.para(QStringLiteral("No input is a run of several checkpoints."));
        return;
    }
    for (const auto &part : r.overTime) {
        c.heading(
            3, QStringLiteral("%1 (%2)").arg(part.result.label, QFileInfo(part.source).fileName()));
        PlotSpec p;
        p.kind = PlotSpec::Kind::OverTime;
        p.title = part.result.label;
        p.overTime = &part.result;
        c.figure(p, kOverTimeSize,
                 QStringLiteral("%1 across %2: histograms on shared bins, later steps further "
                                "back; below, the relative change from the checkpoint before")
                     .arg(part.result.label, counted(part.result.steps.size(), "checkpoint")));
        QList<QList<Cell>> rows;
        for (const auto &st : part.result.steps)
            rows << QList<Cell>{{QString::number(st.step), double(st.step)},
                                {st.label, {}},
                                numCell(st.band[0]),
                                numCell(st.band[4]),
                                numCell(st.band[8]),
                                numCell(st.relChange)};
        c.table({QStringLiteral("step"), QStringLiteral("checkpoint"), QStringLiteral("min"),
                 QStringLiteral("median"), QStringLiteral("max"),
                 QStringLiteral("relative change")},
                rows, {true, false, true, true, true, true});
        c.list(part.result.notes);
    }
}

QList<Cell> diffCells(const QString &name, int tensors, const DiffSums &s)
{
    return {{name, {}},         {QString::number(tensors), double(tensors)},
            numCell(s.relL2()), numCell(s.cosine()),
            numCell(s.maxAbs),  numCell(s.changedFraction())};
}

void compareSection(Content &c, const Report &r)
{
    if (!r.compare) {
        c.para(r.request.compareA.isEmpty()
                   ? QStringLiteral("No comparison was asked for (--compare A B).")
                   : QStringLiteral("The checkpoints to compare could not be read."));
        return;
    }
    const auto &cmp = *r.compare;
    c.list({QStringLiteral("A: %1 (%2)").arg(cmp.pathA, cmp.a->index().displayName),
            QStringLiteral("B: %1 (%2)").arg(cmp.pathB, cmp.b->index().displayName),
            QStringLiteral("%1 matched, %2 only in A, %3 only in B")
                .arg(counted(cmp.pairs, "pair"))
                .arg(cmp.onlyA)
                .arg(cmp.onlyB)});
    const QStringList head{QStringLiteral("layer"),       QStringLiteral("tensors"),
                           QStringLiteral("relative L2"), QStringLiteral("cosine"),
                           QStringLiteral("max |A−B|"),   QStringLiteral("changed")};
    const QList<bool> numeric{false, true, true, true, true, true};
    QList<QList<Cell>> rows{diffCells(QStringLiteral("all"), cmp.total.tensors, cmp.total.sums)};
    for (const auto &g : cmp.layers)
        rows << diffCells(g.name, g.tensors, g.sums);
    c.heading(3, QStringLiteral("By layer"));
    c.table(head, rows, numeric);
    rows.clear();
    const auto &ia = cmp.a->index();
    for (const auto &d : cmp.tensors) {
        if (rows.size() >= 25)
            break;
        if (d.computed)
            rows << diffCells(ia.tensors[d.match.a].name, 1, d.sums);
    }
    c.heading(3, QStringLiteral("Tensors that changed most"));
    QStringList th = head;
    th[0] = QStringLiteral("tensor");
    c.table(th, rows, numeric, true);
    if (!cmp.overlay.isEmpty()) {
        c.heading(3, cmp.overlayTensor);
        PlotSpec p;
        p.kind = PlotSpec::Kind::Histogram;
        p.title = cmp.overlayTensor;
        p.histograms = cmp.overlay;
        c.figure(p, kHistogramSize,
                 QStringLiteral("%1 in A and in B, overlaid").arg(cmp.overlayTensor));
    }
}

void restoreSection(Content &c, const Report &r)
{
    bool any = false;
    for (const auto &s : r.sources)
        for (const auto &cp : s.checkpoints) {
            if (cp.restoreLogPath.isEmpty())
                continue;
            any = true;
            c.heading(3, checkpointLabel(r, s, cp));
            c.para(cp.restoreLogPath);
            c.pre(QString::fromUtf8(QJsonDocument(cp.restoreLog).toJson(QJsonDocument::Indented)));
        }
    if (!any)
        c.para(QStringLiteral("No restore log (OUT.restore.json) beside the inputs."));
}

Content buildContent(const Report &r)
{
    Content c;
    if (!r.unread.isEmpty()) {
        c.heading(2, QStringLiteral("Not read"), QStringLiteral("not-read"));
        c.para(QStringLiteral("These inputs could not be read:"));
        QStringList items;
        for (const auto &u : r.unread)
            items << QStringLiteral("%1: %2").arg(u.path, u.error.message());
        c.list(items);
    }
    for (auto s : allSections()) {
        if (!(r.request.sections & s))
            continue;
        c.heading(2, sectionTitle(s), sectionKey(s));
        switch (s) {
        case Section::Summary:
            summarySection(c, r);
            break;
        case Section::Layers:
            layersSection(c, r);
            break;
        case Section::Statistics:
            statisticsSection(c, r);
            break;
        case Section::Histograms:
            histogramsSection(c, r);
            break;
        case Section::Analysis:
            analysisSection(c, r);
            break;
        case Section::Curves:
            curvesSection(c, r);
            break;
        case Section::OverTime:
            overTimeSection(c, r);
            break;
        case Section::Compare:
            compareSection(c, r);
            break;
        case Section::Restore:
            restoreSection(c, r);
            break;
        }
    }
    if (!r.notes.isEmpty()) {
        c.heading(2, QStringLiteral("Notes"), QStringLiteral("notes"));
        c.list(r.notes);
    }
    return c;
}

QString inputsLine(const Report &r)
{
    QStringList paths;
    for (const auto &s : r.sources)
        paths << s.path;
    for (const auto &u : r.unread)
        paths << u.path;
    return paths.join(QStringLiteral(", "));
}

// ---- HTML ------------------------------------------------------------------------------------

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

const char *kCss = R"(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 62rem;
       padding: 0.5rem 1rem 2rem; color: #1d1f23; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid #c9ced6; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; word-break: break-all; }
p.meta { color: #5a6270; margin-top: 0; word-break: break-all; }
nav ul { padding-left: 1.2rem; columns: 2; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.4rem 0 0.8rem; }
th, td { border: 1px solid #d6dae0; padding: 0.15rem 0.45rem; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #f8f9fb; }
figure { margin: 0.6rem 0 1rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
figcaption { color: #5a6270; font-size: 0.85rem; }
pre { background: #f5f6f8; padding: 0.5rem; overflow-x: auto; font-size: 0.8rem; }
li { word-break: break-word; }
@media (max-width: 40rem) { body { padding: 0.3rem; } nav ul { columns: 1; } table { font-size: 0.75rem; } }
@media print {
  nav { display: none; }
  body { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; }
  .scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
)";

QString blocksHtml(const Content &c, const ImageFn &image, bool pdf)
{
    QString h;
    int figures = 0;
    for (const auto &b : c.blocks) {
        switch (b.kind) {
        case Block::Kind::Heading:
            h += QStringLiteral("<h%1 id=\"%2\">%3</h%1>\n").arg(b.level).arg(b.id, esc(b.text));
            break;
        case Block::Kind::Para:
            h += QStringLiteral("<p>%1</p>\n").arg(esc(b.text));
            break;
        case Block::Kind::List:
            h += QStringLiteral("<ul>\n");
            for (const auto &i : b.items)
                h += QStringLiteral("<li>%1</li>\n").arg(esc(i));
            h += QStringLiteral("</ul>\n");
            break;
        case Block::Kind::Pre:
            h += QStringLiteral("<pre>%1</pre>\n").arg(esc(b.text));
            break;
        case Block::Kind::Table: {
            // The label on a row of its own, the other columns beneath it.
            const bool labelRow = pdf && b.labelRow && b.header.size() > 1;
            const int first = labelRow ? 1 : 0;
            auto labelCell = [&](const QString &tag, const QString &text) {
                return QStringLiteral("<tr><%1 colspan=\"%2\" align=\"left\">%3</%1></tr>")
                    .arg(tag)
                    .arg(b.header.size() - 1)
                    .arg(text);
            };
            h += pdf ? QStringLiteral("<table border=\"1\" cellspacing=\"0\" cellpadding=\"3\" "
                                      "width=\"100%\">\n<thead>")
                     : QStringLiteral("<div class=\"scroll\"><table>\n<thead>");
            if (labelRow)
                h += labelCell(QStringLiteral("th"), esc(b.header[0]));
            h += QStringLiteral("<tr>");
            for (int i = first; i < b.header.size(); ++i)
                h += QStringLiteral("<th%1>%2</th>")
                         .arg(b.numeric.value(i) ? (pdf ? QStringLiteral(" align=\"right\"")
                                                        : QStringLiteral(" class=\"n\""))
                                                 : QString(),
                              esc(b.header[i]));
            h += QStringLiteral("</tr></thead>\n<tbody>\n");
            for (const auto &row : b.rows) {
                if (labelRow && !row.isEmpty())
                    h += labelCell(QStringLiteral("td"),
                                   QStringLiteral("<b>%1</b>").arg(esc(row[0].text)));
                h += QStringLiteral("<tr>");
                for (int i = first; i < row.size(); ++i) {
                    QString attrs;
                    // Numbers are not broken across lines on paper.
                    if (b.numeric.value(i))
                        attrs +=
                            pdf ? QStringLiteral(" align=\"right\" style=\"white-space: nowrap\"")
                                : QStringLiteral(" class=\"n\"");
                    if (row[i].value && !pdf)
                        attrs += QStringLiteral(" data-v=\"%1\"")
                                     .arg(QString::number(*row[i].value, 'g', 17));
                    h += QStringLiteral("<td%1>%2</td>").arg(attrs, esc(row[i].text));
                }
                h += QStringLiteral("</tr>\n");
            }
            h += pdf ? QStringLiteral("</tbody></table>\n")
                     : QStringLiteral("</tbody></table></div>\n");
            break;
        }
        case Block::Kind::Figure:
            // QTextDocument knows no <figure>: the plot and its caption are paragraphs.
            h += pdf ? QStringLiteral("<p>%1</p>\n<p><small>%2</small></p>\n")
                           .arg(image(figures++, b), esc(b.text))
                     : QStringLiteral("<figure>%1<figcaption>%2</figcaption></figure>\n")
                           .arg(image(figures++, b), esc(b.text));
            break;
        }
    }
    return h;
}

QString tocHtml(const Content &c)
{
    QString h = QStringLiteral("<nav><ul>\n");
    for (const auto &b : c.blocks)
        if (b.kind == Block::Kind::Heading && b.level == 2)
            h += QStringLiteral("<li><a href=\"#%1\">%2</a></li>\n").arg(b.id, esc(b.text));
    return h + QStringLiteral("</ul></nav>\n");
}

QString titleLine(const Report &r)
{
    return QStringLiteral("Written %1 from %2.")
        .arg(r.written.toString(Qt::ISODate), inputsLine(r));
}

} // namespace

Content reportContent(const Report &r)
{
    return buildContent(r);
}

QString reportBlocksHtml(const Content &c, const ImageFn &image, bool pdf)
{
    return blocksHtml(c, image, pdf);
}

QString reportTitleLine(const Report &r)
{
    return titleLine(r);
}

// ---- Public ----------------------------------------------------------------------------------

std::optional<Format> formatFor(const QString &file)
{
    const QString s = QFileInfo(file).suffix().toLower();
    if (s == QLatin1String("html") || s == QLatin1String("htm"))
        return Format::Html;
    if (s == QLatin1String("pdf"))
        return Format::Pdf;
    if (s == QLatin1String("md"))
        return Format::Markdown;
    if (s == QLatin1String("json"))
        return Format::Json;
    return std::nullopt;
}

QString imageFolderFor(const QString &markdownFile)
{
    const QFileInfo fi(markdownFile);
    return fi.completeBaseName() + QStringLiteral("_files");
}

QByteArray jsonReport(const Report &r)
{
    QJsonArray sections;
    for (auto s : allSections())
        if (r.request.sections & s)
            sections.append(sectionKey(s));
    QJsonArray inputs;
    for (const auto &u : r.unread)
        inputs.append(QJsonObject{{QStringLiteral("path"), u.path},
                                  {QStringLiteral("error"), u.error.message()},
                                  {QStringLiteral("checkpoints"), QJsonArray()}});
    int checkpoints = 0;
    for (const auto &s : r.sources) {
        QJsonArray problems, cps;
        for (const auto &p : s.problems)
            problems.append(p.toString());
        for (const auto &cp : s.checkpoints) {
            ++checkpoints;
            const auto &idx = cp.checkpoint->index();
            QJsonObject meta;
            for (const auto &[k, v] : idx.metadata)
                meta[k] = v;
            QJsonArray cpProblems, tensors, hists;
            for (const auto &p : idx.problems)
                cpProblems.append(p.toString());
            for (const auto &t : cp.stats)
                tensors.append(tensorStatsJson(idx.tensors[t.tensor], t));
            for (const auto &h : cp.largest) {
                QJsonArray edges, counts;
                for (std::size_t b = 0; b <= h.histogram.counts.size(); ++b)
                    edges.append(h.histogram.edge(b));
                for (auto n : h.histogram.counts)
                    counts.append(qint64(n));
                hists.append(QJsonObject{{QStringLiteral("name"), h.label},
                                         {QStringLiteral("edges"), edges},
                                         {QStringLiteral("counts"), counts}});
            }
            QJsonObject o{{QStringLiteral("name"), idx.displayName},
                          {QStringLiteral("path"), idx.path},
                          {QStringLiteral("format"), idx.formatName},
                          {QStringLiteral("subtype"), idx.subtype},
                          {QStringLiteral("metadata"), meta},
                          {QStringLiteral("problems"), cpProblems},
                          {QStringLiteral("tensor_count"), qint64(idx.tensors.size())},
                          {QStringLiteral("bytes"), qint64(idx.totalBytes())},
                          {QStringLiteral("tensors"), tensors},
                          {QStringLiteral("omitted"), cp.omitted}};
            if (idx.step)
                o[QStringLiteral("step")] = qint64(*idx.step);
            if (cp.parameters)
                o[QStringLiteral("parameters")] = qint64(*cp.parameters);
            if (idx.summary.contains(QStringLiteral("layers")))
                o[QStringLiteral("layers")] = idx.summary.value(QStringLiteral("layers"));
            if (!hists.isEmpty())
                o[QStringLiteral("histograms")] = hists;
            if (!cp.analysis.isEmpty()) {
                // The fields of `weightlens analyze --json`.
                const auto fin = [](double v) {
                    return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
                };
                QJsonArray matrices;
                for (const auto &l : cp.analysis) {
                    const auto &t = idx.tensors[l.tensor];
                    QJsonObject m{{QStringLiteral("key"), t.key},
                                  {QStringLiteral("name"), analysis::matrixName(t, l)}};
                    if (!l.error.isEmpty()) {
                        m[QStringLiteral("error")] = l.error;
                        matrices.append(m);
                        continue;
                    }
                    const auto &a = l.matrix;
                    if (!l.gate.isEmpty())
                        m[QStringLiteral("gate")] = l.gate;
                    m[QStringLiteral("shape")] = QJsonArray{qint64(a.rows), qint64(a.cols)};
                    m[QStringLiteral("frobenius_norm")] = fin(a.frobeniusNorm);
                    m[QStringLiteral("spectral_norm")] = fin(a.spectralNorm);
                    m[QStringLiteral("stable_rank")] = fin(a.stableRank);
                    m[QStringLiteral("effective_rank")] = fin(a.effectiveRank);
                    m[QStringLiteral("condition_number")] = fin(a.conditionNumber);
                    m[QStringLiteral("near_zero_fraction")] = fin(a.nearZeroFraction);
                    m[QStringLiteral("alpha")] = fin(a.fit.alpha);
                    m[QStringLiteral("alpha_xmin")] = fin(a.fit.xmin);
                    m[QStringLiteral("alpha_ks")] = fin(a.fit.ks);
                    m[QStringLiteral("mp_edge")] = fin(a.mpEdge);
                    m[QStringLiteral("mp_spikes")] = qint64(a.mpSpikes);
                    m[QStringLiteral("dead_rows")] = qint64(a.deadRows);
                    m[QStringLiteral("dead_cols")] = qint64(a.deadCols);
                    matrices.append(m);
                }
                o[QStringLiteral("analysis")] = matrices;
            }
            if (!cp.restoreLogPath.isEmpty())
                o[QStringLiteral("restore_log")] =
                    QJsonObject{{QStringLiteral("path"), cp.restoreLogPath},
                                {QStringLiteral("log"), cp.restoreLog}};
            cps.append(o);
        }
        inputs.append(QJsonObject{{QStringLiteral("path"), s.path},
                                  {QStringLiteral("kind"), s.kind},
                                  {QStringLiteral("reader"), s.readerId},
                                  {QStringLiteral("problems"), problems},
                                  {QStringLiteral("checkpoints"), cps}});
    }
    QJsonObject root{
        {QStringLiteral("schema_version"), kSchemaVersion},
        {QStringLiteral("generator"), QStringLiteral("WeightLens")},
        {QStringLiteral("written"), r.written.toString(Qt::ISODate)},
        {QStringLiteral("sections"), sections},
        {QStringLiteral("totals"),
         QJsonObject{{QStringLiteral("inputs"), qint64(r.sources.size() + r.unread.size())},
                     {QStringLiteral("unread"), qint64(r.unread.size())},
                     {QStringLiteral("checkpoints"), checkpoints},
                     {QStringLiteral("tensors"), qint64(r.tensorCount())},
                     {QStringLiteral("values"), qint64(r.elementCount())},
                     {QStringLiteral("bytes"), qint64(r.byteCount())},
                     {QStringLiteral("problems"), qint64(r.problemCount())}}},
        {QStringLiteral("inputs"), inputs}};
    auto jnum = [](const std::optional<double> &v) {
        return v && std::isfinite(*v) ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
    };
    auto markersJson = [](const CurvePart::Row &row) {
        QJsonArray out;
        for (const auto &[name, step] : row.markers)
            out.append(
                QJsonObject{{QStringLiteral("checkpoint"), name}, {QStringLiteral("step"), step}});
        return out;
    };
    if (r.request.sections & Section::Curves) {
        QJsonArray curves;
        for (const auto &c : r.curves) {
            QJsonArray runs;
            for (const auto &row : c.rows)
                runs.append(QJsonObject{
                    {QStringLiteral("run"), row.run},
                    {QStringLiteral("points"), qint64(row.points)},
                    {QStringLiteral("last_step"), qint64(row.lastStep)},
                    {QStringLiteral("last"), jnum(row.last)},
                    {QStringLiteral("last_smoothed"), jnum(row.lastSmoothed)},
                    {QStringLiteral("min"), jnum(row.min)},
                    {QStringLiteral("markers"), markersJson(row)},
                    {QStringLiteral("unplaced"), QJsonArray::fromStringList(row.unplaced)}});
            curves.append(QJsonObject{{QStringLiteral("tag"), c.tag},
                                      {QStringLiteral("smoothing"), c.smoothing},
                                      {QStringLiteral("runs"), runs}});
        }
        root[QStringLiteral("curves")] = curves;
    }
    if (r.request.sections & Section::OverTime) {
        QJsonArray over;
        for (const auto &o : r.overTime) {
            QJsonArray steps;
            for (const auto &st : o.result.steps)
                steps.append(QJsonObject{{QStringLiteral("step"), qint64(st.step)},
                                         {QStringLiteral("label"), st.label},
                                         {QStringLiteral("min"), jnum(st.band[0])},
                                         {QStringLiteral("median"), jnum(st.band[4])},
                                         {QStringLiteral("max"), jnum(st.band[8])},
                                         {QStringLiteral("rel_change"), jnum(st.relChange)}});
            over.append(QJsonObject{{QStringLiteral("source"), o.source},
                                    {QStringLiteral("key"), o.result.name},
                                    {QStringLiteral("name"), o.result.label},
                                    {QStringLiteral("steps"), steps}});
        }
        root[QStringLiteral("over_time")] = over;
    }
    if (r.compare) {
        const auto &c = *r.compare;
        auto sums = [&](const QString &name, int tensors, const DiffSums &s) {
            return QJsonObject{{QStringLiteral("name"), name},
                               {QStringLiteral("tensors"), tensors},
                               {QStringLiteral("rel_l2"), jnum(s.relL2())},
                               {QStringLiteral("cosine"), jnum(s.cosine())},
                               {QStringLiteral("max_abs"), s.maxAbs},
                               {QStringLiteral("changed_fraction"), s.changedFraction()}};
        };
        QJsonArray layers, tensors;
        for (const auto &g : c.layers)
            layers.append(sums(g.name, g.tensors, g.sums));
        for (const auto &d : c.tensors)
            if (d.computed)
                tensors.append(sums(c.a->index().tensors[d.match.a].name, 1, d.sums));
        root[QStringLiteral("compare")] = QJsonObject{
            {QStringLiteral("a"), c.pathA},
            {QStringLiteral("b"), c.pathB},
            {QStringLiteral("pairs"), c.pairs},
            {QStringLiteral("only_a"), c.onlyA},
            {QStringLiteral("only_b"), c.onlyB},
            {QStringLiteral("total"), sums(QStringLiteral("all"), c.total.tensors, c.total.sums)},
            {QStringLiteral("layers"), layers},
            {QStringLiteral("tensors"), tensors}};
    }
    if (!r.notes.isEmpty())
        root[QStringLiteral("notes")] = QJsonArray::fromStringList(r.notes);
    return QJsonDocument(root).toJson();
}

QByteArray htmlReport(const Report &r, const PlotRenderer *plots)
{
    const Content c = buildContent(r);
    auto image = [&](int, const Block &b) -> QString {
        if (!plots)
            return QStringLiteral("<p>(plots need the WeightLens window's libraries)</p>");
        const QByteArray svg = plots->svg(b.plot, b.size);
        return QStringLiteral("<img src=\"data:image/svg+xml;base64,%1\" width=\"%2\" "
                              "height=\"%3\" alt=\"%4\"/>")
            .arg(QString::fromLatin1(svg.toBase64()))
            .arg(b.size.width())
            .arg(b.size.height())
            .arg(esc(b.plot.title));
    };
    QString h = QStringLiteral("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
                               "lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta "
                               "name=\"viewport\" content=\"width=device-width, "
                               "initial-scale=1\"/>\n<title>WeightLens report</title>\n<style>");
    h += QLatin1String(kCss);
    h += QStringLiteral("</style>\n</head>\n<body>\n<h1>WeightLens report</h1>\n<p "
                        "class=\"meta\">%1</p>\n")
             .arg(esc(titleLine(r)));
    h += tocHtml(c);
    h += blocksHtml(c, image, false);
    h += QStringLiteral("</body>\n</html>\n");
    return h.toUtf8();
}

QString markdownReport(const Report &r, const PlotRenderer *plots, const QString &imageFolder,
                       QList<QPair<QString, QByteArray>> *images)
{
    const Content c = buildContent(r);
    auto cell = [](QString s) { return s.replace(QLatin1Char('|'), QLatin1String("\\|")); };
    QString md = QStringLiteral("# WeightLens report\n\n%1\n").arg(titleLine(r));
    int figures = 0;
    for (const auto &b : c.blocks) {
        switch (b.kind) {
        case Block::Kind::Heading:
            md += QStringLiteral("\n%1 %2\n\n").arg(QString(b.level, QLatin1Char('#')), b.text);
            break;
        case Block::Kind::Para:
            md += b.text + QStringLiteral("\n\n");
            break;
        case Block::Kind::List:
            for (const auto &i : b.items)
                md += QStringLiteral("- %1\n").arg(i);
            md += QLatin1Char('\n');
            break;
        case Block::Kind::Pre:
            md += QStringLiteral("```\n%1\n```\n\n").arg(b.text);
            break;
        case Block::Kind::Table: {
            QStringList head, rule;
            for (int i = 0; i < b.header.size(); ++i) {
                head << cell(b.header[i]);
                rule << (b.numeric.value(i) ? QStringLiteral("---:") : QStringLiteral("---"));
            }
            md += QStringLiteral("| %1 |\n|%2|\n")
                      .arg(head.join(QStringLiteral(" | ")), rule.join(QLatin1Char('|')));
            for (const auto &row : b.rows) {
                QStringList cells;
                for (const auto &x : row)
                    cells << cell(x.text);
                md += QStringLiteral("| %1 |\n").arg(cells.join(QStringLiteral(" | ")));
            }
            md += QLatin1Char('\n');
            break;
        }
        case Block::Kind::Figure: {
            ++figures;
            if (!plots) {
                md += QStringLiteral("(%1: plots need the WeightLens window's libraries)\n\n")
                          .arg(b.text);
                break;
            }
            const QString name =
                imageFolder + QStringLiteral("/plot-%1.svg").arg(figures, 3, 10, QLatin1Char('0'));
            if (images)
                *images << qMakePair(name, plots->svg(b.plot, b.size));
            md += QStringLiteral("![%1](%2)\n\n%1\n\n").arg(b.text, name);
            break;
        }
        }
    }
    return md;
}

Status writeReport(const Report &r, const QString &file, const PlotRenderer *plots,
                   const JobContext &job)
{
    const auto format = formatFor(file);
    if (!format)
        return makeError(LoadError::Code::BadArgument, file, {},
                         QStringLiteral("a .html, .pdf, .md or .json file name"),
                         QFileInfo(file).suffix());
    const QString target = QFileInfo(file).absoluteFilePath();
    for (const auto &s : r.sources)
        if (s.consumedFiles.contains(target) || QFileInfo(s.path).absoluteFilePath() == target)
            return makeError(LoadError::Code::BadArgument, file, {},
                             QStringLiteral("an output file that is not one of the inputs"));
    auto cancelledError = [&] {
        return makeError(LoadError::Code::Cancelled, file, {}, {}, {},
                         QStringLiteral("cancelled; nothing was written"));
    };
    if (job.cancelled())
        return cancelledError();
    job.progress(0, QStringLiteral("Writing %1").arg(QFileInfo(file).fileName()));
    switch (*format) {
    case Format::Json:
        return writeBytesAtomically(file, jsonReport(r), true);
    case Format::Html: {
        const QByteArray bytes = htmlReport(r, plots);
        if (job.cancelled())
            return cancelledError();
        return writeBytesAtomically(file, bytes, true);
    }
    case Format::Pdf: {
        if (!plots)
            return makeError(LoadError::Code::Unsupported, file, {}, {}, {},
                             QStringLiteral("a PDF needs the window's libraries to draw it"));
        auto bytes = plots->pdf(r);
        if (!bytes.ok())
            return bytes.error();
        if (job.cancelled())
            return cancelledError();
        return writeBytesAtomically(file, *bytes, true);
    }
    case Format::Markdown:
        break;
    }
    // Markdown: the images go into a hidden folder beside it, which is renamed into place only
    // once they are all written; the report follows it, and a failure takes the folder back.
    const QFileInfo fi(target);
    const QString folderName = imageFolderFor(file);
    QList<QPair<QString, QByteArray>> images;
    const QString md = markdownReport(r, plots, folderName, &images);
    QDir dir = fi.dir();
    const QString finalFolder = dir.filePath(folderName);
    QString partial;
    if (!images.isEmpty()) {
        QTemporaryDir tmp(dir.filePath(QStringLiteral(".%1.partial-XXXXXX").arg(folderName)));
        if (!tmp.isValid())
            return makeError(LoadError::Code::WriteFailed, finalFolder, {}, {}, {},
                             tmp.errorString());
        for (const auto &[name, bytes] : images) {
            if (job.cancelled())
                return cancelledError();
            const QString path = tmp.filePath(QFileInfo(name).fileName());
            if (auto st = writeBytesAtomically(path, bytes); !st.ok())
                return st;
        }
        tmp.setAutoRemove(false);
        partial = tmp.path();
        // A temporary folder is private; the images are as readable as the report.
        QFile::setPermissions(partial, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                           QFileDevice::ExeOwner | QFileDevice::ReadGroup |
                                           QFileDevice::ExeGroup | QFileDevice::ReadOther |
                                           QFileDevice::ExeOther);
    }
    auto dropPartial = [&] {
        if (!partial.isEmpty())
            QDir(partial).removeRecursively();
    };
    if (job.cancelled()) {
        dropPartial();
        return cancelledError();
    }
    // An earlier report's images go too, also when this one has none: the folder beside the
    // report then always belongs to it.
    QString old;
    if (QFileInfo(finalFolder).isDir()) {
        old = finalFolder + QStringLiteral(".old-") +
              QString::number(QDateTime::currentMSecsSinceEpoch());
        if (!QDir().rename(finalFolder, old)) {
            dropPartial();
            return makeError(LoadError::Code::WriteFailed, finalFolder, {}, {}, {},
                             QStringLiteral("cannot move the previous image folder aside"));
        }
    }
    if (!partial.isEmpty()) {
        if (!QDir().rename(partial, finalFolder)) {
            dropPartial();
            if (!old.isEmpty())
                QDir().rename(old, finalFolder);
            return makeError(LoadError::Code::WriteFailed, finalFolder, {}, {}, {},
                             QStringLiteral("cannot rename the image folder into place"));
        }
    }
    auto st = writeBytesAtomically(file, md.toUtf8(), true);
    if (!st.ok()) {
        if (!partial.isEmpty())
            QDir(finalFolder).removeRecursively();
        if (!old.isEmpty())
            QDir().rename(old, finalFolder);
        return st;
    }
    if (!old.isEmpty())
        QDir(old).removeRecursively();
    return Ok{};
}

} // namespace wl::report
