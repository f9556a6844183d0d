// Readable names and roles of bundle keys (formats-tensorflow.md 2.2-2.4, TF1 Saver naming).

#include "tfbundleopen.h"
#include "tfobjectgraph.h"

#include <QRegularExpression>
#include <QSet>

namespace wl::tfopen
{
namespace
{

const QString kVariableSuffix = QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE");

} // namespace

void nameObjectBasedTensors(QVector<TensorInfo> &tensors, const ObjectGraphInfo *graph)
{
    for (auto &t : tensors) {
        if (graph) {
            auto it = graph->byKey.constFind(t.key);
            if (it != graph->byKey.constEnd()) {
                t.name = it->path.isEmpty() ? t.key : it->path;
                t.role = it->role;
                t.slotName = it->slotName;
                t.optimizerPath = it->optimizerPath;
                t.slotOf = it->slotOf;
                continue;
            }
        }
        t.name = t.key;
        if (t.key == kObjectGraphKey || t.key == kSaveCounterKey ||
            (t.key.contains(QLatin1String("/.ATTRIBUTES/")) && !t.key.endsWith(kVariableSuffix)))
            t.role = TensorRole::Metadata;
        if (t.key.endsWith(kVariableSuffix))
            t.name = t.key.chopped(kVariableSuffix.size());
    }
}

void nameTf1Tensors(QVector<TensorInfo> &tensors, const QHash<QString, bool> *trainable)
{
    QSet<QString> keys;
    keys.reserve(tensors.size());
    for (const auto &t : tensors)
        keys.insert(t.key);
    static const QRegularExpression copySuffix(QStringLiteral("_\\d+$"));
    for (auto &t : tensors) {
        t.name = t.key;
        const int cut = t.key.lastIndexOf(QLatin1Char('/'));
        const QStringView last = QStringView(t.key).mid(cut + 1);
        if (trainable)
            t.trainable = trainable->value(t.key, false);
        if (t.key == QLatin1String("global_step")) {
            t.role = TensorRole::Metadata;
            continue;
        }
        if (last.startsWith(QLatin1String("beta1_power")) ||
            last.startsWith(QLatin1String("beta2_power"))) {
            t.role = TensorRole::Optimizer;
            continue;
        }
        if (cut > 0) {
            QString owner = t.key.left(cut);
            if (keys.contains(owner)) {
                t.role = TensorRole::OptimizerSlot;
                t.slotOf = std::move(owner);
                t.slotName = last.toString();
                t.optimizerPath = QString(t.slotName).remove(copySuffix);
            }
        }
    }
}

} // namespace wl::tfopen
