#include "restoretarget.h"

#include "core/plural.h"
#include "formats/checkpoint.h"
#include "formats/readerregistry.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace wl
{

RestoreTargetDialog::RestoreTargetDialog(const Checkpoint &from, int tensors,
                                         const QList<std::shared_ptr<const Checkpoint>> &candidates,
                                         QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Restore Into"));
    const auto &ia = from.index();
    auto *intro = new QLabel(
        tr("Restore %1 of %2 into which checkpoint? The next step shows what will be written; "
           "nothing is changed before it is accepted.")
            .arg(counted(tensors, "tensor"), ia.displayName.isEmpty() ? ia.path : ia.displayName),
        this);
    intro->setWordWrap(true);
    m_list = new QListWidget(this);
    m_list->setAccessibleName(tr("Checkpoints to restore into"));
    for (const auto &c : candidates) {
        if (c.get() == &from)
            continue;
        const auto &i = c->index();
        auto *item = new QListWidgetItem(
            tr("%1  (%2, %3)")
                .arg(i.displayName.isEmpty() ? QFileInfo(i.path).fileName() : i.displayName,
                     i.formatName, counted(i.tensors.size(), "tensor")),
            m_list);
        item->setToolTip(i.path);
        m_candidates << c;
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    auto *next = buttons->addButton(tr("Dry Run…"), QDialogButtonBox::AcceptRole);
    next->setEnabled(false);
    auto *file = buttons->addButton(tr("Other File…"), QDialogButtonBox::ActionRole);
    file->setToolTip(tr("Open another checkpoint to restore into"));
    connect(m_list, &QListWidget::currentRowChanged, next,
            [next](int r) { next->setEnabled(r >= 0); });
    connect(m_list, &QListWidget::itemDoubleClicked, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(file, &QPushButton::clicked, this, [this, ia] {
        const QString f = QFileDialog::getOpenFileName(
            this, tr("Restore into"), QFileInfo(ia.path).absolutePath(),
            tr("Checkpoints (%1);;All files (*)")
                .arg(ReaderRegistry::builtin().filePatterns().join(QLatin1Char(' '))));
        if (f.isEmpty())
            return;
        m_file = f;
        m_list->setCurrentRow(-1);
        accept();
    });
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_list, 1);
    layout->addWidget(buttons);
    resize(560, 380);
}

std::shared_ptr<const Checkpoint> RestoreTargetDialog::target() const
{
    const int r = m_list->currentRow();
    return m_file.isEmpty() && r >= 0 && r < m_candidates.size() ? m_candidates[r] : nullptr;
}

} // namespace wl
