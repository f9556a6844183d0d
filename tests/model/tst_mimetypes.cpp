// The MIME package names real checkpoint files by their content and name, as a file manager
// sees them, and the .desktop entry and AppStream file claim exactly those types.
#include "testutil.h"

#include <QMimeDatabase>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace wl;

namespace
{

QString resource(const QString &relative)
{
    return QStringLiteral(WEIGHTLENS_SOURCE_DIR "/resources/linux/") + relative;
}

QStringList declaredTypes()
{
    const QString xml =
        QString::fromUtf8(test::readFile(resource(QStringLiteral("weightlens-mime.xml"))));
    QStringList types;
    static const QRegularExpression re(QStringLiteral("<mime-type type=\"([^\"]+)\""));
    for (auto it = re.globalMatch(xml); it.hasNext();)
        types << it.next().captured(1);
    return types;
}

} // namespace

class TestMimeTypes : public QObject
{
    Q_OBJECT

    QTemporaryDir m_data;

private slots:
    void initTestCase()
    {
        // Qt reads mime/packages/*.xml of every XDG data folder; set before its first use.
        QVERIFY(QDir(m_data.path()).mkpath(QStringLiteral("mime/packages")));
        QVERIFY(QFile::copy(resource(QStringLiteral("weightlens-mime.xml")),
                            m_data.filePath(QStringLiteral("mime/packages/weightlens.xml"))));
        // Compiled as an installed package is (dpkg's trigger runs the same tool): Qt then
        // weighs its magic against the system's in one kind of database.
        const QString update =
            QStandardPaths::findExecutable(QStringLiteral("update-mime-database"));
        if (!update.isEmpty())
            QCOMPARE(QProcess::execute(update, {m_data.filePath(QStringLiteral("mime"))}), 0);
        qputenv("XDG_DATA_HOME", m_data.path().toLocal8Bit());
        qputenv("XDG_DATA_DIRS", "/usr/local/share:/usr/share");
    }

    void byNameAndContent_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("type");
        QTest::newRow("keras") << "keras3/flownet-keras-zip/out/final_model.keras"
                               << "application/x-keras";
        QTest::newRow("events") << "tfevents/churn-fit-run/logs/fit/20260409-094721/train/"
                                   "events.out.tfevents.1775708372.RAJESH.15820.0.v2"
                                << "application/x-tensorboard-events";
        QTest::newRow("safetensors") << "pytorch/tiny-safetensors/model.safetensors"
                                     << "application/x-safetensors";
        QTest::newRow("pytorch") << "pytorch/mnist-mlp-pt/model.pt"
                                 << "application/x-pytorch-checkpoint";
        QTest::newRow("index") << "tf2-checkpoint/a2c-suspension-ckpts/ckpt-7.index"
                               << "application/x-tensorflow-checkpoint-index";
        // The shared-mime-info database names HDF5 files application/x-hdf.
        QTest::newRow("hdf5") << "keras2-h5-weights/mnist-keras-weights/weights.h5"
                              << "application/x-hdf";
    }
    void byNameAndContent()
    {
        QFETCH(QString, file);
        QFETCH(QString, type);
        const QString path = test::corpus(file);
        QVERIFY2(QFile::exists(path), qPrintable(path));
        QMimeDatabase db;
        QCOMPARE(db.mimeTypeForFile(path).name(), type);
    }

    // Where the format has magic, a copy under another name is still recognised.
    void byContentAlone_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("type");
        QTest::newRow("keras") << "keras3/flownet-keras-zip/out/final_model.keras"
                               << "application/x-keras";
        QTest::newRow("events") << "tfevents/churn-fit-run/logs/fit/20260409-094721/train/"
                                   "events.out.tfevents.1775708372.RAJESH.15820.0.v2"
                                << "application/x-tensorboard-events";
        QTest::newRow("pytorch") << "pytorch/mnist-mlp-pt/model.pt"
                                 << "application/x-pytorch-checkpoint";
        QTest::newRow("safetensors") << "pytorch/tiny-safetensors/model.safetensors"
                                     << "application/x-safetensors";
    }
    void byContentAlone()
    {
        QFETCH(QString, file);
        QFETCH(QString, type);
        // GIO is what file managers ask; Qt 6.4 lets the system's zip magic win over a zip
        // subtype's higher priority when the two come from different folders.
        const QString gio = QStandardPaths::findExecutable(QStringLiteral("gio"));
        if (gio.isEmpty() ||
            QStandardPaths::findExecutable(QStringLiteral("update-mime-database")).isEmpty())
            QSKIP("gio or update-mime-database is not installed");
        QTemporaryDir dir;
        const QString copy = dir.filePath(QStringLiteral("unnamed"));
        QVERIFY(QFile::copy(test::corpus(file), copy));
        QProcess p;
        p.start(gio, {QStringLiteral("info"), QStringLiteral("-a"),
                      QStringLiteral("standard::content-type"), copy});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(
            out.contains(QStringLiteral("standard::content-type: ") + type + QLatin1Char('\n')),
            qPrintable(out));
    }

    // A plain zip and a plain text file are not claimed.
    void othersNotClaimed()
    {
        QMimeDatabase db;
        QByteArray zip("PK\003\004", 4);
        zip += QByteArray(26, '\0') + "word/document.xml";
        QVERIFY(!declaredTypes().contains(db.mimeTypeForData(zip).name()));
        QVERIFY(!declaredTypes().contains(db.mimeTypeForData(QByteArray("hello world\n")).name()));
    }

    // The desktop entry claims the package's types and HDF5; the AppStream file provides the same.
    void desktopAndMetainfoClaimThem()
    {
        QStringList expected = declaredTypes();
        QCOMPARE(expected.size(), 5);
        expected << QStringLiteral("application/x-hdf") << QStringLiteral("application/x-hdf5");
        expected.sort();

        const QString desktop = QString::fromUtf8(
            test::readFile(resource(QStringLiteral("org.weightlens.WeightLens.desktop"))));
        const auto line = QRegularExpression(QStringLiteral("^MimeType=(.*)$"),
                                             QRegularExpression::MultilineOption)
                              .match(desktop);
        QVERIFY(line.hasMatch());
        QStringList claimed = line.captured(1).split(QLatin1Char(';'), Qt::SkipEmptyParts);
        claimed.sort();
        QCOMPARE(claimed, expected);

        const QString meta = QString::fromUtf8(
            test::readFile(resource(QStringLiteral("org.weightlens.WeightLens.metainfo.xml"))));
        QStringList provided;
        static const QRegularExpression re(QStringLiteral("<mediatype>([^<]+)</mediatype>"));
        for (auto it = re.globalMatch(meta); it.hasNext();)
            provided << it.next().captured(1);
        provided.sort();
        QCOMPARE(provided, expected);
    }
};

QTEST_GUILESS_MAIN(TestMimeTypes)
#include "tst_mimetypes.moc"
