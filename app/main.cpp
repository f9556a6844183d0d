#include "cli.h"

#include <QCoreApplication>
#include <QTextStream>

#ifdef WEIGHTLENS_HAS_GUI
#include "mainwindow.h"
#include <QApplication>
#endif

namespace {

[[maybe_unused]] bool haveDisplay()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY") ||
           qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

} // namespace

int main(int argc, char **argv)
{
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);

    if (!args.isEmpty() && wl::cli::isCommand(args.first())) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("WeightLens"));
        return wl::cli::run(args);
    }
#ifdef WEIGHTLENS_HAS_GUI
    if (haveDisplay()) {
        QApplication app(argc, argv);
        QApplication::setApplicationName(QStringLiteral("WeightLens"));
        QApplication::setOrganizationName(QStringLiteral("WeightLens"));
        wl::MainWindow window;
        window.show();
        window.openPaths(args);
        return app.exec();
    }
#endif
    QCoreApplication app(argc, argv);
    QTextStream(stderr) << "weightlens: no display found; running headless instead of the GUI\n";
    if (args.isEmpty())
        return wl::cli::run({QStringLiteral("help")});
    return wl::cli::run(QStringList{QStringLiteral("stats")} + args);
}
