#pragma once

#include "reader.h"

namespace wl
{

// ONNX models: the graph's initializers as tensors (raw_data, typed fields, external data
// beside the model), ir_version, producer and opsets in the Overview.
class OnnxReader : public Reader
{
public:
    QString id() const override;
    QString displayName() const override;
    QStringList filePatterns() const override;
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
