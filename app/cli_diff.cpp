#include "cli_diff.h"
#include "clioutput.h"
#include "commandspec.h"

#include "compare/diffengine.h"
#include "formats/readerregistry.h"
#include "write/convert.h"
#include "write/restore.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <csignal>

namespace wl::cli
{
namespace
{

// The one checkpoint at a path; a run folder has to be narrowed to one of its checkpoints.
Result<std::shared_ptr<Checkpoint>> openOne(const QString &path)
{
    auto opened = ReaderRegistry::builtin().open(path, JobContext::none());
    if (!opened.ok())
        return opened.error();
    if (opened->checkpoints.size() != 1) {
        QStringList names;
        for (const auto &cp : opened->checkpoints)
            names << cp->index().displayName;
        return makeError(LoadError::Code::BadArgument, path, {}, QStringLiteral("one checkpoint"),
                         QStringLiteral("%1 (%2); name one of them")
                             .arg(opened->checkpoints.size())
                             .arg(names.join(QLatin1String(", "))));
    }
    return opened->checkpoints.front();
}

QJsonArray shapeJson(const Shape &s)
{
    QJsonArray a;
    for (auto d : s.dims)
        a.append(qint64(d));
    return a;
}

QString text(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'g', 4) : QStringLiteral("-");
}

QString readable(const TensorInfo &t)
{
    return t.name.isEmpty() ? t.key : t.name;
}

} // namespace

int diff(const QStringList &args)
{
    CommandLine p(QStringLiteral("diff"));
    if (auto stop = p.parse(args))
        return *stop;
    const QStringList paths = p.positional();
    if (paths.size() != 2)
        return p.fail(QStringLiteral("takes two checkpoints, A and B"));
    QList<NameRule> rules;
    for (const auto &r : p.values(QStringLiteral("map"))) {
        auto rule = parseNameRule(r);
        if (!rule.ok())
            return p.fail(QStringLiteral("--map %1: expected %2, found %3")
                              .arg(r, rule.error().expected, rule.error().found));
        rules << rule.value();
    }
    auto a = openOne(paths[0]);
    auto b = a.ok() ? openOne(paths[1]) : Result<std::shared_ptr<Checkpoint>>(a.error());
    if (!a.ok() || !b.ok()) {
        err() << "weightlens: " << (a.ok() ? b : a).error().message() << "\n";
        return 1;
    }
    const auto &ia = (*a)->index();
    const auto &ib = (*b)->index();
    const NameMatching matching = matchTensors(ia, ib, rules);
    const QVector<TensorDiff> diffs = computeDiff(**a, **b, matching.pairs);
    int status = 0;
    for (const auto &d : diffs) {
        if (!d.error.isEmpty()) {
            err() << "weightlens: " << d.error << "\n";
            status = 1;
        }
        for (const auto &[state, t] : {std::pair{d.checksumA, &ia.tensors[d.match.a]},
                                       std::pair{d.checksumB, &ib.tensors[d.match.b]}})
            if (state == ChecksumState::Mismatch)
                err() << "weightlens: warning: " << t->location.file << ": " << t->key
                      << ": checksum mismatch (stored CRC-32C does not match the data)\n";
    }

    if (p.isSet(QStringLiteral("json"))) {
        for (const auto &d : diffs) {
            const auto &ta = ia.tensors[d.match.a];
            const auto &tb = ib.tensors[d.match.b];
            QJsonObject o;
            o[QLatin1String("key")] = ta.key;
            o[QLatin1String("name")] = ta.name;
            if (tb.key != ta.key)
                o[QLatin1String("key_b")] = tb.key;
            o[QLatin1String("matched_by")] = matchHowName(d.match.how);
            if (!d.match.comparable()) {
                o[QLatin1String("mismatch")] =
                    d.match.shapeMismatch ? QStringLiteral("shape") : QStringLiteral("dtype");
                o[QLatin1String("dtype_a")] = ta.dtypeText();
                o[QLatin1String("dtype_b")] = tb.dtypeText();
                o[QLatin1String("shape_a")] = shapeJson(ta.shape);
                o[QLatin1String("shape_b")] = shapeJson(tb.shape);
                continue; // after the matched lines
            }
            o[QLatin1String("dtype")] = ta.dtypeText();
            o[QLatin1String("shape")] = shapeJson(ta.shape);
            if (d.match.transposed()) { // B's axis for each of A's
                QJsonArray axes;
                for (const int x : d.match.axes)
                    axes.append(x);
                o[QLatin1String("shape_b")] = shapeJson(tb.shape);
                o[QLatin1String("axes_b")] = axes;
            }
            const auto &s = d.sums;
            const bool m = d.computed;
            o[QLatin1String("max_abs_diff")] = m ? number(s.maxAbs) : QJsonValue();
            o[QLatin1String("mean_abs_diff")] = m ? number(s.meanAbs()) : QJsonValue();
            o[QLatin1String("rel_l2")] = m ? number(s.relL2()) : QJsonValue();
            o[QLatin1String("cosine")] = m ? number(s.cosine()) : QJsonValue();
            o[QLatin1String("changed_fraction")] = m ? number(s.changedFraction()) : QJsonValue();
            o[QLatin1String("identical")] =
                d.error.isEmpty() ? QJsonValue(s.identical) : QJsonValue();
            for (const auto &[name, state] :
                 {std::pair{"checksum_a", d.checksumA}, std::pair{"checksum_b", d.checksumB}})
                if (state == ChecksumState::Ok || state == ChecksumState::Mismatch)
                    o[QLatin1String(name)] = state == ChecksumState::Ok
                                                 ? QStringLiteral("ok")
                                                 : QStringLiteral("mismatch");
            if (!d.error.isEmpty())
                o[QLatin1String("error")] = d.error;
            printJson(o);
        }
        for (int i : matching.onlyA)
            printJson({{QLatin1String("key"), ia.tensors[i].key},
                       {QLatin1String("name"), ia.tensors[i].name},
                       {QLatin1String("only_in"), QStringLiteral("A")}});
        for (int j : matching.onlyB)
            printJson({{QLatin1String("key"), ib.tensors[j].key},
                       {QLatin1String("name"), ib.tensors[j].name},
                       {QLatin1String("only_in"), QStringLiteral("B")}});
        for (const auto &d : diffs) {
            if (d.match.comparable())
                continue;
            const auto &ta = ia.tensors[d.match.a];
            const auto &tb = ib.tensors[d.match.b];
            printJson({{QLatin1String("key"), ta.key},
                       {QLatin1String("name"), ta.name},
                       {QLatin1String("key_b"), tb.key},
                       {QLatin1String("mismatch"),
                        d.match.shapeMismatch ? QStringLiteral("shape") : QStringLiteral("dtype")},
                       {QLatin1String("dtype_a"), ta.dtypeText()},
                       {QLatin1String("dtype_b"), tb.dtypeText()},
                       {QLatin1String("shape_a"), shapeJson(ta.shape)},
                       {QLatin1String("shape_b"), shapeJson(tb.shape)}});
        }
        out().flush();
        err().flush();
        return status;
    }

    // For people: the most changed first.
    QVector<const TensorDiff *> order;
    int width = 8;
    for (const auto &d : diffs)
        if (d.match.comparable()) {
            order << &d;
            width = std::max<int>(width, readable(ia.tensors[d.match.a]).size());
        }
    width = std::min(width, 80);
    std::stable_sort(order.begin(), order.end(), [](const TensorDiff *x, const TensorDiff *y) {
        return x->sums.relL2().value_or(INFINITY) > y->sums.relL2().value_or(INFINITY);
    });
    out() << "A: " << ia.path << "\nB: " << ib.path << "\n";
    out() << "  " << QStringLiteral("tensor").leftJustified(width) << "  "
          << QStringLiteral("max|A-B|").rightJustified(10)
          << QStringLiteral("mean|A-B|").rightJustified(11)
          << QStringLiteral("rel L2").rightJustified(11)
          << QStringLiteral("cosine").rightJustified(11)
          << QStringLiteral("changed").rightJustified(9) << "\n";
    for (const TensorDiff *d : order) {
        out() << "  " << readable(ia.tensors[d->match.a]).leftJustified(width) << "  ";
        if (!d->error.isEmpty()) {
            out() << "error\n";
            continue;
        }
        if (!d->computed) {
            out() << (d->sums.identical ? "identical" : "differs") << "\n";
            continue;
        }
        const auto &s = d->sums;
        out() << text(s.maxAbs).rightJustified(10) << text(s.meanAbs()).rightJustified(11)
              << text(s.relL2()).rightJustified(11) << text(s.cosine()).rightJustified(11)
              << (QString::number(100 * s.changedFraction(), 'f', 1) + '%').rightJustified(9)
              << (s.identical ? "  identical" : "") << "\n";
    }
    for (int i : matching.onlyA)
        out() << "only in A: " << readable(ia.tensors[i]) << "\n";
    for (int j : matching.onlyB)
        out() << "only in B: " << readable(ib.tensors[j]) << "\n";
    for (const auto &d : diffs)
        if (!d.match.comparable()) {
            const auto &ta = ia.tensors[d.match.a];
            const auto &tb = ib.tensors[d.match.b];
            out() << "mismatch: " << readable(ta) << " " << ta.dtypeText() << " "
                  << ta.shape.toString() << " against " << readable(tb) << " " << tb.dtypeText()
                  << " " << tb.shape.toString() << "\n";
        }
    const auto layers = diffByLayer(ia, diffs);
    if (layers.size() > 1) {
        out() << "layers:\n";
        for (const auto &g : layers)
            out() << "  " << (g.name.isEmpty() ? QStringLiteral("(top)") : g.name) << "  rel L2 "
                  << text(g.sums.relL2()) << "  max|A-B| " << text(g.sums.maxAbs) << "\n";
    }
    const GroupDiff total = diffTotal(diffs);
    out() << "total: " << total.tensors << " tensors compared, rel L2 " << text(total.sums.relL2())
          << ", max|A-B| " << text(total.sums.maxAbs) << ", "
          << QString::number(100 * total.sums.changedFraction(), 'f', 1)
          << "% of elements changed; " << matching.onlyA.size() << " only in A, "
          << matching.onlyB.size() << " only in B\n";
    out().flush();
    err().flush();
    return status;
}

namespace
{

// For tests of interrupted writes: WEIGHTLENS_TEST_KILL_AT=PHASE:N kills the process at the
// N-th progress report of PHASE ("writing", "verifying", "state"), as a crash or kill would.
JobContext::ProgressFn killHook()
{
    const QString at = qEnvironmentVariable("WEIGHTLENS_TEST_KILL_AT");
    if (at.isEmpty())
        return {};
    const QString phase = at.section(QLatin1Char(':'), 0, 0);
    const int n = at.section(QLatin1Char(':'), 1).toInt();
    return [phase, n, seen = 0](double, const QString &p) mutable {
        if (p == phase && ++seen >= n)
            ::raise(SIGKILL);
    };
}

} // namespace

int restore(const QStringList &args)
{
    CommandLine p(QStringLiteral("restore"));
    if (auto stop = p.parse(args))
        return *stop;
    if (!p.positional().isEmpty())
        return p.fail(QStringLiteral("takes no positional arguments; name A, B and OUT with "
                                     "--from, --into and --out"));
    const QString from = p.value(QStringLiteral("from"));
    const QString into = p.value(QStringLiteral("into"));
    const QString outPrefix = p.value(QStringLiteral("out"));
    const bool intoRun = outPrefix.isEmpty() && QFileInfo(into).isDir();
    if (from.isEmpty() || into.isEmpty() || (outPrefix.isEmpty() && !intoRun))
        return p.fail(QStringLiteral("needs --from A, --into B and --out OUT, or --into a run "
                                     "folder without --out"));
    RestoreRequest request;
    request.select = p.values(QStringLiteral("select"));
    request.cast = p.isSet(QStringLiteral("cast"));
    request.withSlots = p.isSet(QStringLiteral("with-slots"));
    for (const auto &r : p.values(QStringLiteral("map"))) {
        auto rule = parseNameRule(r);
        if (!rule.ok())
            return p.fail(QStringLiteral("--map %1: expected %2, found %3")
                              .arg(r, rule.error().expected, rule.error().found));
        request.rules << rule.value();
    }
    auto a = openOne(from);
    if (!a.ok()) {
        err() << "weightlens: " << a.error().message() << "\n";
        return 1;
    }
    std::shared_ptr<Checkpoint> b;
    if (!intoRun) {
        auto opened = openOne(into);
        if (!opened.ok()) {
            err() << "weightlens: " << opened.error().message() << "\n";
            return 1;
        }
        b = *opened;
    }
    const JobContext job(nullptr, killHook());
    auto r = intoRun ? restoreIntoRun(**a, into, request, job)
                     : restoreTensors(**a, *b, outPrefix, request, job);
    if (!r.ok()) {
        err() << "weightlens: " << r.error().message() << "\n";
        return 1;
    }
    for (const auto &t : r->restored) {
        out() << "restored " << t.key
              << (t.fromKey != t.key ? QStringLiteral(" from ") + t.fromKey : QString())
              << "  sha256 " << t.sha256.toHex();
        if (t.castFrom != DType::Invalid)
            out() << "  cast from " << dtypeName(t.castFrom) << ", largest rounding error "
                  << QString::number(t.maxRoundingError, 'g', 17);
        if (!t.axes.empty())
            out() << "  axes reordered into B's layout";
        out() << "\n";
    }
    out() << "weightlens: wrote " << r->prefix << " (" << r->restored.size() << " restored, "
          << r->kept << " kept from B; read back and verified); log " << r->logPath << "\n";
    if (!r->statePath.isEmpty())
        out() << "weightlens: " << r->statePath << " now names it as the run's latest\n";
    return 0;
}

int convert(const QStringList &args)
{
    CommandLine p(QStringLiteral("convert"));
    if (auto stop = p.parse(args))
        return *stop;
    const QStringList paths = p.positional();
    if (paths.size() != 2)
        return p.fail(QStringLiteral("takes the checkpoint IN and the output OUT"));
    ConvertFormat format = convertFormatFromPath(paths[1]);
    if (p.isSet(QStringLiteral("format"))) {
        const auto named = convertFormatFromName(p.value(QStringLiteral("format")));
        if (!named)
            return p.fail(
                QStringLiteral("--format %1: expected tf, keras-h5, safetensors or pytorch")
                    .arg(p.value(QStringLiteral("format"))));
        format = *named;
    }
    auto in = openOne(paths[0]);
    if (!in.ok()) {
        err() << "weightlens: " << in.error().message() << "\n";
        return 1;
    }
    auto r = convertCheckpoint(**in, paths[1], format);
    if (!r.ok()) {
        err() << "weightlens: " << r.error().message() << "\n";
        return 1;
    }
    for (const auto &s : r->skipped)
        err() << "weightlens: left out " << s << "\n";
    for (const auto &t : r->written)
        out() << t.key << "  sha256 " << t.sha256.toHex() << "\n";
    out() << "weightlens: wrote " << r->path << " (" << convertFormatName(r->format) << ", "
          << r->written.size() << " tensors, " << r->skipped.size()
          << " left out; read back and verified)\n";
    return 0;
}

} // namespace wl::cli
