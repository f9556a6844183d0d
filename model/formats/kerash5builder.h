#pragma once

// The layout readers' shared state: one pass over an HDF5 file building the index.

#include "core/naturalorder.h"
#include "kerasmodel.h"

#include <QHash>
#include <QSet>

namespace wl::keras::detail
{

QString join(const QString &a, const QString &b);
QString stripZero(QString w);
QString shortWeight(const QString &layer, const QString &weight);

class Builder
{
public:
    Builder(const h5::File &file, const JobContext &job) : m_file(file), m_job(job) {}

    const h5::File &m_file;
    const JobContext &m_job;
    H5Contents out;
    QSet<QString> seen; // dataset paths taken up, read or not
    std::vector<h5::Node> nodes;
    QHash<QString, QString> varByPath; // stripped and underscored weight paths -> name

    Status walk()
    {
        auto n = m_file.walk();
        if (!n)
            return n.error();
        nodes = std::move(*n);
        for (const auto &node : nodes)
            out.facts.groups += node.isGroup ? 1 : 0;
        return Ok{};
    }

    QStringList datasetsUnder(const QString &group) const
    {
        QStringList r;
        const QString prefix = group.isEmpty() ? QString() : group + QLatin1Char('/');
        for (const auto &node : nodes)
            if (!node.isGroup && node.path.startsWith(prefix))
                r << node.path;
        std::sort(r.begin(), r.end(), naturalLess);
        return r;
    }

    void problem(const QString &where, const QString &text)
    {
        out.index.problems << Problem{Problem::Severity::Warning, m_file.label(), where, text};
    }

    void problem(const LoadError &e) { out.index.problems << problemFrom(e, m_file.label()); }

    // A scalar string attribute; one that is there but cannot be read is a problem.
    std::optional<QString> text(const QString &object, const QString &name)
    {
        auto a = m_file.string(object, name);
        if (!a) {
            problem(a.error());
            return std::nullopt;
        }
        return *a;
    }

    // Adds a dataset as a tensor; returns its element count, or -1 when it cannot be read.
    Result<std::int64_t> add(const QString &path, const QString &name, TensorRole role,
                             std::optional<bool> trainable = std::nullopt)
    {
        if (m_job.cancelled())
            return makeError(LoadError::Code::Cancelled, m_file.label(), path, {});
        seen.insert(path); // an unreadable one too: it is reported once
        auto d = m_file.dataset(path);
        if (!d) {
            problem(d.error());
            return std::int64_t(-1);
        }
        TensorInfo t;
        t.key = path;
        t.name = name;
        t.dtype = d->dtype;
        t.sourceDType = d->h5Class;
        t.shape = d->shape;
        t.role = role;
        t.trainable = trainable;
        t.checksum = ChecksumState::None;
        auto &loc = t.location;
        loc.file = m_file.label();
        if (d->dtype == DType::Unknown || d->dtype == DType::String) {
            loc.storage = TensorLocation::Storage::None;
        } else if (d->contiguous && !m_file.isImage()) {
            loc.storage = TensorLocation::Storage::Raw;
            loc.offset = d->offset;
            loc.size = d->storageSize;
            loc.bigEndian = d->bigEndian;
        } else {
            loc.storage = TensorLocation::Storage::ReaderDecoded;
            loc.size = d->logicalBytes();
        }
        out.index.tensors << t;
        out.datasets.push_back(*d);
        return t.numElements();
    }

    Status addOptimizer(const QString &path, const QString &weight)
    {
        const QString w = stripZero(weight);
        QStringList parts = w.split(QLatin1Char('/'));
        QString optimizer = parts.value(0);
        int first = 1;
        if (optimizer == QLatin1String("training") && parts.size() > 2) {
            optimizer += QLatin1Char('/') + parts[1];
            first = 2;
        }
        const QString rest = parts.mid(first).join(QLatin1Char('/'));
        TensorInfo slot;
        slot.optimizerPath = optimizer;
        if (parts.size() - first >= 2) {
            // Keras 2: <optimizer>/<layer>/<var>/<slot>
            slot.slotName = parts.last();
            slot.slotOf = varByPath.value(parts.mid(first, parts.size() - first - 1).join('/'));
        } else {
            // Keras 3: <optimizer>/<variable path with '_'>_<slot>
            qsizetype best = 0;
            for (auto it = varByPath.cbegin(); it != varByPath.cend(); ++it) {
                if (it.key().size() > best && rest.startsWith(it.key() + QLatin1Char('_'))) {
                    best = it.key().size();
                    slot.slotOf = it.value();
                    slot.slotName = rest.mid(best + 1);
                }
            }
        }
        const int before = out.index.tensors.size();
        auto n = add(path, w, TensorRole::OptimizerSlot);
        if (!n)
            return n.error();
        if (out.index.tensors.size() == before)
            return Ok{};
        auto &t = out.index.tensors.last();
        t.optimizerPath = slot.optimizerPath;
        t.slotName = slot.slotName;
        t.slotOf = slot.slotOf;
        if (slot.slotOf.isEmpty() && t.shape.rank() == 0)
            t.role = TensorRole::Optimizer;
        out.facts.optimizerTensors++;
        out.facts.optimizerValues += std::max<std::int64_t>(*n, 0);
        return Ok{};
    }

    Status legacy(bool full, const std::optional<ModelConfig> &config);
    Status keras3(const std::optional<ModelConfig> &config);
    // Sub-groups of `root` in natural order (empty when root is not a group).
    Result<QStringList> childGroups(const QString &root) const;
    Status leftovers(TensorRole role);
};

} // namespace wl::keras::detail
