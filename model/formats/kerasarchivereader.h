#pragma once

#include "reader.h"

namespace wl
{

// Keras 3 .keras archives: metadata.json, config.json and model.weights.h5 in a zip.
class KerasArchiveReader : public Reader
{
public:
    QString id() const override { return QStringLiteral("keras-zip"); }
    QString displayName() const override { return QStringLiteral("Keras archive (.keras)"); }
    QStringList filePatterns() const override { return {QStringLiteral("*.keras")}; }
    Capabilities capabilities() const override { return Reader::capabilities() | Isolated; }
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
