#pragma once

#include <QObject>
#include <QStringList>

class QMimeData;

namespace wl
{

// Accepts drags of local files and folders on the widgets it watches and reports the paths.
class DropFilter : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    void watch(QWidget *w);
    static QStringList localPaths(const QMimeData *mime);

signals:
    void pathsDropped(const QStringList &paths);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
};

} // namespace wl
