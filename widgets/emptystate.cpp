#include "emptystate.h"

#include "formats/readerregistry.h"
#include "icons.h"

#include <QLabel>
#include <QPainter>
#include <QVBoxLayout>

namespace wl
{

EmptyState::EmptyState(QWidget *parent) : QWidget(parent)
{
    auto *icon = new QLabel(this);
    icon->setPixmap(icons::application().pixmap(72, 72));
    icon->setAlignment(Qt::AlignCenter);
    auto *title = new QLabel(tr("Drop a checkpoint folder or file here"), this);
    QFont f = title->font();
    f.setPointSizeF(f.pointSizeF() * 1.6);
    f.setBold(true);
    title->setFont(f);
    title->setAlignment(Qt::AlignCenter);
    title->setWordWrap(true);
    auto *hint = new QLabel(tr("or open one with File ▸ Open File (Ctrl+O) or Open Folder "
                               "(Ctrl+Shift+O). Several files and folders at once are fine; "
                               "a folder opens as a run with all its checkpoints."),
                            this);
    hint->setWordWrap(true);
    hint->setAlignment(Qt::AlignCenter);
    QStringList formats;
    for (const auto &r : ReaderRegistry::builtin().readers())
        formats << r->displayName();
    auto *known = new QLabel(this);
    known->setWordWrap(true);
    known->setAlignment(Qt::AlignCenter);
    known->setStyleSheet(QStringLiteral("color: palette(mid);"));
    known->setText(formats.isEmpty() ? QString()
                                     : tr("Reads: %1").arg(formats.join(QStringLiteral(", "))));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(60, 40, 60, 40);
    layout->addStretch(2);
    layout->addWidget(icon);
    layout->addSpacing(12);
    layout->addWidget(title);
    layout->addSpacing(6);
    layout->addWidget(hint);
    layout->addSpacing(6);
    layout->addWidget(known);
    layout->addStretch(3);
}

void EmptyState::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    QPen pen(palette().color(QPalette::Mid), 2, Qt::DashLine);
    p.setPen(pen);
    p.drawRoundedRect(QRectF(rect()).adjusted(16, 16, -16, -16), 14, 14);
}

} // namespace wl
