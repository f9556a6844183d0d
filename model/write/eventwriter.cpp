#include "eventwriter.h"

#include "atomicfile.h"
#include "io/crc32c.h"
#include "proto/event.pb.h"

#include <QtEndian>

#include <algorithm>
#include <cmath>

namespace wl
{
namespace
{

// types.proto: DT_FLOAT = 1, DT_DOUBLE = 2, DT_STRING = 7.
constexpr int kDtFloat = 1;
constexpr int kDtDouble = 2;
constexpr int kDtString = 7;

void setPlugin(tf::Summary::Value *value, const char *plugin)
{
    value->mutable_metadata()->mutable_plugin_data()->set_plugin_name(plugin);
}

// An Event of one summary value at (step, wallTime); the caller fills its tensor.
tf::Summary::Value *tensorValue(tf::Event &e, const QString &tag, std::int64_t step,
                                double wallTime)
{
    e.set_wall_time(wallTime);
    e.set_step(step);
    auto *v = e.mutable_summary()->add_value();
    v->set_tag(tag.toStdString());
    return v;
}

} // namespace

EventFileWriter::EventFileWriter(QString path, double wallTime) : m_path(std::move(path))
{
    tf::Event first;
    first.set_wall_time(wallTime);
    first.set_file_version("brain.Event:2");
    first.mutable_source_metadata()->set_writer("tensorflow.core.util.events_writer");
    appendRecord(first.SerializeAsString());
}

// Framing (formats-tensorflow.md 6.1): uint64 length, masked CRC of the length bytes, data,
// masked CRC of the data, all little-endian.
void EventFileWriter::appendRecord(const std::string &data)
{
    char header[12];
    qToLittleEndian<quint64>(quint64(data.size()), header);
    qToLittleEndian<quint32>(crc32cMask(crc32c(header, 8)), header + 8);
    m_bytes.append(header, 12);
    m_bytes.append(data.data(), qsizetype(data.size()));
    char footer[4];
    qToLittleEndian<quint32>(crc32cMask(crc32c(data.data(), data.size())), footer);
    m_bytes.append(footer, 4);
}

void EventFileWriter::addScalar(const QString &tag, std::int64_t step, double wallTime, float value)
{
    tf::Event e;
    auto *v = tensorValue(e, tag, step, wallTime);
    auto *t = v->mutable_tensor();
    t->set_dtype(kDtFloat);
    t->mutable_tensor_shape();
    char bytes[4];
    qToLittleEndian<float>(value, bytes);
    t->set_tensor_content(bytes, 4);
    setPlugin(v, "scalars");
    appendRecord(e.SerializeAsString());
}

void EventFileWriter::addString(const QString &tag, std::int64_t step, double wallTime,
                                const QByteArray &value, const char *plugin,
                                const QByteArray &pluginContent)
{
    tf::Event e;
    auto *v = tensorValue(e, tag, step, wallTime);
    auto *t = v->mutable_tensor();
    t->set_dtype(kDtString);
    t->mutable_tensor_shape();
    t->add_string_val(value.constData(), std::size_t(value.size()));
    setPlugin(v, plugin);
    v->mutable_metadata()->mutable_plugin_data()->set_content(pluginContent.constData(),
                                                              std::size_t(pluginContent.size()));
    appendRecord(e.SerializeAsString());
}

std::vector<double> EventFileWriter::histogramRows(const std::vector<float> &values, int buckets)
{
    std::vector<double> rows;
    if (values.empty())
        return rows;
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double min = *lo, max = *hi;
    if (max == min)
        return {min - 0.5, max + 0.5, double(values.size())};
    const double width = (max - min) / buckets;
    std::vector<double> counts(std::size_t(buckets), 0.0);
    for (float x : values) {
        const auto i = std::min<long long>(buckets - 1, (long long)(std::floor((x - min) / width)));
        counts[std::size_t(i)] += 1.0;
    }
    for (int i = 0; i < buckets; ++i) {
        // linspace(min, max, buckets + 1) with the last edge exactly max.
        const double left = min + (max - min) * i / buckets;
        const double right = i + 1 == buckets ? max : min + (max - min) * (i + 1) / buckets;
        rows.insert(rows.end(), {left, right, counts[std::size_t(i)]});
    }
    return rows;
}

void EventFileWriter::addHistogram(const QString &tag, std::int64_t step, double wallTime,
                                   const std::vector<float> &values, int buckets)
{
    const std::vector<double> rows = histogramRows(values, buckets);
    tf::Event e;
    auto *v = tensorValue(e, tag, step, wallTime);
    auto *t = v->mutable_tensor();
    t->set_dtype(kDtDouble);
    t->mutable_tensor_shape()->add_dim()->set_size(std::int64_t(rows.size() / 3));
    t->mutable_tensor_shape()->add_dim()->set_size(3);
    std::string content(rows.size() * 8, '\0');
    for (std::size_t i = 0; i < rows.size(); ++i)
        qToLittleEndian<double>(rows[i], content.data() + 8 * i);
    t->set_tensor_content(std::move(content));
    setPlugin(v, "histograms");
    appendRecord(e.SerializeAsString());
}

Status EventFileWriter::finish()
{
    return writeBytesAtomically(m_path, m_bytes);
}

} // namespace wl
