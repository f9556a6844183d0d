#pragma once

#include <QString>
#include <cstdint>

namespace wl
{

// Element types across all formats; names follow numpy.
enum class DType : std::uint8_t {
    Invalid,
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float16,
    BFloat16,
    Float32,
    Float64,
    Complex64,
    Complex128,
    Float8E5M2,
    Float8E4M3FN,
    Float8E4M3FNUZ,
    Float8E4M3B11FNUZ,
    Float8E5M2FNUZ,
    QInt8,
    QUInt8,
    QInt16,
    QUInt16,
    QInt32,
    Int4,
    UInt4,
    Int2,
    UInt2,
    String,
    Resource,
    Variant,
    Unknown,
};

// Bytes per element; 0 for variable-size or sub-byte types.
int dtypeSize(DType t);
QString dtypeName(DType t);
// Inverse of dtypeName; Invalid when the name is not known.
DType dtypeFromName(const QString &name);
// True when statistics can decode the type (floats, integers, bool).
bool dtypeIsNumeric(DType t);
bool dtypeIsFloat(DType t);

// TensorFlow's DataType enum (types.proto); *_REF values map to their base type.
DType dtypeFromTensorFlow(int code);
int dtypeToTensorFlow(DType t);
// "DT_FLOAT" style name of a TensorFlow DataType code, "unknown dtype N" otherwise.
QString tensorFlowDTypeName(int code);

} // namespace wl
