#pragma once

#include "reader.h"

namespace wl
{

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
