#pragma once

// What the parent and the HDF5 reader process share: the protocol's constants and the snapshot
// a File answers from when the file was parsed in a reader process.

#include "hdf5file.h"
#include "proto/hdf5worker.pb.h"

#include <QHash>

namespace wl::h5::detail
{

// 2: READ data comes back in shared memory the parent passes, not over the socket.
constexpr std::uint32_t kProtocolVersion = 2;
// The most shared memory one READ fills; a larger dataset is read in several.
constexpr std::int64_t kMaxReadWindow = std::int64_t(256) << 20;
// A worker that ran out of memory exits with this status (its allocation limit, not a crash).
constexpr int kExitOutOfMemory = 3;
// The descriptors a worker finds open: its socket and the page it notes its position on.
constexpr int kWorkerSocketFd = 3;
constexpr int kWorkerCrumbFd = 4;
constexpr std::size_t kCrumbSize = 4096;

// One file's structure as a reader process returned it, and the file to read data from.
struct Remote {
    int fd = -1; // holds the image; sent along with every read
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    QString label;
    QHash<QString, h5w::Object> objects;
    ~Remote();
};

// True while an IsolatedScope is on for this thread (and isolation is not switched off).
bool isolatedHere();
// Parses the image at [offset, offset + size) of `fd` (taken over) in a reader process.
Result<std::shared_ptr<const Remote>> openRemote(int fd, std::uint64_t offset, std::uint64_t size,
                                                 const QString &label);
// Delivers bytes [begin, end) of a dataset that a reader process decodes into shared memory.
Status readRemote(const Remote &remote, const DatasetInfo &d, std::size_t maxBytes,
                  const ChunkSink &sink, std::int64_t begin, std::int64_t end);

const h5w::Object *remoteObject(const Remote &remote, const QString &path);
// A dataset's facts from a reader process, checked: they are untrusted input.
Result<DatasetInfo> datasetFromProto(const Remote &remote, const QString &path,
                                     const h5w::Dataset &d);
Attribute fromProto(const h5w::Attribute &a);
LoadError fromProto(const h5w::Error &e);
void toProto(const LoadError &e, h5w::Error *out);

} // namespace wl::h5::detail
