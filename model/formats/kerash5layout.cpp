#include "kerasmodel.h"

#include <QHash>
#include <QJsonDocument>
#include <QSet>
#include <algorithm>

namespace wl::keras
{
namespace
{

// Natural order: "dense_2" before "dense_10", "vars/2" before "vars/10".
bool naturalLess(const QString &a, const QString &b)
{
    qsizetype i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            qsizetype ei = i, ej = j;
            while (ei < a.size() && a[ei].isDigit())
                ++ei;
            while (ej < b.size() && b[ej].isDigit())
                ++ej;
            const auto na = a.mid(i, ei - i).toULongLong();
            const auto nb = b.mid(j, ej - j).toULongLong();
            if (na != nb)
                return na < nb;
            i = ei;
            j = ej;
            continue;
        }
        if (a[i] != b[j])
            return a[i] < b[j];
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

QString join(const QString &a, const QString &b)
{
    return a.isEmpty() ? b : a + QLatin1Char('/') + b;
}

QString stripZero(QString w)
{
    if (w.endsWith(QLatin1String(":0")))
        w.chop(2);
    return w;
}

// "dense_1/kernel:0" under layer dense_1 -> "kernel"; "seq/dense_6/kernel" -> "kernel".
QString shortWeight(const QString &layer, const QString &weight)
{
    QString w = stripZero(weight);
    const QString prefix = layer + QLatin1Char('/');
    if (w.startsWith(prefix))
        return w.mid(prefix.size());
    const int inner = w.indexOf(QLatin1Char('/') + prefix);
    if (inner >= 0)
        return w.mid(inner + prefix.size() + 1);
    return w;
}

class Builder
{
public:
    Builder(const h5::File &file, const JobContext &job) : m_file(file), m_job(job) {}

    const h5::File &m_file;
    const JobContext &m_job;
    H5Contents out;
    QSet<QString> seen;
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

    // Adds a dataset as a tensor; returns its element count, or -1 when it cannot be read.
    Result<std::int64_t> add(const QString &path, const QString &name, TensorRole role,
                             std::optional<bool> trainable = std::nullopt)
    {
        if (m_job.cancelled())
            return makeError(LoadError::Code::Cancelled, m_file.label(), path, {});
        auto d = m_file.dataset(path);
        if (!d) {
            problem(path, d.error().message());
            return std::int64_t(-1);
        }
        seen.insert(path);
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
    Status leftovers(TensorRole role);
};

Status Builder::legacy(bool full, const std::optional<ModelConfig> &config)
{
    auto &facts = out.facts;
    const QString root = full ? QStringLiteral("model_weights") : QString();
    QHash<QString, ConfigLayer> byName;
    if (config)
        for (const auto &l : config->layers)
            byName.insert(l.name, l);
    auto names = m_file.stringList(root, QStringLiteral("layer_names"));
    if (!names)
        return names.error();
    QStringList layerNames;
    if (*names) {
        layerNames = **names;
        facts.order = QStringLiteral("layer_names");
    } else if (m_file.isGroup(root)) {
        auto kids = m_file.children(root);
        if (!kids)
            return kids.error();
        for (const auto &k : *kids)
            if (m_file.isGroup(join(root, k)))
                layerNames << k;
        std::sort(layerNames.begin(), layerNames.end(), naturalLess);
        facts.order = QStringLiteral("group names (no layer_names attribute)");
        problem(root.isEmpty() ? QStringLiteral("/") : root,
                QStringLiteral("no layer_names attribute; layers taken from the groups"));
    } else if (full) {
        problem(QStringLiteral("/model_weights"), QStringLiteral("no model_weights group"));
    }
    for (const auto &ln : layerNames) {
        LayerRow row;
        row.name = ln;
        const auto cl = byName.value(ln);
        row.className = cl.className.isEmpty() ? QStringLiteral("—") : cl.className;
        row.outputShape = shapeText(cl.output);
        const QString g = join(root, ln);
        if (!m_file.isGroup(g)) {
            problem(g, QStringLiteral("layer listed in layer_names has no group"));
            facts.layers.push_back(row);
            continue;
        }
        row.group = g;
        auto wn = m_file.stringList(g, QStringLiteral("weight_names"));
        QStringList weights;
        if (!wn) {
            problem(g, wn.error().message());
        } else if (*wn) {
            weights = **wn;
        } else {
            for (const auto &p : datasetsUnder(g))
                weights << p.mid(g.size() + 1);
        }
        for (const auto &w : weights) {
            const QString shortName = shortWeight(ln, w);
            const bool nonTrainable = !cl.trainable ||
                                      shortName.endsWith(QLatin1String("moving_mean")) ||
                                      shortName.endsWith(QLatin1String("moving_variance"));
            const QString readable = ln + QLatin1Char('/') + shortName;
            auto n = add(join(g, w), readable, TensorRole::Variable, !nonTrainable);
            if (!n)
                return n.error();
            if (*n < 0)
                continue;
            row.params += *n;
            row.nonTrainable += nonTrainable ? *n : 0;
            const QString stripped = stripZero(w);
            varByPath.insert(stripped, readable);
            varByPath.insert(QString(stripped).replace(QLatin1Char('/'), QLatin1Char('_')),
                             readable);
        }
        facts.layers.push_back(row);
    }
    const QString opt = QStringLiteral("optimizer_weights");
    if (m_file.isGroup(opt)) {
        auto wn = m_file.stringList(opt, QStringLiteral("weight_names"));
        QStringList weights;
        if (wn && *wn)
            weights = **wn;
        else
            for (const auto &p : datasetsUnder(opt))
                weights << p.mid(opt.size() + 1);
        for (const auto &w : weights) {
            auto st = addOptimizer(join(opt, w), w);
            if (!st)
                return st;
        }
    }
    return leftovers(TensorRole::Variable);
}

Status Builder::keras3(const std::optional<ModelConfig> &config)
{
    auto &facts = out.facts;
    const QString root = m_file.isGroup(QStringLiteral("layers"))
                             ? QStringLiteral("layers")
                             : QStringLiteral("_layer_checkpoint_dependencies");
    QStringList groups;
    if (m_file.isGroup(root)) {
        auto kids = m_file.children(root);
        if (!kids)
            return kids.error();
        for (const auto &k : *kids)
            if (m_file.isGroup(join(root, k)))
                groups << k;
    }
    std::sort(groups.begin(), groups.end(), naturalLess);
    // Config layers take the groups Keras gives them: class name in snake_case, numbered.
    QList<QPair<QString, ConfigLayer>> ordered;
    QSet<QString> used;
    if (config) {
        const bool sequential = config->className == QLatin1String("Sequential");
        QHash<QString, int> counters;
        for (const auto &l : config->layers) {
            if (sequential && l.className == QLatin1String("InputLayer"))
                continue;
            const QString base = snakeCase(l.className);
            const int k = counters[base]++;
            const QString g = k == 0 ? base : base + QLatin1Char('_') + QString::number(k);
            ordered << qMakePair(g, l);
            used.insert(g);
        }
        facts.order = QStringLiteral("model config");
    } else {
        facts.order = QStringLiteral("group names (class, then number)");
    }
    for (const auto &g : groups)
        if (!used.contains(g))
            ordered << qMakePair(g, ConfigLayer{});
    for (const auto &[group, cl] : ordered) {
        const QString g = join(root, group);
        LayerRow row;
        const auto nameAttr =
            m_file.string(join(g, QStringLiteral("vars")), QStringLiteral("name"));
        row.name = nameAttr ? *nameAttr : !cl.name.isEmpty() ? cl.name : group;
        row.className = cl.className.isEmpty() ? QStringLiteral("—") : cl.className;
        row.outputShape = shapeText(cl.output);
        if (!m_file.isGroup(g)) {
            if (config)
                problem(g, QStringLiteral("no weights group for layer %1 (%2)")
                               .arg(cl.name, cl.className));
            facts.layers.push_back(row);
            continue;
        }
        row.group = g;
        for (const auto &p : datasetsUnder(g)) {
            const QString rel = p.mid(g.size() + 1);
            int index = -1;
            if (rel.startsWith(QLatin1String("vars/")) && !rel.mid(5).contains(QLatin1Char('/'))) {
                bool ok = false;
                index = rel.mid(5).toInt(&ok);
                index = ok ? index : -1;
            }
            const QString var = knownVariableName(cl.className, index);
            const bool nonTrainable = !cl.trainable || knownNonTrainable(cl.className, index);
            auto n = add(p, row.name + QLatin1Char('/') + (var.isEmpty() ? rel : var),
                         TensorRole::Variable, !nonTrainable);
            if (!n)
                return n.error();
            if (*n < 0)
                continue;
            row.params += *n;
            row.nonTrainable += nonTrainable ? *n : 0;
        }
        facts.layers.push_back(row);
    }
    const auto modelVars = datasetsUnder(QStringLiteral("vars"));
    if (!modelVars.isEmpty()) {
        LayerRow row;
        row.name = m_file.string(QStringLiteral("vars"), QStringLiteral("name"))
                       .value_or(QStringLiteral("(model)"));
        row.className = config ? config->className : QStringLiteral("—");
        row.group = QStringLiteral("vars");
        for (const auto &p : modelVars) {
            auto n = add(p, row.name + QLatin1Char('/') + p, TensorRole::Variable);
            if (!n)
                return n.error();
            row.params += std::max<std::int64_t>(*n, 0);
        }
        facts.layers.push_back(row);
    }
    const QString optName = m_file.string(QStringLiteral("optimizer/vars"), QStringLiteral("name"))
                                .value_or(QStringLiteral("optimizer"));
    for (const auto &p : datasetsUnder(QStringLiteral("optimizer"))) {
        // Slot names are not stored: only scalars are told apart (iteration, learning rate).
        auto n = add(p, optName + p.mid(9), TensorRole::OptimizerSlot);
        if (!n)
            return n.error();
        if (*n < 0)
            continue;
        auto &t = out.index.tensors.last();
        t.optimizerPath = optName;
        if (t.shape.rank() == 0)
            t.role = TensorRole::Optimizer;
        facts.optimizerTensors++;
        facts.optimizerValues += *n;
    }
    return leftovers(TensorRole::Metadata);
}

Status Builder::leftovers(TensorRole role)
{
    for (const auto &node : nodes) {
        if (node.isGroup || seen.contains(node.path))
            continue;
        const bool opt = node.path.startsWith(QLatin1String("optimizer_weights/"));
        if (opt) {
            auto st = addOptimizer(node.path, node.path.mid(18));
            if (!st)
                return st;
            continue;
        }
        auto n = add(node.path, node.path, role);
        if (!n)
            return n.error();
    }
    return Ok{};
}

} // namespace

Result<H5Contents> readHdf5(const h5::File &file, const std::optional<ModelConfig> &external,
                            const JobContext &job)
{
    Builder b(file, job);
    auto &facts = b.out.facts;
    auto &index = b.out.index;
    if (auto st = b.walk(); !st)
        return st.error();
    facts.version = file.string({}, QStringLiteral("keras_version"));
    facts.backend = file.string({}, QStringLiteral("backend")).value_or(QString());
    auto modelConfig = file.attribute({}, QStringLiteral("model_config"));
    if (!modelConfig)
        return modelConfig.error();
    auto layerNames = file.stringList({}, QStringLiteral("layer_names"));
    const bool hasLayerNames = layerNames && *layerNames;
    std::optional<ModelConfig> config = external;
    auto parseJson = [&](const h5::Attribute &a,
                         const QString &where) -> std::optional<QByteArray> {
        if (!a.isString || a.strings.size() != 1) {
            b.problem(where, QStringLiteral("expected a JSON string, found %1").arg(a.typeText));
            return std::nullopt;
        }
        return a.strings.front().toUtf8();
    };
    Status st = Ok{};
    if (*modelConfig) {
        facts.format = QStringLiteral("keras2-h5-full");
        if (auto json = parseJson(**modelConfig, QStringLiteral("/ attribute model_config"))) {
            auto parsed =
                parseModelConfig(*json, file.label(), QStringLiteral("/ attribute model_config"));
            if (parsed)
                config = *parsed;
            else
                b.problem(QStringLiteral("/ attribute model_config"),
                          parsed.error().message() +
                              QStringLiteral("; layer classes and shapes are unknown"));
        }
        if (auto tc = file.attribute({}, QStringLiteral("training_config")); tc && *tc) {
            if (auto json = parseJson(**tc, QStringLiteral("/ attribute training_config"))) {
                const auto doc = QJsonDocument::fromJson(*json);
                if (doc.isObject())
                    facts.training = parseTrainingConfig(doc.object());
                else
                    b.problem(QStringLiteral("/ attribute training_config"),
                              QStringLiteral("expected a JSON object"));
            }
        }
        st = b.legacy(true, config);
    } else if (hasLayerNames) {
        facts.format = QStringLiteral("keras2-h5-weights");
        st = b.legacy(false, config);
    } else if (file.isGroup(QStringLiteral("layers")) ||
               file.isGroup(QStringLiteral("_layer_checkpoint_dependencies")) ||
               (file.isGroup(QStringLiteral("vars")) &&
                file.isGroup(QStringLiteral("optimizer")))) {
        facts.format = QStringLiteral("keras3-weights-h5");
        st = b.keras3(config);
    } else {
        facts.format = QStringLiteral("hdf5");
        facts.generic = true;
        facts.order = QStringLiteral("dataset paths");
        st = b.leftovers(TensorRole::Variable);
    }
    if (!st)
        return st.error();
    // A broken model_config with no weights either leaves nothing to show.
    if (*modelConfig && !config && index.tensors.isEmpty())
        return makeError(LoadError::Code::Corrupt, file.label(),
                         QStringLiteral("/ attribute model_config"),
                         QStringLiteral("a JSON model config or weights under /model_weights"),
                         QStringLiteral("neither"),
                         index.problems.isEmpty() ? QString() : index.problems.front().text);
    if (config) {
        facts.modelName = config->name;
        facts.modelClass = config->className;
    }
    index.path = file.label();
    if (facts.generic) {
        auto names = file.attributeNames({});
        if (names)
            for (const auto &n : *names)
                if (auto a = file.attribute({}, n); a && *a)
                    index.metadata << qMakePair(n, (*a)->text().left(200));
    }
    return std::move(b.out);
}

} // namespace wl::keras
