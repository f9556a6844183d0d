#include "cli.h"
#include "io/hdf5worker.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QTextStream>

#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <vector>

namespace
{

#ifdef WEIGHTLENS_HAS_GUI
bool haveDisplay()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY") ||
           qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

QByteArray guiPath(const char *argv0)
{
    const QString exe = QFile::symLinkTarget(QStringLiteral("/proc/self/exe"));
    const QString dir = QFileInfo(exe.isEmpty() ? QString::fromLocal8Bit(argv0) : exe).path();
    return QFile::encodeName(dir + QLatin1String("/weightlens-gui"));
}

// Replaces this process with weightlens-gui from beside the executable; returns only when
// that fails, with the reason on stderr.
void execGui(char **argv)
{
    const QByteArray gui = guiPath(argv[0]);
    argv[0] = const_cast<char *>(gui.constData());
    ::execv(gui.constData(), argv);
    QTextStream(stderr) << "weightlens: cannot start " << QFile::decodeName(gui) << ": "
                        << QString::fromLocal8Bit(std::strerror(errno)) << "\n";
}

// A report with plots is drawn by the window's plot code, which weightlens-gui holds: the
// same command runs there, on the offscreen platform when there is no display. Returns only
// when that fails; the report is then written without plots.
void execGuiCommand(const char *argv0, const QStringList &args)
{
    if (!haveDisplay())
        qputenv("QT_QPA_PLATFORM", "offscreen");
    const QByteArray gui = guiPath(argv0);
    QList<QByteArray> bytes{gui};
    for (const auto &a : args)
        bytes << a.toLocal8Bit();
    std::vector<char *> argv;
    for (auto &b : bytes)
        argv.push_back(b.data());
    argv.push_back(nullptr);
    ::execv(gui.constData(), argv.data());
    QTextStream(stderr) << "weightlens: cannot start " << QFile::decodeName(gui) << ": "
                        << QString::fromLocal8Bit(std::strerror(errno)) << "\n";
}
#endif

} // namespace

int main(int argc, char **argv)
{
    // The HDF5 reader process: before anything else starts, since it sandboxes itself.
    if (argc >= 2 && std::strcmp(argv[1], wl::h5::kWorkerCommand) == 0)
        wl::h5::runWorker(argc, argv);
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);

    if (!args.isEmpty() && wl::cli::isCommand(args.first())) {
#ifdef WEIGHTLENS_HAS_GUI
        if (wl::cli::needsPlots(args))
            execGuiCommand(argv[0], args);
#endif
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("WeightLens"));
        return wl::cli::run(args);
    }
    const char *why = "no display found";
#ifdef WEIGHTLENS_HAS_GUI
    if (haveDisplay()) {
        execGui(argv);
        why = "the GUI could not be started";
    }
#endif
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("WeightLens"));
    QCoreApplication::setOrganizationName(QStringLiteral("WeightLens"));
    if (args == QStringList{QStringLiteral("--demo")}) {
        const QStringList report = wl::cli::headlessDemoReport(why);
        if (report.isEmpty())
            return 1;
#ifdef WEIGHTLENS_HAS_GUI
        execGuiCommand(argv[0], report);
#endif
        return wl::cli::run(report);
    }
    QTextStream(stderr) << "weightlens: " << why << "; running headless instead of the GUI\n";
    if (args.isEmpty())
        return wl::cli::run({QStringLiteral("help")});
    return wl::cli::run(QStringList{QStringLiteral("stats")} + args);
}
