#include "kerash5builder.h"

#include <QJsonDocument>
#include <algorithm>

namespace wl::keras
{
using namespace detail;

Status Builder::keras3(const std::optional<ModelConfig> &config)
{
    auto &facts = out.facts;
    const QString root = m_file.isGroup(QStringLiteral("layers"))
                             ? QStringLiteral("layers")
                             : QStringLiteral("_layer_checkpoint_dependencies");
    auto listed = childGroups(root);
    if (!listed)
        return listed.error();
    const QStringList groups = *listed;
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
    QHash<QString, ConfigLayer> byName;
    if (config)
        for (const auto &l : config->layers)
            byName.insert(l.name, l);
    for (auto [group, cl] : ordered) {
        const QString g = join(root, group);
        LayerRow row;
        const auto nameAttr = text(join(g, QStringLiteral("vars")), QStringLiteral("name"));
        // The stored layer name wins over the class-counter guess when they disagree.
        if (nameAttr && !cl.name.isEmpty() && *nameAttr != cl.name && byName.contains(*nameAttr)) {
            problem(g, QStringLiteral("group named after layer %1, the config order says %2")
                           .arg(*nameAttr, cl.name));
            cl = byName.value(*nameAttr);
        }
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
        row.name = text(QStringLiteral("vars"), QStringLiteral("name"))
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
    const QString optName = text(QStringLiteral("optimizer/vars"), QStringLiteral("name"))
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

Result<H5Contents> readHdf5(const h5::File &file, const std::optional<ModelConfig> &external,
                            const JobContext &job)
{
    Builder b(file, job);
    auto &facts = b.out.facts;
    auto &index = b.out.index;
    if (auto st = b.walk(); !st)
        return st.error();
    facts.version = b.text({}, QStringLiteral("keras_version"));
    facts.backend = b.text({}, QStringLiteral("backend")).value_or(QString());
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
                          parsed.error().reason() +
                              QStringLiteral("; layer classes and shapes are unknown"));
        }
        auto tc = file.attribute({}, QStringLiteral("training_config"));
        if (!tc)
            b.problem(tc.error());
        else if (*tc) {
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
        if (names) {
            for (const auto &n : *names) {
                if (auto a = file.attribute({}, n); !a)
                    b.problem(a.error());
                else if (*a)
                    index.metadata << qMakePair(n, (*a)->text().left(200));
            }
        }
    }
    return std::move(b.out);
}

} // namespace wl::keras