// Copying out of WeightLens (values, keys, statistics), dragging a tensor out as text, and the
// keyboard shortcuts list.
#include "clipboardtext.h"
#include "formats/readerregistry.h"
#include "itemmodels/checkpointtreemodel.h"
#include "shortcutsdialog.h"
#include "stats/tensorstats.h"
#include "testutil.h"
#include "valuestablemodel.h"
#include "valuesview.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QMainWindow>
#include <QMenuBar>
#include <QMimeData>
#include <QTableView>
#include <QTreeWidget>

#include <cmath>
#include <limits>

using namespace wl;

namespace
{

// [[1.5, -2, nan], [-inf, 0.1, 3]]
ValuesTableModel *sampleModel(QObject *parent)
{
    auto *m = new ValuesTableModel(parent);
    m->setValues({1.5, -2, std::numeric_limits<double>::quiet_NaN(),
                  -std::numeric_limits<double>::infinity(), 0.1, 3},
                 {2, 3}, false);
    return m;
}

} // namespace

class TestCopyAndKeys : public QObject
{
    Q_OBJECT

private slots:
    // The rectangle spanned by the selection, every value exact.
    void valuesAsTsvAndNumpy()
    {
        ValuesTableModel *m = sampleModel(this);
        const QModelIndexList cells{m->index(0, 1), m->index(1, 2)};
        QCOMPARE(clipboardtext::valuesTsv(*m, cells), QStringLiteral("-2\tnan\n0.1\t3\n"));
        QCOMPARE(
            clipboardtext::valuesNumpy(*m, cells, QStringLiteral("float64")),
            QStringLiteral("np.array([[-2, np.nan],\n          [0.1, 3]], dtype=np.float64)\n"));
        const QModelIndexList all{m->index(0, 0), m->index(1, 0)};
        QCOMPARE(clipboardtext::valuesTsv(*m, all), QStringLiteral("1.5\n-inf\n"));
        QCOMPARE(clipboardtext::valuesNumpy(*m, all, QStringLiteral("bfloat16")),
                 QStringLiteral("np.array([[1.5],\n          [-np.inf]], dtype=np.float32)\n"));
        QVERIFY(clipboardtext::valuesTsv(*m, {}).isEmpty());
    }

    // Shortest text that reads back as the same double.
    void valuesRoundTrip()
    {
        auto *m = new ValuesTableModel(this);
        const double third = 1.0 / 3.0, tiny = 1e-310, big = -1.7976931348623157e308;
        m->setValues({third, tiny, big}, {1, 3}, false);
        const QStringList parts =
            clipboardtext::valuesTsv(*m, {m->index(0, 0), m->index(0, 2)}).trimmed().split('\t');
        QCOMPARE(parts.size(), 3);
        QCOMPARE(parts[0].toDouble(), third);
        QCOMPARE(parts[1].toDouble(), tiny);
        QCOMPARE(parts[2].toDouble(), big);
    }

    // Ctrl+C in the values table puts the selection on the clipboard.
    void tableCopyShortcut()
    {
        ValuesView view;
        QTableView *table = view.table();
        // The view's own model, filled as a tensor fills it.
        view.model()->setValues({1, 2, 3, 4}, {2, 2}, false);
        table->selectionModel()->select(
            QItemSelection(view.model()->index(0, 0), view.model()->index(1, 1)),
            QItemSelectionModel::Select);
        QGuiApplication::clipboard()->clear();
        // The table's own Ctrl+C action (the table sits in a stack that shows a note until a
        // tensor arrives, so the key itself cannot reach it here).
        QAction *copy = nullptr;
        for (QAction *a : table->actions())
            if (a->shortcut() == QKeySequence(QKeySequence::Copy))
                copy = a;
        QVERIFY(copy);
        QCOMPARE(copy->shortcutContext(), Qt::WidgetShortcut);
        copy->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("1\t2\n3\t4\n"));
    }

    void statisticsLines()
    {
        TensorStats s;
        s.count = 4;
        s.min = -1;
        s.max = 2.5;
        s.mean = 0.25;
        s.std = std::sqrt(1.875);
        s.l2 = std::sqrt(8.25);
        s.zeros = 1;
        const QString text = clipboardtext::statistics(QStringLiteral("dense/kernel"), s);
        QVERIFY(
            text.startsWith(QStringLiteral("tensor\tdense/kernel\ncount\t4\nmin\t-1\nmax\t2.5\n")));
        const QString stdLine = text.section('\n', 5, 5);
        QCOMPARE(stdLine.section('\t', 1).toDouble(), std::sqrt(1.875));
        QVERIFY(text.contains(QStringLiteral("\nzeros\t1\nnan\t0\ninf\t0\n")));
    }

    // Tensors of a real checkpoint drag out as their stored keys, one a line; folders do not.
    void dragOutKeys()
    {
        const QString path =
            test::corpus(QStringLiteral("keras2-h5-weights/mnist-keras-weights/weights.h5"));
        auto r = ReaderRegistry::builtin().open(path);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message()));
        CheckpointTreeModel model;
        model.addSource(r.value());
        const auto &cp = r.value().checkpoints.front();
        QModelIndexList rows;
        QStringList expected;
        for (int i : {0, 1}) {
            const TensorRef t{cp, i};
            rows << model.indexOf(t) << model.indexOf(t, 1); // two columns of one row: one line
            expected << cp->index().tensors[i].key;
            QVERIFY(model.flags(model.indexOf(t)) & Qt::ItemIsDragEnabled);
        }
        QVERIFY(model.mimeTypes().contains(QStringLiteral("text/plain")));
        std::unique_ptr<QMimeData> data(model.mimeData(rows));
        QVERIFY(data);
        QCOMPARE(data->text(), expected.join('\n'));
        QVERIFY(expected.first().contains(QLatin1String("kernel")) ||
                expected.first().contains(QLatin1String("bias")));
        // The file's node is its one checkpoint: it drags as that, to be dropped on another.
        QVERIFY(model.flags(model.index(0, 0)) & Qt::ItemIsDragEnabled);
        std::unique_ptr<QMimeData> whole(model.mimeData({model.index(0, 0)}));
        QVERIFY(whole);
        QCOMPARE(whole->data(QString::fromLatin1(CheckpointTreeModel::kCheckpointMime)),
                 cp->index().path.toUtf8());
    }

    // Every action with a shortcut is listed, menus first, with where it lives.
    void shortcutsListed()
    {
        QMainWindow w;
        QMenu *file = w.menuBar()->addMenu(QStringLiteral("&File"));
        file->addAction(QStringLiteral("&Open File…"))->setShortcut(QKeySequence::Open);
        file->addAction(QStringLiteral("No Shortcut"));
        QMenu *recent = file->addMenu(QStringLiteral("Open &Recent"));
        recent->addAction(QStringLiteral("Clear"))->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
        ValuesView *values = new ValuesView(&w);
        w.setCentralWidget(values);
        const auto list = shortcutList(&w);
        QCOMPARE(list.value(0).first, QStringLiteral("File › Open File"));
        QCOMPARE(list.value(0).second,
                 QKeySequence(QKeySequence::Open).toString(QKeySequence::NativeText));
        QCOMPARE(list.value(1).first, QStringLiteral("File › Open Recent › Clear"));
        QStringList names;
        for (const auto &[name, keys] : list)
            names << name;
        QVERIFY2(names.contains(QStringLiteral("Tensor values › Copy")),
                 qPrintable(names.join(", ")));
        QVERIFY(names.contains(QStringLiteral("Tensor values › Copy as NumPy Array")));
        QVERIFY(!names.join(' ').contains(QStringLiteral("No Shortcut")));
        ShortcutsDialog dialog(&w);
        auto *tree = dialog.findChild<QTreeWidget *>();
        QVERIFY(tree);
        QCOMPARE(tree->topLevelItemCount(), list.size());
    }
};

QTEST_MAIN(TestCopyAndKeys)
#include "tst_copyandkeys.moc"
