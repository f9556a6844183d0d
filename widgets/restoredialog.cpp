#include "restoredialog.h"

#include "core/plural.h"
#include "formats/checkpoint.h"
#include "formats/tfstatefile.h"
#include "write/restore.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace wl
{
namespace
{

QString nameOf(const TensorInfo &t)
{
    return t.name.isEmpty() ? t.key : t.name;
}

// Beside B, as B's name with "-restored" before its extension.
QString suggestedOut(const CheckpointIndex &b)
{
    const QFileInfo f(b.path);
    const QString dir = f.absolutePath();
    if (b.readerId == QLatin1String("tf-bundle")) {
        QString prefix = f.fileName();
        if (prefix.endsWith(QLatin1String(".index")))
            prefix.chop(6);
        return QDir(dir).filePath(prefix + QLatin1String("-restored"));
    }
    const QString suffix = f.completeSuffix();
    return QDir(dir).filePath(f.baseName() + QLatin1String("-restored") +
                              (suffix.isEmpty() ? QString() : QLatin1Char('.') + suffix));
}

} // namespace

RestoreDialog::RestoreDialog(const Checkpoint &a, const Checkpoint &b,
                             const QVector<RestoreChoices::Pair> &chosen, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Restore into B — dry run"));
    const auto &ia = a.index();
    const auto &ib = b.index();
    std::int64_t bytes = 0;
    m_table = new QTableWidget(int(chosen.size()), 4, this);
    m_table->setHorizontalHeaderLabels(
        {tr("B's tensor"), tr("Takes A's"), tr("dtype"), tr("Shape")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAccessibleName(tr("Tensors to restore"));
    for (int r = 0; r < chosen.size(); ++r) {
        const auto &ta = ia.tensors[chosen[r].first];
        const auto &tb = ib.tensors[chosen[r].second];
        bytes += tb.location.size > 0 ? tb.location.size : ta.location.size;
        const QStringList cells{nameOf(tb), nameOf(ta) == nameOf(tb) ? tr("same name") : nameOf(ta),
                                tb.dtypeText(), tb.shape.toString()};
        for (int c = 0; c < cells.size(); ++c)
            m_table->setItem(r, c, new QTableWidgetItem(cells[c]));
    }
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setStretchLastSection(true);

    auto *intro = new QLabel(this);
    intro->setWordWrap(true);
    intro->setText(tr("%1 of A (%2) will replace B's; the other %3 of B are copied byte for "
                      "byte into a new %4. Neither A nor B is changed; the result is read back "
                      "and checked before it gets its name, and a log of what was restored is "
                      "written beside it.")
                       .arg(counted(chosen.size(), "tensor"), QLocale().formattedDataSize(bytes),
                            counted(ib.tensors.size() - chosen.size(), "tensor"), ib.formatName));

    m_note = new QLabel(this);
    m_note->setWordWrap(true);
    m_note->setTextFormat(Qt::PlainText);
    m_note->hide();

    m_slots = new QCheckBox(tr("Also restore their optimizer slots (Adam m, v…) from A"), this);
    m_toFile = new QRadioButton(tr("Write to:"), this);
    m_out = new QLineEdit(suggestedOut(ib), this);
    m_out->setAccessibleName(tr("Output path"));
    auto *browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Restore into"), m_out->text());
        if (!f.isEmpty())
            m_out->setText(f);
    });
    m_toRun = new QRadioButton(this);
    m_toFile->setChecked(true);
    // B's run: a TF checkpoint that its folder's state file knows.
    const QString dir = QFileInfo(ib.path).absolutePath();
    if (ib.readerId == QLatin1String("tf-bundle") &&
        QFileInfo::exists(QDir(dir).filePath(QStringLiteral("checkpoint")))) {
        if (auto next = nextCheckpointPrefix(dir); next.ok()) {
            m_runDir = dir;
            m_toRun->setText(tr("As the run's next checkpoint, %1, restoring into its latest; "
                                "the checkpoint state file then names it")
                                 .arg(QFileInfo(*next).fileName()));
        }
    }
    if (m_runDir.isEmpty()) {
        m_toRun->setText(tr("As the run's next checkpoint (B is not in a TensorFlow run folder)"));
        m_toRun->setEnabled(false);
    }
    connect(m_toFile, &QRadioButton::toggled, m_out, &QWidget::setEnabled);
    connect(m_toFile, &QRadioButton::toggled, browse, &QWidget::setEnabled);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    auto *go = buttons->addButton(tr("Restore"), QDialogButtonBox::AcceptRole);
    go->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_out, &QLineEdit::textChanged, this,
            [this, go] { go->setEnabled(intoRun() || !m_out->text().trimmed().isEmpty()); });

    auto *heading = new QLabel(tr("A: %1\nB: %2").arg(ia.path, ib.path), this);
    heading->setTextFormat(Qt::PlainText);
    auto *file = new QHBoxLayout;
    file->addWidget(m_toFile);
    file->addWidget(m_out, 1);
    file->addWidget(browse);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(heading);
    layout->addWidget(intro);
    layout->addWidget(m_note);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_slots);
    layout->addLayout(file);
    layout->addWidget(m_toRun);
    layout->addWidget(buttons);
    resize(820, 520);
}

QString RestoreDialog::outPath() const
{
    return m_out->text().trimmed();
}

void RestoreDialog::setNote(const QString &text)
{
    m_note->setText(text);
    m_note->setVisible(!text.isEmpty());
}

bool RestoreDialog::intoRun() const
{
    return m_toRun->isChecked();
}

QString RestoreDialog::runDir() const
{
    return m_runDir;
}

bool RestoreDialog::withSlots() const
{
    return m_slots->isChecked();
}

} // namespace wl
