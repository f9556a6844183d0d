#pragma once

#include "formats/checkpoint.h"
#include "formats/reader.h"
#include "io/hdf5file.h"
#include "kerasconfig.h"

#include <QJsonObject>
#include <memory>
#include <optional>
#include <vector>

namespace wl::keras
{

struct LayerRow {
    QString name;
    QString className; // "—" when unknown
    QString group;     // HDF5 group holding its weights; empty when none
    QString outputShape = QStringLiteral("—");
    std::int64_t params = 0;
    std::int64_t nonTrainable = 0;
};

// What the layouts yield besides tensors: the layer table and the training facts.
struct ModelFacts {
    QString format; // keras2-h5-full, keras2-h5-weights, keras3-weights-h5, keras3-archive, hdf5
    std::optional<QString> version;
    QString backend;
    QString modelName;
    QString modelClass;
    TrainingConfig training;
    QString order; // how the layer order was found
    std::vector<LayerRow> layers;
    int optimizerTensors = 0;
    std::int64_t optimizerValues = 0;
    bool generic = false; // not a Keras layout
    int groups = 0;
};

// Reads any HDF5 file as a Keras layout (or a generic tree). `config` is a model config
// from outside the file (a .keras archive's config.json).
struct H5Contents {
    CheckpointIndex index;
    std::vector<h5::DatasetInfo> datasets; // parallel to index.tensors
    ModelFacts facts;
};
Result<H5Contents> readHdf5(const h5::File &file, const std::optional<ModelConfig> &config,
                            const JobContext &job);

// Fills index.summary, summaryText and metadata from the facts.
void describe(CheckpointIndex &index, const ModelFacts &facts);

// The single-file OpenResult both Keras readers return; the library handle is kept only when
// some dataset must be read through it.
OpenResult singleFileResult(const QString &path, const QString &kind, const QString &readerId,
                            CheckpointIndex index, std::shared_ptr<h5::File> file,
                            std::vector<h5::DatasetInfo> datasets);

// A checkpoint over an HDF5 file: contiguous datasets stream from the mapped file, the others
// are read through the library in bounded pieces.
class Hdf5Checkpoint : public Checkpoint
{
public:
    Hdf5Checkpoint(CheckpointIndex index, std::shared_ptr<h5::File> file,
                   std::vector<h5::DatasetInfo> datasets);
    Result<ChecksumState> streamTensor(int i, const ChunkSink &sink,
                                       const StreamOptions &options = {}) const override;

private:
    std::shared_ptr<h5::File> m_file;
    std::vector<h5::DatasetInfo> m_datasets;
};

} // namespace wl::keras
