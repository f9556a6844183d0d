#include "cli.h"

#include <QCoreApplication>
#include <QTextStream>

#ifdef WEIGHTLENS_HAS_GUI
#include "mainwindow.h"
#include <QApplication>
#endif

#ifdef WEIGHTLENS_HAS_GUI
namespace
{

bool haveDisplay()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY") ||
           qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

} // namespace
#endif

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
    const bool demo = args == QStringList{QStringLiteral("--demo")};
#ifdef WEIGHTLENS_HAS_GUI
    if (haveDisplay()) {
        QApplication app(argc, argv);
        QApplication::setApplicationName(QStringLiteral("WeightLens"));
        QApplication::setOrganizationName(QStringLiteral("WeightLens"));
        if (demo) {
            const QString run = wl::cli::demoRun();
            args = run.isEmpty() ? QStringList{} : QStringList{run};
        }
        wl::MainWindow window;
        window.show();
        window.openPaths(args);
        return app.exec();
    }
#endif
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("WeightLens"));
    QCoreApplication::setOrganizationName(QStringLiteral("WeightLens"));
    if (demo)
        return wl::cli::headlessDemo();
    QTextStream(stderr) << "weightlens: no display found; running headless instead of the GUI\n";
    if (args.isEmpty())
        return wl::cli::run({QStringLiteral("help")});
    return wl::cli::run(QStringList{QStringLiteral("stats")} + args);
}
