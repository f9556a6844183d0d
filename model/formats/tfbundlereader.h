#pragma once

#include "reader.h"

namespace wl
{

// TensorFlow checkpoints: V2 tensor bundles (prefix, `.index`, `.data-*`, `.meta`, a
// SavedModel's `variables/` folder, a checkpoint folder) and legacy V1 single files.
class TfBundleReader : public Reader
{
public:
    QString id() const override;
    QString displayName() const override;
    QStringList filePatterns() const override;
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
