#include "checkpointtreemodel.h"

#include <QMimeData>
#include <QSet>

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QSet>
#include <QStringList>
#include <QVarLengthArray>
#include <algorithm>
#include <cmath>
#include <limits>

namespace wl
{

namespace
{

// Whole numbers of up to nine digits print in full (a step counter reads 1804148, not
// 1.80415e+06); the rest with six significant digits.
QString formatNumber(double v)
{
    if (v == std::trunc(v) && std::abs(v) < 1e9)
        return QString::number(qint64(v));
    return QString::number(v, 'g', 6);
}

using Segments = QVarLengthArray<QStringView, 16>;

void appendSegments(Segments &out, QStringView path)
{
    for (auto seg : path.tokenize(u'/', Qt::SkipEmptyParts))
        out.append(seg);
}

struct GroupKey {
    const void *parent = nullptr;
    QStringView name;
    bool operator==(const GroupKey &o) const { return parent == o.parent && name == o.name; }
};

size_t qHash(const GroupKey &k, size_t seed = 0)
{
    return qHashMulti(seed, k.parent, k.name);
}

} // namespace

// What the statistics columns show; the histogram stays with the job runner's cache.
struct CheckpointTreeModel::CellStats {
    bool has = false;
    std::optional<double> mean, std, min, max;
};

// What the analysis columns show: one matrix's numbers (a gated kernel's chosen gate).
struct CheckpointTreeModel::CellAnalysis {
    bool has = false;
    double alpha = std::numeric_limits<double>::quiet_NaN();
    double spectralNorm = std::numeric_limits<double>::quiet_NaN();
    double stableRank = std::numeric_limits<double>::quiet_NaN();
    QString gate;    // the gate shown, for a gated kernel
    QString tooltip; // every gate's numbers, for a gated kernel
};

struct CheckpointTreeModel::Node {
    Node *parent = nullptr;
    int row = 0;
    NodeKind kind = NodeKind::Group;
    bool optimizerGroup = false;
    QString name;
    mutable QString sortKey; // natural sort key, made on first use
    std::vector<std::unique_ptr<Node>> children;
    SourceData *src = nullptr;    // every node of a source
    CheckpointData *cp = nullptr; // a checkpoint node and everything below it
    int tensor = -1;
    int logRun = -1; // a LogRun node: index in the source's logs
    std::int64_t params = 0;
    std::int64_t bytes = 0;
    int problems = 0;

    Node *add(std::unique_ptr<Node> child)
    {
        child->parent = this;
        child->row = int(children.size());
        children.push_back(std::move(child));
        return children.back().get();
    }
};

struct CheckpointTreeModel::CheckpointData {
    std::shared_ptr<const Checkpoint> checkpoint;
    QString label;  // "ckpt-9 (latest)"
    QString runDir; // relative to the source; empty when directly in it
    Node *node = nullptr;
    std::vector<Node *> tensorNodes;         // by tensor index
    std::vector<CellStats> stats;            // by tensor index; survives rebuilds
    std::vector<CellAnalysis> analyses;      // by tensor index; survives rebuilds
    QHash<QString, Problems> tensorProblems; // by key
};

struct CheckpointTreeModel::SourceData {
    OpenResult opened;
    std::vector<std::unique_ptr<CheckpointData>> checkpoints;
    std::vector<Node *> logRunNodes; // by run index
};

QString naturalSortKey(const QString &s)
{
    constexpr int kWidth = 20;
    QString out;
    out.reserve(s.size() + 8);
    for (qsizetype i = 0; i < s.size();) {
        if (s[i].isDigit()) {
            qsizetype j = i;
            while (j < s.size() && s[j].isDigit())
                ++j;
            for (qsizetype pad = j - i; pad < kWidth; ++pad)
                out += QLatin1Char('0');
            out += QStringView(s).mid(i, j - i);
            i = j;
        } else {
            out += s[i].toLower();
            ++i;
        }
    }
    return out;
}

CheckpointTreeModel::CheckpointTreeModel(QObject *parent)
    : QAbstractItemModel(parent), m_root(std::make_unique<Node>())
{
}

CheckpointTreeModel::~CheckpointTreeModel() = default;

int CheckpointTreeModel::sourceCount() const
{
    return int(m_sources.size());
}

QString CheckpointTreeModel::checkpointKey(const Checkpoint &checkpoint)
{
    return checkpoint.index().path;
}

QString CheckpointTreeModel::labelOf(const Checkpoint &c, std::size_t checkpoints)
{
    const auto &idx = c.index();
    QString label = idx.displayName.isEmpty() ? QFileInfo(idx.path).fileName() : idx.displayName;
    if (idx.latest && checkpoints > 1)
        label += tr(" (latest)");
    return label;
}

std::unique_ptr<CheckpointTreeModel::CheckpointData>
CheckpointTreeModel::makeCheckpointData(const std::shared_ptr<const Checkpoint> &c,
                                        const OpenResult &opened)
{
    const QFileInfo srcInfo(opened.path);
    const QDir srcDir(srcInfo.isDir() ? opened.path : srcInfo.path());
    auto cp = std::make_unique<CheckpointData>();
    cp->checkpoint = c;
    const auto &idx = c->index();
    cp->label = labelOf(*c, opened.checkpoints.size());
    if (srcInfo.isDir()) {
        const QString rel = srcDir.relativeFilePath(QFileInfo(idx.path).path());
        cp->runDir =
            (rel == QLatin1String(".") || rel.startsWith(QLatin1String(".."))) ? QString() : rel;
    }
    cp->stats.resize(std::size_t(idx.tensors.size()));
    cp->analyses.resize(std::size_t(idx.tensors.size()));
    for (const auto &p : idx.problems)
        if (!p.where.isEmpty())
            cp->tensorProblems[p.where] << p;
    return cp;
}

void CheckpointTreeModel::addSource(const OpenResult &opened)
{
    auto src = std::make_unique<SourceData>();
    src->opened = opened;
    for (const auto &c : opened.checkpoints)
        if (c)
            src->checkpoints.push_back(makeCheckpointData(c, opened));
    // The reader's order (state file, then step) is the order of every view: no sorting here.

    const int row = int(m_sources.size());
    beginInsertRows({}, row, row);
    auto node = std::make_unique<Node>();
    node->kind = NodeKind::Source;
    Node *srcNode = m_root->add(std::move(node));
    buildSource(*src, srcNode);
    for (const auto &cp : src->checkpoints)
        m_byCheckpoint.insert(cp->checkpoint.get(), cp.get());
    m_sources.push_back(std::move(src));
    endInsertRows();
}

void CheckpointTreeModel::removeSource(int row)
{
    if (row < 0 || row >= int(m_sources.size()))
        return;
    beginRemoveRows({}, row, row);
    for (const auto &cp : m_sources[std::size_t(row)]->checkpoints) {
        auto it = m_byCheckpoint.find(cp->checkpoint.get());
        if (it != m_byCheckpoint.end() && it.value() == cp.get())
            m_byCheckpoint.erase(it);
    }
    m_root->children.erase(m_root->children.begin() + row);
    m_sources.erase(m_sources.begin() + row);
    for (std::size_t i = std::size_t(row); i < m_root->children.size(); ++i)
        m_root->children[i]->row = int(i);
    endRemoveRows();
}

void CheckpointTreeModel::updateLogs(const std::shared_ptr<const events::RunLogs> &from,
                                     std::shared_ptr<const events::RunLogs> to)
{
    for (std::size_t i = 0; i < m_sources.size(); ++i) {
        SourceData &src = *m_sources[i];
        if (!from || src.opened.logs != from)
            continue;
        Node *srcNode = m_root->children[i].get();
        const QModelIndex srcIndex = createIndex(srcNode->row, 0, srcNode);
        const bool sameRuns =
            to && to->runs.size() == from->runs.size() && src.logRunNodes.size() == to->runs.size();
        src.opened.logs = std::move(to);
        if (sameRuns) {
            for (std::size_t r = 0; r < src.logRunNodes.size(); ++r) {
                Node *n = src.logRunNodes[r];
                const int delta = int(src.opened.logs->runs[r].problems.size()) - n->problems;
                for (Node *p = n; p != m_root.get(); p = p->parent)
                    p->problems += delta;
                emit dataChanged(createIndex(n->row, 0, n),
                                 createIndex(n->row, ColumnCount - 1, n));
            }
            return;
        }
        for (std::size_t r = srcNode->children.size(); r-- > 0;) {
            Node *logs = srcNode->children[r].get();
            if (logs->kind != NodeKind::Logs)
                continue;
            srcNode->problems -= logs->problems;
            beginRemoveRows(srcIndex, int(r), int(r));
            srcNode->children.erase(srcNode->children.begin() + std::ptrdiff_t(r));
            for (std::size_t k = r; k < srcNode->children.size(); ++k)
                srcNode->children[k]->row = int(k);
            endRemoveRows();
        }
        src.logRunNodes.clear();
        if (src.opened.logs && !src.opened.logs->runs.empty()) {
            const int row = int(srcNode->children.size());
            beginInsertRows(srcIndex, row, row);
            buildLogs(src, srcNode);
            endInsertRows();
        }
        return;
    }
}

QModelIndex CheckpointTreeModel::indexOfNode(const Node *n) const
{
    return n == m_root.get() ? QModelIndex() : createIndex(n->row, 0, const_cast<Node *>(n));
}

// Adds a node's totals to its ancestors (negative to take them away) and tells the views.
void CheckpointTreeModel::addToAncestors(Node *from, std::int64_t params, std::int64_t bytes,
                                         int problems)
{
    for (Node *p = from; p != m_root.get(); p = p->parent) {
        p->params += params;
        p->bytes += bytes;
        p->problems += problems;
        emit dataChanged(createIndex(p->row, 0, p), createIndex(p->row, ColumnCount - 1, p));
    }
}

void CheckpointTreeModel::insertChild(Node *parent, int row, std::unique_ptr<Node> child)
{
    beginInsertRows(indexOfNode(parent), row, row);
    child->parent = parent;
    parent->children.insert(parent->children.begin() + row, std::move(child));
    for (std::size_t k = std::size_t(row); k < parent->children.size(); ++k)
        parent->children[k]->row = int(k);
    endInsertRows();
}

void CheckpointTreeModel::removeChild(Node *parent, int row)
{
    beginRemoveRows(indexOfNode(parent), row, row);
    parent->children.erase(parent->children.begin() + row);
    for (std::size_t k = std::size_t(row); k < parent->children.size(); ++k)
        parent->children[k]->row = int(k);
    endRemoveRows();
}

bool CheckpointTreeModel::refreshCheckpoints(int row, const OpenResult &refreshed)
{
    if (row < 0 || row >= int(m_sources.size()))
        return false;
    SourceData &src = *m_sources[std::size_t(row)];
    Node *srcNode = m_root->children[std::size_t(row)].get();
    if (srcNode->cp)
        return false; // one checkpoint shown inline: no list to insert into

    QHash<QString, int> order; // by key, the refreshed reader's order
    for (std::size_t i = 0; i < refreshed.checkpoints.size(); ++i)
        if (const auto &c = refreshed.checkpoints[i])
            order.insert(checkpointKey(*c), int(i));
    const auto orderOf = [&](const CheckpointData &cp) {
        return order.value(checkpointKey(*cp.checkpoint), -1);
    };

    // Gone from the folder (a TF saver keeps only the newest few): their rows go.
    for (std::size_t i = src.checkpoints.size(); i-- > 0;) {
        CheckpointData &cp = *src.checkpoints[i];
        if (orderOf(cp) >= 0)
            continue;
        Node *n = cp.node;
        Node *parent = n->parent;
        addToAncestors(parent, -n->params, -n->bytes, -n->problems);
        removeChild(parent, n->row);
        // A run folder's node goes with its last checkpoint.
        if (parent->children.empty() && parent != srcNode && !cp.runDir.isEmpty())
            removeChild(parent->parent, parent->row);
        auto it = m_byCheckpoint.find(cp.checkpoint.get());
        if (it != m_byCheckpoint.end() && it.value() == &cp)
            m_byCheckpoint.erase(it);
        src.checkpoints.erase(src.checkpoints.begin() + std::ptrdiff_t(i));
    }

    // Where checkpoints go: beside the logs in a Checkpoints node (made now if the run had
    // none yet), else in the source itself.
    QHash<QString, const CheckpointData *> have;
    for (const auto &cp : src.checkpoints)
        have.insert(checkpointKey(*cp->checkpoint), cp.get());
    const bool hasLogs = src.opened.logs && !src.opened.logs->runs.empty();
    Node *cpRoot = srcNode;
    if (hasLogs) {
        cpRoot = nullptr;
        for (const auto &child : srcNode->children)
            if (child->kind == NodeKind::Group && !child->cp)
                cpRoot = child.get();
        if (!cpRoot && qsizetype(refreshed.checkpoints.size()) > have.size()) {
            auto n = std::make_unique<Node>();
            n->name = tr("Checkpoints");
            n->src = &src;
            insertChild(srcNode, 0, std::move(n));
            cpRoot = srcNode->children.front().get();
        }
    }

    for (const auto &c : refreshed.checkpoints) {
        if (!c || have.contains(checkpointKey(*c)))
            continue;
        auto data = makeCheckpointData(c, refreshed);
        const int at = order.value(checkpointKey(*c));
        Node *parent = cpRoot;
        if (!data->runDir.isEmpty()) {
            parent = nullptr;
            for (const auto &child : cpRoot->children)
                if (!child->cp && child->name == data->runDir)
                    parent = child.get();
            if (!parent) {
                auto n = std::make_unique<Node>();
                n->name = data->runDir;
                n->src = &src;
                insertChild(cpRoot, int(cpRoot->children.size()), std::move(n));
                parent = cpRoot->children.back().get();
            }
        }
        // Before the first sibling that the reader puts after it.
        int pos = int(parent->children.size());
        for (const auto &sib : parent->children)
            if (sib->kind == NodeKind::Checkpoint && orderOf(*sib->cp) > at) {
                pos = sib->row;
                break;
            }
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::Checkpoint;
        n->src = &src;
        n->cp = data.get();
        n->name = data->label;
        Node *cpNode = n.get();
        buildCheckpoint(*data, cpNode);
        insertChild(parent, pos, std::move(n));
        addToAncestors(parent, cpNode->params, cpNode->bytes, cpNode->problems);
        m_byCheckpoint.insert(c.get(), data.get());
        auto next = std::find_if(src.checkpoints.begin(), src.checkpoints.end(),
                                 [&](const auto &cp) { return orderOf(*cp) > at; });
        src.checkpoints.insert(next, std::move(data));
    }

    // "(latest)" moves to the newest; the kept checkpoints' own flags are of their first read.
    for (const auto &cp : src.checkpoints) {
        const auto &now = refreshed.checkpoints[std::size_t(orderOf(*cp))];
        if (const QString label = labelOf(*now, refreshed.checkpoints.size()); label != cp->label) {
            cp->label = cp->node->name = label;
            cp->node->sortKey.clear();
            emit dataChanged(createIndex(cp->node->row, 0, cp->node),
                             createIndex(cp->node->row, 0, cp->node));
        }
    }
    // The model's list is src.checkpoints; the reader's would keep removed checkpoints alive.
    src.opened.checkpoints.clear();
    src.opened.latest = refreshed.latest;
    src.opened.consumedFiles = refreshed.consumedFiles;
    src.opened.summary = refreshed.summary;
    src.opened.summaryText = refreshed.summaryText;
    return true;
}

void CheckpointTreeModel::clear()
{
    if (m_sources.empty())
        return;
    beginResetModel();
    m_root->children.clear();
    m_sources.clear();
    m_byCheckpoint.clear();
    endResetModel();
}

void CheckpointTreeModel::setShowRawKeys(bool raw)
{
    if (raw == m_raw)
        return;
    beginResetModel();
    m_raw = raw;
    rebuildAll();
    endResetModel();
}

void CheckpointTreeModel::rebuildAll()
{
    for (std::size_t i = 0; i < m_sources.size(); ++i) {
        Node *srcNode = m_root->children[i].get();
        srcNode->children.clear();
        buildSource(*m_sources[i], srcNode);
    }
}

void CheckpointTreeModel::buildSource(SourceData &src, Node *srcNode)
{
    const auto &opened = src.opened;
    srcNode->src = &src;
    srcNode->name = QFileInfo(opened.path).fileName();
    if (srcNode->name.isEmpty())
        srcNode->name = opened.path;
    srcNode->problems = int(opened.problems.size());
    srcNode->params = srcNode->bytes = 0;
    srcNode->cp = nullptr;
    src.logRunNodes.clear();
    const bool hasLogs = opened.logs && !opened.logs->runs.empty();
    // One node per thing opened: a file, prefix or SavedModel holds its tensors itself; only a
    // run folder lists checkpoints.
    if (src.checkpoints.size() == 1 && opened.kind != QLatin1String("run") && !hasLogs) {
        srcNode->cp = src.checkpoints.front().get();
        buildCheckpoint(*srcNode->cp, srcNode);
        return;
    }
    // With logs beside them, the checkpoints go one level down, next to the logs.
    Node *cpRoot = srcNode;
    if (hasLogs && !src.checkpoints.empty()) {
        auto n = std::make_unique<Node>();
        n->name = tr("Checkpoints");
        n->src = &src;
        cpRoot = srcNode->add(std::move(n));
    }
    QHash<QString, Node *> runs;
    for (const auto &cp : src.checkpoints) {
        Node *parent = cpRoot;
        if (!cp->runDir.isEmpty()) {
            Node *&run = runs[cp->runDir];
            if (!run) {
                auto n = std::make_unique<Node>();
                n->name = cp->runDir;
                n->src = &src;
                run = cpRoot->add(std::move(n));
            }
            parent = run;
        }
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::Checkpoint;
        n->src = &src;
        n->cp = cp.get();
        n->name = cp->label;
        Node *cpNode = parent->add(std::move(n));
        buildCheckpoint(*cp, cpNode);
        for (Node *p = parent; p != m_root.get(); p = p->parent) {
            p->params += cpNode->params;
            p->bytes += cpNode->bytes;
            p->problems += cpNode->problems;
        }
    }
    if (hasLogs)
        buildLogs(src, srcNode);
}

void CheckpointTreeModel::buildLogs(SourceData &src, Node *srcNode)
{
    const auto &runs = src.opened.logs->runs;
    auto logs = std::make_unique<Node>();
    logs->kind = NodeKind::Logs;
    logs->name = tr("Logs");
    logs->src = &src;
    Node *logsNode = srcNode->add(std::move(logs));
    src.logRunNodes.assign(runs.size(), nullptr);
    QHash<QString, int> perGroup;
    for (const auto &r : runs)
        ++perGroup[r.group];
    QHash<QString, Node *> groups;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto &r = runs[i];
        Node *parent = logsNode;
        QString name = r.name;
        // train/ and validation/ of one fit share a node named by their folder; those of the
        // opened folder itself sit directly under Logs.
        if (perGroup.value(r.group) > 1 && r.group != r.name && r.group != QLatin1String(".")) {
            Node *&g = groups[r.group];
            if (!g) {
                auto n = std::make_unique<Node>();
                n->kind = NodeKind::Logs;
                n->name = r.group;
                n->src = &src;
                g = logsNode->add(std::move(n));
            }
            parent = g;
            const QString prefix = r.group + QLatin1Char('/');
            if (name.startsWith(prefix))
                name = name.mid(prefix.size());
        }
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::LogRun;
        n->name = name == QLatin1String(".") ? QFileInfo(src.opened.path).fileName() : name;
        n->src = &src;
        n->logRun = int(i);
        n->problems = int(r.problems.size());
        Node *leaf = parent->add(std::move(n));
        src.logRunNodes[i] = leaf;
        for (Node *p = parent; p != m_root.get(); p = p->parent)
            p->problems += leaf->problems;
    }
}

void CheckpointTreeModel::buildCheckpoint(CheckpointData &cp, Node *cpNode)
{
    static const QString kOptimizer = QStringLiteral("optimizer");
    static const QString kSlot = QStringLiteral("slot");
    static const QString kUnnamed = QStringLiteral("(unnamed)");
    static const QString kMarker = QStringLiteral("/.OPTIMIZER_SLOT/");
    const auto &idx = cp.checkpoint->index();
    cp.node = cpNode;
    cp.tensorNodes.assign(std::size_t(idx.tensors.size()), nullptr);
    cpNode->problems += int(idx.problems.size());
    // Groups are looked up by (parent, name) while building only; tensors are always new
    // leaves, so a tensor and a group of the same name (a kernel and its slots) coexist.
    // Segments are views into the index's strings, which outlive the build.
    QHash<GroupKey, Node *> groups;
    groups.reserve(idx.tensors.size() / 2 + 1);
    Segments segs;
    // The previous tensor's group chain: neighbours mostly share it, which spares hashing.
    Segments chainSegs;
    QVarLengthArray<Node *, 16> chain;
    // Group totals count a storage several tensors view once; each leaf shows its own size.
    const auto overlaps = idx.overlaps();
    for (int i = 0; i < idx.tensors.size(); ++i) {
        const TensorInfo &t = idx.tensors[i];
        segs.clear();
        bool optimizerFirst = false;
        if (m_raw) {
            appendSegments(segs, t.key);
        } else if (!t.slotOf.isEmpty()) {
            // Slots live under their optimizer, mirroring the model's hierarchy: layer totals
            // then count weights only (what model summaries report), and the optimizer's
            // state reads as one unit next to its scalars (iteration, learning rate).
            appendSegments(segs, t.optimizerPath.isEmpty() ? kOptimizer : t.optimizerPath);
            optimizerFirst = true;
            appendSegments(segs, t.slotOf);
            segs.append(t.slotName.isEmpty() ? QStringView(kSlot) : QStringView(t.slotName));
        } else {
            const QString &name = t.name.isEmpty() ? t.key : t.name;
            const qsizetype at = name.indexOf(kMarker);
            if (at > 0) {
                // "<variable>/.OPTIMIZER_SLOT/<optimizer>/<slot>" without slot metadata.
                const QStringView rest = QStringView(name).mid(at + kMarker.size());
                const qsizetype slash = rest.lastIndexOf(u'/');
                if (slash > 0) {
                    appendSegments(segs, rest.left(slash));
                    optimizerFirst = true;
                    appendSegments(segs, QStringView(name).left(at));
                    segs.append(rest.mid(slash + 1));
                }
            }
            if (segs.isEmpty())
                appendSegments(segs, name);
            if (t.role == TensorRole::Optimizer)
                optimizerFirst = true;
        }
        if (segs.isEmpty())
            segs.append(t.key.isEmpty() ? QStringView(kUnnamed) : QStringView(t.key));

        const qsizetype depth = segs.size() - 1;
        qsizetype shared = 0;
        while (shared < depth && shared < chainSegs.size() && chainSegs[shared] == segs[shared])
            ++shared;
        chain.resize(shared);
        chainSegs.resize(shared);
        Node *parent = shared > 0 ? chain[shared - 1] : cpNode;
        for (qsizetype s = shared; s < depth; ++s) {
            Node *&g = groups[GroupKey{parent, segs[s]}];
            if (!g) {
                auto n = std::make_unique<Node>();
                n->name = segs[s].toString();
                n->src = cpNode->src;
                n->cp = &cp;
                g = parent->add(std::move(n));
            }
            parent = g;
            chain.append(g);
            chainSegs.append(segs[s]);
        }
        if (optimizerFirst && depth > 0)
            chain[0]->optimizerGroup = true;
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::Tensor;
        n->name = segs.last().toString();
        n->src = cpNode->src;
        n->cp = &cp;
        n->tensor = i;
        n->params = t.numElements();
        n->bytes = t.location.size > 0 ? t.location.size
                                       : t.numElements() * std::max(0, dtypeSize(t.dtype));
        if (!cp.tensorProblems.isEmpty())
            n->problems = int(cp.tensorProblems.value(t.key).size());
        Node *leaf = parent->add(std::move(n));
        cp.tensorNodes[std::size_t(i)] = leaf;
        const std::int64_t params = leaf->params - overlaps[std::size_t(i)].values;
        const std::int64_t bytes = leaf->bytes - overlaps[std::size_t(i)].bytes;
        for (Node *p = parent; p != cpNode; p = p->parent) {
            p->params += params;
            p->bytes += bytes;
            p->problems += leaf->problems;
        }
        cpNode->params += params;
        cpNode->bytes += bytes;
    }
}

CheckpointTreeModel::CheckpointData *CheckpointTreeModel::dataFor(const Checkpoint *c) const
{
    return m_byCheckpoint.value(c, nullptr);
}

CheckpointTreeModel::Node *CheckpointTreeModel::nodeAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return nullptr;
    return static_cast<Node *>(index.internalPointer());
}

void CheckpointTreeModel::setStats(const TensorRef &t, const TensorStats &s)
{
    setStatsBatch({qMakePair(t, s)});
}

void CheckpointTreeModel::setStatsBatch(const QList<QPair<TensorRef, TensorStats>> &batch)
{
    // One dataChanged per parent over the touched rows, so a batch does not flood views.
    TouchedRows touched;
    for (const auto &[t, s] : batch) {
        CheckpointData *cp = dataFor(t.checkpoint.get());
        if (!cp || t.index < 0 || std::size_t(t.index) >= cp->stats.size())
            continue;
        auto &cell = cp->stats[std::size_t(t.index)];
        cell.has = true;
        cell.mean = s.mean;
        cell.std = s.std;
        cell.min = s.min;
        cell.max = s.max;
        Node *n = cp->tensorNodes[std::size_t(t.index)];
        if (!n)
            continue;
        touch(touched, n);
    }
    emitTouched(touched, MeanColumn, MaxColumn);
}

void CheckpointTreeModel::touch(TouchedRows &touched, const Node *n)
{
    auto it = touched.find(n->parent);
    if (it == touched.end())
        touched.insert(n->parent, qMakePair(n->row, n->row));
    else
        *it = qMakePair(std::min(it->first, n->row), std::max(it->second, n->row));
}

void CheckpointTreeModel::emitTouched(const TouchedRows &touched, int firstColumn, int lastColumn)
{
    for (auto it = touched.cbegin(); it != touched.cend(); ++it) {
        Node *p = it.key();
        Node *first = p->children[std::size_t(it->first)].get();
        Node *last = p->children[std::size_t(it->second)].get();
        emit dataChanged(createIndex(first->row, firstColumn, first),
                         createIndex(last->row, lastColumn, last),
                         {Qt::DisplayRole, SortRole, Qt::ToolTipRole});
    }
}

void CheckpointTreeModel::setAnalyses(
    const QList<QPair<TensorRef, QVector<analysis::LayerAnalysis>>> &batch)
{
    TouchedRows touched;
    for (const auto &[t, layers] : batch) {
        CheckpointData *cp = dataFor(t.checkpoint.get());
        if (!cp || t.index < 0 || layers.isEmpty())
            continue;
        if (cp->analyses.size() < cp->stats.size())
            cp->analyses.resize(cp->stats.size());
        if (std::size_t(t.index) >= cp->analyses.size())
            continue;
        // The gate of the largest spectral norm speaks for a gated kernel.
        qsizetype pick = 0;
        for (qsizetype i = 1; i < layers.size(); ++i)
            if (layers[i].matrix.spectralNorm > layers[pick].matrix.spectralNorm)
                pick = i;
        const auto &m = layers[pick].matrix;
        auto &cell = cp->analyses[std::size_t(t.index)];
        cell.has = layers[pick].error.isEmpty();
        cell.alpha = m.fit.alpha;
        cell.spectralNorm = m.spectralNorm;
        cell.stableRank = m.stableRank;
        cell.gate = layers.size() > 1 ? layers[pick].gate : QString();
        cell.tooltip.clear();
        if (layers.size() > 1) {
            QStringList lines;
            for (const auto &l : layers)
                lines << tr("Gate %1: alpha %2, spectral norm %3, stable rank %4")
                             .arg(l.gate, formatNumber(l.matrix.fit.alpha),
                                  formatNumber(l.matrix.spectralNorm),
                                  formatNumber(l.matrix.stableRank));
            cell.tooltip = lines.join(QLatin1Char('\n'));
        }
        Node *n = cp->tensorNodes[std::size_t(t.index)];
        if (!n)
            continue;
        touch(touched, n);
    }
    emitTouched(touched, AlphaColumn, StableRankColumn);
}

void CheckpointTreeModel::setReports(const QList<QPair<TensorRef, TensorReport>> &batch)
{
    QList<QPair<TensorRef, TensorStats>> stats;
    stats.reserve(batch.size());
    for (const auto &[t, r] : batch)
        if (r.reduced)
            stats.push_back(qMakePair(t, r.stats));
    if (!stats.isEmpty())
        setStatsBatch(stats);
}

void CheckpointTreeModel::setReport(const TensorRef &t, const TensorReport &r)
{
    setReports({qMakePair(t, r)});
}

QStringList CheckpointTreeModel::dtypesPresent() const
{
    QSet<QString> names;
    for (const auto &src : m_sources)
        for (const auto &cp : src->checkpoints)
            for (const auto &t : cp->checkpoint->index().tensors)
                names.insert(t.dtypeText());
    QStringList out(names.begin(), names.end());
    std::sort(out.begin(), out.end());
    return out;
}

TensorRef CheckpointTreeModel::tensorAt(const QModelIndex &index) const
{
    const Node *n = nodeAt(index);
    if (!n || n->kind != NodeKind::Tensor)
        return {};
    return {n->cp->checkpoint, n->tensor};
}

QList<TensorRef> CheckpointTreeModel::tensorsUnder(const QModelIndex &index) const
{
    QList<TensorRef> out;
    const Node *start = index.isValid() ? nodeAt(index) : m_root.get();
    if (!start)
        return out;
    std::vector<const Node *> stack{start};
    while (!stack.empty()) {
        const Node *n = stack.back();
        stack.pop_back();
        if (n->kind == NodeKind::Tensor)
            out.push_back({n->cp->checkpoint, n->tensor});
        for (auto it = n->children.rbegin(); it != n->children.rend(); ++it)
            stack.push_back(it->get());
    }
    return out;
}

QModelIndex CheckpointTreeModel::indexOf(const TensorRef &t, int column) const
{
    const CheckpointData *cp = dataFor(t.checkpoint.get());
    if (!cp || t.index < 0 || std::size_t(t.index) >= cp->tensorNodes.size())
        return {};
    Node *n = cp->tensorNodes[std::size_t(t.index)];
    return n ? createIndex(n->row, column, n) : QModelIndex();
}

QModelIndex CheckpointTreeModel::indexOfCheckpoint(const Checkpoint *checkpoint) const
{
    const CheckpointData *cp = dataFor(checkpoint);
    return cp && cp->node ? createIndex(cp->node->row, 0, cp->node) : QModelIndex();
}

std::shared_ptr<const Checkpoint> CheckpointTreeModel::checkpointAt(const QModelIndex &index) const
{
    const Node *n = nodeAt(index);
    if (!n)
        return {};
    if (n->cp)
        return n->cp->checkpoint;
    if (n->kind == NodeKind::Source && n->src->checkpoints.size() == 1)
        return n->src->checkpoints.front()->checkpoint;
    return {};
}

CheckpointTreeModel::NodeKind CheckpointTreeModel::nodeKind(const QModelIndex &index) const
{
    const Node *n = nodeAt(index);
    return n ? n->kind : NodeKind::Group;
}

QList<LogRunRef> CheckpointTreeModel::logRunsAt(const QModelIndex &index) const
{
    QList<LogRunRef> out;
    const Node *n = nodeAt(index);
    if (!n || !n->src || !n->src->opened.logs)
        return out;
    const auto &logs = n->src->opened.logs;
    const Node *from = n;
    while (from && from->kind != NodeKind::Logs && from->kind != NodeKind::LogRun)
        from = from->parent;
    if (!from) {
        for (int i = 0; i < int(logs->runs.size()); ++i)
            out.push_back({logs, i});
        return out;
    }
    std::vector<const Node *> stack{from};
    while (!stack.empty()) {
        const Node *x = stack.back();
        stack.pop_back();
        if (x->kind == NodeKind::LogRun)
            out.push_back({logs, x->logRun});
        for (auto it = x->children.rbegin(); it != x->children.rend(); ++it)
            stack.push_back(it->get());
    }
    return out;
}

QList<std::shared_ptr<const Checkpoint>>
CheckpointTreeModel::sourceCheckpoints(const QModelIndex &index) const
{
    QList<std::shared_ptr<const Checkpoint>> out;
    if (const Node *n = nodeAt(index); n && n->src)
        for (const auto &cp : n->src->checkpoints)
            out << cp->checkpoint;
    return out;
}

QModelIndex CheckpointTreeModel::indexOfLogRun(const LogRunRef &run) const
{
    if (!run.isValid())
        return {};
    for (const auto &src : m_sources) {
        if (src->opened.logs != run.logs || std::size_t(run.run) >= src->logRunNodes.size())
            continue;
        Node *n = src->logRunNodes[std::size_t(run.run)];
        return n ? createIndex(n->row, 0, n) : QModelIndex();
    }
    return {};
}

QString CheckpointTreeModel::problemsText(const QModelIndex &index) const
{
    QStringList lines;
    for (const auto &p : problemsOf(index))
        lines << p.toString();
    return lines.join(QLatin1Char('\n'));
}

Problems CheckpointTreeModel::problemsOf(const QModelIndex &index) const
{
    const Node *n = nodeAt(index);
    if (!n)
        return {};
    Problems out;
    // Files inside the opened folder are named from it: the page's header gives the folder.
    const QFileInfo opened(n->src->opened.path);
    const QDir base(opened.isDir() ? opened.absoluteFilePath() : opened.absolutePath());
    auto addAll = [&](const Problems &ps) {
        for (Problem p : ps) {
            const QString rel = base.relativeFilePath(p.file);
            if (!p.file.isEmpty() && !rel.startsWith(QLatin1String("..")))
                p.file = rel;
            out << p;
        }
    };
    switch (n->kind) {
    case NodeKind::Source:
        addAll(n->src->opened.problems);
        for (const auto &cp : n->src->checkpoints)
            addAll(cp->checkpoint->index().problems);
        for (const auto &run : logRunsAt(index))
            addAll(run.get().problems);
        break;
    case NodeKind::Logs:
    case NodeKind::LogRun:
        for (const auto &run : logRunsAt(index))
            addAll(run.get().problems);
        break;
    case NodeKind::Checkpoint:
        addAll(n->cp->checkpoint->index().problems);
        break;
    case NodeKind::Group:
        if (n->cp)
            for (const auto &t : tensorsUnder(index))
                addAll(n->cp->tensorProblems.value(t.info().key));
        else
            for (const auto &c : n->children)
                if (c->cp)
                    addAll(c->cp->checkpoint->index().problems);
        break;
    case NodeKind::Tensor:
        addAll(n->cp->tensorProblems.value(n->cp->checkpoint->tensor(n->tensor).key));
        break;
    }
    return out;
}

QModelIndex CheckpointTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0)
        return {};
    const Node *p = parent.isValid() ? nodeAt(parent) : m_root.get();
    if (!p || (parent.isValid() && parent.column() != 0) || row >= int(p->children.size()))
        return {};
    return createIndex(row, column, p->children[std::size_t(row)].get());
}

QModelIndex CheckpointTreeModel::parent(const QModelIndex &child) const
{
    const Node *n = nodeAt(child);
    if (!n || !n->parent || n->parent == m_root.get())
        return {};
    return createIndex(n->parent->row, 0, n->parent);
}

int CheckpointTreeModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_root->children.size());
    if (parent.column() != 0)
        return 0;
    const Node *n = nodeAt(parent);
    return n ? int(n->children.size()) : 0;
}

int CheckpointTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

bool CheckpointTreeModel::hasChildren(const QModelIndex &parent) const
{
    return rowCount(parent) > 0;
}

Qt::ItemFlags CheckpointTreeModel::flags(const QModelIndex &index) const
{
    const Node *n = nodeAt(index);
    if (!n)
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (n->kind == NodeKind::Tensor)
        f |= Qt::ItemIsDragEnabled; // dragged out as its key, see mimeData()
    // A checkpoint drags onto another to compare them.
    if (n->kind == NodeKind::Checkpoint ||
        (n->kind == NodeKind::Source && n->src->checkpoints.size() == 1))
        f |= Qt::ItemIsDragEnabled;
    if ((n->kind == NodeKind::Tensor || n->kind == NodeKind::LogRun) && n->children.empty())
        f |= Qt::ItemNeverHasChildren;
    return f;
}

QStringList CheckpointTreeModel::mimeTypes() const
{
    return {QStringLiteral("text/plain"), QString::fromLatin1(kCheckpointMime)};
}

std::shared_ptr<const Checkpoint> CheckpointTreeModel::checkpointByKey(const QString &key) const
{
    for (const CheckpointData *cp : std::as_const(m_byCheckpoint))
        if (checkpointKey(*cp->checkpoint) == key)
            return cp->checkpoint;
    return {};
}

QMimeData *CheckpointTreeModel::mimeData(const QModelIndexList &indexes) const
{
    // One line per tensor, its stored key: what a script needs to look the tensor up.
    QStringList keys;
    QSet<QPair<const void *, int>> seen;
    for (const QModelIndex &i : indexes) {
        const TensorRef t = tensorAt(i.siblingAtColumn(0));
        if (!t.isValid() || seen.contains({t.checkpoint.get(), t.index}))
            continue;
        seen.insert({t.checkpoint.get(), t.index});
        keys << t.info().key;
    }
    if (keys.isEmpty()) {
        // A checkpoint node: its key (the file or prefix) in our own format and as text.
        for (const QModelIndex &i : indexes) {
            const Node *n = nodeAt(i.siblingAtColumn(0));
            if (!n || (n->kind != NodeKind::Checkpoint && n->kind != NodeKind::Source))
                continue;
            if (const auto cp = checkpointAt(i.siblingAtColumn(0))) {
                const QString key = checkpointKey(*cp);
                auto *data = new QMimeData;
                data->setData(QString::fromLatin1(kCheckpointMime), key.toUtf8());
                data->setText(key);
                return data;
            }
        }
        return nullptr;
    }
    auto *data = new QMimeData;
    data->setText(keys.join(QLatin1Char('\n')));
    return data;
}

QVariant CheckpointTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::TextAlignmentRole)
        return section == NameColumn ? int(Qt::AlignLeft | Qt::AlignVCenter)
                                     : int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case NameColumn:
        return tr("Name");
    case ShapeColumn:
        return tr("Shape");
    case DTypeColumn:
        return tr("DType");
    case ParamsColumn:
        return tr("Parameters");
    case BytesColumn:
        return tr("Bytes");
    case MeanColumn:
        return tr("Mean");
    case StdColumn:
        return tr("Std");
    case MinColumn:
        return tr("Min");
    case MaxColumn:
        return tr("Max");
    case AlphaColumn:
        return tr("Alpha");
    case SpectralNormColumn:
        return tr("Spectral Norm");
    case StableRankColumn:
        return tr("Stable Rank");
    case ColumnCount:
        break;
    }
    return {};
}

QVariant CheckpointTreeModel::tensorData(const Node *n, int column, int role) const
{
    const TensorInfo &t = n->cp->checkpoint->tensor(n->tensor);
    const CellStats &s = n->cp->stats[std::size_t(n->tensor)];
    auto stat = [&](const std::optional<double> &v) -> QVariant {
        if (!s.has || !v)
            return {};
        return role == SortRole ? QVariant(*v) : QVariant(formatNumber(*v));
    };
    switch (column) {
    case ShapeColumn:
        if (role == SortRole)
            return qlonglong(t.shape.numElements().value_or(-1));
        return t.shape.toString();
    case DTypeColumn:
        return t.dtypeText();
    case MeanColumn:
        return stat(s.mean);
    case StdColumn:
        return stat(s.std);
    case MinColumn:
        return stat(s.min);
    case MaxColumn:
        return stat(s.max);
    case AlphaColumn:
    case SpectralNormColumn:
    case StableRankColumn: {
        const auto &all = n->cp->analyses;
        if (std::size_t(n->tensor) >= all.size() || !all[std::size_t(n->tensor)].has)
            return {};
        const auto &a = all[std::size_t(n->tensor)];
        const double v = column == AlphaColumn          ? a.alpha
                         : column == SpectralNormColumn ? a.spectralNorm
                                                        : a.stableRank;
        if (!std::isfinite(v))
            return role == SortRole ? QVariant() : QVariant(QStringLiteral("–"));
        if (role == SortRole)
            return v;
        return a.gate.isEmpty() ? formatNumber(v)
                                : QStringLiteral("%1 [%2]").arg(formatNumber(v), a.gate);
    }
    default:
        return {};
    }
}

QVariant CheckpointTreeModel::data(const QModelIndex &index, int role) const
{
    const Node *n = nodeAt(index);
    if (!n)
        return {};
    const int column = index.column();
    const bool tensor = n->kind == NodeKind::Tensor;
    const TensorInfo *t = tensor ? &n->cp->checkpoint->tensor(n->tensor) : nullptr;
    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        if (column == NameColumn) {
            if (role != SortRole)
                return n->name;
            // Checkpoints keep the source's order (oldest first) when names are sorted.
            if (n->kind == NodeKind::Checkpoint)
                return QStringLiteral("%1").arg(n->row, 10, 10, QLatin1Char('0'));
            if (n->sortKey.isNull())
                n->sortKey = naturalSortKey(n->name);
            return n->sortKey;
        }
        if (n->kind == NodeKind::Logs || n->kind == NodeKind::LogRun)
            return {}; // logs hold no parameters
        if (column == ParamsColumn)
            return role == SortRole ? QVariant(qlonglong(n->params))
                                    : QVariant(QLocale().toString(qlonglong(n->params)));
        if (column == BytesColumn)
            return role == SortRole ? QVariant(qlonglong(n->bytes))
                                    : QVariant(QLocale().formattedDataSize(n->bytes));
        if (tensor)
            return tensorData(n, column, role);
        return {};
    case Qt::TextAlignmentRole:
        return column == NameColumn || column == DTypeColumn
                   ? int(Qt::AlignLeft | Qt::AlignVCenter)
                   : int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole: {
        QStringList lines;
        if (t) {
            lines << tr("Key: %1").arg(t->key) << tr("Name: %1").arg(t->name)
                  << tr("DType: %1").arg(t->dtypeText()) << tr("Shape: %1").arg(t->shape.toString())
                  << tr("File: %1").arg(t->location.file)
                  << tr("Offset: %1").arg(t->location.offset)
                  << tr("Bytes: %1").arg(t->location.size);
            const QString aliases = n->cp->checkpoint->index().aliasesText(n->tensor);
            if (!aliases.isEmpty())
                lines << tr("Shares its storage with: %1").arg(aliases);
            if (isAnalysisColumn(column) && std::size_t(n->tensor) < n->cp->analyses.size() &&
                !n->cp->analyses[std::size_t(n->tensor)].tooltip.isEmpty())
                lines << n->cp->analyses[std::size_t(n->tensor)].tooltip;
        } else if (n->kind == NodeKind::Checkpoint) {
            const auto &idx = n->cp->checkpoint->index();
            lines << idx.path << idx.formatName;
            if (!idx.subtype.isEmpty())
                lines << idx.subtype;
            if (idx.step)
                lines << tr("Step: %1").arg(*idx.step);
            if (idx.savedAt)
                lines << tr("Saved: %1").arg(idx.savedAtText());
        } else if (n->kind == NodeKind::LogRun) {
            const auto &run = n->src->opened.logs->runs[std::size_t(n->logRun)];
            lines << (run.csvFile.isEmpty() ? run.folder : run.csvFile);
            std::int64_t points = 0;
            for (const auto &s : run.series.all())
                points += s.size();
            lines << tr("%n tag(s)", nullptr, int(run.series.all().size()))
                  << tr("%n point(s)", nullptr, int(points));
        } else if (n->kind == NodeKind::Source) {
            lines << n->src->opened.path;
            if (!n->src->opened.kind.isEmpty())
                lines << n->src->opened.kind;
        } else {
            lines << n->name;
        }
        if (n->problems > 0)
            lines << tr("%n problem(s)", nullptr, n->problems);
        return lines.join(QLatin1Char('\n'));
    }
    case NodeKindRole:
        return int(n->kind);
    case TensorRoleRole:
        return t ? QVariant(int(t->role)) : QVariant();
    case DTypeNameRole:
        return t ? QVariant(t->dtypeText()) : QVariant();
    case RawKeyRole:
        return t ? QVariant(t->key) : QVariant();
    case ReadableNameRole:
        return t ? QVariant(t->name) : QVariant();
    case IconNameRole:
        switch (n->kind) {
        case NodeKind::Source:
            return QStringLiteral("source");
        case NodeKind::Checkpoint:
            return QStringLiteral("checkpoint");
        case NodeKind::Group:
            return n->optimizerGroup ? QStringLiteral("optimizer") : QStringLiteral("group");
        case NodeKind::Tensor:
            return roleName(t->role);
        case NodeKind::Logs:
            return QStringLiteral("logs");
        case NodeKind::LogRun:
            return QStringLiteral("logrun");
        }
        return {};
    case ProblemCountRole:
        return n->problems;
    default:
        return {};
    }
}

} // namespace wl
