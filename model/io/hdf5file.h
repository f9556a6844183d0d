#pragma once

#include "core/result.h"
#include "core/tensorinfo.h"
#include "io/mappedfile.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace wl::h5
{

using Id = std::int64_t; // hid_t, kept out of this header

// Owns one HDF5 identifier and closes it with the matching H5Xclose.
class Handle
{
public:
    Handle() = default;
    explicit Handle(Id id) : m_id(id) {}
    ~Handle() { reset(); }
    Handle(Handle &&o) noexcept : m_id(o.m_id) { o.m_id = -1; }
    Handle &operator=(Handle &&o) noexcept;
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;

    Id get() const { return m_id; }
    bool valid() const { return m_id >= 0; }
    void reset();

private:
    Id m_id = -1;
};

struct Attribute {
    QString name;
    bool isString = false;
    bool scalar = false;
    QStringList strings;         // string attributes
    std::vector<double> numbers; // integer and float attributes
    QString typeText;            // "string", "float64[0]", "opaque"...

    // Values as text, for display: one string, or a list joined with ", ".
    QString text() const;
};

struct DatasetInfo {
    QString path; // without leading '/'
    DType dtype = DType::Unknown;
    int h5Class = -1; // H5T_class_t of the stored type
    int elementSize = 0;
    Shape shape;
    bool bigEndian = false;
    bool contiguous = false; // contiguous, allocated and unfiltered: bytes at offset/size
    std::int64_t offset = 0;
    std::int64_t storageSize = 0;
    QString typeText;

    // Cannot overflow: File::dataset() refuses extents whose bytes do not fit.
    std::int64_t logicalBytes() const
    {
        return shape.numElements().value_or(0) * std::int64_t(elementSize);
    }
};

struct Node {
    QString path; // without leading '/'
    bool isGroup = false;
};

namespace detail
{
struct Remote;
struct Worker;
} // namespace detail

// Files opened on a thread while an IsolatedScope is alive are parsed by a sandboxed reader
// process (hdf5isolation.cpp): HDF5 1.10 crashes or hangs on some damaged files. The registry
// opens readers flagged Reader::Isolated inside one.
class IsolatedScope
{
public:
    explicit IsolatedScope(bool on);
    ~IsolatedScope();
    IsolatedScope(const IsolatedScope &) = delete;
    IsolatedScope &operator=(const IsolatedScope &) = delete;

private:
    bool m_previous;
};

// False when WEIGHTLENS_ISOLATION=off: HDF5 then runs in this process (debugging, timing).
bool isolationEnabled();
// Ends the idle reader processes and waits for them (tests count child processes after), and
// forgets the snapshots kept for reopening a file.
void stopIdleWorkers();
// Starts a reader process into the pool unless one is idle, so that its start overlaps the
// caller's other setup (the command line calls it before opening HDF5 paths).
void prestartWorker();

// A read-only HDF5 file (on disk or a memory image), read through the checking driver of
// hdf5driver.cpp. Every failing call becomes a LoadError naming the file and the object path;
// the library's own error printing is switched off.
class File
{
public:
    static Result<std::shared_ptr<File>> open(const QString &path);
    // Opens an image in memory, read in place: `keep` owns the bytes for as long as the File
    // lives (a mapped archive, so only the pages HDF5 reads are loaded). `label` names it in
    // errors ("a.keras:model.weights.h5").
    // `origin`, when the image lies in a file (a stored archive member), lets an isolated
    // reader map it from there rather than from a copy.
    // Where the image lies, for the reader process: a file by name, or an open descriptor
    // (an inflated member's unnamed file) when fd >= 0.
    struct Origin {
        QString path;
        std::int64_t offset = 0;
        int fd = -1;
    };
    static Result<std::shared_ptr<File>> openImage(const std::uint8_t *data, std::size_t size,
                                                   std::shared_ptr<const void> keep,
                                                   const QString &label,
                                                   const std::optional<Origin> &origin = {});
    ~File();

    const QString &label() const { return m_label; }
    bool isImage() const { return m_isImage; }

    bool isGroup(const QString &path) const;
    bool isDataset(const QString &path) const;
    // Link names of a group, in name order.
    Result<QStringList> children(const QString &group) const;
    // Every group and dataset below the root, depth first, in name order.
    Result<std::vector<Node>> walk() const;

    Result<QStringList> attributeNames(const QString &object) const;
    Result<std::optional<Attribute>> attribute(const QString &object, const QString &name) const;
    // A string (or empty float64) array attribute; NAME, else NAME0..NAMEk joined.
    Result<std::optional<QStringList>> stringList(const QString &object, const QString &name) const;
    // A scalar or one-element string attribute: empty when absent or of another kind, an
    // error when there but unreadable.
    Result<std::optional<QString>> string(const QString &object, const QString &name) const;

    Result<DatasetInfo> dataset(const QString &path) const;
    // Streams a dataset's stored bytes (little-endian, C order) through H5Dread, one
    // hyperslab of at most maxBytes at a time. With `length` >= 0 only the bytes
    // [begin, begin + length) are delivered, and hyperslabs outside them are not read.
    Status read(const DatasetInfo &d, std::size_t maxBytes, const ChunkSink &sink,
                std::int64_t begin = 0, std::int64_t length = -1) const;

private:
    friend struct detail::Worker;
    File() = default;
    // 0 other, 1 group, 2 dataset; an error when the object cannot be opened.
    Result<int> kind(const QString &path) const;
    // The same queries on an object already open (its header checked by the caller), so that
    // a reader process's snapshot opens each object once.
    Result<QStringList> childrenOf(Id group, const QString &path) const;
    Result<QStringList> attributeNamesOf(Id object, const QString &path) const;
    Result<std::optional<Attribute>> attributeOf(Id object, const QString &path,
                                                 const QString &name) const;
    // `headerProblem`: objectHeaderProblem's answer when the caller has it.
    Result<DatasetInfo> datasetOf(Id dataset, const QString &path,
                                  std::optional<QString> headerProblem) const;
    LoadError error(const QString &where, const QString &expected) const;
    LoadError error(const QString &where, const QString &expected, const QString &why) const;
    // Declared before m_file: the image must outlive the open file.
    std::shared_ptr<const void> m_image;
    Handle m_file;
    QString m_label;
    bool m_isImage = false;
    // Set when a reader process parsed the file: every query is answered from its snapshot.
    std::shared_ptr<const detail::Remote> m_remote;
};

// Offset of the HDF5 signature (0, 512, 1024, ...) within the first bytes, or -1.
std::int64_t signatureOffset(const QByteArray &head);

} // namespace wl::h5
