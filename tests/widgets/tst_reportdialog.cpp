#include "formats/readerregistry.h"
#include "reportdialog.h"
#include "reportplots.h"
#include "testutil.h"
#include "write/demo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

using namespace wl;

namespace
{

// The ids of an HTML report's sections, in order; empty when it does not parse.
QStringList sectionIds(const QString &file)
{
    QXmlStreamReader x(test::readFile(file));
    QStringList ids;
    while (!x.atEnd())
        if (x.readNext() == QXmlStreamReader::StartElement && x.name() == QLatin1String("h2"))
            ids << x.attributes().value(QLatin1String("id")).toString();
    return x.hasError() ? QStringList{} : ids;
}

} // namespace

class TestReportDialog : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QStringList m_runs;

private slots:
    void initTestCase()
    {
        auto r = writeDemo(m_dir.filePath(QStringLiteral("demo")));
        QVERIFY(r.ok());
        m_runs = r.value();
    }

    // The chosen sections and scope are what the report holds.
    void exportsTheChosenSections()
    {
        ReportDialog d({ReportScope{QStringLiteral("first run"), {m_runs[0]}, {}, {}, {}, {}, {}},
                        ReportScope{QStringLiteral("comparison"),
                                    {},
                                    m_runs[0] + QStringLiteral("/ckpt-9"),
                                    m_runs[0] + QStringLiteral("/ckpt-10"),
                                    {},
                                    {},
                                    {}}},
                       m_dir.filePath(QStringLiteral("a.html")));
        for (auto s : report::allSections())
            d.sectionBox(s)->setChecked(s == report::Section::Summary ||
                                        s == report::Section::Curves);
        QCOMPARE(d.request().paths, QStringList{m_runs[0]});
        QSignalSpy done(&d, &ReportDialog::exported);
        QVERIFY(d.exportButton()->isEnabled());
        d.startExport();
        QVERIFY(d.isRunning());
        QVERIFY(!d.exportButton()->isEnabled()); // one export at a time
        QVERIFY(done.wait(60000));
        QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(2).toString()));
        QCOMPARE(d.progressBar()->value(), d.progressBar()->maximum());
        QVERIFY(d.statusText().startsWith(QStringLiteral("Wrote ")));
        QCOMPARE(sectionIds(m_dir.filePath(QStringLiteral("a.html"))),
                 (QStringList{"summary", "curves"}));

        // The comparison scope, as JSON.
        d.scopeBox()->setCurrentIndex(1);
        d.sectionBox(report::Section::Compare)->setChecked(true);
        const QString json = m_dir.filePath(QStringLiteral("c.json"));
        d.fileEdit()->setText(json);
        d.startExport();
        QVERIFY(done.wait(60000));
        QVERIFY(done.last().at(0).toBool());
        const auto root = QJsonDocument::fromJson(test::readFile(json)).object();
        const auto cmp = root[QStringLiteral("compare")].toObject();
        QCOMPARE(cmp[QStringLiteral("a")].toString(), m_runs[0] + QStringLiteral("/ckpt-9"));
        QVERIFY(cmp[QStringLiteral("pairs")].toInt() > 0);
    }

    // A scope the window has open reports from those sources: its paths are not opened again
    // (here they do not exist), and the report holds exactly the opened checkpoints.
    void reportsFromOpenSources()
    {
        const auto &registry = ReaderRegistry::builtin();
        auto run = registry.open(m_runs[0]);
        auto a = registry.open(m_runs[0] + QStringLiteral("/ckpt-9"));
        auto b = registry.open(m_runs[0] + QStringLiteral("/ckpt-10"));
        QVERIFY(run.ok() && a.ok() && b.ok());
        const QString gone = m_dir.filePath(QStringLiteral("closed-since"));
        ReportDialog d({ReportScope{QStringLiteral("open"), {gone}, gone, gone, {*run}, *a, *b}},
                       m_dir.filePath(QStringLiteral("open.json")));
        QVERIFY(d.usesOpenSources());
        for (auto s : report::allSections())
            d.sectionBox(s)->setChecked(s == report::Section::Summary ||
                                        s == report::Section::Compare);
        QSignalSpy done(&d, &ReportDialog::exported);
        d.startExport();
        QVERIFY(done.wait(60000));
        QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(2).toString()));
        const auto root =
            QJsonDocument::fromJson(test::readFile(m_dir.filePath(QStringLiteral("open.json"))))
                .object();
        const auto totals = root[QStringLiteral("totals")].toObject();
        QCOMPARE(totals[QStringLiteral("unread")].toInt(), 0);
        QCOMPARE(totals[QStringLiteral("checkpoints")].toInt(), int(run->checkpoints.size()));
        std::int64_t tensors = 0;
        for (const auto &c : run->checkpoints)
            tensors += c->index().tensors.size();
        QCOMPARE(totals[QStringLiteral("tensors")].toInteger(), tensors);
        const auto cmp = root[QStringLiteral("compare")].toObject();
        QCOMPARE(cmp[QStringLiteral("a")].toString(), a->path);
        QVERIFY(cmp[QStringLiteral("pairs")].toInt() > 0);
    }

    // Cancel right after Export: nothing under the name, the dialog ready again.
    void cancelLeavesNothing()
    {
        const QString file = m_dir.filePath(QStringLiteral("cancelled.pdf"));
        ReportDialog d({ReportScope{QStringLiteral("both"), m_runs, {}, {}, {}, {}, {}}}, file);
        QSignalSpy done(&d, &ReportDialog::exported);
        d.startExport();
        d.reject(); // Cancel while running cancels, and keeps the dialog open
        QVERIFY(done.wait(60000));
        QCOMPARE(done.first().at(0).toBool(), false);
        QVERIFY2(d.statusText().contains(QStringLiteral("Cancelled")), qPrintable(d.statusText()));
        QVERIFY(!QFileInfo::exists(file));
        QVERIFY(!d.isRunning());
        QVERIFY(d.exportButton()->isEnabled());
    }

    // A file name without a known suffix, or no section: Export is off and the dialog says why.
    void refusesWhatItCannotWrite()
    {
        ReportDialog d({ReportScope{QStringLiteral("run"), {m_runs[0]}, {}, {}, {}, {}, {}}},
                       m_dir.filePath(QStringLiteral("r.txt")));
        QVERIFY(!d.exportButton()->isEnabled());
        QVERIFY(d.statusText().contains(QStringLiteral(".html")));
        d.fileEdit()->setText(m_dir.filePath(QStringLiteral("r.md")));
        QVERIFY(d.exportButton()->isEnabled());
        for (auto s : report::allSections())
            d.sectionBox(s)->setChecked(false);
        QVERIFY(!d.exportButton()->isEnabled());
        QVERIFY(d.statusText().contains(QStringLiteral("section")));
    }
};

QTEST_MAIN(TestReportDialog)
#include "tst_reportdialog.moc"
