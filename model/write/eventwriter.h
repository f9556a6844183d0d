#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QString>
#include <cstdint>
#include <vector>

namespace wl
{

// Writes a TensorBoard event file as TF2's summary writer does for the Keras TensorBoard
// callback: a `brain.Event:2` record first, then one Event per value, TFRecord-framed with
// masked CRC-32C. Scalars are DT_FLOAT rank-0 tensors in `tensor_content` with plugin
// `scalars`; histograms are DT_DOUBLE [k, 3] tensors (left, right, count) with plugin
// `histograms`, metadata repeated on every value. The file is assembled in memory and
// written in one atomic rename by finish().
class EventFileWriter
{
public:
    explicit EventFileWriter(QString path, double wallTime);

    void addScalar(const QString &tag, std::int64_t step, double wallTime, float value);
    // A DT_STRING scalar with the given plugin, as the TensorBoard callback stores the model's
    // JSON under the tag `keras` (plugin graph_keras_model, content "1").
    void addString(const QString &tag, std::int64_t step, double wallTime, const QByteArray &value,
                   const char *plugin, const QByteArray &pluginContent);
    // Buckets as TensorBoard's histogram summary computes them: `buckets` equal-width bins
    // from min to max (the last one closed); all-equal values give one bin [v - 0.5, v + 0.5].
    void addHistogram(const QString &tag, std::int64_t step, double wallTime,
                      const std::vector<float> &values, int buckets = 30);
    Status finish();

    // The [k, 3] rows TensorBoard stores for `values`.
    static std::vector<double> histogramRows(const std::vector<float> &values, int buckets);

private:
    void appendRecord(const std::string &data);
    QString m_path;
    QByteArray m_bytes;
};

} // namespace wl
