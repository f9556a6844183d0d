#include "tfcheckpoint.h"

#include "core/plural.h"
#include "io/crc32c.h"
#include "proto/tensor_bundle.pb.h"

#include <algorithm>
#include <cstring>

namespace wl
{
namespace
{

constexpr std::int64_t kMaxAssembledBytes = std::int64_t(4) << 30;

template <class T, class Values, class Convert>
bool fillValues(QByteArray &out, const Values &values, std::int64_t elements, Convert convert)
{
    const std::int64_t n = values.size();
    if (n != elements && n != 1 && n != 0)
        return false;
    out = QByteArray(qsizetype(elements * std::int64_t(sizeof(T))), '\0');
    if (n == 0)
        return true; // TensorFlow fills a tensor without values with zeros
    auto *dst = reinterpret_cast<T *>(out.data());
    for (std::int64_t i = 0; i < elements; ++i) {
        const T v = convert(values.Get(int(n == 1 ? 0 : i)));
        std::memcpy(dst + i, &v, sizeof(T));
    }
    return true;
}

template <class T> auto as()
{
    return [](auto v) { return T(v); };
}

// C-order scatter of a slice's elements into the full tensor.
Status scatter(QByteArray &full, const Shape &shape, int item, const TfSlicePart &part,
               const QByteArray &bytes, const QString &file, const QString &key)
{
    const int rank = shape.rank();
    if (int(part.start.size()) != rank || int(part.length.size()) != rank)
        return makeError(LoadError::Code::Corrupt, file, key,
                         QStringLiteral("a slice of rank %1").arg(rank),
                         QStringLiteral("rank %1").arg(part.start.size()));
    std::vector<std::int64_t> start(static_cast<std::size_t>(rank)),
        len(static_cast<std::size_t>(rank));
    std::int64_t count = 1;
    for (int d = 0; d < rank; ++d) {
        const auto dim = shape.dims[std::size_t(d)];
        start[std::size_t(d)] = part.length[std::size_t(d)] < 0 ? 0 : part.start[std::size_t(d)];
        len[std::size_t(d)] = part.length[std::size_t(d)] < 0 ? dim : part.length[std::size_t(d)];
        if (start[std::size_t(d)] < 0 || len[std::size_t(d)] < 0 || start[std::size_t(d)] > dim ||
            len[std::size_t(d)] > dim - start[std::size_t(d)])
            return makeError(LoadError::Code::Corrupt, file, key,
                             QStringLiteral("a slice inside %1").arg(shape.toString()),
                             QStringLiteral("dimension %1 from %2, length %3")
                                 .arg(d)
                                 .arg(part.start[std::size_t(d)])
                                 .arg(part.length[std::size_t(d)]));
        count *= len[std::size_t(d)];
    }
    if (bytes.size() != count * item)
        return makeError(LoadError::Code::Corrupt, file, key,
                         counted(count * item, "byte") + QLatin1String(" for the slice"),
                         counted(bytes.size(), "byte"));
    if (count == 0)
        return Ok{};
    if (rank == 0) {
        std::memcpy(full.data(), bytes.constData(), std::size_t(item));
        return Ok{};
    }
    std::vector<std::int64_t> stride(std::size_t(rank), 1);
    for (int d = rank - 2; d >= 0; --d)
        stride[std::size_t(d)] = stride[std::size_t(d) + 1] * shape.dims[std::size_t(d) + 1];
    const std::int64_t run = len.back() * item;
    std::vector<std::int64_t> idx(std::size_t(rank), 0);
    const char *src = bytes.constData();
    for (;;) {
        std::int64_t off = 0;
        for (int d = 0; d < rank; ++d)
            off += (start[std::size_t(d)] + idx[std::size_t(d)]) * stride[std::size_t(d)];
        std::memcpy(full.data() + off * item, src, std::size_t(run));
        src += run;
        int d = rank - 2;
        for (; d >= 0; --d) {
            if (++idx[std::size_t(d)] < len[std::size_t(d)])
                break;
            idx[std::size_t(d)] = 0;
        }
        if (d < 0)
            break;
    }
    return Ok{};
}

} // namespace

std::int64_t tfByteSize(std::int64_t elements, int item)
{
    std::int64_t out = 0;
    if (elements < 0 || item < 0 || __builtin_mul_overflow(elements, std::int64_t(item), &out))
        return -1;
    return out;
}

Result<QByteArray> decodeTensorProtoValues(const tf::TensorProto &p, DType dtype,
                                           std::int64_t elements, const QString &file,
                                           const QString &where)
{
    const int item = dtypeSize(dtype);
    if (item <= 0)
        return makeError(LoadError::Code::Unsupported, file, where,
                         QStringLiteral("a fixed-size element type"), dtypeName(dtype));
    if (elements < 0 || elements > kMaxAssembledBytes / item)
        return makeError(LoadError::Code::Unsupported, file, where,
                         QStringLiteral("at most %1 bytes").arg(kMaxAssembledBytes),
                         QStringLiteral("%1 elements").arg(elements));
    if (!p.tensor_content().empty()) {
        if (std::int64_t(p.tensor_content().size()) != elements * item)
            return makeError(LoadError::Code::Corrupt, file, where,
                             counted(elements * item, "byte") + QLatin1String(" of tensor_content"),
                             counted(p.tensor_content().size(), "byte"));
        return QByteArray(p.tensor_content().data(), qsizetype(p.tensor_content().size()));
    }
    QByteArray out;
    bool ok = false;
    switch (dtype) {
    case DType::Float32:
        ok = fillValues<float>(out, p.float_val(), elements, as<float>());
        break;
    case DType::Float64:
        ok = fillValues<double>(out, p.double_val(), elements, as<double>());
        break;
    case DType::Int32:
    case DType::QInt32:
        ok = fillValues<std::int32_t>(out, p.int_val(), elements, as<std::int32_t>());
        break;
    case DType::Int16:
    case DType::QInt16:
        ok = fillValues<std::int16_t>(out, p.int_val(), elements, as<std::int16_t>());
        break;
    case DType::UInt16:
    case DType::QUInt16:
        ok = fillValues<std::uint16_t>(out, p.int_val(), elements, as<std::uint16_t>());
        break;
    case DType::Int8:
    case DType::QInt8:
        ok = fillValues<std::int8_t>(out, p.int_val(), elements, as<std::int8_t>());
        break;
    case DType::UInt8:
    case DType::QUInt8:
        ok = fillValues<std::uint8_t>(out, p.int_val(), elements, as<std::uint8_t>());
        break;
    case DType::Int64:
        ok = fillValues<std::int64_t>(out, p.int64_val(), elements, as<std::int64_t>());
        break;
    case DType::UInt32:
        ok = fillValues<std::uint32_t>(out, p.uint32_val(), elements, as<std::uint32_t>());
        break;
    case DType::UInt64:
        ok = fillValues<std::uint64_t>(out, p.uint64_val(), elements, as<std::uint64_t>());
        break;
    case DType::Bool:
        ok = fillValues<std::uint8_t>(out, p.bool_val(), elements, as<std::uint8_t>());
        break;
    case DType::Float16:
    case DType::BFloat16:
        ok = fillValues<std::uint16_t>(out, p.half_val(), elements, as<std::uint16_t>());
        break;
    default:
        return makeError(LoadError::Code::Unsupported, file, where,
                         QStringLiteral("TensorProto values of a supported type"),
                         dtypeName(dtype));
    }
    if (!ok)
        return makeError(LoadError::Code::Corrupt, file, where,
                         QStringLiteral("1 or %1 values in the TensorProto").arg(elements),
                         QStringLiteral("another count"));
    return out;
}

namespace
{

// DT_STRING and DT_VARIANT: the stored bytes go out unchanged; the checksum, which is not
// one over those bytes, is checked as they stream past.
template <class Checker>
Result<ChecksumState> streamChecked(const TensorInfo &t, const ChunkSink &sink,
                                    const StreamOptions &options)
{
    const auto &loc = t.location;
    if (loc.size == 0)
        return ChecksumState::None;
    const bool check = options.verifyChecksum && loc.maskedCrc32c;
    Checker checker(t.numElements());
    auto st = streamFileRange(loc.file, loc.offset, loc.size, options.window, 1,
                              [&](const std::uint8_t *p, std::size_t n) {
                                  if (check)
                                      checker.add(p, n);
                                  return sink(p, n);
                              });
    if (!st.ok())
        return st.error();
    if (!check)
        return ChecksumState::None;
    return checker.matches(*loc.maskedCrc32c) ? ChecksumState::Ok : ChecksumState::Mismatch;
}

} // namespace

TfCheckpoint::TfCheckpoint(CheckpointIndex index, std::vector<std::vector<TfSlicePart>> parts,
                           std::shared_ptr<const tfbundle::SsTable> v1Table)
    : Checkpoint(std::move(index)), m_parts(std::move(parts)), m_v1Table(std::move(v1Table))
{
}

Result<ChecksumState> TfCheckpoint::streamTensor(int i, const ChunkSink &sink,
                                                 const StreamOptions &options) const
{
    if (i < 0 || i >= index().tensors.size())
        return Checkpoint::streamTensor(i, sink, options);
    const auto &t = tensor(i);
    if (t.location.storage == TensorLocation::Storage::ReaderDecoded)
        return streamAssembled(i, sink, options);
    if (t.dtype == DType::String && t.location.storage == TensorLocation::Storage::Raw)
        return streamChecked<tfbundle::StringChecker>(t, sink, options);
    if (t.dtype == DType::Variant && t.location.storage == TensorLocation::Storage::Raw)
        return streamChecked<tfbundle::VariantChecker>(t, sink, options);
    return Checkpoint::streamTensor(i, sink, options);
}

Result<ChecksumState> TfCheckpoint::streamAssembled(int i, const ChunkSink &sink,
                                                    const StreamOptions &options) const
{
    const auto &t = tensor(i);
    const QString file = m_v1Table ? m_v1Table->path() : index().path;
    const int item = dtypeSize(t.dtype);
    const auto elements = t.shape.numElements();
    if (item <= 0 || !elements)
        return makeError(LoadError::Code::Unsupported, file, t.key,
                         QStringLiteral("a fixed-size element type and a known shape"),
                         t.dtypeText() + QLatin1Char(' ') + t.shape.toString());
    if (*elements > kMaxAssembledBytes / item)
        return makeError(
            LoadError::Code::Unsupported, file, t.key,
            QStringLiteral("a partitioned tensor of at most %1 bytes").arg(kMaxAssembledBytes),
            QStringLiteral("%1 elements").arg(*elements));
    QByteArray full(qsizetype(*elements * item), '\0');
    const auto &parts =
        i < int(m_parts.size()) ? m_parts[std::size_t(i)] : std::vector<TfSlicePart>{};
    if (parts.empty() && *elements > 0)
        return makeError(LoadError::Code::Corrupt, file, t.key,
                         QStringLiteral("stored slices of this tensor"), QStringLiteral("none"));
    bool mismatch = false, checked = false;
    for (const auto &part : parts) {
        QByteArray bytes;
        if (m_v1Table) {
            const QString where =
                t.key + QLatin1String(" (") + tfbundle::printableKey(part.v1Key) + QLatin1Char(')');
            auto value = m_v1Table->get(part.v1Key);
            if (!value.ok())
                return value.error();
            tf::SavedTensorSlices slices;
            if (!slices.ParseFromArray(value->constData(), int(value->size())) ||
                !slices.has_data())
                return makeError(LoadError::Code::Corrupt, file, where,
                                 QStringLiteral("a SavedTensorSlices with data"),
                                 counted(value->size(), "unparsable byte"));
            std::int64_t count = 1;
            for (std::size_t d = 0; d < part.length.size() && d < t.shape.dims.size(); ++d) {
                const auto n = part.length[d] < 0 ? t.shape.dims[d] : part.length[d];
                if (n > t.shape.dims[d])
                    return makeError(LoadError::Code::Corrupt, file, where,
                                     QStringLiteral("a slice inside %1").arg(t.shape.toString()),
                                     QStringLiteral("length %1 in dimension %2").arg(n).arg(d));
                count *= n;
            }
            auto decoded =
                decodeTensorProtoValues(slices.data().data(), t.dtype, count, file, where);
            if (!decoded.ok())
                return decoded.error();
            bytes = std::move(decoded).value();
        } else {
            TensorInfo piece = t;
            piece.location = part.location;
            StreamOptions o = options;
            auto r = streamRawLocation(
                piece,
                [&](const std::uint8_t *p, std::size_t n) {
                    bytes.append(reinterpret_cast<const char *>(p), qsizetype(n));
                    return true;
                },
                o);
            if (!r.ok())
                return r.error();
            checked =
                checked || r.value() == ChecksumState::Ok || r.value() == ChecksumState::Mismatch;
            mismatch = mismatch || r.value() == ChecksumState::Mismatch;
        }
        if (auto st = scatter(full, t.shape, item, part, bytes, file, t.key); !st.ok())
            return st.error();
    }
    const std::size_t window = std::max<std::size_t>(options.window, 1 << 16);
    const std::size_t step = window - window % std::size_t(item);
    for (std::size_t off = 0; off < std::size_t(full.size()); off += step) {
        const std::size_t n = std::min(step, std::size_t(full.size()) - off);
        if (!sink(reinterpret_cast<const std::uint8_t *>(full.constData()) + off, n))
            break;
    }
    if (mismatch)
        return ChecksumState::Mismatch;
    return checked ? ChecksumState::Ok : ChecksumState::None;
}

} // namespace wl
