// ONNX initializers (formats-keras-pytorch.md section 7): each tensor's data is in exactly one
// place, raw_data, a typed field, or an external file beside the model.
#include "onnxreader.h"

#include "core/plural.h"
#include "io/mappedfile.h"
#include "proto/onnx.pb.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <cstring>

namespace wl
{
namespace
{

const QString kOnnxReaderId = QStringLiteral("onnx");

DType onnxDType(int code)
{
    switch (code) {
    case 1:
        return DType::Float32;
    case 2:
        return DType::UInt8;
    case 3:
        return DType::Int8;
    case 4:
        return DType::UInt16;
    case 5:
        return DType::Int16;
    case 6:
        return DType::Int32;
    case 7:
        return DType::Int64;
    case 8:
        return DType::String;
    case 9:
        return DType::Bool;
    case 10:
        return DType::Float16;
    case 11:
        return DType::Float64;
    case 12:
        return DType::UInt32;
    case 13:
        return DType::UInt64;
    case 14:
        return DType::Complex64;
    case 15:
        return DType::Complex128;
    case 16:
        return DType::BFloat16;
    case 17:
        return DType::Float8E4M3FN;
    case 18:
        return DType::Float8E4M3FNUZ;
    case 19:
        return DType::Float8E5M2;
    case 20:
        return DType::Float8E5M2FNUZ;
    default:
        return DType::Unknown;
    }
}

// Typed values as little-endian elements of `item` bytes each (narrowing int32_data to int8,
// float16 bits and the like, as the format stores them).
template <class T> QByteArray packed(const google::protobuf::RepeatedField<T> &v, int item)
{
    QByteArray out(qsizetype(v.size()) * item, Qt::Uninitialized);
    for (int i = 0; i < v.size(); ++i) {
        const T x = v.Get(i);
        std::memcpy(out.data() + qsizetype(i) * item, &x, std::size_t(item)); // little-endian host
    }
    return out;
}

class OnnxCheckpoint : public Checkpoint
{
public:
    OnnxCheckpoint(CheckpointIndex index, QHash<int, QByteArray> data)
        : Checkpoint(std::move(index)), m_data(std::move(data))
    {
    }

    Result<ChecksumState> streamTensor(int i, const ChunkSink &sink,
                                       const StreamOptions &options) const override
    {
        const auto it = m_data.constFind(i);
        if (it == m_data.constEnd())
            return Checkpoint::streamTensor(i, sink, options);
        if (!it->isEmpty())
            (void)sink(reinterpret_cast<const std::uint8_t *>(it->constData()),
                       std::size_t(it->size()));
        return ChecksumState::None;
    }

private:
    QHash<int, QByteArray> m_data; // decoded in memory: raw_data and typed fields
};

} // namespace

QString OnnxReader::id() const
{
    return kOnnxReaderId;
}

QString OnnxReader::displayName() const
{
    return QStringLiteral("ONNX model");
}

QStringList OnnxReader::filePatterns() const
{
    return {QStringLiteral("*.onnx")};
}

ProbeResult OnnxReader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File)
        return {};
    if (!source.fileName().endsWith(QLatin1String(".onnx")))
        return {};
    // ir_version (field 1, varint) comes first in what every exporter writes.
    const QByteArray head = source.head(2);
    return {head.startsWith('\x08') ? 90 : 50, {}};
}

Result<OpenResult> OnnxReader::open(const Source &source, const JobContext &job) const
{
    const QString path = source.path();
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, path, {}, {});
    auto map = MappedFile::open(path);
    if (!map.ok())
        return map.error();
    const auto bytes = (*map)->bytes();
    if (bytes.size() > std::size_t(INT_MAX))
        return makeError(LoadError::Code::Unsupported, path, {},
                         QStringLiteral("a model under 2 GiB (larger ones keep data outside)"),
                         counted(qint64(bytes.size()), "byte"));
    onnx::ModelProto model;
    google::protobuf::io::CodedInputStream in(bytes.data(), int(bytes.size()));
    in.SetTotalBytesLimit(INT_MAX);
    in.SetRecursionLimit(64);
    if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
        return makeError(
            LoadError::Code::Corrupt, path, QStringLiteral("offset %1").arg(in.CurrentPosition()),
            QStringLiteral("an ONNX ModelProto"), QStringLiteral("a message that does not parse"));
    if (!model.has_graph())
        return makeError(LoadError::Code::Corrupt, path, QStringLiteral("ModelProto.graph"),
                         QStringLiteral("a graph"), QStringLiteral("none"));

    CheckpointIndex index;
    index.path = path;
    index.displayName = QFileInfo(path).fileName();
    index.readerId = kOnnxReaderId;
    index.formatName = QStringLiteral("ONNX model");
    const QString producer =
        QString::fromStdString(model.producer_name() + " " + model.producer_version()).trimmed();
    index.metadata.append({QStringLiteral("IR version"), QString::number(model.ir_version())});
    if (!producer.isEmpty())
        index.metadata.append({QStringLiteral("Producer"), producer});
    QStringList opsets;
    for (const auto &o : model.opset_import())
        opsets << QStringLiteral("%1 %2")
                      .arg(o.domain().empty() ? QStringLiteral("ai.onnx")
                                              : QString::fromStdString(o.domain()))
                      .arg(o.version());
    index.metadata.append({QStringLiteral("Opset"), opsets.join(QLatin1String(", "))});
    const auto &graph = model.graph();
    if (!graph.name().empty())
        index.metadata.append({QStringLiteral("Graph"), QString::fromStdString(graph.name())});
    index.summary.insert(QStringLiteral("ir_version"), double(model.ir_version()));
    index.summary.insert(QStringLiteral("producer"), producer);
    index.summary.insert(QStringLiteral("opsets"), QJsonArray::fromStringList(opsets));
    if (graph.sparse_initializer_size() > 0)
        index.problems << Problem{
            Problem::Severity::Warning, path, QStringLiteral("graph"),
            QStringLiteral("%1 not read")
                .arg(counted(graph.sparse_initializer_size(), "sparse initializer"))};

    const QDir dir = QFileInfo(path).absoluteDir();
    QHash<int, QByteArray> data;
    for (const auto &tp : graph.initializer()) {
        TensorInfo t;
        t.key = t.name = QString::fromStdString(tp.name());
        // Names from torch.onnx.export are state_dict paths; the tree splits them like those.
        if (!t.key.contains(QLatin1Char('/')) && !t.key.contains(QLatin1Char(':')))
            t.name.replace(QLatin1Char('.'), QLatin1Char('/'));
        t.sourceDType = tp.data_type();
        t.dtype = onnxDType(tp.data_type());
        t.location.file = path;
        t.location.storage = TensorLocation::Storage::None;
        bool dimsOk = true;
        for (auto d : tp.dims()) {
            dimsOk = dimsOk && d >= 0;
            t.shape.dims.push_back(d);
        }
        const int at = int(index.tensors.size());
        auto problem = [&](const QString &text) {
            index.problems << Problem{Problem::Severity::Warning, path,
                                      QStringLiteral("initializer '%1'").arg(t.key), text};
            index.tensors.push_back(t);
        };
        const int item = dtypeSize(t.dtype);
        const auto count = t.shape.numElements();
        if (!dimsOk || !count) {
            problem(QStringLiteral("dims %1 are not a valid shape").arg(t.shape.toString()));
            continue;
        }
        if (t.dtype == DType::Unknown || t.dtype == DType::String || item <= 0) {
            problem(QStringLiteral("data_type %1 is not read").arg(tp.data_type()));
            continue;
        }
        if (tp.has_segment()) {
            problem(QStringLiteral("segmented tensors are not supported"));
            continue;
        }
        if (*count > std::numeric_limits<std::int64_t>::max() / item) {
            problem(QStringLiteral("more elements than fit"));
            continue;
        }
        const std::int64_t need = *count * item;
        if (tp.data_location() == 1) {
            QString location;
            std::int64_t offset = 0, length = -1;
            for (const auto &kv : tp.external_data()) {
                const QString v = QString::fromStdString(kv.value());
                if (kv.key() == "location")
                    location = v;
                else if (kv.key() == "offset")
                    offset = v.toLongLong();
                else if (kv.key() == "length")
                    length = v.toLongLong();
            }
            const QString file = QDir::cleanPath(dir.filePath(location));
            if (location.isEmpty() || QDir::isAbsolutePath(location) ||
                !file.startsWith(dir.absolutePath() + QLatin1Char('/'))) {
                problem(QStringLiteral("external data location \"%1\" is not a file beside the "
                                       "model")
                            .arg(location));
                continue;
            }
            const qint64 fileSize = QFileInfo(file).size();
            if (!QFileInfo(file).isFile()) {
                problem(QStringLiteral("external data file %1 is missing").arg(location));
                continue;
            }
            if (length < 0)
                length = need;
            if (offset < 0 || length != need || offset > fileSize - length) {
                problem(QStringLiteral("external data [%1, +%2) of %3 (%4) does not hold %5")
                            .arg(offset)
                            .arg(length)
                            .arg(location, counted(fileSize, "byte"), counted(need, "byte")));
                continue;
            }
            t.location.file = file;
            t.location.offset = offset;
            t.location.size = need;
            t.location.storage = TensorLocation::Storage::Raw;
            index.tensors.push_back(t);
            continue;
        }
        QByteArray bytes;
        QString field;
        const int complexFactor =
            (t.dtype == DType::Complex64 || t.dtype == DType::Complex128) ? 2 : 1;
        if (tp.has_raw_data()) {
            bytes = QByteArray::fromStdString(tp.raw_data());
            field = QStringLiteral("raw_data");
        } else {
            switch (t.dtype) {
            case DType::Float32:
            case DType::Complex64:
                bytes = packed(tp.float_data(), 4);
                field = QStringLiteral("float_data");
                break;
            case DType::Float64:
            case DType::Complex128:
                bytes = packed(tp.double_data(), 8);
                field = QStringLiteral("double_data");
                break;
            case DType::Int64:
                bytes = packed(tp.int64_data(), 8);
                field = QStringLiteral("int64_data");
                break;
            case DType::UInt32:
            case DType::UInt64:
                bytes = packed(tp.uint64_data(), item);
                field = QStringLiteral("uint64_data");
                break;
            default: // int32 and narrower, bool, and the bit patterns of 16- and 8-bit floats
                bytes = packed(tp.int32_data(), item / complexFactor);
                field = QStringLiteral("int32_data");
                break;
            }
        }
        if (bytes.size() != need) {
            problem(QStringLiteral("%1 holds %2; %3 need %4")
                        .arg(field, counted(bytes.size(), "byte"), t.shape.toString(),
                             counted(need, "byte")));
            continue;
        }
        t.location.storage = TensorLocation::Storage::ReaderDecoded;
        t.location.size = need;
        data.insert(at, bytes);
        index.tensors.push_back(t);
    }
    index.summaryText =
        QStringLiteral("%1, %2").arg(counted(index.tensors.size(), "initializer"),
                                     producer.isEmpty() ? QStringLiteral("no producer") : producer);
    return singleCheckpoint(path, kOnnxReaderId,
                            std::make_shared<OnnxCheckpoint>(std::move(index), std::move(data)));
}

} // namespace wl
