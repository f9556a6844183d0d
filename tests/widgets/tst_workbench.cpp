#include "formats/readerregistry.h"
#include "heatmapview.h"
#include "histogramplot.h"
#include "io/hdf5file.h"
#include "itemmodels/checkpointtreemodel.h"
#include "itemmodels/tensorfilterproxy.h"
#include "kerastestfiles.h"
#include "overviewhtml.h"
#include "plotexport.h"
#include "problemspanel.h"
#include "sourcesview.h"
#include "tensorinspector.h"
#include "testutil.h"
#include "valuestablemodel.h"
#include "valuesview.h"
#include "workbench.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFontMetricsF>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextTable>
#include <QTreeView>
#include <QTreeWidget>
#include <QUrl>
#include <cmath>
#include <qcustomplot.h>
#include <random>

using namespace wl;

namespace
{

struct Synthetic {
    QString dataFile;
    OpenResult result;
    QHash<QString, std::vector<float>> values; // by readable name
};

// A checkpoint written by the test: float32 tensors stored raw, one after another.
Synthetic makeCheckpoint(const QString &dir)
{
    Synthetic s;
    s.dataFile = dir + QStringLiteral("/synthetic.bin");
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.1f, 0.5f);
    struct Spec {
        QString name;
        std::vector<std::int64_t> dims;
    };
    const QList<Spec> specs{{QStringLiteral("dense/kernel"), {16, 32}},
                            {QStringLiteral("dense/bias"), {32}},
                            {QStringLiteral("conv/kernel"), {2, 3, 4, 5}}};
    CheckpointIndex idx;
    idx.path = dir + QStringLiteral("/synthetic");
    idx.displayName = QStringLiteral("synthetic");
    idx.readerId = QStringLiteral("test");
    idx.formatName = QStringLiteral("Raw test tensors");
    QByteArray bytes;
    for (const auto &spec : specs) {
        Shape shape{spec.dims};
        std::vector<float> v(std::size_t(*shape.numElements()));
        for (std::size_t i = 0; i < v.size(); ++i)
            v[i] =
                spec.name == QLatin1String("conv/kernel") ? float(i) * 0.5f - 30.0f : normal(rng);
        TensorInfo t;
        t.key = spec.name + QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE");
        t.name = spec.name;
        t.dtype = DType::Float32;
        t.shape = shape;
        t.checksum = ChecksumState::None;
        t.location.file = s.dataFile;
        t.location.offset = bytes.size();
        t.location.size = qint64(v.size() * sizeof(float));
        bytes.append(reinterpret_cast<const char *>(v.data()), qsizetype(t.location.size));
        idx.tensors << t;
        s.values.insert(spec.name, v);
    }
    QFile f(s.dataFile);
    if (f.open(QIODevice::WriteOnly))
        f.write(bytes);
    s.result.path = idx.path;
    s.result.kind = QStringLiteral("checkpoint");
    s.result.readerId = idx.readerId;
    s.result.checkpoints.push_back(std::make_shared<Checkpoint>(idx));
    return s;
}

// Counts into bins by hand: [lo, hi] split evenly, the top edge in the last bin.
std::vector<std::uint64_t> countBins(const std::vector<float> &v, double lo, double hi, int bins)
{
    std::vector<std::uint64_t> counts(std::size_t(bins), 0);
    for (float x : v) {
        int b = int((double(x) - lo) / (hi - lo) * bins);
        counts[std::size_t(std::clamp(b, 0, bins - 1))]++;
    }
    return counts;
}

QVector<QPair<double, double>> barData(QCPBars *bars)
{
    QVector<QPair<double, double>> out;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
        out.append({it->key, it->value});
    return out;
}

void compareBars(QCPBars *bars, const std::vector<std::uint64_t> &expected, double lo, double hi)
{
    const auto data = barData(bars);
    QCOMPARE(data.size(), qsizetype(expected.size()));
    const double w = (hi - lo) / double(expected.size());
    QVERIFY(qFuzzyCompare(bars->width(), w));
    for (int i = 0; i < data.size(); ++i) {
        QVERIFY2(std::abs(data[i].first - (lo + (i + 0.5) * w)) < 1e-9 * (1 + std::abs(lo)),
                 qPrintable(QStringLiteral("bin %1 centre").arg(i)));
        QCOMPARE(data[i].second, double(expected[std::size_t(i)]));
    }
}

// Each bar ends where QCustomPlot draws it, at the expected value on the count axis (pixels are
// doubles: only rounding noise is allowed).
void compareTops(QCPBars *bars, const QVector<double> &expected)
{
    QCOMPARE(bars->dataCount(), int(expected.size()));
    for (int i = 0; i < bars->dataCount(); ++i) {
        const double top = bars->valueAxis()->pixelToCoord(bars->dataPixelPosition(i).y());
        QVERIFY2(std::abs(top - expected[i]) <= 1e-9 * expected[i],
                 qPrintable(
                     QStringLiteral("bar %1 ends at %2, not %3").arg(i).arg(top).arg(expected[i])));
    }
}

// The cell texts of every table of a rendered page, row by row, header rows included.
QList<QList<QStringList>> tablesOf(const QTextDocument *doc)
{
    QList<QList<QStringList>> out;
    for (QTextFrame *frame : doc->rootFrame()->childFrames()) {
        auto *table = qobject_cast<QTextTable *>(frame);
        if (!table)
            continue;
        QList<QStringList> rows;
        for (int r = 0; r < table->rows(); ++r) {
            QStringList cells;
            for (int c = 0; c < table->columns(); ++c) {
                const QTextTableCell cell = table->cellAt(r, c);
                QTextCursor cur = cell.firstCursorPosition();
                cur.setPosition(cell.lastCursorPosition().position(), QTextCursor::KeepAnchor);
                cells << cur.selectedText();
            }
            rows << cells;
        }
        out << rows;
    }
    return out;
}

// This process's children from /proc, with their state letter (Z for a zombie).
QList<QPair<int, QChar>> childProcesses()
{
    QList<QPair<int, QChar>> out;
    const QString self = QString::number(QCoreApplication::applicationPid());
    const auto pids = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &pid : pids) {
        bool num = false;
        pid.toInt(&num);
        if (!num)
            continue;
        const QByteArray stat =
            test::readFile(QStringLiteral("/proc/") + pid + QStringLiteral("/stat"));
        // "pid (comm) S ppid ...": comm may hold spaces, so parse after the last ')'.
        const auto fields = QString::fromLatin1(stat.mid(stat.lastIndexOf(')') + 2)).split(' ');
        if (fields.size() > 1 && fields[1] == self)
            out.append({pid.toInt(), fields[0].at(0)});
    }
    return out;
}

} // namespace

// A workbench with the synthetic checkpoint open and 64 histogram bins.
struct OpenedBench {
    QTemporaryDir dir;
    Synthetic syn = makeCheckpoint(dir.path());
    QWidget host;
    Workbench bench{&host};
    OpenedBench()
    {
        bench.inspector()->histogram()->setBins(64);
        bench.addOpened(syn.result);
    }
};

class TestWorkbench : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    // The Overview's checkpoint table lists a run in the source's order, marks the latest and
    // gives each save time: a restarted manager's ckpt-9, ckpt-10, then ckpt-1.
    void overviewTableOfRun()
    {
        OpenResult run;
        run.path = QStringLiteral("/nonexistent/manager");
        run.kind = QStringLiteral("run");
        const QStringList names{QStringLiteral("ckpt-9"), QStringLiteral("ckpt-10"),
                                QStringLiteral("ckpt-1")};
        const QList<double> times{1700000000.0, 1700003600.0, 1700007200.0};
        for (int i = 0; i < 3; ++i) {
            CheckpointIndex idx;
            idx.path = run.path + QLatin1Char('/') + names[i];
            idx.displayName = names[i];
            auto cp = std::make_shared<Checkpoint>(idx);
            cp->setStateFileFacts(i == 2, times[i]);
            run.checkpoints.push_back(cp);
        }
        const QString html = overview::sourcePage(run, {});
        const QString first = QDateTime(QDate(2023, 11, 14), QTime(22, 13, 20), Qt::UTC)
                                  .toLocalTime()
                                  .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        const qsizetype at9 = html.indexOf(QStringLiteral("<td>ckpt-9</td>"));
        const qsizetype at10 = html.indexOf(QStringLiteral("<td>ckpt-10</td>"));
        const qsizetype at1 = html.indexOf(QStringLiteral("<td>ckpt-1 (latest)</td>"));
        QVERIFY2(at9 >= 0 && at9 < at10 && at10 < at1, qPrintable(html));
        QVERIFY(html.indexOf(QStringLiteral("<td>%1</td>").arg(first), at9) < at10);
    }

    void histogramOfSelectedTensor()
    {
        QTemporaryDir dir;
        auto syn = makeCheckpoint(dir.path());
        QWidget host;
        Workbench bench(&host);
        bench.inspector()->histogram()->setBins(0); // automatic
        bench.addOpened(syn.result);
        QCOMPARE(bench.model()->rowCount(), 1);
        QVERIFY(bench.selectTensor(QStringLiteral("dense/kernel")));
        auto *inspector = bench.inspector();
        QTRY_VERIFY_WITH_TIMEOUT(inspector->allReportsArrived(), 20000);
        const auto bars = inspector->histogram()->bars();
        QCOMPARE(bars.size(), 1);

        const auto &v = syn.values.value(QStringLiteral("dense/kernel"));
        const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
        // Automatic bins follow the Rice rule, 2 * cbrt(n), kept within [8, 256].
        const int bins = std::clamp(int(std::lround(2 * std::cbrt(double(v.size())))), 8, 256);
        QCOMPARE(int(barData(bars.first()).size()), bins);
        compareBars(bars.first(), countBins(v, *mn, *mx, bins), *mn, *mx);
        QVERIFY(inspector->overview()->toPlainText().contains(QStringLiteral("Std")));

        // Another bin count recomputes the bars.
        inspector->histogram()->setBins(10);
        QTRY_VERIFY_WITH_TIMEOUT(inspector->allReportsArrived() &&
                                     inspector->histogram()->bars().size() == 1 &&
                                     barData(inspector->histogram()->bars().first()).size() == 10,
                                 20000);
        compareBars(inspector->histogram()->bars().first(), countBins(v, *mn, *mx, 10), *mn, *mx);
    }

    // Background statistics fill the mean column of every tensor without any selection.
    void statisticsColumnsFillIn()
    {
        OpenedBench fixture;
        auto &syn = fixture.syn;
        auto &bench = fixture.bench;
        const auto cp = syn.result.checkpoints.front();
        auto meanOf = [&](int i) {
            const QModelIndex idx =
                bench.model()->indexOf(TensorRef{cp, i}, CheckpointTreeModel::MeanColumn);
            return bench.model()->data(idx, CheckpointTreeModel::SortRole);
        };
        for (int i = 0; i < 3; ++i) {
            QTRY_VERIFY_WITH_TIMEOUT(meanOf(i).isValid(), 20000);
            const QString name = cp->tensor(i).name;
            const auto &v = syn.values.value(name);
            double sum = 0;
            for (float x : v)
                sum += x;
            QVERIFY2(std::abs(meanOf(i).toDouble() - sum / double(v.size())) < 1e-9,
                     qPrintable(name));
        }
    }

    // The filter box narrows the tree; close removes the source and shows the empty state.
    void filterAndClose()
    {
        OpenedBench fixture;
        auto &bench = fixture.bench;
        auto *view = bench.sources();
        auto countTensors = [](const QAbstractItemModel *m) {
            int n = 0;
            std::function<void(const QModelIndex &)> walk = [&](const QModelIndex &p) {
                for (int r = 0; r < m->rowCount(p); ++r) {
                    const QModelIndex i = m->index(r, 0, p);
                    if (m->rowCount(i) == 0)
                        ++n;
                    walk(i);
                }
            };
            walk({});
            return n;
        };
        QCOMPARE(countTensors(view->tree()->model()), 3);
        view->filterEdit()->setText(QStringLiteral("kernel"));
        QCOMPARE(countTensors(view->tree()->model()), 2);
        auto *syntax = view->findChild<QComboBox *>();
        QVERIFY(syntax);
        syntax->setCurrentIndex(2); // regex
        view->filterEdit()->setText(QStringLiteral("dense/(kernel"));
        QVERIFY(view->filterEdit()->toolTip().contains(QStringLiteral("Invalid pattern")));
        QCOMPARE(countTensors(view->tree()->model()), 0);
        view->filterEdit()->clear();
        QCOMPARE(countTensors(view->tree()->model()), 3);

        bench.sources()->select(bench.model()->index(0, 0));
        bench.closeSelected();
        QCOMPARE(bench.model()->rowCount(), 0);
        QVERIFY(bench.openSourcePaths().isEmpty());
        QCOMPARE(static_cast<QStackedWidget *>(bench.centre())->currentIndex(), 0);
    }

    // A problem that names a tensor selects it when activated.
    void problemSelectsItsTensor()
    {
        QTemporaryDir dir;
        auto syn = makeCheckpoint(dir.path());
        const QString key = QStringLiteral("conv/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        syn.result.problems << Problem{Problem::Severity::Warning, syn.dataFile, key,
                                       QStringLiteral("stored checksum does not match")};
        QWidget host;
        Workbench bench(&host);
        bench.inspector()->histogram()->setBins(64);
        bench.addOpened(syn.result);
        auto *list = bench.problems()->list();
        QCOMPARE(list->topLevelItemCount(), 1);
        QCOMPARE(list->topLevelItem(0)->text(3), key);
        emit list->itemActivated(list->topLevelItem(0), 0);
        const auto tensors = bench.sources()->selectedTensors();
        QCOMPARE(tensors.size(), 1);
        QCOMPARE(tensors.first().info().key, key);
    }

    void layerOverlaysItsTensors()
    {
        OpenedBench fixture;
        auto &syn = fixture.syn;
        auto &bench = fixture.bench;
        const auto cp = syn.result.checkpoints.front();
        const QModelIndex kernel = bench.model()->indexOf(TensorRef{cp, 0});
        bench.sources()->select(kernel.parent()); // the "dense" layer
        auto *inspector = bench.inspector();
        QCOMPARE(inspector->histogramTensors().size(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(inspector->allReportsArrived(), 20000);
        const auto bars = inspector->histogram()->bars();
        QCOMPARE(bars.size(), 2);
        QVERIFY(bars[0]->brush().color() != bars[1]->brush().color());
        QVERIFY(inspector->histogram()->plot()->legend->visible());
        const int bins = inspector->histogram()->bins();
        QStringList names;
        for (auto *b : bars) {
            names << b->name();
            const auto &v = syn.values.value(QStringLiteral("dense/") + b->name());
            QVERIFY2(!v.empty(), qPrintable(b->name()));
            const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
            compareBars(b, countBins(v, *mn, *mx, bins), *mn, *mx);
        }
        names.sort();
        QCOMPARE(names, QStringList({QStringLiteral("bias"), QStringLiteral("kernel")}));
    }

    // Choosing B right after A shows B only, even though A's work was under way.
    void staleSelectionIsDropped()
    {
        OpenedBench fixture;
        auto &syn = fixture.syn;
        auto &bench = fixture.bench;
        QVERIFY(bench.selectTensor(QStringLiteral("dense/kernel")));
        QVERIFY(bench.selectTensor(QStringLiteral("conv/kernel")));
        auto *inspector = bench.inspector();
        QTRY_VERIFY_WITH_TIMEOUT(inspector->allReportsArrived(), 20000);
        QTest::qWait(200);
        QCOMPARE(inspector->histogramTensors().size(), 1);
        QCOMPARE(inspector->histogramTensors().first().info().name, QStringLiteral("conv/kernel"));
        const auto &v = syn.values.value(QStringLiteral("conv/kernel"));
        compareBars(inspector->histogram()->bars().first(),
                    countBins(v, -30.0, 0.5 * 119 - 30.0, inspector->histogram()->bins()), -30.0,
                    0.5 * 119 - 30.0);
    }

    void valuesTableShowsSlice()
    {
        OpenedBench fixture;
        auto &bench = fixture.bench;
        auto *inspector = bench.inspector();
        inspector->setCurrentIndex(TensorInspector::ValuesTab);
        QVERIFY(bench.selectTensor(QStringLiteral("conv/kernel"))); // shape [2, 3, 4, 5]
        auto *view = inspector->values();
        auto *model = view->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, 20000);
        QCOMPARE(model->columnCount(), 5);
        view->setFixedIndex(0, 1);
        view->setFixedIndex(1, 2);
        auto expected = [](int i0, int i1, int i2, int i3) {
            return QString::number(double(((i0 * 3 + i1) * 4 + i2) * 5 + i3) * 0.5 - 30.0, 'g', 7);
        };
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 5; ++c)
                QCOMPARE(model->data(model->index(r, c)).toString(), expected(1, 2, r, c));

        // Rows along dim 1, columns along dim 3; dims 0 and 2 fixed at 1 and 3.
        view->setSliceDims(1, 3);
        view->setFixedIndex(2, 3);
        QCOMPARE(model->rowCount(), 3);
        QCOMPARE(model->columnCount(), 5);
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 5; ++c)
                QCOMPARE(model->data(model->index(r, c)).toString(), expected(1, r, 3, c));

        // The heatmap shows the same slice with a colour range symmetric around zero.
        view->setHeatmapVisible(true);
        auto *map = view->heatmap()->colorMap();
        QCOMPARE(map->data()->keySize(), 5);
        QCOMPARE(map->data()->valueSize(), 3);
        QCOMPARE(map->data()->cell(4, 2), double(((1 * 3 + 2) * 4 + 3) * 5 + 4) * 0.5 - 30.0);
        QCOMPARE(map->dataRange().lower, -map->dataRange().upper);
        double maxAbs = 0;
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 5; ++c)
                maxAbs = std::max(maxAbs, std::abs(model->valueAt(r, c)));
        QCOMPARE(map->dataRange().upper, maxAbs);
    }

    void exportsWriteFiles()
    {
        HistogramPlot plot;
        plot.resize(640, 400);
        Histogram h{-1.0, 1.0, {3, 0, 5, 2}};
        plot.setSeries({HistogramSeries{QStringLiteral("w, \"x\""), h, 1, 2}});
        QTemporaryDir dir;
        const QByteArray csv = histogramCsv(plot.series());
        QVERIFY(saveHistogramCsv(plot.series(), dir.filePath(QStringLiteral("h.csv"))).ok());
        QFile f(dir.filePath(QStringLiteral("h.csv")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + 4 + 2);
        QCOMPARE(lines[0], QByteArray("series,bin,lo,hi,count"));
        QCOMPARE(lines[1], QByteArray("\"w, \"\"x\"\"\",0,-1,-0.5,3"));
        QCOMPARE(lines[4], QByteArray("\"w, \"\"x\"\"\",3,0.5,1,2"));
        QVERIFY(lines[5].endsWith(",nan,,,1"));
        QVERIFY(lines[6].endsWith(",inf,,,2"));
        const QList<QPair<QString, QByteArray>> images{{QStringLiteral("h.png"), "\x89PNG"},
                                                       {QStringLiteral("h.svg"), "<?xml"},
                                                       {QStringLiteral("h.pdf"), "%PDF"}};
        for (const auto &[name, magic] : images) {
            const QString path = dir.filePath(name);
            const Status st = savePlot(plot.plot(), path, 640, 400);
            QVERIFY2(st.ok(), qPrintable(st.ok() ? QString() : st.error().message()));
            QFile out(path);
            QVERIFY(out.open(QIODevice::ReadOnly));
            QVERIFY2(out.read(magic.size()) == magic, qPrintable(name));
        }
        QVERIFY(!savePlot(plot.plot(), dir.filePath(QStringLiteral("h.bmp"))).ok());
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("h.bmp"))));
    }

    void hoverReadsBinRangeAndCount()
    {
        HistogramPlot plot;
        plot.resize(640, 400);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setSeries({HistogramSeries{QStringLiteral("w"), Histogram{0.0, 4.0, {3, 0, 5, 2}}}});
        auto *axis = plot.plot()->xAxis;
        const double y = plot.plot()->axisRect()->center().y();
        QCOMPARE(plot.readoutAt(QPointF(axis->coordToPixel(2.5), y)),
                 QStringLiteral("[2, 3): 5 values"));
        QCOMPARE(plot.readoutAt(QPointF(axis->coordToPixel(3.9), y)),
                 QStringLiteral("[3, 4]: 2 values"));
        QVERIFY(plot.readoutAt(QPointF(axis->coordToPixel(-0.5), y)).isEmpty());
        // Log counts leave out empty bins (log 0) but keep every other count.
        plot.setLogScale(true);
        compareTops(plot.bars().first(), {3, 5, 2});
        // Density: count / (10 values * bin width 1), so the bars add up to one.
        plot.setLogScale(false);
        plot.setDensity(true);
        const auto dens = plot.bars().first()->data();
        QCOMPARE(dens->size(), 4);
        QCOMPARE(dens->at(0)->value, 0.3);
        QCOMPARE(dens->at(1)->value, 0.0);
        QCOMPARE(dens->at(2)->value, 0.5);
        QCOMPARE(dens->at(3)->value, 0.2);
    }

    // On a log axis a bar starts below one count and ends exactly at its count: a bin of one
    // value reaches 1, not 1 plus the base.
    void logBarsEndAtTheirCounts()
    {
        OpenedBench fixture;
        auto *computed = fixture.bench.inspector()->histogram();
        computed->setBins(10);
        QVERIFY(fixture.bench.selectTensor(QStringLiteral("dense/bias")));
        QTRY_VERIFY_WITH_TIMEOUT(
            fixture.bench.inspector()->allReportsArrived() && computed->bars().size() == 1, 20000);
        // The bench's bins drawn in a plot on screen, where pixels map to counts.
        HistogramPlot shown;
        shown.resize(640, 400);
        shown.show();
        QVERIFY(QTest::qWaitForWindowExposed(&shown));
        shown.setSeries(computed->series());
        auto *plot = &shown;
        const auto &v = fixture.syn.values.value(QStringLiteral("dense/bias"));
        const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
        QVector<double> expected;
        for (auto c : countBins(v, *mn, *mx, 10))
            if (c > 0)
                expected << double(c);
        QVERIFY(expected.contains(1.0)); // the case that was drawn at 1.8
        plot->setLogScale(true);
        auto *bars = plot->bars().first();
        compareTops(bars, expected);
        QVERIFY(bars->baseValue() > 0 && bars->baseValue() < 1);
        QVERIFY(plot->plot()->yAxis->range().lower <= bars->baseValue());

        // Density on a log axis: the bars end at count / (total * bin width).
        plot->setDensity(true);
        bars = plot->bars().first();
        const double w = (double(*mx) - double(*mn)) / 10;
        QVector<double> densities;
        for (double c : expected)
            densities << c / (double(v.size()) * w);
        compareTops(bars, densities);
        QVERIFY(bars->baseValue() > 0 &&
                bars->baseValue() < *std::min_element(densities.begin(), densities.end()));
    }

    // Bad paths opened together with good ones: one message for all of them, every problem a
    // row that the panel shows without scrolling, a missing listed checkpoint reported once and
    // a file no reader claims listed once as information.
    void openErrorsSummedUpOnce()
    {
        WL_REQUIRE_CORPUS();
        const QString a2c = wl::test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"));
        const QString h5 =
            wl::test::corpus(QStringLiteral("keras2-h5-weights/mnist-keras-weights/weights.h5"));
        QTemporaryDir dir;
        // A run whose state file lists ckpt-7..9, with ckpt-7 gone and a note beside them.
        const QString run = dir.filePath(QStringLiteral("run"));
        QVERIFY(QDir().mkpath(run));
        for (const QString &name :
             {QStringLiteral("checkpoint"), QStringLiteral("ckpt-8.index"),
              QStringLiteral("ckpt-8.data-00000-of-00001"), QStringLiteral("ckpt-9.index"),
              QStringLiteral("ckpt-9.data-00000-of-00001")})
            QVERIFY(QFile::copy(a2c + QLatin1Char('/') + name, run + QLatin1Char('/') + name));
        QVERIFY(wl::test::writeFile(run + QStringLiteral("/notes.txt"), "learning rate 1e-3\n"));
        const QString junk = dir.filePath(QStringLiteral("junk.bin"));
        const QString cut = dir.filePath(QStringLiteral("cut.index"));
        const QString empty = dir.filePath(QStringLiteral("empty.h5"));
        QVERIFY(wl::test::writeFile(junk, QByteArray(1000, '\x5a')));
        QVERIFY(wl::test::writeFile(
            cut, wl::test::readFile(a2c + QStringLiteral("/ckpt-9.index")).left(100)));
        QVERIFY(wl::test::writeFile(empty, {}));

        QWidget host;
        Workbench bench(&host);
        QSplitter split(Qt::Vertical);
        split.addWidget(new QWidget);
        split.addWidget(bench.problems());
        split.resize(900, 700);
        split.setSizes({610, 90});
        split.show();
        QVERIFY(QTest::qWaitForWindowExposed(&split));
        QSignalSpy errors(&bench, &Workbench::errorOccurred);
        bench.openPaths({run, junk, cut, h5, empty});
        QTRY_VERIFY_WITH_TIMEOUT(bench.pendingOpens() == 0, 30000);
        QCOMPARE(bench.model()->rowCount(), 2);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.first().first().toString(),
                 QStringLiteral("3 of 5 paths could not be read: see Problems"));

        auto *list = bench.problems()->list();
        QCOMPARE(list->topLevelItemCount(), bench.problems()->count());
        int failed = 0, missing = 0, notRead = 0;
        for (int i = 0; i < list->topLevelItemCount(); ++i) {
            const auto *item = list->topLevelItem(i);
            const QString file = item->data(2, Qt::UserRole).toString();
            if (item->text(0) == QStringLiteral("Error") &&
                QStringList{junk, cut, empty}.contains(file))
                ++failed;
            if (item->text(1).contains(QStringLiteral("missing")) &&
                item->text(3) == QStringLiteral("ckpt-7"))
                ++missing;
            if (file.endsWith(QStringLiteral("/notes.txt"))) {
                QCOMPARE(item->text(0), QStringLiteral("Info"));
                QVERIFY2(item->text(1).startsWith(QStringLiteral("not read")),
                         qPrintable(item->text(1)));
                ++notRead;
            }
        }
        QCOMPARE(failed, 3);
        QCOMPARE(missing, 1);
        QCOMPARE(notRead, 1);

        // The run's Overview lists the same findings: the missing checkpoint in red, the file
        // not read after it in grey, as information.
        bench.sources()->select(bench.model()->index(0, 0));
        const QTextDocument *doc = bench.inspector()->overview()->document();
        auto lineColour = [doc](const QString &needle) -> std::pair<int, QColor> {
            for (QTextBlock b = doc->begin(); b.isValid(); b = b.next())
                if (b.text().contains(needle))
                    for (auto it = b.begin(); !it.atEnd(); ++it)
                        if (it.fragment().text().contains(needle))
                            return {b.blockNumber(),
                                    it.fragment().charFormat().foreground().color()};
            return {-1, {}};
        };
        QTRY_VERIFY(lineColour(QStringLiteral("notes.txt: not read")).first >= 0);
        const auto [missingLine, missingColour] = lineColour(QStringLiteral("ckpt-7"));
        const auto [noteLine, noteColour] = lineColour(QStringLiteral("notes.txt: not read"));
        QVERIFY2(missingLine >= 0 && missingLine < noteLine, qPrintable(doc->toPlainText()));
        QCOMPARE(missingColour, QColor(0xb0, 0x3a, 0x2e));
        QCOMPARE(noteColour, QColor(0x66, 0x66, 0x66));

        // The panel grows in its splitter until every row is in view.
        QVERIFY(list->topLevelItemCount() <= ProblemsPanel::kShownRows);
        auto allInView = [list] {
            for (int i = 0; i < list->topLevelItemCount(); ++i) {
                const QRect r = list->visualItemRect(list->topLevelItem(i));
                if (!r.isValid() || r.bottom() > list->viewport()->height())
                    return false;
            }
            return true;
        };
        QTRY_VERIFY(allInView());
    }

    // A filter narrows the totals of sources, checkpoints and groups to the visible tensors and
    // says how many tensors match, all as summed from the ground truth's shapes and sizes.
    void filteredTreeTotalsWhatIsVisible()
    {
        WL_REQUIRE_CORPUS();
        const QString item = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts");
        auto opened = ReaderRegistry::builtin().open(wl::test::corpus(item));
        QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().message()));
        QWidget host;
        Workbench bench(&host);
        bench.addOpened(opened.value());
        auto *sources = bench.sources();
        const QString pattern = QStringLiteral("hidden1/kernel");
        sources->filterEdit()->setText(pattern);

        auto *proxy = sources->proxy();
        auto totals = [&](const QModelIndex &sourceIndex) {
            const QModelIndex i = proxy->mapFromSource(sourceIndex);
            auto at = [&](int column) {
                return i.siblingAtColumn(column).data(CheckpointTreeModel::SortRole).toLongLong();
            };
            return std::pair<std::int64_t, std::int64_t>{at(CheckpointTreeModel::ParamsColumn),
                                                         at(CheckpointTreeModel::BytesColumn)};
        };
        std::int64_t allParams = 0, allBytes = 0, matching = 0, total = 0;
        const auto &checkpoints = opened.value().checkpoints;
        QCOMPARE(checkpoints.size(), std::size_t(3));
        for (const auto &cp : checkpoints) {
            std::int64_t params = 0, bytes = 0;
            const auto truth = wl::test::groundTruthTensors(item, cp->index().displayName);
            QVERIFY(!truth.isEmpty());
            for (const auto &t : truth) {
                ++total;
                if (!t[QStringLiteral("key")].toString().contains(pattern))
                    continue;
                ++matching;
                std::int64_t n = 1;
                for (const auto &d : t[QStringLiteral("shape")].toArray())
                    n *= d.toInteger();
                params += n;
                bytes += t[QStringLiteral("size")].toInteger();
            }
            QCOMPARE(totals(bench.model()->indexOfCheckpoint(cp.get())), std::pair(params, bytes));
            allParams += params;
            allBytes += bytes;
        }
        QVERIFY(matching > 0 && matching < total);
        const QModelIndex source = bench.model()->index(0, 0);
        QCOMPARE(totals(source), std::pair(allParams, allBytes));
        QCOMPARE(proxy->mapFromSource(source)
                     .siblingAtColumn(CheckpointTreeModel::ParamsColumn)
                     .data()
                     .toString(),
                 QLocale().toString(qlonglong(allParams)));
        QCOMPARE(sources->matchCount()->text(),
                 QStringLiteral("%1 of %2 tensors match").arg(matching).arg(total));
        QVERIFY(!sources->matchCount()->isHidden());

        // Without a filter the totals are the whole checkpoint's again.
        sources->filterEdit()->clear();
        QVERIFY(sources->matchCount()->isHidden());
        const auto &whole = checkpoints.back()->index();
        std::int64_t params = 0;
        for (const auto &t : whole.tensors)
            params += t.numElements();
        QCOMPARE(totals(bench.model()->indexOfCheckpoint(checkpoints.back().get())).first, params);
    }

    // Counts of one agree with their noun in the status summary.
    void summarySaysOneTensor()
    {
        QTemporaryDir dir;
        auto syn = makeCheckpoint(dir.path());
        QWidget host;
        Workbench bench(&host);
        QSignalSpy summary(&bench, &Workbench::summaryChanged);
        bench.addOpened(syn.result);
        QVERIFY(!summary.isEmpty());
        QCOMPARE(summary.last().first().toString(),
                 QStringLiteral("Selection: 3 tensors, 664 values, %1")
                     .arg(overview::formatBytes(664 * 4)));
        summary.clear();
        QVERIFY(bench.selectTensor(QStringLiteral("dense/bias")));
        QCOMPARE(summary.last().first().toString(),
                 QStringLiteral("Selection: 1 tensor, 32 values, %1")
                     .arg(overview::formatBytes(32 * 4)));
        bench.sources()->tree()->clearSelection();
        QCOMPARE(summary.last().first().toString(),
                 QStringLiteral("1 source open: 3 tensors, %1")
                     .arg(overview::formatBytes((16 * 32 + 32 + 2 * 3 * 4 * 5) * 4)));
    }

    // A folder holding runs in sub-folders has no reader of its own; its Overview names the
    // reader of its checkpoints instead of leaving the row blank.
    void overviewNamesReaderOfSubRuns()
    {
        WL_REQUIRE_CORPUS();
        auto r = ReaderRegistry::builtin().open(wl::test::corpus(QStringLiteral("tf2-checkpoint")));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message()));
        QCOMPARE(r.value().readerId, QString());
        QCOMPARE(r.value().checkpoints.size(), 3);
        const QString html = overview::sourcePage(r.value(), {});
        QVERIFY2(html.contains(QStringLiteral("<td class='k'>Reader</td><td>tf-bundle</td>")),
                 qPrintable(html));
    }

    // A run sub-folder of a scanned folder holds several checkpoints: its Overview lists them
    // in the model's order, then each tensor once, those of the latest checkpoint.
    void runFolderOverviewListsLatestTensorsOnce()
    {
        WL_REQUIRE_CORPUS();
        const QString item = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts");
        const QStringList names{QStringLiteral("ckpt-7"), QStringLiteral("ckpt-8"),
                                QStringLiteral("ckpt-9")};
        QTemporaryDir dir;
        for (const QString &run : {QStringLiteral("run-a"), QStringLiteral("run-b")}) {
            const QString runDir = dir.path() + QLatin1Char('/') + run;
            QVERIFY(QDir().mkpath(runDir));
            for (const auto &n : names)
                QVERIFY(wl::test::copyBundle(wl::test::corpus(item + QLatin1Char('/') + n),
                                             runDir + QLatin1Char('/') + n));
            QVERIFY(wl::test::writeStateFile(runDir, names.back(), names));
        }
        auto opened = ReaderRegistry::builtin().open(dir.path());
        QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().message()));
        QWidget host;
        Workbench bench(&host);
        bench.addOpened(opened.value());
        auto *model = bench.model();
        const QModelIndex source = model->index(0, 0);
        QCOMPARE(model->rowCount(source), 2);
        const QModelIndex runIndex = model->index(0, 0, source);
        QCOMPARE(model->nodeKind(runIndex), CheckpointTreeModel::NodeKind::Group);
        QCOMPARE(model->rowCount(runIndex), 3);
        bench.sources()->select(runIndex);

        const auto tables = tablesOf(bench.inspector()->overview()->document());
        QCOMPARE(tables.size(), 2);
        const auto &checkpoints = tables[0];
        QCOMPARE(checkpoints.size(), 1 + model->rowCount(runIndex));
        std::shared_ptr<const Checkpoint> latest;
        for (int r = 0; r < model->rowCount(runIndex); ++r) {
            const auto cp = model->checkpointAt(model->index(r, 0, runIndex));
            QVERIFY(cp);
            const QStringList &cells = checkpoints[r + 1];
            QCOMPARE(cells[0], cp->index().displayName +
                                   (cp->index().latest ? QStringLiteral(" (latest)") : QString()));
            QCOMPARE(cells[1], cp->index().formatName);
            QCOMPARE(cells[4], QLocale().toString(
                                   qlonglong(wl::test::groundTruthTensors(item, names[r]).size())));
            if (cp->index().latest)
                latest = cp;
        }
        QVERIFY(latest);
        QCOMPARE(latest->index().displayName, names.back());

        const auto &tensors = tables[1];
        const QJsonArray truth = wl::test::groundTruthTensors(item, names.back());
        QVERIFY(!truth.isEmpty());
        QCOMPARE(tensors.size(), 1 + truth.size());
        QSet<QString> seen;
        for (int r = 1; r < tensors.size(); ++r) {
            QVERIFY2(!seen.contains(tensors[r][0]), qPrintable(tensors[r][0]));
            seen.insert(tensors[r][0]);
        }
        QVERIFY(bench.inspector()->overview()->toPlainText().contains(
            QStringLiteral("Tensors of ckpt-9 (latest)")));

        // The folder's own page lists all six, each named by its run as the tree shows them.
        bench.sources()->select(source);
        const auto sourceTables = tablesOf(bench.inspector()->overview()->document());
        QCOMPARE(sourceTables.size(), 2);
        QStringList expected{QStringLiteral("Name")}, listed;
        for (int r = 0; r < model->rowCount(source); ++r) {
            const QModelIndex run = model->index(r, 0, source);
            for (int c = 0; c < model->rowCount(run); ++c)
                expected << model->data(run).toString() + QLatin1Char('/') +
                                model->data(model->index(c, 0, run)).toString();
        }
        for (const auto &cells : sourceTables[1])
            listed << cells[0];
        QCOMPARE(listed, expected);
        QCOMPARE(listed.size(), 7);
    }

    void dropOpensFilesAndFolders()
    {
        WL_REQUIRE_CORPUS();
        const QString run = wl::test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"));
        const QString h5 =
            wl::test::corpus(QStringLiteral("keras2-h5-weights/mnist-keras-weights/weights.h5"));
        QWidget host;
        Workbench bench(&host);
        bench.inspector()->histogram()->setBins(64);
        QWidget target;
        bench.installDropTarget(&target);
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(run), QUrl::fromLocalFile(h5)});
        QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&target, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&target, &drop);
        QVERIFY(drop.isAccepted());
        QTRY_COMPARE_WITH_TIMEOUT(bench.model()->rowCount(), 2, 30000);
        QStringList opened = bench.openSourcePaths();
        opened.sort();
        QStringList expected{QDir::cleanPath(run), QDir::cleanPath(h5)};
        expected.sort();
        QCOMPARE(opened, expected);

        // The folder is a run of its three checkpoints (ckpt-7..9 per the corpus manifest).
        const int runRow = bench.openSourcePaths().indexOf(QDir::cleanPath(run));
        const QModelIndex runIndex = bench.model()->index(runRow, 0);
        QCOMPARE(bench.model()->rowCount(runIndex), 3);

        // Background statistics fill the mean column of every checkpoint of the run.
        const auto truth = wl::test::loadJson(run + QStringLiteral("/GROUND_TRUTH_TF.json"));
        for (int c = 0; c < 3; ++c) {
            const auto cp = bench.model()->checkpointAt(bench.model()->index(c, 0, runIndex));
            QVERIFY(cp);
            const auto tensors =
                truth[QStringLiteral("bundles")][cp->index().displayName][QStringLiteral("tensors")]
                    .toArray();
            QVERIFY(!tensors.isEmpty());
            for (const auto &gt : tensors) {
                if (gt[QStringLiteral("mean")].isNull())
                    continue;
                const int i = cp->index().indexOfKey(gt[QStringLiteral("key")].toString());
                QVERIFY(i >= 0);
                const QModelIndex cell =
                    bench.model()->indexOf(TensorRef{cp, i}, CheckpointTreeModel::MeanColumn);
                QTRY_VERIFY_WITH_TIMEOUT(
                    bench.model()->data(cell, CheckpointTreeModel::SortRole).isValid(), 20000);
                const double mean =
                    bench.model()->data(cell, CheckpointTreeModel::SortRole).toDouble();
                const double expected = gt[QStringLiteral("mean")].toDouble();
                QVERIFY2(std::abs(mean - expected) <= 1e-9 * (1 + std::abs(expected)),
                         qPrintable(gt[QStringLiteral("key")].toString()));
            }
        }

        // A tensor of the run: the bars equal a count over its stored bytes.
        const QString key = QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        QVERIFY(bench.selectTensor(key));
        auto *inspector = bench.inspector();
        QTRY_VERIFY_WITH_TIMEOUT(inspector->allReportsArrived(), 20000);
        const TensorRef t = inspector->histogramTensors().first();
        QJsonObject gt;
        const auto bundle = truth[QStringLiteral("bundles")][t.checkpoint->index().displayName];
        for (const auto &v : bundle[QStringLiteral("tensors")].toArray())
            if (v[QStringLiteral("key")].toString() == key)
                gt = v.toObject();
        QVERIFY(!gt.isEmpty());
        QFile data(
            run + QStringLiteral("/%1.data-00000-of-00001").arg(t.checkpoint->index().displayName));
        QVERIFY(data.open(QIODevice::ReadOnly));
        QVERIFY(data.seek(gt[QStringLiteral("offset")].toInteger()));
        const QByteArray raw = data.read(gt[QStringLiteral("size")].toInteger());
        std::vector<float> v(std::size_t(raw.size()) / 4);
        std::memcpy(v.data(), raw.constData(), v.size() * 4);
        const double lo = gt[QStringLiteral("min")].toDouble();
        const double hi = gt[QStringLiteral("max")].toDouble();
        QCOMPARE(qint64(v.size()), gt[QStringLiteral("count")].toInteger());
        compareBars(inspector->histogram()->bars().first(),
                    countBins(v, lo, hi, inspector->histogram()->bins()), lo, hi);

        // Reload opens the same paths again and replaces each source in place of a duplicate.
        bench.reload();
        QCOMPARE(bench.pendingOpens(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(bench.pendingOpens(), 0, 30000);
        QCOMPARE(bench.model()->rowCount(), 2);
        opened = bench.openSourcePaths();
        opened.sort();
        QCOMPARE(opened, expected);
    }

    // A string tensor is read for its overview though it has no histogram: the checksum is
    // verified, and a read failure shows there, naming the shard and the tensor. A layer whose
    // tensors partly fail to read counts them in the plot's title.
    void overviewSettlesForStringsAndReadErrors()
    {
        WL_REQUIRE_CORPUS();
        const QString item = QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts/");
        const QString shardName = QStringLiteral("ckpt-9.data-00000-of-00001");
        const QString graph = QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH");
        const auto tensors = wl::test::groundTruthTensors(item, QStringLiteral("ckpt-9"));
        QJsonObject graphTruth;
        for (const auto &v : tensors)
            if (v[QStringLiteral("key")].toString() == graph)
                graphTruth = v.toObject();
        QCOMPARE(graphTruth[QStringLiteral("dtype")].toString(), QStringLiteral("DT_STRING"));
        QVERIFY(graphTruth[QStringLiteral("crc_ok")].toBool());
        const QByteArray shard = wl::test::readFile(wl::test::corpus(item + shardName));
        const QByteArray index = wl::test::readFile(wl::test::corpus(item + "ckpt-9.index"));
        QVERIFY(!shard.isEmpty() && !index.isEmpty());

        auto open = [&](const QString &dir, qint64 cut, Workbench &bench) {
            const bool written =
                wl::test::writeFile(dir + QStringLiteral("/ckpt-9.index"), index) &&
                wl::test::writeFile(dir + QLatin1Char('/') + shardName, shard.left(cut));
            bench.openPaths({dir + QStringLiteral("/ckpt-9")});
            return written;
        };
        auto overviewText = [](Workbench &bench) {
            return bench.inspector()->overview()->toPlainText();
        };

        QTemporaryDir whole, cut;
        QWidget host;
        Workbench intact(&host);
        QVERIFY(open(whole.path(), shard.size(), intact));
        QTRY_COMPARE_WITH_TIMEOUT(intact.model()->rowCount(), 1, 30000);
        QVERIFY(intact.selectTensor(graph));
        QTRY_VERIFY_WITH_TIMEOUT(
            overviewText(intact).contains(QStringLiteral("No numeric statistics for string")),
            20000);
        QVERIFY2(overviewText(intact).contains(QStringLiteral("Checksum\nverified")) &&
                     !overviewText(intact).contains(QStringLiteral("Computing")),
                 qPrintable(overviewText(intact)));

        const qint64 at = 900;
        QVERIFY(graphTruth[QStringLiteral("offset")].toInteger() > at);
        Workbench damaged(&host);
        QVERIFY(open(cut.path(), at, damaged));
        QTRY_COMPARE_WITH_TIMEOUT(damaged.model()->rowCount(), 1, 30000);
        QVERIFY(damaged.selectTensor(graph));
        QTRY_VERIFY_WITH_TIMEOUT(overviewText(damaged).contains(QStringLiteral("truncated")),
                                 20000);
        const QString text = overviewText(damaged);
        QVERIFY2(text.count(shardName) == 2 && text.count(graph) >= 2, qPrintable(text));

        // A layer: the plot's title counts the tensors past the cut (by the ground truth).
        QVERIFY(damaged.selectTensor(QStringLiteral("critic_optimizer")));
        auto *inspector = damaged.inspector();
        QTRY_VERIFY_WITH_TIMEOUT(inspector->allReportsArrived(), 20000);
        int past = 0;
        for (const auto &t : inspector->histogramTensors())
            for (const auto &v : tensors)
                if (v[QStringLiteral("key")].toString() == t.info().key)
                    past += v[QStringLiteral("offset")].toInteger() +
                                        v[QStringLiteral("size")].toInteger() >
                                    at
                                ? 1
                                : 0;
        QVERIFY(past > 0 && past < inspector->histogramTensors().size());
        auto *title = qobject_cast<QCPTextElement *>(
            inspector->histogram()->plot()->plotLayout()->element(0, 0));
        QVERIFY(title);
        QVERIFY2(title->text().endsWith(QStringLiteral("(%1 unreadable)").arg(past)),
                 qPrintable(title->text()));
    }

    // A long message (a read error naming a long key) is broken into lines that fit the plot,
    // at spaces where it can be and inside the key where it cannot, and again on a resize.
    void longMessageWrapsToThePlot()
    {
        HistogramPlot plot;
        plot.resize(700, 360);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        const QString message = QStringLiteral(
            "shard.data-00000-of-00001: truncated at tensor "
            "\"critic/hidden1/bias/.OPTIMIZER_SLOT/critic_optimizer/m/.ATTRIBUTES/"
            "VARIABLE_VALUE\", offset 888: expected 20 bytes, found file ends at 900");
        plot.setMessage(message);
        auto check = [&] {
            QCPItemText *note = nullptr;
            for (int i = 0; i < plot.plot()->itemCount(); ++i)
                if (auto *t = qobject_cast<QCPItemText *>(plot.plot()->item(i)))
                    note = t;
            QVERIFY(note);
            const QStringList lines = note->text().split(QLatin1Char('\n'));
            QVERIFY2(lines.size() > 1, qPrintable(note->text()));
            const QFontMetricsF metrics(note->font());
            for (const auto &line : lines)
                QVERIFY2(metrics.horizontalAdvance(line) <= plot.plot()->width(), qPrintable(line));
            QString joined = note->text(), original = message;
            joined.remove(QLatin1Char('\n')).remove(QLatin1Char(' '));
            original.remove(QLatin1Char(' '));
            QCOMPARE(joined, original);
        };
        check();
        const int wide = plot.plot()->width();
        plot.resize(520, 360);
        QTRY_VERIFY(plot.plot()->width() < wide);
        check();
    }

    void unknownFileGivesMessageNamingIt()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("notes-about-training.bin"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("these are not weights, just a few words of text\n");
        f.close();
        QWidget host;
        Workbench bench(&host);
        bench.inspector()->histogram()->setBins(64);
        QSignalSpy errors(&bench, &Workbench::errorOccurred);
        QWidget target;
        bench.installDropTarget(&target);
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(path)});
        QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&target, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&target, &drop);
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 20000);
        const QString message = errors.first().first().toString();
        QVERIFY2(message.contains(QStringLiteral("notes-about-training.bin")), qPrintable(message));
        QCOMPARE(bench.model()->rowCount(), 0);
        QCOMPARE(bench.problems()->count(), 1);
        // The row names the file in its File column, and its message says what is wrong
        // without repeating the path.
        const auto *row = bench.problems()->list()->topLevelItem(0);
        QVERIFY2(row->text(2).contains(QStringLiteral("notes-about-training.bin")),
                 qPrintable(row->text(2)));
        QVERIFY2(row->text(1).startsWith(QStringLiteral("unknown format")) &&
                     !row->text(1).contains(QStringLiteral("notes-about-training.bin")),
                 qPrintable(row->text(1)));
    }

    // An archive member that would inflate past the limit is a question, not an error: the
    // window is told the path and the size, and reopening with permission reaches the reader
    // (here the member then proves shorter than declared, which is an error).
    void largeArchiveMemberAsksFirst()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bomb.keras"));
        QVERIFY(kt::writeZip(path,
                             {{"config.json", QByteArray(R"({"class_name": "Sequential"})")},
                              {"model.weights.h5", QByteArray(4096, 'x')}},
                             true));
        QByteArray bytes = test::readFile(path);
        QVERIFY(kt::declareSize(bytes, "model.weights.h5", quint32(3) << 30));
        QVERIFY(test::writeFile(path, bytes));
        QWidget host;
        Workbench bench(&host);
        QSignalSpy asked(&bench, &Workbench::largeOpenRefused);
        QSignalSpy errors(&bench, &Workbench::errorOccurred);
        bench.openPaths({path});
        QTRY_COMPARE_WITH_TIMEOUT(asked.count(), 1, 20000);
        QCOMPARE(asked.first().at(0).toString(), path);
        QCOMPARE(asked.first().at(1).toString(),
                 QStringLiteral("model.weights.h5 in %1 would inflate to 3.0 GiB (%2x the archive)")
                     .arg(path)
                     .arg((quint64(3) << 30) / quint64(bytes.size())));
        QCOMPARE(errors.count(), 0);
        QCOMPARE(bench.problems()->count(), 0);
        QCOMPARE(bench.pendingOpens(), 0);

        bench.openPaths({path}, true);
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 20000);
        QCOMPARE(asked.count(), 1);
        const QString truncated = QStringLiteral(
            "model.weights.h5: expected 3221225472 bytes, as declared, found 4096 bytes");
        const QString message = errors.first().first().toString();
        QVERIFY2(message.contains(truncated), qPrintable(message));

        // The window says yes from inside the signal (its question is modal): the path opened
        // again is still the batch's one path, and its error is told as such.
        errors.clear();
        connect(&bench, &Workbench::largeOpenRefused, &bench,
                [&bench](const QString &refused) { bench.openPaths({refused}, true); });
        bench.openPaths({path});
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 20000);
        QCOMPARE(asked.count(), 2);
        const QString again = errors.first().first().toString();
        QVERIFY2(again.contains(truncated), qPrintable(again));
    }
    // An HDF5 file whose reader process crashes or hangs is one error in Problems, naming the
    // file; the run and the good HDF5 file opened with it stay browsable, and no reader is left
    // behind as a zombie. The fault switch names the one file that fails.
    void failingReaderLeavesOtherRunsOpen_data()
    {
        QTest::addColumn<QByteArray>("kind");
        QTest::addColumn<QString>("found");
        QTest::newRow("crash") << QByteArray("crash")
                               << QStringLiteral("the reader stopped (SIGSEGV)");
        QTest::newRow("hang") << QByteArray("hang")
                              << QStringLiteral("the reader took longer than 2 s");
    }
    void failingReaderLeavesOtherRunsOpen()
    {
        WL_REQUIRE_CORPUS();
        QFETCH(QByteArray, kind);
        QFETCH(QString, found);
        const QString run = test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"));
        const QString item = QStringLiteral("keras2-h5-weights/mnist-keras-weights");
        const QString good = test::corpus(item + QStringLiteral("/weights.h5"));
        QTemporaryDir dir;
        const QString bad = dir.filePath(QStringLiteral("failing.weights.h5"));
        QVERIFY(QFile::copy(
            test::corpus(QStringLiteral("keras3/diabetes-weights-h5/model.weights.h5")), bad));
        qputenv("WEIGHTLENS_WORKER_FAULT", kind + "@walk@failing.weights.h5");
        qputenv("WEIGHTLENS_WORKER_TIMEOUT", "2");
        h5::stopIdleWorkers(); // pooled readers were started without the fault
        auto restore = qScopeGuard([] {
            qunsetenv("WEIGHTLENS_WORKER_FAULT");
            qunsetenv("WEIGHTLENS_WORKER_TIMEOUT");
            h5::stopIdleWorkers();
        });

        QWidget host;
        Workbench bench(&host);
        QSignalSpy errors(&bench, &Workbench::errorOccurred);
        bench.openPaths({run, bad, good});
        QTRY_VERIFY_WITH_TIMEOUT(bench.pendingOpens() == 0, 60000);
        QCOMPARE(bench.model()->rowCount(), 2);
        QCOMPARE(errors.size(), 1);

        int rows = 0;
        for (int i = 0; i < bench.problems()->list()->topLevelItemCount(); ++i) {
            const auto *row = bench.problems()->list()->topLevelItem(i);
            if (row->data(2, Qt::UserRole).toString() != bad)
                continue;
            ++rows;
            QCOMPARE(row->text(0), QStringLiteral("Error"));
            QVERIFY2(row->text(1).contains(
                         QStringLiteral("expected HDF5 to read it safely, found ") + found),
                     qPrintable(row->text(1)));
        }
        QCOMPARE(rows, 1);

        // The good HDF5 file, read by a reader process too, fills in its statistics: each
        // tensor's mean is the ground truth's sum over its size.
        std::shared_ptr<const Checkpoint> cp;
        for (int r = 0; r < bench.model()->rowCount(); ++r)
            if (auto c = bench.model()->checkpointAt(bench.model()->index(r, 0));
                c && c->index().path == good)
                cp = c;
        QVERIFY(cp);
        const QJsonObject truth =
            test::loadJson(test::corpus(item + QStringLiteral("/GROUND_TRUTH.json")))
                .value(QStringLiteral("files"))
                .toObject()
                .value(QStringLiteral("weights.h5"))
                .toObject()
                .value(QStringLiteral("datasets"))
                .toObject();
        QCOMPARE(cp->index().tensors.size(), truth.size());
        for (int i = 0; i < cp->index().tensors.size(); ++i) {
            const QJsonObject t = truth.value(cp->tensor(i).key).toObject();
            QVERIFY2(!t.isEmpty(), qPrintable(cp->tensor(i).key));
            const QModelIndex mean =
                bench.model()->indexOf(TensorRef{cp, i}, CheckpointTreeModel::MeanColumn);
            QTRY_VERIFY_WITH_TIMEOUT(
                bench.model()->data(mean, CheckpointTreeModel::SortRole).isValid(), 30000);
            const double expected = t.value(QStringLiteral("sum")).toDouble() /
                                    t.value(QStringLiteral("size")).toDouble();
            const double got = bench.model()->data(mean, CheckpointTreeModel::SortRole).toDouble();
            QVERIFY2(std::abs(got - expected) <= 1e-6 * std::max(1.0, std::abs(expected)),
                     qPrintable(cp->tensor(i).key));
        }
        // The run's tensors are there to select.
        QVERIFY(bench.selectTensor(QStringLiteral("dense_1/dense_1/kernel:0")));
        QTRY_VERIFY_WITH_TIMEOUT(bench.inspector()->allReportsArrived(), 30000);

        for (const auto &c : childProcesses())
            QVERIFY2(c.second != QLatin1Char('Z'), "a zombie reader process");
        h5::stopIdleWorkers();
        QCOMPARE(childProcesses().size(), 0);
    }
};

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
