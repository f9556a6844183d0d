// Settings survive a restart, a damaged settings file gives defaults instead of a crash, and a
// second instance hands its paths to the first.
#include "appsettings.h"
#include "curvespanel.h"
#include "histogramplot.h"
#include "singleinstance.h"
#include "sourcesview.h"
#include "tensorinspector.h"
#include "testutil.h"
#include "workbench.h"

#include <QHeaderView>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTreeView>
#include <QWidget>

#include <chrono>
#include <cstring>
#include <future>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace wl;

namespace
{

// One in-memory run with a loss and an accuracy series, so the panel has a default (loss) to
// differ from.
LogRunRef twoTagRun()
{
    auto logs = std::make_shared<events::RunLogs>();
    events::LogRun run;
    run.name = run.group = run.folder = QStringLiteral("run");
    for (const QString &tag : {QStringLiteral("epoch_accuracy"), QStringLiteral("epoch_loss")}) {
        auto &s = run.series.series(tag, events::SeriesKind::Scalar);
        for (int i = 0; i < 4; ++i)
            s.scalars.push_back({i, 1.7e9 + i, 1.0 / (i + 1)});
    }
    logs->runs.push_back(std::move(run));
    return {logs, 0};
}

} // namespace

class TestAppSettings : public QObject
{
    Q_OBJECT

    QTemporaryDir m_config;

    QString settingsFile() const { return QSettings().fileName(); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_config.isValid());
        // Before the first QSettings: every default-constructed one lives here.
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
        QCoreApplication::setOrganizationName(QStringLiteral("WeightLensTest"));
        QCoreApplication::setApplicationName(QStringLiteral("WeightLensTest"));
        QVERIFY(settingsFile().startsWith(m_config.path()));
    }
    void init()
    {
        QFile::remove(settingsFile());
        QFile::remove(settingsFile() + QStringLiteral(".damaged"));
    }

    // Column widths and histogram settings written by one workbench come back in the next.
    void viewsRoundTrip()
    {
        QWidget a;
        Workbench first(&a);
        QHeaderView *header = first.sources()->tree()->header();
        QVERIFY(header->count() > 2);
        header->resizeSection(0, 333);
        header->resizeSection(2, 77);
        first.inspector()->histogram()->setBins(64);
        first.inspector()->histogram()->setLogScale(true);
        first.inspector()->histogram()->setDensity(true);
        CurvesPanel *curves = first.inspector()->curves();
        curves->setRuns({twoTagRun()});
        QCOMPARE(curves->checkedTags(), QStringList{QStringLiteral("epoch_loss")});
        curves->setCheckedTags({QStringLiteral("epoch_accuracy")});
        curves->setSmoothing(0.25);
        curves->setXAxis(CurvesPanel::XAxis::WallTime);
        curves->setLogY(true);
        curves->setOverlay(true);
        {
            QSettings s;
            settings::saveViews(s, first);
        }

        QWidget b;
        Workbench second(&b);
        QCOMPARE(second.inspector()->histogram()->bins(), 0);
        QVERIFY(!second.inspector()->histogram()->logScale());
        settings::restoreViews(QSettings(), second);
        QCOMPARE(second.sources()->tree()->header()->sectionSize(0), 333);
        QCOMPARE(second.sources()->tree()->header()->sectionSize(2), 77);
        QCOMPARE(second.inspector()->histogram()->bins(), 64);
        QVERIFY(second.inspector()->histogram()->logScale());
        QVERIFY(second.inspector()->histogram()->density());
        CurvesPanel *back = second.inspector()->curves();
        QCOMPARE(back->smoothing(), 0.25);
        QCOMPARE(back->xAxis(), CurvesPanel::XAxis::WallTime);
        QVERIFY(back->logY());
        QVERIFY(back->overlay());
        // The remembered tag wins over the loss the panel would check by itself.
        back->setRuns({twoTagRun()});
        QCOMPARE(back->checkedTags(), QStringList{QStringLiteral("epoch_accuracy")});
    }

    // Recent files: most recent first, no duplicates, bounded; missing ones can be dropped.
    void recentFilesRoundTrip()
    {
        const QString real = test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"));
        QVERIFY(QFileInfo::exists(real));
        const QString gone = m_config.filePath(QStringLiteral("no-such-checkpoint"));
        RecentFiles r(3);
        r.add(QStringLiteral("/x/one"));
        r.add(gone);
        r.add(real);
        r.add(gone); // moves to the front
        r.add(QStringLiteral("/x/two"));
        QCOMPARE(r.paths(), (QStringList{QStringLiteral("/x/two"), gone, real}));
        {
            QSettings s;
            r.save(s);
        }
        RecentFiles back(3);
        back.load(QSettings());
        QCOMPARE(back.paths(), r.paths());
        QCOMPARE(back.removeMissing(), 2);
        QCOMPARE(back.paths(), QStringList{real});
        back.remove(real);
        QVERIFY(back.paths().isEmpty());
    }

    // The last folder of each dialog is its own, and a folder since removed is not offered.
    void lastFolderPerDialog()
    {
        const QString corpusFile =
            test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/ckpt-7.index"));
        settings::setLastFolder(QStringLiteral("open-file"), corpusFile);
        settings::setLastFolder(QStringLiteral("export-plot"), m_config.path());
        QCOMPARE(settings::lastFolder(QStringLiteral("open-file")),
                 QFileInfo(corpusFile).absolutePath());
        QCOMPARE(settings::lastFolder(QStringLiteral("export-plot")), m_config.path());
        QCOMPARE(settings::lastFolder(QStringLiteral("open-folder")), QString());
        QTemporaryDir gone;
        settings::setLastFolder(QStringLiteral("open-folder"), gone.path());
        QCOMPARE(settings::lastFolder(QStringLiteral("open-folder")), gone.path());
        gone.remove();
        QCOMPARE(settings::lastFolder(QStringLiteral("open-folder")), QString());
    }

    // A damaged settings file is set aside, so the next QSettings starts empty and the views
    // keep their defaults; a sound one is left alone.
    void damagedFileRecovery_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("damaged");
        QTest::newRow("binary") << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << true;
        QTest::newRow("not utf-8") << QByteArray("[histogram]\nbins=\xff\xfe\n") << true;
        QTest::newRow("open section") << QByteArray("[histogram\nbins=64\n") << true;
        QTest::newRow("sound") << QByteArray("[histogram]\nbins=64\n") << false;
    }
    void damagedFileRecovery()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, damaged);
        const QString file = settingsFile();
        QVERIFY(QDir().mkpath(QFileInfo(file).path()));
        QVERIFY(test::writeFile(file, bytes));
        const QString aside = settings::recoverDamaged(file);
        QCOMPARE(!aside.isEmpty(), damaged);
        if (damaged) {
            QCOMPARE(test::readFile(aside), bytes); // kept, byte for byte
            QVERIFY(!QFile::exists(file));
        } else {
            QCOMPARE(test::readFile(file), bytes);
        }
        QWidget w;
        Workbench bench(&w);
        settings::restoreViews(QSettings(), bench);
        QCOMPARE(bench.inspector()->histogram()->bins(), damaged ? 0 : 64);
    }

    // Values of the wrong kind (a hand-edited file) leave the defaults.
    void wrongValuesKeepDefaults()
    {
        const QString file = settingsFile();
        QVERIFY(QDir().mkpath(QFileInfo(file).path()));
        QVERIFY(test::writeFile(file, "[histogram]\nbins=-5\nlog=maybe\n[tree]\nheader=12\n"
                                      "[curves]\nsmoothing=nan\nx=sideways\nlogY=2\n"
                                      "[General]\nrecent=\n"));
        QVERIFY(settings::recoverDamaged(file).isEmpty());
        QWidget w;
        Workbench bench(&w);
        const int width0 = bench.sources()->tree()->header()->sectionSize(0);
        settings::restoreViews(QSettings(), bench);
        QCOMPARE(bench.inspector()->histogram()->bins(), 0);
        QVERIFY(!bench.inspector()->histogram()->logScale());
        QCOMPARE(bench.sources()->tree()->header()->sectionSize(0), width0);
        CurvesPanel *curves = bench.inspector()->curves();
        QCOMPARE(curves->smoothing(), 0.6); // TensorBoard's default
        QCOMPARE(curves->xAxis(), CurvesPanel::XAxis::Step);
        QVERIFY(!curves->logY());
        RecentFiles r;
        r.load(QSettings());
        QVERIFY(r.paths().isEmpty());
    }

    // A second instance hands its paths to the first, which says it took them.
    void handOver()
    {
        const QString name =
            QStringLiteral("weightlens-test-%1").arg(QCoreApplication::applicationPid());
        SingleInstance first(name);
        QVERIFY2(first.listen(), qPrintable(first.errorString()));
        QSignalSpy received(&first, &SingleInstance::pathsReceived);
        const QStringList paths{test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts")),
                                QStringLiteral("/a path/with spaces/ünïcode.h5")};
        // The second instance blocks on its socket: run it beside this thread's event loop.
        std::future<bool> second =
            std::async(std::launch::async, [&] { return SingleInstance::handOver(name, paths); });
        QTRY_COMPARE(received.count(), 1);
        QCOMPARE(received.first().first().toStringList(), paths);
        QVERIFY(second.get());
    }

    // With no first instance, handing over fails and the new one can listen; a socket left by a
    // crashed instance does not stop it.
    void noInstanceAndStaleSocket()
    {
        const QString name =
            QStringLiteral("weightlens-stale-%1").arg(QCoreApplication::applicationPid());
        QVERIFY(!SingleInstance::handOver(name, {QStringLiteral("/x")}, 500));
        // A stale socket file, as a crashed instance leaves it: bound, then never served.
        const QByteArray socketPath = QFile::encodeName(QDir::temp().filePath(name));
        QFile::remove(QString::fromLocal8Bit(socketPath));
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        QVERIFY(fd >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        QVERIFY(socketPath.size() < qsizetype(sizeof addr.sun_path));
        std::memcpy(addr.sun_path, socketPath.constData(), socketPath.size());
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
        ::close(fd);
        QVERIFY(QFile::exists(QString::fromLocal8Bit(socketPath)));
        QVERIFY(!SingleInstance::handOver(name, {QStringLiteral("/x")}, 500));
        SingleInstance fresh(name);
        QVERIFY2(fresh.listen(), qPrintable(fresh.errorString()));
        QSignalSpy received(&fresh, &SingleInstance::pathsReceived);
        std::future<bool> second = std::async(std::launch::async, [&] {
            return SingleInstance::handOver(name, {QStringLiteral("/y")});
        });
        QTRY_COMPARE(received.count(), 1);
        QVERIFY(second.get());
    }

    // Bytes that are not a hand-over are refused without a signal.
    void strangerRefused()
    {
        const QString name =
            QStringLiteral("weightlens-stranger-%1").arg(QCoreApplication::applicationPid());
        SingleInstance first(name);
        QVERIFY(first.listen());
        QSignalSpy received(&first, &SingleInstance::pathsReceived);
        const QByteArray path = QFile::encodeName(QDir::temp().filePath(name));
        std::future<bool> stranger = std::async(std::launch::async, [path] {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::memcpy(addr.sun_path, path.constData(), path.size());
            if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
                return false;
            const QByteArray junk(64, 'x');
            const bool sent = ::write(fd, junk.constData(), junk.size()) == junk.size();
            // Refused: the window closes the connection (end of file) without the accepted byte.
            timeval fiveSeconds{5, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &fiveSeconds, sizeof fiveSeconds);
            char c = 0;
            const ssize_t n = ::read(fd, &c, 1);
            ::close(fd);
            return sent && n == 0;
        });
        QTRY_VERIFY_WITH_TIMEOUT(
            stranger.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 15000);
        QVERIFY(stranger.get());
        QCOMPARE(received.count(), 0);
    }
};

QTEST_MAIN(TestAppSettings)
#include "tst_appsettings.moc"
