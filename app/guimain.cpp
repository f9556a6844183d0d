#include "appsettings.h"
#include "cli.h"
#include "mainwindow.h"
#include "reportplots.h"
#include "singleinstance.h"
#include "themecolors.h"

#include <QApplication>
#include <QFileInfo>
#include <QSettings>
#include <QTextStream>

int main(int argc, char **argv)
{
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    QApplication::setApplicationName(QStringLiteral("WeightLens"));
    QApplication::setOrganizationName(QStringLiteral("WeightLens"));
    QApplication::setApplicationVersion(QStringLiteral(WEIGHTLENS_VERSION));
    // A command (weightlens hands over reports with plots): run it with the window's plot code,
    // on the offscreen platform when there is no display.
    if (!args.isEmpty() && wl::cli::isCommand(args.first())) {
        if (qEnvironmentVariableIsEmpty("DISPLAY") &&
            qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        QApplication app(argc, argv);
        wl::ReportPlots plots;
        wl::cli::setPlotRenderer(&plots);
        return wl::cli::run(args);
    }
    QApplication app(argc, argv);
    QGuiApplication::setDesktopFileName(QStringLiteral("org.weightlens.WeightLens"));
    // The window follows the platform's palette; WEIGHTLENS_PALETTE=dark forces a dark one (with
    // Fusion) where the platform theme offers none, e.g. to check the dark look on any desktop.
    if (qEnvironmentVariable("WEIGHTLENS_PALETTE") == QLatin1String("dark")) {
        QApplication::setStyle(QStringLiteral("Fusion"));
        QApplication::setPalette(wl::theme::darkPalette());
    }
    const bool newWindow = args.removeAll(QStringLiteral("--new-window")) > 0;
    if (args == QStringList{QStringLiteral("--demo")}) {
        args = wl::cli::demoRuns();
    }
    // The receiving window has another working folder: hand over absolute paths.
    QStringList paths;
    for (const auto &p : std::as_const(args))
        paths << QFileInfo(p).absoluteFilePath();

    const QString instanceName = wl::SingleInstance::defaultName();
    if (!newWindow && wl::SingleInstance::handOver(instanceName, paths))
        return 0;

    const QString damaged = wl::settings::recoverDamaged(QSettings().fileName());
    if (!damaged.isEmpty())
        QTextStream(stderr) << "weightlens: the settings file could not be read; it was moved to "
                            << damaged << " and the defaults are used\n";

    wl::MainWindow window;
    wl::SingleInstance instance(instanceName);
    // A window opened with --new-window leaves the hand-over to the first one.
    if (!newWindow) {
        if (instance.listen())
            QObject::connect(&instance, &wl::SingleInstance::pathsReceived, &window,
                             &wl::MainWindow::openHandedOver);
        else
            QTextStream(stderr) << "weightlens: files opened later open in new windows: "
                                << instance.errorString() << "\n";
    }
    window.show();
    window.openPaths(paths);
    return app.exec();
}
