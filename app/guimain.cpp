#include "cli.h"
#include "mainwindow.h"

#include <QApplication>

int main(int argc, char **argv)
{
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    QApplication::setApplicationName(QStringLiteral("WeightLens"));
    QApplication::setOrganizationName(QStringLiteral("WeightLens"));
    QApplication app(argc, argv);
    args.removeAll(QStringLiteral("--new-window"));
    if (args == QStringList{QStringLiteral("--demo")}) {
        const QString run = wl::cli::demoRun();
        args = run.isEmpty() ? QStringList{} : QStringList{run};
    }
    wl::MainWindow window;
    window.show();
    window.openPaths(args);
    return app.exec();
}
