#include "testutil.h"

#include "report/reportwriters.h"
#include "write/demo.h"

#include <QJsonArray>
#include <QMap>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <atomic>
#include <cmath>

using namespace wl;

namespace
{

// Reports draw plots with the window's plot code, which a build without the GUI lacks.
#ifdef WEIGHTLENS_TESTS_HAVE_GUI
constexpr bool kPlots = true;
#else
constexpr bool kPlots = false;
#endif

// What an HTML report holds, section by section (by the id of its <h2>).
struct HtmlSection {
    struct Cell {
        QString text;
        std::optional<double> value; // data-v
    };
    using Row = QList<Cell>;
    QList<QList<Row>> tables; // body rows
    QList<QStringList> headers;
    QStringList h3;
    QList<QByteArray> images; // decoded data: URLs
    QString text;
};

struct Html {
    QString error;
    QStringList order;
    QMap<QString, HtmlSection> sections;
};

Html parseHtml(const QByteArray &bytes)
{
    Html h;
    QXmlStreamReader x(bytes);
    QString section, heading;
    bool inHead = false;
    HtmlSection::Row row;
    QStringList header;
    QString cellText;
    std::optional<double> cellValue;
    int depthCell = 0;
    while (!x.atEnd()) {
        x.readNext();
        if (x.isStartElement()) {
            const auto n = x.name();
            if (n == QLatin1String("h2")) {
                section = x.attributes().value(QLatin1String("id")).toString();
                h.order << section;
                h.sections[section];
            } else if (n == QLatin1String("h3")) {
                heading = x.readElementText();
                h.sections[section].h3 << heading;
            } else if (n == QLatin1String("table")) {
                h.sections[section].tables << QList<HtmlSection::Row>{};
                header.clear();
            } else if (n == QLatin1String("thead")) {
                inHead = true;
            } else if (n == QLatin1String("tr")) {
                row.clear();
            } else if (n == QLatin1String("td") || n == QLatin1String("th")) {
                cellText.clear();
                cellValue.reset();
                const auto v = x.attributes().value(QLatin1String("data-v"));
                if (!v.isEmpty())
                    cellValue = v.toDouble();
                depthCell = 1;
            } else if (n == QLatin1String("img")) {
                const QString src = x.attributes().value(QLatin1String("src")).toString();
                const QString prefix = QStringLiteral("data:image/svg+xml;base64,");
                if (src.startsWith(prefix))
                    h.sections[section].images
                        << QByteArray::fromBase64(src.mid(prefix.size()).toLatin1());
                else
                    h.sections[section].images << QByteArray("not a data URL: ") + src.toUtf8();
            }
        } else if (x.isCharacters()) {
            if (depthCell)
                cellText += x.text();
            if (!section.isEmpty())
                h.sections[section].text += x.text();
        } else if (x.isEndElement()) {
            const auto n = x.name();
            if (n == QLatin1String("td") || n == QLatin1String("th")) {
                row << HtmlSection::Cell{cellText, cellValue};
                depthCell = 0;
            } else if (n == QLatin1String("tr")) {
                if (inHead) {
                    for (const auto &c : row)
                        header << c.text;
                    h.sections[section].headers << header;
                } else {
                    h.sections[section].tables.last() << row;
                }
            } else if (n == QLatin1String("thead")) {
                inHead = false;
            }
        }
    }
    if (x.hasError())
        h.error = QStringLiteral("line %1: %2").arg(x.lineNumber()).arg(x.errorString());
    return h;
}

// `weightlens stats --json` of a path: checkpoint label → tensor name → its line.
QMap<QString, QMap<QString, QJsonObject>> statsJson(const QString &path)
{
    QMap<QString, QMap<QString, QJsonObject>> out;
    const auto run = test::runWeightLens({"stats", "--json", path});
    for (const auto &o : test::jsonLines(run.out))
        out[o[QStringLiteral("checkpoint")].toString()][o[QStringLiteral("name")].toString()] = o;
    return out;
}

bool near(double a, double b)
{
    return std::abs(a - b) <= 1e-12 * (1 + std::abs(b));
}

QString demoDir()
{
    static QTemporaryDir dir;
    static QStringList runs = [] {
        auto r = writeDemo(dir.path());
        return r.ok() ? r.value() : QStringList{};
    }();
    return runs.isEmpty() ? QString() : dir.path();
}

} // namespace

class TestReport : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(!demoDir().isEmpty(), "the demo runs could not be written"); }

    // An HTML report of a TF checkpoint and a Keras .h5 parses as XML, holds every section,
    // and its statistics are the numbers `weightlens stats --json` prints.
    void htmlHoldsEverySectionWithTheStatsNumbers()
    {
        const QString ckpt =
            test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/ckpt-9"));
        const QString h5 = test::corpus(QStringLiteral("keras2-h5-full/churn-ann-ankit/model.h5"));
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("r.html"));
        const auto run = test::runWeightLens({"report", ckpt, h5, "-o", out});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("wrote " + out.toUtf8()), run.out.constData());
        const QByteArray bytes = test::readFile(out);
        // Self-contained: the only address is the XHTML namespace, and no script.
        QCOMPARE(bytes.count("http"), bytes.count("http://www.w3.org/1999/xhtml"));
        QVERIFY(!bytes.contains("<script"));
        const Html html = parseHtml(bytes);
        QVERIFY2(html.error.isEmpty(), qPrintable(html.error));
        QStringList expected;
        for (auto s : report::allSections())
            expected << report::sectionKey(s);
        QCOMPARE(html.order, expected);

        // Summary: both inputs with their tensor counts.
        const auto &summary = html.sections[QStringLiteral("summary")];
        QVERIFY(!summary.tables.isEmpty());
        QCOMPARE(summary.tables.first().size(), 2);

        // Layers: the .h5's model.summary() table, its parameters adding up to the total.
        const auto &layers = html.sections[QStringLiteral("layers")];
        QCOMPARE(layers.tables.size(), 1);
        QCOMPARE(layers.headers.first(), (QStringList{"Layer (type)", "Output Shape", "Param #"}));
        double params = 0;
        for (const auto &row : layers.tables.first())
            params += row[2].value.value_or(0);
        QVERIFY(params > 0);
        QLocale grouped(QLocale::C);
        grouped.setNumberOptions(QLocale::DefaultNumberOptions);
        QVERIFY2(layers.text.contains(
                     QStringLiteral("Total params: %1").arg(grouped.toString(qlonglong(params)))),
                 qPrintable(layers.text));

        // Statistics: every tensor of both inputs, numbers as stats --json has them.
        const auto &stats = html.sections[QStringLiteral("statistics")];
        QCOMPARE(stats.tables.size(), 2);
        const QList<QMap<QString, QMap<QString, QJsonObject>>> expectedStats{statsJson(ckpt),
                                                                             statsJson(h5)};
        int compared = 0;
        for (int t = 0; t < 2; ++t) {
            QCOMPARE(expectedStats[t].size(), 1);
            const auto &lines = expectedStats[t].first();
            QCOMPARE(stats.tables[t].size(), lines.size());
            for (const auto &row : stats.tables[t]) {
                const QString name = row[0].text;
                QVERIFY2(lines.contains(name), qPrintable(name));
                const auto &o = lines[name];
                QCOMPARE(row[2].text, o[QStringLiteral("dtype")].toString());
                const char *keys[] = {"mean", "std", "min", "max", "nan", "inf"};
                for (int k = 0; k < 6; ++k) {
                    const QJsonValue v = o[QLatin1String(keys[k])];
                    if (v.isUndefined() || v.isNull()) {
                        QVERIFY2(!row[4 + k].value, qPrintable(name));
                        continue;
                    }
                    QVERIFY2(row[4 + k].value, qPrintable(name + QLatin1Char(' ') + keys[k]));
                    QVERIFY2(near(*row[4 + k].value, v.toDouble()),
                             qPrintable(QStringLiteral("%1 %2: %3 vs %4")
                                            .arg(name, keys[k])
                                            .arg(*row[4 + k].value)
                                            .arg(v.toDouble())));
                    ++compared;
                }
            }
        }
        QVERIFY(compared > 300);

        // Histograms: SVG images, one per drawn tensor, each a parseable SVG.
        const auto &hist = html.sections[QStringLiteral("histograms")];
        QVERIFY(kPlots ? hist.images.size() >= 4 : hist.images.isEmpty());
        QVERIFY(kPlots || hist.text.contains(QStringLiteral("plots need")));
        for (const auto &svg : hist.images) {
            QXmlStreamReader x(svg);
            bool isSvg = false;
            while (!x.atEnd() && !isSvg)
                if (x.readNext() == QXmlStreamReader::StartElement)
                    isSvg = x.name() == QLatin1String("svg");
            QVERIFY2(isSvg && !x.hasError(), svg.left(200).constData());
        }
        // No logs, no runs, no comparison beside these inputs: each section says so.
        QVERIFY(html.sections[QStringLiteral("curves")].text.contains("No training logs"));
        QVERIFY(html.sections[QStringLiteral("compare")].text.contains("--compare A B"));
    }

    // The demo runs: their curves, their weights over time and a comparison of the two
    // learning rates, in HTML; the JSON holds the same with its schema version.
    // The Layer analysis section: a row per weight matrix with the numbers `weightlens
    // analyze --json` prints, and the spectral densities of the four largest drawn; the JSON
    // report carries analyze's fields.
    void analysisSectionHasAnalyzeNumbers()
    {
        const QString ckpt =
            test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/ckpt-9"));
        const auto analyze = test::runWeightLens({"analyze", "--json", ckpt});
        QCOMPARE(analyze.exitCode, 0);
        QHash<QString, QJsonObject> lines;
        for (const auto &o : test::jsonLines(analyze.out))
            lines.insert(o[QStringLiteral("name")].toString(), o);
        QCOMPARE(lines.size(), 9);
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("r.html"));
        auto run = test::runWeightLens({"report", ckpt, "--sections", "analysis", "-o", out});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const Html html = parseHtml(test::readFile(out));
        QVERIFY2(html.error.isEmpty(), qPrintable(html.error));
        QCOMPARE(html.order, QStringList{QStringLiteral("analysis")});
        const auto &section = html.sections[QStringLiteral("analysis")];
        QCOMPARE(section.tables.size(), 1);
        QCOMPARE(section.headers.first().at(3), QStringLiteral("spectral"));
        QCOMPARE(section.tables.first().size(), 9);
        for (const auto &row : section.tables.first()) {
            const auto o = lines.value(row[0].text);
            QVERIFY2(!o.isEmpty(), qPrintable(row[0].text));
            QCOMPARE(row[2].value.value_or(-1), o[QStringLiteral("frobenius_norm")].toDouble());
            QCOMPARE(row[3].value.value_or(-1), o[QStringLiteral("spectral_norm")].toDouble());
            QCOMPARE(row[4].value.value_or(-1), o[QStringLiteral("stable_rank")].toDouble());
            if (o[QStringLiteral("alpha")].isNull())
                QVERIFY(!row[7].value);
            else
                QCOMPARE(row[7].value.value_or(-1), o[QStringLiteral("alpha")].toDouble());
        }
        QCOMPARE(section.images.size(), kPlots ? 4 : 0);
        for (const auto &img : section.images)
            QVERIFY(img.size() > 1000);

        const QString json = dir.filePath(QStringLiteral("r.json"));
        run = test::runWeightLens({"report", ckpt, "--sections", "analysis", "-o", json});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto doc = QJsonDocument::fromJson(test::readFile(json)).object();
        const auto matrices = doc[QStringLiteral("inputs")]
                                  .toArray()
                                  .first()
                                  .toObject()[QStringLiteral("checkpoints")]
                                  .toArray()
                                  .first()
                                  .toObject()[QStringLiteral("analysis")]
                                  .toArray();
        QCOMPARE(matrices.size(), 9);
        for (const auto &v : matrices) {
            const auto m = v.toObject();
            const auto o = lines.value(m[QStringLiteral("name")].toString());
            for (const char *k : {"key", "shape", "spectral_norm", "stable_rank", "alpha",
                                  "alpha_xmin", "mp_edge", "mp_spikes", "dead_rows"})
                QCOMPARE(m[QLatin1String(k)], o[QLatin1String(k)]);
        }
    }

    void demoRunsCurvesOverTimeAndComparison()
    {
        const QString a = demoDir() + QStringLiteral("/") + demoRunNames().value(0);
        const QString b = demoDir() + QStringLiteral("/") + demoRunNames().value(1);
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("demo.html"));
        const QString json = dir.filePath(QStringLiteral("demo.json"));
        const QStringList args{"report",
                               a,
                               b,
                               "--compare",
                               a + "/ckpt-10",
                               b + "/ckpt-10",
                               "--sections",
                               "curves,over-time,compare"};
        auto run = test::runWeightLens(args + QStringList{"-o", out});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const Html html = parseHtml(test::readFile(out));
        QVERIFY2(html.error.isEmpty(), qPrintable(html.error));
        QCOMPARE(html.order, (QStringList{"curves", "over-time", "compare"}));
        const auto &curves = html.sections[QStringLiteral("curves")];
        QVERIFY2(curves.h3.contains(QStringLiteral("epoch_loss")), qPrintable(curves.h3.join(',')));
        QCOMPARE(curves.images.size(), kPlots ? curves.h3.size() : 0);
        const auto &over = html.sections[QStringLiteral("over-time")];
        QVERIFY(!over.tables.isEmpty());
        QVERIFY(over.tables.first().size() >= 2); // a row per checkpoint
        const auto &cmp = html.sections[QStringLiteral("compare")];
        QVERIFY(cmp.tables.size() >= 2);
        QCOMPARE(cmp.tables.first().first()[0].text, QStringLiteral("all"));

        run = test::runWeightLens(args + QStringList{"-o", json});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject root = QJsonDocument::fromJson(test::readFile(json)).object();
        QCOMPARE(root[QStringLiteral("schema_version")].toInt(), report::kSchemaVersion);
        // The smoothed last loss of the training run in the JSON is the one the HTML shows.
        const auto jc = root[QStringLiteral("curves")].toArray();
        QVERIFY(!jc.isEmpty());
        const auto first = jc.first().toObject();
        QCOMPARE(first[QStringLiteral("tag")].toString(), curves.h3.first());
        const auto jrow = first[QStringLiteral("runs")].toArray().first().toObject();
        const auto &hrow = curves.tables.first().first();
        QCOMPARE(hrow[0].text, jrow[QStringLiteral("run")].toString());
        QVERIFY(near(*hrow[4].value, jrow[QStringLiteral("last_smoothed")].toDouble()));
        // The loss goes down: the lowest value is below the first.
        QVERIFY(
            jrow[QStringLiteral("min")].toDouble() < jrow[QStringLiteral("last")].toDouble() ||
            near(jrow[QStringLiteral("min")].toDouble(), jrow[QStringLiteral("last")].toDouble()));
        const auto total =
            root[QStringLiteral("compare")].toObject()[QStringLiteral("total")].toObject();
        QVERIFY(total[QStringLiteral("rel_l2")].toDouble() > 0); // two learning rates differ

        // Markers: each run's own checkpoints (ckpt-N saved after epoch 5N, logged from 0, the
        // last five kept), at the epoch its event files logged at the save time; none on the
        // CSV log, which has no times, and those it cannot place are named.
        QList<double> steps;
        for (int n = 6; n <= 10; ++n)
            steps << 5.0 * n - 1;
        bool sawEvents = false, sawCsv = false;
        for (const auto &c : jc)
            for (const auto &r : c.toObject()[QStringLiteral("runs")].toArray()) {
                const QJsonObject run = r.toObject();
                const QString name = run[QStringLiteral("run")].toString();
                QList<double> at;
                for (const auto &m : run[QStringLiteral("markers")].toArray())
                    at << m.toObject()[QStringLiteral("step")].toDouble();
                std::sort(at.begin(), at.end());
                if (name.endsWith(QLatin1String(".csv"))) {
                    sawCsv = true;
                    QVERIFY2(at.isEmpty(), qPrintable(name));
                    QVERIFY(run[QStringLiteral("unplaced")].toArray().contains(
                        QJsonValue(QStringLiteral("ckpt-10"))));
                } else if (c.toObject()[QStringLiteral("tag")].toString().startsWith(
                               QLatin1String("epoch_"))) {
                    sawEvents = true;
                    QCOMPARE(at, steps);
                }
            }
        QVERIFY(sawEvents && sawCsv);
    }

    // A restored checkpoint's log is in the report.
    void restoreLog()
    {
        const QString a = demoDir() + QStringLiteral("/") + demoRunNames().value(0);
        const QString b = demoDir() + QStringLiteral("/") + demoRunNames().value(1);
        QTemporaryDir dir;
        const QString restored = dir.filePath(QStringLiteral("restored"));
        auto run = test::runWeightLens(
            {"restore", "--from", a + "/ckpt-10", "--into", b + "/ckpt-10", "--out", restored});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString out = dir.filePath(QStringLiteral("r.html"));
        run = test::runWeightLens({"report", restored, "--sections", "restore", "-o", out});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const Html html = parseHtml(test::readFile(out));
        QVERIFY2(html.error.isEmpty(), qPrintable(html.error));
        const QJsonObject log = test::loadJson(restored + QStringLiteral(".restore.json"));
        QVERIFY(!log.isEmpty());
        const auto &section = html.sections[QStringLiteral("restore")];
        QVERIFY2(section.text.contains(restored + QStringLiteral(".restore.json")),
                 qPrintable(section.text));
        // Every key the log names is in the report.
        for (const auto &k : log.keys())
            QVERIFY2(section.text.contains(QLatin1Char('"') + k + QLatin1Char('"')), qPrintable(k));
    }

    // The PDF has pages, a page count in its structure, and the headings in its text.
    void pdfHasPagesAndHeadings()
    {
        const QString a = demoDir() + QStringLiteral("/") + demoRunNames().value(0);
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("r.pdf"));
        const auto run = test::runWeightLens({"report", a, "-o", out});
        if (!kPlots) { // the PDF writer is QtGui's: refused, naming why, and nothing written
            QCOMPARE(run.exitCode, 1);
            QVERIFY2(run.err.contains("PDF needs"), run.err.constData());
            QVERIFY(!QFileInfo::exists(out));
            return;
        }
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QByteArray pdf = test::readFile(out);
        QVERIFY(pdf.startsWith("%PDF-"));
        const auto pages = pdf.count("/Type /Page\n") + pdf.count("/Type /Page ") +
                           pdf.count("/Type /Page/") + pdf.count("/Type /Page>");
        QVERIFY2(pages >= 3, qPrintable(QString::number(pages)));
        const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
        if (pdftotext.isEmpty())
            QSKIP("pdftotext (poppler-utils) is not installed");
        QProcess p;
        p.start(pdftotext, {out, QStringLiteral("-")});
        QVERIFY(p.waitForFinished(60000));
        const QString text = QString::fromUtf8(p.readAllStandardOutput());
        for (auto s : report::allSections())
            QVERIFY2(text.contains(report::sectionTitle(s)), qPrintable(report::sectionTitle(s)));
        // Every tensor name of the statistics table is on one line of its own, not wrapped.
        const QStringList lines = text.split(QLatin1Char('\n'));
        const auto stats = statsJson(a);
        QVERIFY(!stats.isEmpty());
        for (const auto &names : stats)
            for (auto it = names.begin(); it != names.end(); ++it)
                QVERIFY2(lines.contains(it.key()), qPrintable(it.key()));
        // Page numbers at the foot of the pages: the last page's number is the page count.
        QVERIFY2(text.contains(QRegularExpression(QStringLiteral("\\n%1\\s*\\f").arg(pages))),
                 qPrintable(QString::number(pages)));
    }

    // A folder of two runs: each checkpoint is named with its run, the Keras file beside each
    // run's checkpoints is in, and no PDF page ends on a heading whose content is overleaf.
    void folderOfRuns()
    {
        QTemporaryDir dir;
        const QString html = dir.filePath(QStringLiteral("r.html"));
        auto run = test::runWeightLens({"report", demoDir(), "-o", html});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString text = QString::fromUtf8(test::readFile(html));
        for (const auto &name : demoRunNames())
            for (const char *cp : {"/ckpt-6</h3>", "/best_model.h5</h3>"})
                QVERIFY2(text.contains(name + QLatin1String(cp)), qPrintable(name + cp));
        if (!kPlots)
            return;
        const QString pdf = dir.filePath(QStringLiteral("r.pdf"));
        run = test::runWeightLens({"report", demoDir(), "-o", pdf});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
        if (pdftotext.isEmpty())
            QSKIP("pdftotext (poppler-utils) is not installed");
        QProcess p;
        p.start(pdftotext, {QStringLiteral("-layout"), pdf, QStringLiteral("-")});
        QVERIFY(p.waitForFinished(60000));
        const QStringList pages =
            QString::fromUtf8(p.readAllStandardOutput()).split(QLatin1Char('\f'));
        QVERIFY(pages.size() > 10);
        for (int i = 0; i < pages.size(); ++i) {
            QStringList lines = pages[i].split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            while (!lines.isEmpty() && (lines.last().trimmed().isEmpty() ||
                                        lines.last().trimmed() == QString::number(i + 1)))
                lines.removeLast();
            if (lines.isEmpty())
                continue;
            for (auto s : report::allSections())
                QVERIFY2(lines.last().trimmed() != report::sectionTitle(s),
                         qPrintable(QStringLiteral("page %1 ends on \"%2\"")
                                        .arg(i + 1)
                                        .arg(lines.mid(lines.size() - 3).join(QLatin1Char('|')))));
        }
    }

    // Markdown: every image it links exists beside it, in FILE_files/, as SVG.
    void markdownImagesExist()
    {
        const QString a = demoDir() + QStringLiteral("/") + demoRunNames().value(0);
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("run.md"));
        const auto run = test::runWeightLens({"report", a, "-o", out});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString md = QString::fromUtf8(test::readFile(out));
        const QRegularExpression link(QStringLiteral("!\\[[^\\]]*\\]\\(([^)]+)\\)"));
        int images = 0;
        for (auto it = link.globalMatch(md); it.hasNext(); ++images) {
            const QString rel = it.next().captured(1);
            QVERIFY2(rel.startsWith(QLatin1String("run_files/")), qPrintable(rel));
            const QByteArray svg = test::readFile(dir.filePath(rel));
            QVERIFY2(svg.contains("<svg"), qPrintable(rel));
        }
        QVERIFY(kPlots ? images >= 5 : images == 0);
        QCOMPARE(QDir(dir.filePath(QStringLiteral("run_files"))).entryList(QDir::Files).size(),
                 images);
        // Nothing else was left beside it: no partial folder.
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
                 (kPlots ? QStringList{"run.md", "run_files"} : QStringList{"run.md"}));

        // A later report without plots under the same name takes the earlier images away.
        const auto again = test::runWeightLens({"report", a, "--sections", "summary", "-o", out});
        QVERIFY2(again.exitCode == 0, again.err.constData());
        QVERIFY(!test::readFile(out).contains("run_files/"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
                 QStringList{"run.md"});
    }

    // Cancelled while the statistics run, or before writing: nothing under the final name and
    // nothing left beside it.
    void cancelledLeavesNothing()
    {
        const QString a = demoDir() + QStringLiteral("/") + demoRunNames().value(0);
        std::atomic<bool> cancel{false};
        double seen = 0;
        const JobContext job(&cancel, [&](double f, const QString &) {
            seen = std::max(seen, f);
            if (f > 0.2)
                cancel = true;
        });
        report::ReportRequest req;
        req.paths = {a};
        auto built = report::buildReport(req, job);
        QVERIFY(!built.ok());
        QCOMPARE(built.error().code, LoadError::Code::Cancelled);
        QVERIFY(seen > 0.2);

        cancel = false;
        built = report::buildReport(req);
        QVERIFY2(built.ok(), built.ok() ? "" : qPrintable(built.error().message()));
        QTemporaryDir dir;
        cancel = true;
        const JobContext stopped(&cancel);
        for (const char *name : {"r.md", "r.html", "r.json"}) {
            const QString out = dir.filePath(QLatin1String(name));
            const auto st = report::writeReport(*built, out, nullptr, stopped);
            QVERIFY(!st.ok());
            QCOMPARE(st.error().code, LoadError::Code::Cancelled);
        }
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
                 QStringList{});
    }

    // A report never replaces one of its inputs, and asks for a known suffix.
    void refusesBadOutputs()
    {
        QTemporaryDir dir;
        auto run = test::runWeightLens({"report", demoDir(), "-o", dir.filePath("r.txt")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(".html, .pdf, .md or .json"), run.err.constData());
        run = test::runWeightLens(
            {"report", demoDir(), "--sections", "summary,charts", "-o", dir.filePath("r.json")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("charts"), run.err.constData());
        QVERIFY(!QFileInfo::exists(dir.filePath("r.json")));
    }
};

QTEST_GUILESS_MAIN(TestReport)
#include "tst_report.moc"
