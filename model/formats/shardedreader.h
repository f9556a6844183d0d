#pragma once

#include "reader.h"

namespace wl
{

// Sharded Hugging Face checkpoints: `model.safetensors.index.json` or
// `pytorch_model.bin.index.json` maps each tensor to its shard; the shards open as one
// checkpoint, each tensor read from its own shard.
class ShardedReader : public Reader
{
public:
    QString id() const override;
    QString displayName() const override;
    QStringList filePatterns() const override;
    ProbeResult probe(const Source &source) const override;
    Result<OpenResult> open(const Source &source, const JobContext &job) const override;
};

} // namespace wl
