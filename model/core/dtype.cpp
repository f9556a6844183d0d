#include "dtype.h"

#include <array>

namespace wl
{
namespace
{

struct DTypeRow {
    DType type;
    const char *name;
    int size;
    int tfCode; // -1: no TensorFlow equivalent
};

constexpr std::array kRows{
    DTypeRow{DType::Invalid, "invalid", 0, 0},
    DTypeRow{DType::Bool, "bool", 1, 10},
    DTypeRow{DType::Int8, "int8", 1, 6},
    DTypeRow{DType::Int16, "int16", 2, 5},
    DTypeRow{DType::Int32, "int32", 4, 3},
    DTypeRow{DType::Int64, "int64", 8, 9},
    DTypeRow{DType::UInt8, "uint8", 1, 4},
    DTypeRow{DType::UInt16, "uint16", 2, 17},
    DTypeRow{DType::UInt32, "uint32", 4, 22},
    DTypeRow{DType::UInt64, "uint64", 8, 23},
    DTypeRow{DType::Float16, "float16", 2, 19},
    DTypeRow{DType::BFloat16, "bfloat16", 2, 14},
    DTypeRow{DType::Float32, "float32", 4, 1},
    DTypeRow{DType::Float64, "float64", 8, 2},
    DTypeRow{DType::Complex64, "complex64", 8, 8},
    DTypeRow{DType::Complex128, "complex128", 16, 18},
    DTypeRow{DType::Float8E5M2, "float8_e5m2", 1, 24},
    DTypeRow{DType::Float8E4M3FN, "float8_e4m3fn", 1, 25},
    DTypeRow{DType::Float8E4M3FNUZ, "float8_e4m3fnuz", 1, 26},
    DTypeRow{DType::Float8E4M3B11FNUZ, "float8_e4m3b11fnuz", 1, 27},
    DTypeRow{DType::Float8E5M2FNUZ, "float8_e5m2fnuz", 1, 28},
    DTypeRow{DType::QInt8, "qint8", 1, 11},
    DTypeRow{DType::QUInt8, "quint8", 1, 12},
    DTypeRow{DType::QInt16, "qint16", 2, 15},
    DTypeRow{DType::QUInt16, "quint16", 2, 16},
    DTypeRow{DType::QInt32, "qint32", 4, 13},
    DTypeRow{DType::Int4, "int4", 0, 29},
    DTypeRow{DType::UInt4, "uint4", 0, 30},
    DTypeRow{DType::Int2, "int2", 0, 31},
    DTypeRow{DType::UInt2, "uint2", 0, 32},
    DTypeRow{DType::String, "string", 0, 7},
    DTypeRow{DType::Resource, "resource", 0, 20},
    DTypeRow{DType::Variant, "variant", 0, 21},
    DTypeRow{DType::Unknown, "unknown", 0, -1},
};

const DTypeRow &row(DType t)
{
    for (const auto &r : kRows)
        if (r.type == t)
            return r;
    return kRows.back();
}

constexpr std::array kTfNames{
    "DT_INVALID",
    "DT_FLOAT",
    "DT_DOUBLE",
    "DT_INT32",
    "DT_UINT8",
    "DT_INT16",
    "DT_INT8",
    "DT_STRING",
    "DT_COMPLEX64",
    "DT_INT64",
    "DT_BOOL",
    "DT_QINT8",
    "DT_QUINT8",
    "DT_QINT32",
    "DT_BFLOAT16",
    "DT_QINT16",
    "DT_QUINT16",
    "DT_UINT16",
    "DT_COMPLEX128",
    "DT_HALF",
    "DT_RESOURCE",
    "DT_VARIANT",
    "DT_UINT32",
    "DT_UINT64",
    "DT_FLOAT8_E5M2",
    "DT_FLOAT8_E4M3FN",
    "DT_FLOAT8_E4M3FNUZ",
    "DT_FLOAT8_E4M3B11FNUZ",
    "DT_FLOAT8_E5M2FNUZ",
    "DT_INT4",
    "DT_UINT4",
    "DT_INT2",
    "DT_UINT2",
};

} // namespace

int dtypeSize(DType t)
{
    return row(t).size;
}

QString dtypeName(DType t)
{
    return QString::fromLatin1(row(t).name);
}

DType dtypeFromName(const QString &name)
{
    for (const auto &r : kRows)
        if (name == QLatin1String(r.name))
            return r.type;
    return DType::Invalid;
}

bool dtypeIsFloat(DType t)
{
    switch (t) {
    case DType::Float16:
    case DType::BFloat16:
    case DType::Float32:
    case DType::Float64:
    case DType::Float8E5M2:
    case DType::Float8E4M3FN:
    case DType::Float8E4M3FNUZ:
    case DType::Float8E4M3B11FNUZ:
    case DType::Float8E5M2FNUZ:
        return true;
    default:
        return false;
    }
}

bool dtypeIsNumeric(DType t)
{
    switch (t) {
    case DType::Bool:
    case DType::Int8:
    case DType::Int16:
    case DType::Int32:
    case DType::Int64:
    case DType::UInt8:
    case DType::UInt16:
    case DType::UInt32:
    case DType::UInt64:
    case DType::QInt8:
    case DType::QUInt8:
    case DType::QInt16:
    case DType::QUInt16:
    case DType::QInt32:
        return true;
    default:
        return dtypeIsFloat(t);
    }
}

DType dtypeFromTensorFlow(int code)
{
    if (code > 100 && code <= 132)
        code -= 100;
    for (const auto &r : kRows)
        if (r.tfCode == code)
            return r.type;
    return DType::Unknown;
}

int dtypeToTensorFlow(DType t)
{
    return row(t).tfCode;
}

QString tensorFlowDTypeName(int code)
{
    if (code >= 0 && code < int(kTfNames.size()))
        return QString::fromLatin1(kTfNames[code]);
    if (code > 100 && code - 100 < int(kTfNames.size()))
        return QString::fromLatin1(kTfNames[code - 100]) + QLatin1String("_REF");
    return QStringLiteral("unknown dtype %1").arg(code);
}

} // namespace wl
