#pragma once

#include <QMainWindow>

namespace wl
{

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    void openPaths(const QStringList &paths);
};

} // namespace wl
