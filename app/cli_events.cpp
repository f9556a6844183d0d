#include "cli_events.h"
#include "commandspec.h"

#include "core/doubletext.h"
#include "core/glob.h"
#include "events/runlogs.h"

#include <QTextStream>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <thread>

namespace wl::cli
{
namespace
{

// Text of JSON Lines, written with fixed-size copies: a million points are a million lines, and
// a library call per fragment cost more than the parsing.
class Lines
{
public:
    Lines() = default;
    Lines(const Lines &) = delete;
    Lines &operator=(const Lines &) = delete;
    void clear() { m_p = m_buf.data(); }
    std::size_t size() const { return std::size_t(m_p - m_buf.data()); }
    const char *data() const { return m_buf.data(); }
    // Room for one more line of at most `n` bytes.
    void ensure(std::size_t n)
    {
        const std::size_t used = size();
        if (used + n + kSlack > m_buf.size())
            m_buf.resize(std::max(m_buf.size() * 2, used + n + kSlack));
        m_p = m_buf.data() + used;
    }
    template <std::size_t N> void lit(const char (&s)[N])
    {
        std::memcpy(m_p, s, N - 1);
        m_p += N - 1;
    }
    void raw(std::string_view s)
    {
        std::memcpy(m_p, s.data(), s.size());
        m_p += s.size();
    }
    void number(std::int64_t v) { m_p = std::to_chars(m_p, m_p + 24, v).ptr; }
    // Shortest text that reads back as the same double; JSON has no NaN or infinity.
    void number(double v)
    {
        if (std::isfinite(v))
            m_p = shortestDouble(m_p, v);
        else
            lit("null");
    }
    void list(const std::vector<double> &v)
    {
        ensure(v.size() * 33 + 64);
        *m_p++ = '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i)
                *m_p++ = ',';
            number(v[i]);
        }
        *m_p++ = ']';
    }

    static constexpr std::size_t kSlack = 256; // a scalar line's numbers and literals fit

private:
    std::vector<char> m_buf = std::vector<char>(kSlack);
    char *m_p = m_buf.data();
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

// Points [from, to) of one tag as JSON Lines: scalars first, then histograms.
void formatJson(const std::string &head, const events::Series &s, std::size_t from, std::size_t to,
                Lines &out)
{
    const auto start = [&](std::int64_t step, double wallTime) {
        out.ensure(head.size());
        out.raw(head);
        out.number(step);
        out.lit(",\"wall_time\":");
        out.number(wallTime);
    };
    const std::size_t scalars = s.scalars.size();
    for (std::size_t i = from; i < std::min(to, scalars); ++i) {
        const auto &p = s.scalars[i];
        start(p.step, p.wallTime);
        out.lit(",\"value\":");
        out.number(p.value);
        out.lit("}\n");
    }
    for (std::size_t i = std::max(from, scalars); i < to; ++i) {
        const auto &p = s.histograms[i - scalars];
        start(p.step, p.wallTime);
        out.lit(",\"kind\":\"histogram\",\"edges\":");
        out.list(p.edges);
        out.ensure(0);
        out.lit(",\"counts\":");
        out.list(p.counts);
        out.ensure(0);
        out.lit("}\n");
    }
}

struct JsonPiece {
    const std::string *head;
    const events::Series *series;
    std::size_t from, to;
};

// Formats the pieces a window at a time on every core and writes them in order, so the output
// is the same as one thread's and memory holds only one window of text.
void printJson(const std::vector<JsonPiece> &pieces)
{
    const std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t window = 2 * threads;
    std::vector<Lines> text(window);
    for (std::size_t base = 0; base < pieces.size(); base += window) {
        const std::size_t n = std::min(window, pieces.size() - base);
        std::atomic<std::size_t> next{0};
        const auto work = [&] {
            for (std::size_t i; (i = next.fetch_add(1)) < n;) {
                const auto &p = pieces[base + i];
                text[i].clear();
                text[i].ensure((p.to - p.from) * 96);
                formatJson(*p.head, *p.series, p.from, p.to, text[i]);
            }
        };
        std::vector<std::thread> pool;
        for (std::size_t t = 1; t < std::min(threads, n); ++t)
            pool.emplace_back(work);
        work();
        for (auto &t : pool)
            t.join();
        for (std::size_t i = 0; i < n; ++i)
            std::fwrite(text[i].data(), 1, text[i].size(), stdout);
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
    const bool json = cl.isSet(QStringLiteral("json"));
    std::deque<std::string> heads; // stable addresses for the pieces
    std::vector<JsonPiece> pieces;
    QTextStream text(stdout);
    for (const auto &run : logs->runs) {
        for (const auto &p : run.problems)
            err << "weightlens: warning: " << p.file << ": " << p.where << ": " << p.text << "\n";
        QList<const events::Series *> selected;
        for (const auto &s : run.series.all())
            if (glob.isEmpty() || globMatch(glob, s.tag))
                selected << &s;
        if (json) {
            constexpr std::size_t kPiece = 1 << 13;
            for (const auto *s : selected) {
                heads.push_back("{\"run\":" + jsonString(run.name) +
                                ",\"tag\":" + jsonString(s->tag) + ",\"step\":");
                const std::size_t points = s->scalars.size() + s->histograms.size();
                for (std::size_t from = 0; from < points; from += kPiece)
                    pieces.push_back({&heads.back(), s, from, std::min(points, from + kPiece)});
            }
        } else if (!selected.isEmpty()) {
            printTable(run, selected, text);
        }
    }
    if (json)
        printJson(pieces);
    return 0;
}

} // namespace wl::cli
