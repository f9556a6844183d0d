#pragma once

#include "core/checkpointindex.h"
#include "core/result.h"

#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QVector>

#include <vector>

namespace wl
{

// A user's renaming from checkpoint A's names to B's: "FROM=TO" replaces the text FROM,
// "re:PATTERN=TO" a regular expression (TO may use \1..\9).
struct NameRule {
    QString from;
    QString to;
    QRegularExpression regex; // valid for regular-expression rules
    bool isRegex() const { return regex.isValid() && !regex.pattern().isEmpty(); }
    QString apply(const QString &name) const;
};
Result<NameRule> parseNameRule(const QString &text);

// A readable name with the spellings formats add removed: a ":0" suffix,
// "/.ATTRIBUTES/VARIABLE_VALUE", Keras's doubled "layer/layer/" segments and the
// "model_weights/" group of a whole-model .h5.
QString canonicalTensorName(const QString &name);

struct TensorMatch {
    // How the pair was found, from the most to the least certain.
    enum class How { Key, Name, Rule, Suffix, LayerOrder, User };
    int a = -1;
    int b = -1;
    How how = How::Key;
    bool shapeMismatch = false;
    bool dtypeMismatch = false;
    // B's axis for each of A's when the two store the tensor in different layouts (see
    // layoutAxes); empty when B's elements are in A's order.
    std::vector<int> axes;
    bool comparable() const { return !shapeMismatch && !dtypeMismatch; }
    bool transposed() const { return !axes.empty(); }
};
QString matchHowName(TensorMatch::How how);

// Keras and TensorFlow store a Dense or convolution `kernel` inputs before outputs, spatial
// axes first ([h, w, in, out]); PyTorch stores the same layer's `weight` outputs first
// ([out, in, h, w]). For such a pair, of rank 2 to 5, whose dimensions agree once the axes are
// reordered: B's axis for each of A's. Empty for any other pair, and square shapes count as
// transposed too (their names, not their shapes, tell the layout).
std::vector<int> layoutAxes(const TensorInfo &a, const TensorInfo &b);
// Sets a pair's axes and its shape and dtype mismatches.
void classifyPair(TensorMatch &m, const CheckpointIndex &a, const CheckpointIndex &b);

struct NameMatching {
    QVector<TensorMatch> pairs; // in A's tensor order
    QVector<int> onlyA;         // A's tensors with no partner
    QVector<int> onlyB;
};

// Pairs the tensors of A and B by name: the user's rules first, then equal stored keys, equal
// canonical names, a shared tail of the name that only one tensor on each side has (so
// "model/" and model-name prefixes drop out), and last the TF checkpoint's
// "layer_with_weights-N" against an .h5's layers in order, when every layer's shapes line up.
NameMatching matchTensors(const CheckpointIndex &a, const CheckpointIndex &b,
                          const QList<NameRule> &rules = {});

// Replaces the partner of A's tensor `a` with B's tensor `b` (or unpairs it when b < 0), keeping
// the rest; the user's correction of a match.
void setMatch(NameMatching &m, const CheckpointIndex &a, const CheckpointIndex &b, int ta, int tb);

} // namespace wl
