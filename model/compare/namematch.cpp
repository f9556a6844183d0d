#include "namematch.h"

#include <QHash>
#include <QSet>

#include <algorithm>
#include <map>

namespace wl
{

QString NameRule::apply(const QString &name) const
{
    QString out = name;
    if (isRegex())
        return out.replace(regex, to);
    if (from.isEmpty())
        return out;
    return out.replace(from, to);
}

Result<NameRule> parseNameRule(const QString &text)
{
    NameRule rule;
    QString body = text;
    const bool isRe = body.startsWith(QLatin1String("re:"));
    if (isRe)
        body = body.mid(3);
    // The last '=' splits, so a pattern may hold '=' only when TO holds none; said in --help.
    const qsizetype eq = body.lastIndexOf(QLatin1Char('='));
    if (eq <= 0)
        return makeError(LoadError::Code::BadArgument, {}, text, QStringLiteral("FROM=TO"),
                         QStringLiteral("no '=' after a non-empty FROM"));
    rule.from = body.left(eq);
    rule.to = body.mid(eq + 1);
    if (isRe) {
        rule.regex = QRegularExpression(rule.from);
        if (!rule.regex.isValid())
            return makeError(
                LoadError::Code::BadArgument, {}, text, QStringLiteral("a regular expression"),
                rule.regex.errorString() +
                    QStringLiteral(" at offset %1").arg(rule.regex.patternErrorOffset()));
    }
    return rule;
}

QString canonicalTensorName(const QString &name)
{
    QString n = name;
    static const QRegularExpression outputSuffix(QStringLiteral(":\\d+$"));
    n.remove(outputSuffix);
    static const QLatin1String attr("/.ATTRIBUTES/VARIABLE_VALUE");
    if (n.endsWith(attr))
        n.chop(attr.size());
    if (n.startsWith(QLatin1String("model_weights/")))
        n = n.mid(14);
    QStringList parts = n.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    QStringList kept;
    for (const auto &p : parts)
        if (kept.isEmpty() || kept.last() != p)
            kept << p;
    return kept.join(QLatin1Char('/'));
}

QString matchHowName(TensorMatch::How how)
{
    switch (how) {
    case TensorMatch::How::Key:
        return QStringLiteral("key");
    case TensorMatch::How::Name:
        return QStringLiteral("name");
    case TensorMatch::How::Rule:
        return QStringLiteral("rule");
    case TensorMatch::How::Suffix:
        return QStringLiteral("suffix");
    case TensorMatch::How::LayerOrder:
        return QStringLiteral("layer order");
    case TensorMatch::How::User:
        return QStringLiteral("user");
    }
    return {};
}

namespace
{

QString readable(const TensorInfo &t)
{
    return canonicalTensorName(t.name.isEmpty() ? t.key : t.name);
}

// The last segment of a readable name, after its scope ('/') or module path ('.').
QStringView leafName(const QString &name)
{
    const qsizetype cut =
        std::max(name.lastIndexOf(QLatin1Char('/')), name.lastIndexOf(QLatin1Char('.')));
    return QStringView(name).mid(cut + 1);
}

} // namespace

std::vector<int> layoutAxes(const TensorInfo &a, const TensorInfo &b)
{
    const auto &da = a.shape.dims;
    const auto &db = b.shape.dims;
    const int rank = int(da.size());
    if (rank < 2 || rank > 5 || db.size() != da.size())
        return {};
    const QString na = readable(a), nb = readable(b);
    const bool kernelA = leafName(na) == QLatin1String("kernel");
    const bool weightA = leafName(na) == QLatin1String("weight");
    const bool kernelB = leafName(nb) == QLatin1String("kernel");
    const bool weightB = leafName(nb) == QLatin1String("weight");
    const int spatial = rank - 2;
    std::vector<int> axes(std::size_t(rank), 0);
    if (kernelA && weightB) { // [s..., in, out] against [out, in, s...]
        for (int i = 0; i < spatial; ++i)
            axes[std::size_t(i)] = 2 + i;
        axes[std::size_t(spatial)] = 1;
        axes[std::size_t(spatial + 1)] = 0;
    } else if (weightA && kernelB) { // [out, in, s...] against [s..., in, out]
        axes[0] = rank - 1;
        axes[1] = rank - 2;
        for (int i = 0; i < spatial; ++i)
            axes[std::size_t(2 + i)] = i;
    } else {
        return {};
    }
    for (int i = 0; i < rank; ++i)
        if (da[std::size_t(i)] != db[std::size_t(axes[std::size_t(i)])])
            return {};
    return axes;
}

void classifyPair(TensorMatch &m, const CheckpointIndex &a, const CheckpointIndex &b)
{
    const auto &ta = a.tensors[m.a];
    const auto &tb = b.tensors[m.b];
    m.axes = layoutAxes(ta, tb);
    m.shapeMismatch = m.axes.empty() && ta.shape.dims != tb.shape.dims;
    m.dtypeMismatch = ta.dtype != tb.dtype;
}

namespace
{

class Matcher
{
public:
    Matcher(const CheckpointIndex &a, const CheckpointIndex &b)
        : m_a(a), m_b(b), m_partnerA(a.tensors.size(), -1), m_partnerB(b.tensors.size(), -1)
    {
        for (int i = 0; i < a.tensors.size(); ++i)
            m_nameA << readable(a.tensors[i]);
        for (int i = 0; i < b.tensors.size(); ++i)
            m_nameB << readable(b.tensors[i]);
    }

    void pair(int a, int b, TensorMatch::How how)
    {
        m_partnerA[a] = b;
        m_partnerB[b] = a;
        m_how.insert(a, how);
    }

    // Pairs the free tensors whose keys (from fnA, fnB) are equal and unique among the free.
    template <class FA, class FB> void byUniqueKey(FA fnA, FB fnB, TensorMatch::How how)
    {
        QHash<QString, QVector<int>> inB;
        for (int j = 0; j < m_b.tensors.size(); ++j)
            if (m_partnerB[j] < 0)
                if (const QString k = fnB(j); !k.isEmpty())
                    inB[k] << j;
        QHash<QString, QVector<int>> inA;
        for (int i = 0; i < m_a.tensors.size(); ++i)
            if (m_partnerA[i] < 0)
                if (const QString k = fnA(i); !k.isEmpty())
                    inA[k] << i;
        for (auto it = inA.cbegin(); it != inA.cend(); ++it) {
            const auto jt = inB.constFind(it.key());
            if (it->size() == 1 && jt != inB.cend() && jt->size() == 1)
                pair(it->first(), jt->first(), how);
        }
    }

    // Leading segments that most of one side's variables share ("model/", a model's name):
    // the prefixes a tail match may set aside. A prefix only some share ("actor/" beside
    // "critic/") names a part of the model, not the model.
    static QSet<QString> modelPrefixes(const CheckpointIndex &idx, const QStringList &names)
    {
        QHash<QString, int> counts;
        int variables = 0;
        for (int i = 0; i < idx.tensors.size(); ++i) {
            if (idx.tensors[i].role != TensorRole::Variable)
                continue;
            ++variables;
            const QStringList parts = names[i].split(QLatin1Char('/'));
            QString prefix;
            for (int k = 0; k + 1 < parts.size() && k < 2; ++k) {
                prefix += parts[k] + QLatin1Char('/');
                ++counts[prefix];
            }
        }
        QSet<QString> out{QString(), QStringLiteral("model/")};
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            if (4 * it.value() >= 3 * variables)
                out.insert(it.key());
        return out;
    }

    // Tails of the canonical name, longest first; a tail that only one free tensor has on each
    // side pairs them, when what goes before it is a model prefix on each side.
    void bySuffix()
    {
        const QSet<QString> prefixA = modelPrefixes(m_a, m_nameA);
        const QSet<QString> prefixB = modelPrefixes(m_b, m_nameB);
        auto tail = [](const QString &n, int segments, const QSet<QString> &allowed) {
            const QStringList parts = n.split(QLatin1Char('/'));
            if (parts.size() < segments)
                return QString();
            const qsizetype head = parts.size() - segments;
            QString prefix;
            for (qsizetype k = 0; k < head; ++k)
                prefix += parts[k] + QLatin1Char('/');
            if (!allowed.contains(prefix))
                return QString();
            return parts.mid(head).join(QLatin1Char('/'));
        };
        int longest = 0;
        for (const QStringList *names : {&m_nameA, &m_nameB})
            for (const auto &n : *names)
                longest = std::max<int>(longest, int(n.count(QLatin1Char('/'))) + 1);
        for (int segments = longest; segments >= 1; --segments)
            byUniqueKey([&](int i) { return tail(m_nameA[i], segments, prefixA); },
                        [&](int j) { return tail(m_nameB[j], segments, prefixB); },
                        TensorMatch::How::Suffix);
    }

    // "layer_with_weights-N" of a Keras TF-format checkpoint against the layers of an .h5 (or
    // the other way round), in order, when every pair of layers holds the same shapes.
    bool byLayerOrder(bool aIsTf)
    {
        const auto &tf = aIsTf ? m_a : m_b;
        const auto &h5 = aIsTf ? m_b : m_a;
        const auto &tfNames = aIsTf ? m_nameA : m_nameB;
        const auto &h5Names = aIsTf ? m_nameB : m_nameA;
        const auto &tfPartner = aIsTf ? m_partnerA : m_partnerB;
        const auto &h5Partner = aIsTf ? m_partnerB : m_partnerA;
        static const QRegularExpression layer(QStringLiteral("(^|/)layer_with_weights-(\\d+)/"));
        std::map<int, QVector<int>> tfLayers;
        for (int i = 0; i < tf.tensors.size(); ++i) {
            if (tfPartner[i] >= 0 || tf.tensors[i].role != TensorRole::Variable)
                continue;
            const auto m = layer.match(tfNames[i]);
            if (m.hasMatch())
                tfLayers[m.captured(2).toInt()] << i;
        }
        // The .h5's layers in its own order: the first segment of each free variable.
        QStringList order;
        QHash<QString, QVector<int>> h5Layers;
        for (int j = 0; j < h5.tensors.size(); ++j) {
            if (h5Partner[j] >= 0 || h5.tensors[j].role != TensorRole::Variable ||
                h5Names[j].contains(QLatin1String("layer_with_weights-")))
                continue;
            const QString first = h5Names[j].section(QLatin1Char('/'), 0, 0);
            if (!h5Layers.contains(first))
                order << first;
            h5Layers[first] << j;
        }
        if (tfLayers.empty() || int(tfLayers.size()) != order.size())
            return false;
        auto last = [](const QString &n) { return n.section(QLatin1Char('/'), -1); };
        QVector<QPair<int, int>> found;
        int k = 0;
        for (const auto &[n, tfs] : tfLayers) {
            const QVector<int> &hs = h5Layers[order[k++]];
            if (tfs.size() != hs.size())
                return false;
            // By last segment ("kernel", "bias") when those are unique on both sides, else in
            // order.
            QHash<QString, int> byName;
            for (int j : hs)
                byName.insert(last(h5Names[j]), j);
            QSet<QString> tfLast;
            for (int i : tfs)
                tfLast.insert(last(tfNames[i]));
            const bool named = byName.size() == hs.size() && tfLast.size() == tfs.size() &&
                               std::all_of(tfs.begin(), tfs.end(), [&](int i) {
                                   return byName.contains(last(tfNames[i]));
                               });
            for (int x = 0; x < tfs.size(); ++x) {
                const int i = tfs[x];
                const int j = named ? byName.value(last(tfNames[i])) : hs[x];
                if (tf.tensors[i].shape.dims != h5.tensors[j].shape.dims)
                    return false;
                found.append({i, j});
            }
        }
        for (const auto &[i, j] : found)
            aIsTf ? pair(i, j, TensorMatch::How::LayerOrder)
                  : pair(j, i, TensorMatch::How::LayerOrder);
        return true;
    }

    NameMatching result() const
    {
        NameMatching m;
        for (int i = 0; i < m_a.tensors.size(); ++i) {
            const int j = m_partnerA[i];
            if (j < 0) {
                m.onlyA << i;
                continue;
            }
            TensorMatch t;
            t.a = i;
            t.b = j;
            t.how = m_how.value(i);
            classifyPair(t, m_a, m_b);
            m.pairs << t;
        }
        for (int j = 0; j < m_b.tensors.size(); ++j)
            if (m_partnerB[j] < 0)
                m.onlyB << j;
        return m;
    }

    const CheckpointIndex &m_a;
    const CheckpointIndex &m_b;
    QStringList m_nameA;
    QStringList m_nameB;
    QVector<int> m_partnerA;
    QVector<int> m_partnerB;
    QHash<int, TensorMatch::How> m_how;
};

} // namespace

NameMatching matchTensors(const CheckpointIndex &a, const CheckpointIndex &b,
                          const QList<NameRule> &rules)
{
    Matcher m(a, b);
    if (!rules.isEmpty()) {
        // A rule that renames A's tensor to B's name or key pairs them before anything else.
        m.byUniqueKey(
            [&](int i) {
                QString n = m.m_nameA[i];
                QString k = a.tensors[i].key;
                for (const auto &r : rules) {
                    n = r.apply(n);
                    k = r.apply(k);
                }
                if (n != m.m_nameA[i])
                    return canonicalTensorName(n);
                return k != a.tensors[i].key ? canonicalTensorName(k) : QString();
            },
            [&](int j) { return m.m_nameB[j]; }, TensorMatch::How::Rule);
    }
    m.byUniqueKey([&](int i) { return a.tensors[i].key; }, [&](int j) { return b.tensors[j].key; },
                  TensorMatch::How::Key);
    m.byUniqueKey([&](int i) { return m.m_nameA[i]; }, [&](int j) { return m.m_nameB[j]; },
                  TensorMatch::How::Name);
    if (!m.byLayerOrder(true))
        m.byLayerOrder(false);
    m.bySuffix();
    return m.result();
}

void setMatch(NameMatching &m, const CheckpointIndex &a, const CheckpointIndex &b, int ta, int tb)
{
    auto freeB = [&](int j) {
        for (int x = 0; x < m.pairs.size(); ++x)
            if (m.pairs[x].b == j) {
                m.onlyA << m.pairs[x].a;
                m.pairs.remove(x);
                return;
            }
        m.onlyB.removeAll(j);
    };
    for (int x = 0; x < m.pairs.size(); ++x)
        if (m.pairs[x].a == ta) {
            m.onlyB << m.pairs[x].b;
            m.pairs.remove(x);
            break;
        }
    m.onlyA.removeAll(ta);
    if (tb < 0) {
        m.onlyA << ta;
    } else {
        freeB(tb);
        m.onlyB.removeAll(tb);
        TensorMatch t;
        t.a = ta;
        t.b = tb;
        t.how = TensorMatch::How::User;
        classifyPair(t, a, b);
        m.pairs << t;
    }
    std::sort(m.pairs.begin(), m.pairs.end(),
              [](const TensorMatch &x, const TensorMatch &y) { return x.a < y.a; });
    std::sort(m.onlyA.begin(), m.onlyA.end());
    std::sort(m.onlyB.begin(), m.onlyB.end());
}

} // namespace wl
