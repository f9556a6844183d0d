#pragma once

#include "reader.h"

#include <optional>

namespace wl
{

// The format's dtype names ("F32") both ways; nullopt or empty for a type it has no name for.
std::optional<DType> safetensorsDType(const QString &name);
QString safetensorsDTypeName(DType dtype);

// safetensors files: header validated (UTF-8 JSON, no duplicate names, offsets that tile the
// buffer, sizes that match shape and dtype), `__metadata__` shown, tensors mapped in place.
class SafetensorsReader : public Reader
{
public:
    QString id() const override;
    QString displayName() const override;
    QStringList filePatterns() const override;
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
