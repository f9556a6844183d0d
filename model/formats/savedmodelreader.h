#pragma once

#include "reader.h"

namespace wl
{

// A SavedModel directory: saved_model.pb(txt) signatures and graphs, the variables bundle
// (through the TensorFlow checkpoint reader), fingerprint, Keras metadata and assets.
class SavedModelReader : public Reader
{
public:
    QString id() const override;
    QString displayName() const override;
    QStringList filePatterns() const override;
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
