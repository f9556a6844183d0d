#include "cli_events.h"
#include "commandspec.h"

#include "core/glob.h"
#include "events/runlogs.h"

#include <QTextStream>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace wl::cli
{
namespace
{

// JSON Lines go out through one buffer: a million points must not cost a million writes.
class Out
{
public:
    ~Out() { flush(); }
    void flush()
    {
        std::fwrite(m_buf.data(), 1, m_buf.size(), stdout);
        m_buf.clear();
    }
    void raw(std::string_view s)
    {
        m_buf += s;
        if (m_buf.size() > (1u << 20))
            flush();
    }
    void number(std::int64_t v)
    {
        char tmp[24];
        m_buf.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
    }
    // Shortest text that reads back as the same double; JSON has no NaN or infinity.
    void number(double v)
    {
        if (!std::isfinite(v)) {
            m_buf += "null";
            return;
        }
        char tmp[32];
        m_buf.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
    }
    void list(const std::vector<double> &v)
    {
        m_buf += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i)
                m_buf += ',';
            number(v[i]);
        }
        m_buf += ']';
    }

private:
    std::string m_buf;
};

std::string jsonString(const QString &s)
{
    std::string out = "\"";
    for (const char c : s.toStdString()) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char tmp[8];
                std::snprintf(tmp, sizeof tmp, "\\u%04x", c);
                out += tmp;
            } else {
                out += c;
            }
        }
    }
    return out + '"';
}

void printJson(const events::LogRun &run, const events::Series &s, Out &out)
{
    const std::string head =
        "{\"run\":" + jsonString(run.name) + ",\"tag\":" + jsonString(s.tag) + ",\"step\":";
    const auto start = [&](std::int64_t step, double wallTime) {
        out.raw(head);
        out.number(step);
        out.raw(",\"wall_time\":");
        out.number(wallTime);
    };
    for (const auto &p : s.scalars) {
        start(p.step, p.wallTime);
        out.raw(",\"value\":");
        out.number(p.value);
        out.raw("}\n");
    }
    for (const auto &p : s.histograms) {
        start(p.step, p.wallTime);
        out.raw(",\"kind\":\"histogram\",\"edges\":");
        out.list(p.edges);
        out.raw(",\"counts\":");
        out.list(p.counts);
        out.raw("}\n");
    }
}

QString kindName(events::SeriesKind k)
{
    switch (k) {
    case events::SeriesKind::Scalar:
        return QStringLiteral("scalar");
    case events::SeriesKind::Histogram:
        return QStringLiteral("histogram");
    case events::SeriesKind::Image:
        return QStringLiteral("image");
    case events::SeriesKind::Audio:
        return QStringLiteral("audio");
    case events::SeriesKind::Other:
        break;
    }
    return QStringLiteral("other");
}

QString num(double v)
{
    return QString::number(v, 'g', 8);
}

// One row per tag: points, first and last step, last value, min, max.
void printTable(const events::LogRun &run, const QList<const events::Series *> &series,
                QTextStream &out)
{
    out << "run " << run.name;
    if (run.group != run.name)
        out << " (group " << run.group << ")";
    out << "\n";
    int width = 3;
    for (const auto *s : series)
        width = std::max(width, int(s->tag.size()));
    out << "  " << QStringLiteral("tag").leftJustified(width) << "  kind       points  first step"
        << "  last step  last value      min             max\n";
    for (const auto *s : series) {
        out << "  " << s->tag.leftJustified(width) << "  " << kindName(s->kind).leftJustified(9)
            << QString::number(s->size()).rightJustified(8);
        std::int64_t first = 0, last = 0;
        if (!s->scalars.empty()) {
            first = s->scalars.front().step;
            last = s->scalars.back().step;
        } else if (!s->histograms.empty()) {
            first = s->histograms.front().step;
            last = s->histograms.back().step;
        } else {
            out << "\n";
            continue;
        }
        out << QString::number(first).rightJustified(12)
            << QString::number(last).rightJustified(11);
        if (!s->scalars.empty()) {
            double lo = INFINITY, hi = -INFINITY;
            for (const auto &p : s->scalars) {
                lo = std::fmin(lo, p.value);
                hi = std::fmax(hi, p.value);
            }
            out << "  " << num(s->scalars.back().value).leftJustified(14) << "  "
                << num(lo).leftJustified(14) << "  " << num(hi);
        }
        out << "\n";
    }
}

} // namespace

int events(const QStringList &args)
{
    QTextStream err(stderr);
    CommandLine cl(QStringLiteral("events"));
    if (auto stop = cl.parse(args))
        return *stop;
    if (cl.positional().size() != 1)
        return cl.fail(QStringLiteral("takes one PATH"));
    auto logs = events::loadLogs(cl.positional().first());
    if (!logs.ok()) {
        err << "weightlens: " << logs.error().message() << "\n";
        return 1;
    }
    const QString glob = cl.value(QStringLiteral("tag"));
    Out jsonOut;
    QTextStream text(stdout);
    for (const auto &run : logs->runs) {
        for (const auto &p : run.problems)
            err << "weightlens: warning: " << p.file << ": " << p.where << ": " << p.text << "\n";
        QList<const events::Series *> selected;
        for (const auto &s : run.series.all())
            if (glob.isEmpty() || globMatch(glob, s.tag))
                selected << &s;
        if (cl.isSet(QStringLiteral("json"))) {
            for (const auto *s : selected)
                printJson(run, *s, jsonOut);
        } else if (!selected.isEmpty()) {
            printTable(run, selected, text);
        }
    }
    return 0;
}

} // namespace wl::cli
