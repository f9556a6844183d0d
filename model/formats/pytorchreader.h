#pragma once

#include "reader.h"

namespace wl
{

// The torch storage class that holds `dtype` ("FloatStorage"), or empty when torch has none.
QString pytorchStorageName(DType dtype);

// torch.save files (formats-keras-pytorch.md section 4): the zip format with its storages
// mapped in place, and the legacy concatenated-pickle format; the pre-0.4 tar format is
// recognised and refused. The pickle goes through the restricted VM of io/pickle.h.
class PyTorchReader : public Reader
{
public:
    QString id() const override;
    QString displayName() const override;
    QStringList filePatterns() const override;
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
