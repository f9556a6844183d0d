#include "eventfile.h"

#include "core/dtype.h"
#include "io/crc32c.h"
#include "io/mappedfile.h"
#include "proto/event.pb.h"
#include "stats/kernels.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace wl::events
{
namespace
{

std::int64_t elementCount(const tf::TensorProto &t)
{
    std::int64_t n = 1;
    for (const auto &d : t.tensor_shape().dim())
        n *= std::max<std::int64_t>(d.size(), 0);
    return n;
}

template <class List> void appendList(const List &list, std::int64_t n, std::vector<double> &out)
{
    // One value with more elements in the shape is broadcast (TF constants).
    if (list.size() == 1 && n > 1) {
        out.assign(std::size_t(n), double(list.Get(0)));
        return;
    }
    out.reserve(std::size_t(list.size()));
    for (const auto v : list)
        out.push_back(double(v));
}

// The elements of a numeric tensor as doubles, from tensor_content or the typed list.
bool tensorValues(const tf::TensorProto &t, std::vector<double> &out)
{
    out.clear();
    constexpr int kDtFloat = 1;
    if (t.dtype() == kDtFloat && t.tensor_content().size() == 4 && t.tensor_shape().dim().empty()) {
        // Keras's scalars: one float in tensor_content, most values of most logs.
        float f;
        std::memcpy(&f, t.tensor_content().data(), 4);
        out.push_back(f);
        return true;
    }
    const DType dt = dtypeFromTensorFlow(t.dtype());
    if (!dtypeIsNumeric(dt) || dtypeSize(dt) == 0)
        return false;
    const std::int64_t n = elementCount(t);
    if (!t.tensor_content().empty()) {
        if (std::int64_t(t.tensor_content().size()) != n * dtypeSize(dt))
            return false;
        out.resize(std::size_t(n));
        kernels::toDouble(dt, t.tensor_content().data(), std::size_t(n), out.data());
        return true;
    }
    switch (dt) {
    case DType::Float32:
        appendList(t.float_val(), n, out);
        break;
    case DType::Float64:
        appendList(t.double_val(), n, out);
        break;
    case DType::Int64:
        appendList(t.int64_val(), n, out);
        break;
    case DType::UInt32:
        appendList(t.uint32_val(), n, out);
        break;
    case DType::UInt64:
        appendList(t.uint64_val(), n, out);
        break;
    case DType::Bool:
        appendList(t.bool_val(), n, out);
        break;
    case DType::Float16:
    case DType::BFloat16: {
        // half_val carries the 16-bit patterns in int32s.
        std::vector<std::uint16_t> bits;
        for (const auto v : t.half_val())
            bits.push_back(std::uint16_t(v));
        if (bits.size() == 1 && n > 1)
            bits.assign(std::size_t(n), bits.front());
        out.resize(bits.size());
        kernels::toDouble(dt, bits.data(), bits.size(), out.data());
        break;
    }
    default: // int8..int32, uint8, uint16 travel in int_val
        appendList(t.int_val(), n, out);
        break;
    }
    return std::int64_t(out.size()) == n;
}

SeriesKind kindOfPlugin(const std::string &plugin)
{
    if (plugin == "scalars")
        return SeriesKind::Scalar;
    if (plugin == "histograms")
        return SeriesKind::Histogram;
    if (plugin == "images")
        return SeriesKind::Image;
    if (plugin == "audio")
        return SeriesKind::Audio;
    return SeriesKind::Other;
}

class Decoder
{
public:
    Decoder(EventFileCursor &c, SeriesSet &out, Problems &problems, bool restarts)
        : m_c(c), m_out(out), m_problems(problems), m_restarts(restarts)
    {
    }

    void record(const std::uint8_t *data, std::size_t len, std::int64_t offset)
    {
        if (simpleScalars(data, data + len))
            return;
        // One Event is reused: clearing keeps its messages and buffers, so a million small
        // records do not each allocate.
        if (!m_event.ParseFromArray(data, int(len))) {
            warn(offset, QStringLiteral("the record is not an Event; skipped"));
            return;
        }
        // Upstream these fields are a oneof: a valid record sets at most one.
        if (m_event.has_summary()) {
            for (const auto &v : m_event.summary().value())
                value(v);
        } else if (m_event.has_session_log()) {
            if (m_restarts && m_event.session_log().status() == tf::SessionLog::START) {
                m_out.purgeFrom(m_event.step());
                starts.push_back(m_event.step());
            }
        } else if (m_event.has_file_version()) {
            m_c.fileVersion = QString::fromStdString(m_event.file_version());
        } else if (m_event.has_graph_def()) {
            ++m_c.graphDefs;
        } else if (m_event.has_meta_graph_def()) {
            ++m_c.metaGraphDefs;
        }
    }

    // Frames and decodes the records from `begin` up to `limit`, checking each length CRC
    // first: at a bad one it stops (badLengthAt). It also stops before a record that does not
    // end by `limit`: a record still being written, or a cut that was no record boundary.
    // `end` is then where the next record starts. `expect` is how many bytes of records will add
    // to these series in all, to reserve room.
    void range(const std::uint8_t *d, std::size_t begin, std::size_t limit, std::size_t expect);

    // A piece decoded apart from the ones before it cannot know their plugin names: tags whose
    // values it read without one, and the restarts it saw, are settled when pieces are joined.
    bool guessing = false;
    std::unordered_set<std::string> unresolved;
    std::vector<std::int64_t> starts;
    std::int64_t records = 0;
    std::int64_t badLengthAt = -1; // a record whose length CRC failed: decoding stopped there
    std::size_t end = 0;           // where decoding stopped

    void warn(std::int64_t offset, const QString &text)
    {
        m_problems.append(
            {Problem::Severity::Warning, m_c.path, QStringLiteral("offset %1").arg(offset), text});
    }

private:
    Series &series(std::string_view tag, SeriesKind kind)
    {
        // Writers repeat their tags in the same order: guess the one that followed the previous
        // tag last time before hashing, and never make a QString for a known tag.
        std::size_t i = m_follows.size();
        if (m_last < m_follows.size() && m_follows[m_last] < m_tagNames.size() &&
            m_tagNames[m_follows[m_last]] == tag) {
            i = m_follows[m_last];
        } else if (auto it = m_tagIndex.find(tag); it != m_tagIndex.end()) {
            i = it->second;
        } else {
            Series &s = m_out.series(QString::fromUtf8(tag.data(), qsizetype(tag.size())), kind);
            i = std::size_t(&s - m_out.all().data());
            m_tagIndex.emplace(std::string(tag), i);
            if (m_tagNames.size() <= i)
                m_tagNames.resize(i + 1);
            m_tagNames[i] = std::string(tag);
            m_follows.resize(m_tagNames.size(), std::size_t(-1));
        }
        if (m_last < m_follows.size())
            m_follows[m_last] = i;
        m_last = i;
        return m_out.at(i);
    }

    // The shape of nearly every record of a TF1 log: Event{wall_time, step, summary{value{tag,
    // simple_value}...}}, fields once each and in order. Such a record is read here without the
    // generated parser; anything else (other fields, repeats, non-ASCII tags) returns false and
    // takes the full parse, so both paths give the same points.
    bool simpleScalars(const std::uint8_t *p, const std::uint8_t *end)
    {
        double wall = 0;
        std::uint64_t step = 0;
        if (p < end && *p == 0x09) { // 1: wall_time, fixed64
            if (end - p < 9)
                return false;
            std::memcpy(&wall, p + 1, 8);
            p += 9;
        }
        if (p < end && *p == 0x10 && !varint(++p, end, step)) // 2: step
            return false;
        std::uint64_t len = 0;
        if (p == end || *p != 0x2a || !varint(++p, end, len) || len != std::uint64_t(end - p))
            return false; // 5: summary, the rest of the record
        const std::uint8_t *const values = p;
        // Check every value before adding any, so a record is taken whole or not at all.
        for (int pass = 0; pass < 2; ++pass) {
            for (p = values; p < end;) {
                std::uint64_t vlen = 0, tlen = 0;
                if (*p != 0x0a || !varint(++p, end, vlen) || vlen > std::uint64_t(end - p))
                    return false;
                const std::uint8_t *const vend = p + vlen;
                if (p == vend || *p != 0x0a || !varint(++p, vend, tlen) || tlen == 0 ||
                    tlen >= std::uint64_t(vend - p) || std::uint64_t(vend - p) != tlen + 5 ||
                    p[tlen] != 0x15)
                    return false;
                const std::string_view tag(reinterpret_cast<const char *>(p), tlen);
                if (pass == 0) {
                    // ASCII only: the full parse checks UTF-8.
                    for (const char c : tag)
                        if (static_cast<unsigned char>(c) >= 0x80)
                            return false;
                } else {
                    float v;
                    std::memcpy(&v, p + tlen + 1, 4);
                    series(tag, SeriesKind::Scalar)
                        .scalars.push_back({std::int64_t(step), wall, v});
                }
                p = vend;
            }
        }
        return true;
    }

    static bool varint(const std::uint8_t *&p, const std::uint8_t *end, std::uint64_t &v)
    {
        v = 0;
        // Nine bytes at most: longer ones (negative steps) are left to the full parse.
        for (int shift = 0; shift < 63 && p < end; shift += 7) {
            const std::uint8_t b = *p++;
            v |= std::uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80))
                return true;
        }
        return false;
    }

    void value(const tf::Summary::Value &v)
    {
        const std::int64_t step = m_event.step();
        const double wall = m_event.wall_time();
        if (v.has_simple_value()) {
            series(v.tag(), SeriesKind::Scalar).scalars.push_back({step, wall, v.simple_value()});
        } else if (v.has_histo()) {
            const auto &h = v.histo();
            HistogramPoint p{step, wall, {}, {}};
            if (!h.bucket_limit().empty()) {
                // Bucket i covers (limit[i-1], limit[i]]; the first starts at min or below.
                p.edges.push_back(std::min(h.min(), h.bucket_limit(0)));
                p.edges.insert(p.edges.end(), h.bucket_limit().begin(), h.bucket_limit().end());
                p.counts.assign(h.bucket().begin(), h.bucket().end());
                p.counts.resize(h.bucket_limit().size());
            }
            series(v.tag(), SeriesKind::Histogram).histograms.push_back(std::move(p));
        } else if (v.has_image()) {
            ++series(v.tag(), SeriesKind::Image).otherCount;
        } else if (v.has_audio()) {
            ++series(v.tag(), SeriesKind::Audio).otherCount;
        } else if (v.has_tensor()) {
            tensor(v, step, wall);
        } else {
            ++series(v.tag(), SeriesKind::Other).otherCount;
        }
    }

    void tensor(const tf::Summary::Value &v, std::int64_t step, double wall)
    {
        const std::string *plugin = nullptr;
        if (v.has_metadata()) {
            const std::string &name = v.metadata().plugin_data().plugin_name();
            auto it = m_c.pluginByTag.find(v.tag());
            if (it == m_c.pluginByTag.end())
                it = m_c.pluginByTag.emplace(v.tag(), name).first;
            else if (it->second != name)
                it->second = name;
            plugin = &it->second;
        } else if (auto it = m_c.pluginByTag.find(v.tag()); it != m_c.pluginByTag.end()) {
            plugin = &it->second;
        } else if (guessing) {
            unresolved.insert(v.tag());
        }
        const auto &t = v.tensor();
        const int rank = t.tensor_shape().dim_size();
        SeriesKind kind = plugin ? kindOfPlugin(*plugin) : SeriesKind::Other;
        if (!plugin && rank == 0)
            kind = SeriesKind::Scalar; // TF2 scalars written without metadata
        Series &s = series(v.tag(), kind);
        if (plugin && s.plugin.isEmpty())
            s.plugin = QString::fromStdString(*plugin);
        const bool histogramShape = rank == 2 && t.tensor_shape().dim(1).size() == 3;
        if (s.kind == SeriesKind::Scalar && rank == 0 && tensorValues(t, m_values)) {
            s.scalars.push_back({step, wall, m_values[0]});
        } else if (s.kind == SeriesKind::Histogram && histogramShape && tensorValues(t, m_values)) {
            // Rows (left, right, count): the left edges, then the last right edge.
            const std::size_t k = m_values.size() / 3;
            HistogramPoint p{step, wall, {}, {}};
            for (std::size_t i = 0; i < k; ++i) {
                p.edges.push_back(m_values[3 * i]);
                p.counts.push_back(m_values[3 * i + 2]);
            }
            if (k)
                p.edges.push_back(m_values[3 * k - 2]);
            s.histograms.push_back(std::move(p));
        } else {
            ++s.otherCount;
        }
    }

    EventFileCursor &m_c;
    SeriesSet &m_out;
    Problems &m_problems;
    bool m_restarts;
    tf::Event m_event;
    struct TagHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const
        {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::size_t, TagHash, std::equal_to<>> m_tagIndex;
    std::vector<std::string> m_tagNames;  // by series index
    std::vector<std::size_t> m_follows;   // by series index: the tag read after it last time
    std::size_t m_last = std::size_t(-1); // series of the previous value
    std::vector<double> m_values;
};

std::uint64_t le64(const std::uint8_t *p)
{
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

std::uint32_t le32(const std::uint8_t *p)
{
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

void Decoder::range(const std::uint8_t *d, std::size_t begin, std::size_t limit, std::size_t expect)
{
    // Series grown by doubling touch twice their size in fresh pages, the costliest part of
    // reading on this kind of machine: after a sixteenth of the piece, reserve what the rest
    // will add at the same rate.
    const std::size_t probe = begin + std::max<std::size_t>((limit - begin) / 16, 1 << 16);
    std::vector<std::size_t> before;
    for (const auto &s : m_out.all())
        before.push_back(s.scalars.size());
    bool reserved = probe >= limit;
    std::size_t pos = begin;
    while (limit - pos >= 12) {
        if (crc32cMask(crc32c(d + pos, 8)) != le32(d + pos + 8)) {
            badLengthAt = std::int64_t(pos);
            break;
        }
        const std::uint64_t len = le64(d + pos);
        if (len > limit - pos - 12 || limit - pos - 12 - len < 4)
            break;
        if (!reserved && pos >= probe) {
            reserved = true;
            const double scale = double(expect) / double(pos - begin);
            for (std::size_t i = 0; i < m_out.all().size(); ++i) {
                auto &points = m_out.at(i).scalars;
                const std::size_t had = i < before.size() ? before[i] : 0;
                const std::size_t added = points.size() > had ? points.size() - had : 0;
                points.reserve(points.size() + std::size_t(double(added) * (scale - 1) * 1.02));
            }
        }
        const std::uint8_t *data = d + pos + 12;
        if (crc32cMask(crc32c(data, len)) != le32(data + len))
            warn(std::int64_t(pos), QStringLiteral("bad data CRC; record skipped"));
        else
            record(data, len, std::int64_t(pos));
        pos += 16 + len;
        ++records;
    }
    end = pos;
}

// The first record boundary in [from, to): where a length, its CRC and the data's CRC agree, as
// they do by chance once in 2^64 places. A wrong one is caught when the piece before it does not
// end there. `to` when there is none (a record longer than the stretch).
std::size_t recordAt(const std::uint8_t *d, std::size_t size, std::size_t from, std::size_t to)
{
    for (std::size_t p = from; p < to && size - p >= 16; ++p) {
        if (crc32cMask(crc32c(d + p, 8)) != le32(d + p + 8))
            continue;
        const std::uint64_t len = le64(d + p);
        if (len <= size - p - 16 && crc32cMask(crc32c(d + p + 12, len)) == le32(d + p + 12 + len))
            return p;
    }
    return to;
}

// A piece decoded on its own joins the points before it as if read in sequence; false when it
// read a tag's values without the plugin name an earlier piece gave, and must be read again.
bool join(EventFileCursor &cursor, SeriesSet &out, Problems &problems, EventFileCursor &piece,
          SeriesSet &pieceOut, Problems &pieceProblems, const Decoder &decoder)
{
    for (const auto &tag : decoder.unresolved)
        if (cursor.pluginByTag.count(tag))
            return false;
    for (const auto &s : pieceOut.all())
        if (const Series *known = out.find(s.tag); known && known->kind != s.kind)
            return false;
    for (const std::int64_t step : decoder.starts)
        out.purgeFrom(step);
    for (std::size_t i = 0; i < pieceOut.all().size(); ++i) {
        Series &s = pieceOut.at(i);
        Series &into = out.series(s.tag, s.kind);
        if (into.plugin.isEmpty())
            into.plugin = s.plugin;
        into.scalars.insert(into.scalars.end(), s.scalars.begin(), s.scalars.end());
        std::move(s.histograms.begin(), s.histograms.end(), std::back_inserter(into.histograms));
        into.otherCount += s.otherCount;
    }
    for (auto &[tag, plugin] : piece.pluginByTag)
        cursor.pluginByTag[tag] = plugin;
    if (!piece.fileVersion.isEmpty())
        cursor.fileVersion = piece.fileVersion;
    cursor.graphDefs += piece.graphDefs;
    cursor.metaGraphDefs += piece.metaGraphDefs;
    problems.append(pieceProblems);
    return true;
}

} // namespace

bool isEventFileName(const QString &fileName)
{
    return fileName.contains(QLatin1String("tfevents"));
}

Status readEvents(EventFileCursor &cursor, SeriesSet &out, Problems &problems, bool restarts)
{
    if (cursor.ended)
        return Ok{};
    auto mapped = MappedFile::open(cursor.path);
    if (!mapped.ok())
        return mapped.error();
    const std::uint8_t *d = (*mapped)->data();
    const std::size_t size = (*mapped)->size();
    const auto begin = std::size_t(cursor.offset);
    if (begin > size) { // shorter than what was read: nothing new
        cursor.pending = std::int64_t(size) - cursor.offset;
        return Ok{};
    }

    // A piece per core, each framing its own records, cut where a record starts: no pass over
    // the whole file on one core first. Record: u64 length, masked CRC of those 8 bytes, data,
    // masked CRC of the data.
    constexpr std::size_t kMinPiece = 4 << 20;
    const std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t pieces = std::clamp<std::size_t>((size - begin) / kMinPiece, 1, threads);
    std::vector<std::size_t> cuts{begin};
    for (std::size_t i = 1; i < pieces; ++i) {
        const std::size_t from = begin + (size - begin) * i / pieces;
        const std::size_t to = begin + (size - begin) * (i + 1) / pieces;
        if (const std::size_t at = recordAt(d, size, std::max(from, cuts.back() + 1), to); at < to)
            cuts.push_back(at);
    }
    cuts.push_back(size);

    Decoder first(cursor, out, problems, restarts);
    struct Piece {
        EventFileCursor cursor;
        SeriesSet out;
        Problems problems;
        std::unique_ptr<Decoder> decoder;
    };
    std::vector<Piece> rest(cuts.size() - 2);
    std::vector<std::thread> pool;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        Piece &p = rest[i];
        p.cursor.path = cursor.path;
        p.decoder = std::make_unique<Decoder>(p.cursor, p.out, p.problems, restarts);
        p.decoder->guessing = true;
        pool.emplace_back(
            [&p, d, b = cuts[i + 1], e = cuts[i + 2]] { p.decoder->range(d, b, e, e - b); });
    }
    first.range(d, cuts[0], cuts[1], size - begin); // later pieces join it
    for (auto &t : pool)
        t.join();
    std::int64_t records = first.records;
    std::int64_t badLengthAt = first.badLengthAt;
    std::size_t pos = first.end;
    // A piece counts only when the one before it ended at its cut: after a bad length nothing
    // more is read, and where a cut was no record boundary, reading goes on from where it stands.
    for (std::size_t i = 0; i < rest.size() && badLengthAt < 0; ++i) {
        if (pos != cuts[i + 1]) {
            Decoder on(cursor, out, problems, restarts);
            on.range(d, pos, size, size - pos);
            records += on.records;
            badLengthAt = on.badLengthAt;
            pos = on.end;
            break;
        }
        Piece &p = rest[i];
        if (join(cursor, out, problems, p.cursor, p.out, p.problems, *p.decoder)) {
            records += p.decoder->records;
            badLengthAt = p.decoder->badLengthAt;
            pos = p.decoder->end;
            continue;
        }
        Decoder again(cursor, out, problems, restarts);
        again.range(d, cuts[i + 1], cuts[i + 2], cuts[i + 2] - cuts[i + 1]);
        records += again.records;
        badLengthAt = again.badLengthAt;
        pos = again.end;
    }
    cursor.records += records;
    cursor.offset = std::int64_t(pos);
    if (badLengthAt >= 0) {
        first.warn(badLengthAt, QStringLiteral("bad length CRC; the rest of the file is not read"));
        cursor.ended = true;
    }
    cursor.pending = cursor.ended ? 0 : std::int64_t(size) - cursor.offset;
    return Ok{};
}

} // namespace wl::events
