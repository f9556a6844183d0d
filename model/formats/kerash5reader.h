#pragma once

#include "reader.h"

namespace wl
{

// Keras weights in HDF5: legacy full models and weights-only files, Keras 3 .weights.h5,
// and any other HDF5 file as a plain tree of datasets.
class KerasH5Reader : public Reader
{
public:
    QString id() const override { return QStringLiteral("keras-h5"); }
    QString displayName() const override { return QStringLiteral("Keras HDF5"); }
    QStringList filePatterns() const override;
    Capabilities capabilities() const override { return Reader::capabilities() | Isolated; }
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
