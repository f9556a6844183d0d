#include "mainwindow.h"

namespace wl
{

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("WeightLens"));
    resize(1200, 800);
}

void MainWindow::openPaths(const QStringList &paths)
{
    Q_UNUSED(paths);
}

} // namespace wl
