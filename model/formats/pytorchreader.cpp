// torch.save checkpoints (formats-keras-pytorch.md section 4). The pickle names tensors and
// their storages; the storages are zip members (stored, mapped where they lie) or, in the
// legacy format, raw runs after the pickles. A view is a storage offset plus strides.
#include "pytorchreader.h"

#include "stridedcheckpoint.h"

#include "core/plural.h"
#include "io/mappedfile.h"
#include "io/pickle.h"
#include "io/zipmember.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <quazip.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace wl
{
namespace
{

using pickle::Value;
using K = pickle::Value::Kind;

const QString kPytorchReaderId = QStringLiteral("pytorch");
constexpr std::int64_t kMaxPickle = std::int64_t(256) << 20;
constexpr int kMaxMetadataRows = 64;
constexpr int kMaxTreeDepth = 200;
// The pickled long 0x1950A86A20F9469CFC6C that starts a legacy file, with its PROTO 2 and LONG1.
const QByteArray kLegacyHead = QByteArray::fromHex("80028a0a6cfc9c46f9206aa85019");

// torch's typed storage classes, "<Name>Storage", and their element types.
struct StorageType {
    const char *name;
    DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"Float", DType::Float32},
    {"Double", DType::Float64},
    {"Half", DType::Float16},
    {"BFloat16", DType::BFloat16},
    {"Long", DType::Int64},
    {"Int", DType::Int32},
    {"Short", DType::Int16},
    {"Char", DType::Int8},
    {"Byte", DType::UInt8},
    {"Bool", DType::Bool},
    {"ComplexFloat", DType::Complex64},
    {"ComplexDouble", DType::Complex128},
    {"Float8_e4m3fn", DType::Float8E4M3FN},
    {"Float8_e5m2", DType::Float8E5M2},
    {"Float8_e4m3fnuz", DType::Float8E4M3FNUZ},
    {"Float8_e5m2fnuz", DType::Float8E5M2FNUZ},
};

DType storageDType(const std::string &global)
{
    // torch.FloatStorage, torch.cuda.FloatStorage, torch.storage.UntypedStorage
    const auto dot = global.rfind('.');
    std::string n = global.substr(dot == std::string::npos ? 0 : dot + 1);
    if (!n.ends_with("Storage"))
        return DType::Invalid;
    n.resize(n.size() - 7);
    if (n == "Untyped")
        return DType::UInt8;
    for (const auto &t : kStorageTypes)
        if (n == t.name)
            return t.dtype;
    return DType::Unknown;
}

QString keyText(const Value *k)
{
    if (!k)
        return QStringLiteral("?");
    switch (k->kind) {
    case K::String:
        return k->str();
    case K::Int:
        return QString::number(k->integer);
    case K::Bool:
        return k->boolean ? QStringLiteral("True") : QStringLiteral("False");
    case K::None:
        return QStringLiteral("None");
    case K::Float:
        return QString::number(k->real);
    default:
        return QStringLiteral("?");
    }
}

std::optional<QString> scalarText(const Value *v)
{
    switch (v->kind) {
    case K::Bool:
        return v->boolean ? QStringLiteral("True") : QStringLiteral("False");
    case K::Int:
        return QString::number(v->integer);
    case K::Float:
        return QString::number(v->real, 'g', 10);
    case K::String:
        return v->str().left(200);
    default:
        return std::nullopt;
    }
}

// Tensors and scalar leaves of the unpickled object, named by their paths.
struct Found {
    const Value *tensor;
    QStringList path;
};

struct Walker {
    std::vector<Found> tensors;
    QList<QPair<QString, QString>> scalars;
    std::unordered_set<const Value *> seen;
    bool tooDeep = false;

    void visit(const Value *v, QStringList &path, int depth)
    {
        if (!v)
            return;
        if (depth > kMaxTreeDepth) {
            tooDeep = true;
            return;
        }
        if (v->kind == K::Tensor) {
            tensors.push_back({v, path});
            return;
        }
        if (auto s = scalarText(v)) {
            // A param group's parameter ids say nothing on their own.
            const bool ids = path.size() > 1 && path[path.size() - 2] == QLatin1String("params");
            if (!path.isEmpty() && !ids && scalars.size() < kMaxMetadataRows)
                scalars.append({path.join(QLatin1Char('.')), *s});
            return;
        }
        if (!v->isContainer() || v->kind == K::PersistentId || !seen.insert(v).second)
            return;
        for (std::size_t i = 0; i < v->items.size(); ++i) {
            path << QString::number(i);
            visit(v->items[i], path, depth + 1);
            path.removeLast();
        }
        for (const auto &[k, val] : v->entries) {
            path << keyText(k);
            visit(val, path, depth + 1);
            path.removeLast();
        }
    }
};

// Where a storage's bytes are.
struct StorageBytes {
    std::int64_t offset = -1; // in the file
    std::int64_t size = 0;
    QString problem; // why it cannot be read
};

std::optional<std::int64_t> mulAdd(std::int64_t acc, std::int64_t a, std::int64_t b)
{
    std::int64_t m;
    if (__builtin_mul_overflow(a, b, &m) || __builtin_add_overflow(acc, m, &acc))
        return std::nullopt;
    return acc;
}

bool contiguous(const std::vector<std::int64_t> &size, const std::vector<std::int64_t> &stride)
{
    std::int64_t expect = 1;
    for (std::size_t d = size.size(); d-- > 0;) {
        if (size[d] != 1 && stride[d] != expect)
            return false;
        expect *= size[d];
    }
    return true;
}

// What the pickle and the storages give, before it becomes an index.
struct Loaded {
    QString formatName, subtype;
    const Value *root = nullptr;
    QHash<QString, StorageBytes> storages; // by key
    bool bigEndian = false;
    QList<QPair<QString, QString>> metadata;
    QJsonObject summary;
};

// The storage's persistent id: ("storage", type, key, location, numel[, view_metadata]).
struct StorageRef {
    QString key;
    std::string type;
    std::int64_t numel = 0;
};

std::optional<StorageRef> storageRef(const Value *pid)
{
    if (!pid || pid->kind != K::PersistentId || pid->items.size() < 5)
        return std::nullopt;
    const auto &a = pid->items;
    if (!a[0] || a[0]->kind != K::String || a[0]->text != "storage")
        return std::nullopt;
    StorageRef r;
    r.type = pickle::globalName(a[1]);
    r.key = keyText(a[2]);
    if (!a[4] || a[4]->kind != K::Int || a[4]->integer < 0)
        return std::nullopt;
    r.numel = a[4]->integer;
    return r;
}

Problem warning(const QString &file, const QString &where, const QString &text)
{
    return Problem{Problem::Severity::Warning, file, where, text};
}

QString joinPath(const QStringList &p, QChar sep)
{
    return p.isEmpty() ? QStringLiteral("(root)") : p.join(sep);
}

bool isBufferName(const QString &name)
{
    return name.endsWith(QLatin1String("running_mean")) ||
           name.endsWith(QLatin1String("running_var")) ||
           name.endsWith(QLatin1String("num_batches_tracked"));
}

// Adam's exp_avg / exp_avg_sq (any optimizer's per-parameter state) tied to the model's
// parameters: the ids in param_groups' "params" count the parameters in model order.
void linkOptimizer(const Value *optimizer, const QStringList &optPath, const QStringList &model,
                   std::vector<Found> &found, QVector<TensorInfo> &tensors)
{
    const Value *state = optimizer->get("state");
    const Value *groups = optimizer->get("param_groups");
    if (!state || !groups || groups->kind != K::List)
        return;
    std::vector<std::int64_t> ids;
    for (const auto *g : groups->items)
        if (const Value *params = g ? g->get("params") : nullptr)
            for (const auto *p : params->items)
                if (p && p->kind == K::Int)
                    ids.push_back(p->integer);
    // Model parameters: floating tensors under the model path, BatchNorm buffers left out.
    std::vector<int> params;
    for (std::size_t i = 0; i < found.size(); ++i) {
        const auto &p = found[i].path;
        if (p.size() > model.size() && p.mid(0, model.size()) == model &&
            dtypeIsFloat(tensors[int(i)].dtype) && !isBufferName(tensors[int(i)].key))
            params.push_back(int(i));
    }
    const bool linked = !ids.empty() && ids.size() == params.size();
    const QString optName = optPath.join(QLatin1Char('/'));
    for (std::size_t i = 0; i < found.size(); ++i) {
        const auto &p = found[i].path;
        if (p.size() <= optPath.size() || p.mid(0, optPath.size()) != optPath)
            continue;
        TensorInfo &t = tensors[int(i)];
        t.role = TensorRole::Optimizer;
        // optimizer.state.<id>.<slot>
        if (!linked || p.size() != optPath.size() + 3 ||
            p[optPath.size()] != QLatin1String("state"))
            continue;
        bool ok = false;
        const std::int64_t id = p[optPath.size() + 1].toLongLong(&ok);
        const auto pos = std::find(ids.begin(), ids.end(), id);
        if (!ok || pos == ids.end())
            continue;
        const TensorInfo &owner = tensors[params[std::size_t(pos - ids.begin())]];
        if (owner.shape.dims != t.shape.dims)
            continue; // `step` and other scalars stay optimizer state
        t.role = TensorRole::OptimizerSlot;
        t.slotName = p.last();
        t.optimizerPath = optName;
        t.slotOf = owner.name;
    }
}

// Names, roles, geometry; storages that cannot be read leave their tensors listed unreadable.
std::shared_ptr<Checkpoint> buildCheckpoint(const QString &path, Loaded &&l,
                                            const pickle::Unpickler &u)
{
    CheckpointIndex index;
    index.path = path;
    index.displayName = QFileInfo(path).fileName();
    index.readerId = kPytorchReaderId;
    index.formatName = l.formatName;
    index.subtype = l.subtype;
    Problems &problems = index.problems;

    Walker w;
    QStringList root;
    w.visit(l.root, root, 0);
    if (w.tooDeep)
        problems << warning(
            path, {},
            QStringLiteral("objects nested deeper than %1 are not shown").arg(kMaxTreeDepth));

    QHash<int, StridedView> views;
    QHash<QString, QStringList> byStorage;
    QStringList storageOrder;
    for (const auto &f : w.tensors) {
        const Value *v = f.tensor;
        TensorInfo t;
        t.key = joinPath(f.path, QLatin1Char('.'));
        // State-dict keys are dotted module paths; the tree splits them like nested dicts.
        t.name = QString(t.key).replace(QLatin1Char('.'), QLatin1Char('/'));
        t.location.file = path;
        t.location.storage = TensorLocation::Storage::None;
        t.location.bigEndian = l.bigEndian;
        t.shape.dims = v->size;
        t.trainable = v->parameter ? std::optional<bool>(v->requiresGrad) : std::nullopt;
        const int at = int(index.tensors.size());
        auto fail = [&](const QString &text) {
            problems << warning(path, QStringLiteral("tensor '%1'").arg(t.key), text);
            index.tensors.push_back(t);
        };
        const auto ref = storageRef(v->storage);
        if (!ref) {
            t.dtype = DType::Unknown;
            fail(QStringLiteral("its storage is not a ('storage', type, key, location, numel) id"));
            continue;
        }
        t.dtype = storageDType(ref->type);
        if (t.dtype == DType::Unknown || t.dtype == DType::Invalid) {
            t.dtype = DType::Unknown;
            fail(QStringLiteral("unknown storage type %1; its values are not read")
                     .arg(QString::fromStdString(ref->type)));
            continue;
        }
        if (!byStorage.contains(ref->key))
            storageOrder << ref->key;
        byStorage[ref->key] << t.key;
        t.location.storageKey = ref->key;
        const int item = dtypeSize(t.dtype);
        const auto sb = l.storages.value(ref->key);
        if (!sb.problem.isEmpty() || sb.offset < 0) {
            fail(sb.problem.isEmpty() ? QStringLiteral("storage '%1' is missing").arg(ref->key)
                                      : sb.problem);
            continue;
        }
        const std::int64_t available = std::min(sb.size / item, ref->numel);
        std::optional<std::int64_t> last = v->storageOffset;
        bool empty = false, negative = false;
        for (std::size_t d = 0; d < v->size.size(); ++d) {
            negative = negative || v->size[d] < 0 || v->stride[d] < 0;
            empty = empty || v->size[d] == 0;
            if (last && v->size[d] > 0)
                last = mulAdd(*last, v->size[d] - 1, v->stride[d]);
        }
        if (negative || !t.shape.numElements()) {
            fail(QStringLiteral("size %1 with strides that are not non-negative")
                     .arg(t.shape.toString()));
            continue;
        }
        if (!empty && (!last || *last >= available)) {
            fail(QStringLiteral("view reaches element %1 of storage '%2', which has %3")
                     .arg(last ? QString::number(*last) : QStringLiteral("beyond 2^63"), ref->key,
                          counted(available, "element")));
            continue;
        }
        const std::int64_t start = sb.offset;
        if (empty || contiguous(v->size, v->stride)) {
            t.location.storage = TensorLocation::Storage::Raw;
            t.location.offset = start + v->storageOffset * item;
            t.location.size = empty ? 0 : t.numElements() * item;
        } else {
            t.location.storage = TensorLocation::Storage::ReaderDecoded;
            t.location.offset = start;
            t.location.size = t.numElements() * item;
            views.insert(at, StridedView{start, v->storageOffset, v->size, v->stride, nullptr});
        }
        index.tensors.push_back(t);
    }

    // A training checkpoint: the model's state_dict and the optimizer(s) beside it.
    std::vector<Found> &found = w.tensors;
    QStringList model;
    if (l.root && l.root->kind == K::Dict) {
        for (const char *name : {"model", "state_dict", "model_state_dict", "net", "module"})
            if (const Value *m = l.root->get(name); m && m->kind == K::Dict) {
                model = {QString::fromLatin1(name)};
                break;
            }
        if (!model.isEmpty()) {
            for (const char *name : {"optimizer", "optimizer_state_dict", "optim"})
                if (const Value *o = l.root->get(name); o && o->kind == K::Dict)
                    linkOptimizer(o, {QString::fromLatin1(name)}, model, found, index.tensors);
            if (const Value *list = l.root->get("optimizer_states"); list && list->kind == K::List)
                for (std::size_t i = 0; i < list->items.size(); ++i)
                    if (list->items[i] && list->items[i]->kind == K::Dict)
                        linkOptimizer(list->items[i],
                                      {QStringLiteral("optimizer_states"), QString::number(i)},
                                      model, found, index.tensors);
        }
    }

    // Scalars (epoch, global_step, learning rates) are metadata.
    index.metadata = l.metadata;
    for (const auto &[k, v] : w.scalars) {
        index.metadata.append({k, v});
        if ((k == QLatin1String("global_step") || k == QLatin1String("step")) && !index.step) {
            bool ok = false;
            const auto s = v.toLongLong(&ok);
            if (ok)
                index.step = s;
        }
    }
    index.metadata.append({QStringLiteral("Globals"), u.globals().join(QLatin1String(", "))});
    for (const auto &g : u.inertGlobals())
        problems << warning(
            path, {}, QStringLiteral("unsupported global %1: kept inert, never called").arg(g));
    if (!u.inertGlobals().isEmpty())
        index.metadata.append(
            {QStringLiteral("Inert globals"), u.inertGlobals().join(QLatin1String(", "))});

    QJsonArray shared;
    QStringList sharedText;
    for (const auto &key : storageOrder) {
        const auto &names = byStorage[key];
        if (names.size() < 2)
            continue;
        shared.append(QJsonObject{{QStringLiteral("storage"), key},
                                  {QStringLiteral("tensors"), QJsonArray::fromStringList(names)}});
        sharedText << QStringLiteral("storage %1 is shared by %2")
                          .arg(key, names.join(QLatin1String(", ")));
    }
    l.summary.insert(QStringLiteral("globals"), QJsonArray::fromStringList(u.globals()));
    l.summary.insert(QStringLiteral("inert_globals"), QJsonArray::fromStringList(u.inertGlobals()));
    l.summary.insert(QStringLiteral("shared_storages"), shared);
    l.summary.insert(QStringLiteral("storages"), storageOrder.size());
    index.summary = l.summary;
    QStringList text{
        QStringLiteral("%1 in %2")
            .arg(counted(index.tensors.size(), "tensor"), counted(storageOrder.size(), "storage"))};
    text += sharedText;
    index.summaryText = text.join(QLatin1Char('\n'));
    return std::make_shared<StridedCheckpoint>(std::move(index), std::move(views));
}

Result<Loaded> loadZip(const QString &path, pickle::Unpickler &u, const JobContext &job)
{
    QuaZip zip(path);
    auto members = openZipMembers(zip, path);
    if (!members.ok())
        return members.error();
    // The archive folder is whatever precedes data.pkl; the shortest such name wins.
    const ZipMember *pkl = nullptr;
    for (const auto &m : *members)
        if ((m.name == QLatin1String("data.pkl") || m.name.endsWith(QLatin1String("/data.pkl"))) &&
            (!pkl || m.name.size() < pkl->name.size()))
            pkl = &m;
    if (!pkl)
        return makeError(LoadError::Code::UnknownFormat, path, QStringLiteral("central directory"),
                         QStringLiteral("a PyTorch archive with a data.pkl member"),
                         counted(qsizetype(members->size()), "member"));
    const QString prefix = pkl->name.left(pkl->name.size() - 8);
    if (qint64(pkl->uncompressedSize) > kMaxPickle)
        return makeError(LoadError::Code::Unsupported, path, pkl->name,
                         QStringLiteral("a pickle of at most %1 bytes").arg(kMaxPickle),
                         counted(qint64(pkl->uncompressedSize), "byte"));
    auto readSmall = [&](const ZipMember &m) -> Result<QByteArray> {
        if (m.method == 0 && m.compressedSize == m.uncompressedSize && !m.encrypted)
            return readFileBytes(path, m.dataOffset, std::int64_t(m.compressedSize));
        auto inflated = InflatedMember::inflate(m, job);
        if (!inflated.ok())
            return inflated.error();
        return QByteArray(reinterpret_cast<const char *>((*inflated)->data()),
                          qsizetype((*inflated)->size()));
    };
    auto bytes = readSmall(*pkl);
    if (!bytes.ok())
        return bytes.error();
    if (bytes->size() != qsizetype(pkl->uncompressedSize))
        return makeError(LoadError::Code::Truncated, path, pkl->name,
                         counted(qint64(pkl->uncompressedSize), "byte"),
                         counted(bytes->size(), "byte"));

    Loaded l;
    l.formatName = QStringLiteral("PyTorch checkpoint (zip)");
    l.subtype = QStringLiteral("archive folder '%1'").arg(prefix.chopped(1));
    l.summary.insert(QStringLiteral("format"), QStringLiteral("zip"));
    l.summary.insert(QStringLiteral("archive"), prefix);
    QString byteorder = QStringLiteral("little");
    const QString dataDir = prefix + QLatin1String("data/");
    for (const auto &m : *members) {
        if (m.name == prefix + QLatin1String("byteorder")) {
            auto b = readSmall(m);
            if (b.ok())
                byteorder = QString::fromLatin1(b->trimmed().left(16));
        } else if (m.name.startsWith(dataDir) && m.name.size() > dataDir.size()) {
            StorageBytes s;
            s.size = std::int64_t(m.uncompressedSize);
            if (m.method == 0 && m.compressedSize != m.uncompressedSize)
                s.problem = QStringLiteral("storage member %1 is stored with %2 but declares %3")
                                .arg(m.name, counted(qint64(m.compressedSize), "byte"),
                                     counted(qint64(m.uncompressedSize), "byte"));
            else if (m.method != 0 || m.encrypted)
                s.problem = QStringLiteral("storage member %1 is compressed (method %2); only "
                                           "stored members are mapped")
                                .arg(m.name)
                                .arg(m.method);
            else
                s.offset = m.dataOffset;
            l.storages.insert(m.name.mid(dataDir.size()), s);
        } else if (m.name == prefix + QLatin1String("version") ||
                   m.name == prefix + QLatin1String(".data/version")) {
            auto b = readSmall(m);
            if (b.ok() && !l.summary.contains(QStringLiteral("version")))
                l.summary.insert(QStringLiteral("version"),
                                 QString::fromLatin1(b->trimmed().left(16)));
        }
    }
    if (byteorder != QLatin1String("little") && byteorder != QLatin1String("big"))
        return makeError(LoadError::Code::Corrupt, path, prefix + QLatin1String("byteorder"),
                         QStringLiteral("\"little\" or \"big\""), byteorder);
    l.bigEndian = byteorder == QLatin1String("big");
    l.summary.insert(QStringLiteral("byteorder"), byteorder);
    l.metadata.append({QStringLiteral("Byte order"), byteorder});
    if (l.summary.contains(QStringLiteral("version")))
        l.metadata.append({QStringLiteral("Archive version"),
                           l.summary.value(QStringLiteral("version")).toString()});

    auto root = u.load(
        {reinterpret_cast<const std::uint8_t *>(bytes->constData()), std::size_t(bytes->size())},
        0);
    if (!root.ok()) {
        LoadError e = root.error();
        e.where = pkl->name + QLatin1Char(' ') + e.where;
        return e;
    }
    l.root = *root;
    return l;
}

Result<Loaded> loadLegacy(const QString &path, pickle::Unpickler &u)
{
    auto map = MappedFile::open(path);
    if (!map.ok())
        return map.error();
    const auto all = (*map)->bytes();
    std::size_t pos = 0;
    auto next = [&]() -> Result<Value *> {
        std::size_t used = 0;
        auto v = u.load(all.subspan(pos), std::int64_t(pos), &used);
        if (v.ok())
            pos += used;
        return v;
    };
    Loaded l;
    l.formatName = QStringLiteral("PyTorch checkpoint (legacy)");
    l.subtype = QStringLiteral("concatenated pickles");
    l.summary.insert(QStringLiteral("format"), QStringLiteral("legacy"));
    auto magic = next();
    if (!magic.ok())
        return magic.error();
    auto protocol = next();
    if (!protocol.ok())
        return protocol.error();
    if ((*protocol)->kind != K::Int || (*protocol)->integer != 1001)
        return makeError(LoadError::Code::Unsupported, path, QStringLiteral("offset %1").arg(pos),
                         QStringLiteral("legacy protocol version 1001"),
                         QString::number((*protocol)->integer));
    auto sysInfo = next();
    if (!sysInfo.ok())
        return sysInfo.error();
    if (const Value *le = (*sysInfo)->get("little_endian"); le && le->kind == K::Bool)
        l.bigEndian = !le->boolean;
    l.metadata.append({QStringLiteral("Byte order"),
                       l.bigEndian ? QStringLiteral("big") : QStringLiteral("little")});
    auto root = next();
    if (!root.ok())
        return root.error();
    l.root = *root;
    auto keys = next();
    if (!keys.ok())
        return keys.error();
    // Element sizes come from the storage ids the tensors carry.
    QHash<QString, int> itemSize;
    Walker w;
    QStringList p;
    w.visit(l.root, p, 0);
    for (const auto &f : w.tensors)
        if (const auto ref = storageRef(f.tensor->storage)) {
            const DType d = storageDType(ref->type);
            if (dtypeSize(d) > 0)
                itemSize.insert(ref->key, dtypeSize(d));
        }
    const std::int64_t fileSize = std::int64_t(all.size());
    for (const auto *k : (*keys)->items) {
        const QString key = keyText(k);
        const int item = itemSize.value(key, 0);
        if (item == 0)
            break; // unknown element size: the rest cannot be located
        if (std::int64_t(pos) + 8 > fileSize)
            return makeError(LoadError::Code::Truncated, path, QStringLiteral("offset %1").arg(pos),
                             QStringLiteral("the element count of storage '%1'").arg(key),
                             QStringLiteral("the end of the file"));
        std::int64_t count;
        std::memcpy(&count, all.data() + pos, 8);
        pos += 8;
        StorageBytes s;
        s.offset = std::int64_t(pos);
        if (count < 0 || count > (fileSize - s.offset) / item)
            return makeError(
                LoadError::Code::Truncated, path, QStringLiteral("offset %1").arg(pos - 8),
                QStringLiteral("%1 elements of storage '%2'").arg(count).arg(key),
                QStringLiteral("%1 left in the file").arg(counted(fileSize - s.offset, "byte")));
        s.size = count * item;
        pos += std::size_t(s.size);
        l.storages.insert(key, s);
    }
    return l;
}

} // namespace

QString pytorchStorageName(DType dtype)
{
    for (const auto &t : kStorageTypes)
        if (t.dtype == dtype)
            return QLatin1String(t.name) + QLatin1String("Storage");
    return {};
}

QString PyTorchReader::id() const
{
    return kPytorchReaderId;
}

QString PyTorchReader::displayName() const
{
    return QStringLiteral("PyTorch checkpoint");
}

QStringList PyTorchReader::filePatterns() const
{
    return {QStringLiteral("*.pt"), QStringLiteral("*.pth"), QStringLiteral("*.bin"),
            QStringLiteral("*.ckpt")};
}

ProbeResult PyTorchReader::probe(const Source &source) const
{
    if (source.kind() != Source::Kind::File)
        return {};
    const QByteArray head = source.head(4096);
    const QString name = source.fileName();
    const bool named =
        name.endsWith(QLatin1String(".pt")) || name.endsWith(QLatin1String(".pth")) ||
        name.endsWith(QLatin1String(".bin")) || name.endsWith(QLatin1String(".ckpt"));
    if (head.startsWith(kLegacyHead))
        return {95, QStringLiteral("legacy")};
    if (head.startsWith("PK\x03\x04") && head.size() >= 30) {
        // The first member's name: torch.save writes <archive>/data.pkl first.
        const int len = std::uint8_t(head[26]) | (std::uint8_t(head[27]) << 8);
        const QByteArray first = head.mid(30, len);
        if (first == "data.pkl" || first.endsWith("/data.pkl"))
            return {90, QStringLiteral("zip")};
        return {named ? 30 : 0, QStringLiteral("zip")};
    }
    if (named && head.size() >= 262 && head.mid(257, 5) == "ustar")
        return {60, QStringLiteral("tar")};
    return {};
}

Result<OpenResult> PyTorchReader::open(const Source &source, const JobContext &job) const
{
    const QString path = source.path();
    if (job.cancelled())
        return makeError(LoadError::Code::Cancelled, path, {}, {});
    const QByteArray head = source.head(4096);
    pickle::Unpickler u(path);
    Result<Loaded> loaded =
        makeError(LoadError::Code::UnknownFormat, path, QStringLiteral("offset 0"),
                  QStringLiteral("a PyTorch zip or legacy file"),
                  QString::fromLatin1(head.left(8).toHex(' ')));
    if (head.startsWith(kLegacyHead)) {
        loaded = loadLegacy(path, u);
    } else if (head.startsWith("PK\x03\x04")) {
        loaded = loadZip(path, u, job);
    } else if (head.size() >= 262 && head.mid(257, 5) == "ustar") {
        return makeError(LoadError::Code::Unsupported, path, QStringLiteral("offset 257"),
                         QStringLiteral("a PyTorch zip or legacy file"),
                         QStringLiteral("the pre-0.4 tar format, which is not supported"));
    }
    if (!loaded.ok())
        return loaded.error();
    return singleCheckpoint(path, kPytorchReaderId, buildCheckpoint(path, std::move(*loaded), u));
}

} // namespace wl
