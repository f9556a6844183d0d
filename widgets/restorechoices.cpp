#include "restorechoices.h"

#include "itemmodels/comparemodel.h"

#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>

namespace wl
{

class ChooseCommand : public QUndoCommand
{
public:
    ChooseCommand(RestoreChoices *model, QVector<RestoreChoices::Pair> pairs, bool on,
                  const QString &text)
        : QUndoCommand(text), m_model(model), m_pairs(std::move(pairs)), m_on(on)
    {
    }
    void redo() override { m_model->apply(m_pairs, m_on); }
    void undo() override { m_model->apply(m_pairs, !m_on); }

private:
    RestoreChoices *m_model;
    QVector<RestoreChoices::Pair> m_pairs;
    bool m_on;
};

RestoreChoices::RestoreChoices(CompareModel *source, QObject *parent)
    : QIdentityProxyModel(parent), m_source(source), m_undo(new QUndoStack(this))
{
    setSourceModel(source);
    // A new matching (a corrected pair) makes old choices and their commands meaningless.
    connect(source, &QAbstractItemModel::modelReset, this, [this] {
        QSet<Pair> still;
        for (const auto &m : m_source->matching().pairs)
            if (m_chosen.contains({m.a, m.b}))
                still.insert({m.a, m.b});
        if (still != m_chosen) {
            m_chosen = still;
            m_undo->clear();
            emit chosenChanged();
        }
    });
}

QVector<RestoreChoices::Pair> RestoreChoices::chosen() const
{
    QVector<Pair> out(m_chosen.begin(), m_chosen.end());
    std::sort(out.begin(), out.end());
    return out;
}

RestoreChoices::Pair RestoreChoices::pairAt(int sourceRow) const
{
    const auto &row = m_source->rowAt(sourceRow);
    return {row.a, row.b};
}

bool RestoreChoices::choosable(int sourceRow) const
{
    const auto &row = m_source->rowAt(sourceRow);
    if (row.kind != CompareModel::RowKind::Pair || !m_source->checkpointA())
        return false;
    const auto &a = m_source->checkpointA()->tensor(row.a);
    const auto &b = m_source->checkpointB()->tensor(row.b);
    return (a.shape.dims == b.shape.dims || !layoutAxes(b, a).empty()) && dtypeIsNumeric(a.dtype) &&
           dtypeIsNumeric(b.dtype);
}

void RestoreChoices::choose(const QVector<Pair> &pairs, bool on, const QString &text)
{
    QVector<Pair> changing;
    for (const auto &p : pairs)
        if (m_chosen.contains(p) != on)
            changing << p;
    if (!changing.isEmpty())
        m_undo->push(new ChooseCommand(this, changing, on, text));
}

void RestoreChoices::reset()
{
    m_undo->clear();
    apply(chosen(), false);
}

void RestoreChoices::apply(const QVector<Pair> &pairs, bool on)
{
    for (const auto &p : pairs) {
        if (on)
            m_chosen.insert(p);
        else
            m_chosen.remove(p);
    }
    if (rowCount() > 0)
        emit dataChanged(index(0, CompareModel::NameColumn),
                         index(rowCount() - 1, CompareModel::NameColumn), {Qt::CheckStateRole});
    emit chosenChanged();
}

Qt::ItemFlags RestoreChoices::flags(const QModelIndex &index) const
{
    auto f = QIdentityProxyModel::flags(index);
    if (index.column() == CompareModel::NameColumn && choosable(mapToSource(index).row()))
        f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant RestoreChoices::data(const QModelIndex &index, int role) const
{
    if (role == Qt::CheckStateRole && index.column() == CompareModel::NameColumn) {
        const int row = mapToSource(index).row();
        if (!choosable(row))
            return {};
        return m_chosen.contains(pairAt(row)) ? Qt::Checked : Qt::Unchecked;
    }
    return QIdentityProxyModel::data(index, role);
}

bool RestoreChoices::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::CheckStateRole || index.column() != CompareModel::NameColumn)
        return QIdentityProxyModel::setData(index, value, role);
    const int row = mapToSource(index).row();
    if (!choosable(row))
        return false;
    const bool on = value.toInt() == Qt::Checked;
    const auto &t = m_source->checkpointB()->tensor(pairAt(row).second);
    choose({pairAt(row)}, on,
           (on ? tr("Choose %1") : tr("Leave out %1")).arg(t.name.isEmpty() ? t.key : t.name));
    return true;
}

} // namespace wl
