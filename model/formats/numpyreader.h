#pragma once

#include "reader.h"

namespace wl
{

// NumPy .npy arrays and .npz archives of them (stored members mapped, deflated ones inflated);
// object arrays are listed, not read.
class NumpyReader : public Reader
{
public:
    QString id() const override;
    QString displayName() const override;
    QStringList filePatterns() const override;
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
