#pragma once

#include <QIdentityProxyModel>
#include <QPair>
#include <QSet>
#include <QVector>

class QUndoStack;

namespace wl
{

class CompareModel;

// The compare table's rows with a check box on each matched pair of the same shape: the
// tensors chosen for restoring A's values into B. Every change of the choice is a command on
// the undo stack, so it can be undone until the restore is written.
class RestoreChoices : public QIdentityProxyModel
{
    Q_OBJECT
public:
    using Pair = QPair<int, int>; // A's tensor, B's tensor

    explicit RestoreChoices(CompareModel *source, QObject *parent = nullptr);

    QUndoStack *undoStack() const { return m_undo; }
    // The chosen pairs, in A's tensor order.
    QVector<Pair> chosen() const;
    bool isChosen(const Pair &p) const { return m_chosen.contains(p); }
    // Chooses or leaves out these pairs as one undoable step named `text`.
    void choose(const QVector<Pair> &pairs, bool on, const QString &text);
    // After the restore is written: nothing chosen, nothing to undo.
    void reset();

    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    // Whether the row can be chosen: a matched pair of the same shape, numeric.
    bool choosable(int sourceRow) const;
    Pair pairAt(int sourceRow) const;

signals:
    void chosenChanged();

private:
    friend class ChooseCommand;
    void apply(const QVector<Pair> &pairs, bool on);

    CompareModel *m_source;
    QUndoStack *m_undo;
    QSet<Pair> m_chosen;
};

} // namespace wl
