// Restoring from the tree: tensors of one checkpoint selected in the tree go through "Restore
// Into…" (enabled only for a selection within one checkpoint), a target picked among the other
// open checkpoints, and the compare view's dry run and write path. The written checkpoint
// carries A's bytes for the chosen tensors and B's for all others (sha256 from
// GROUND_TRUTH_TF.json); what has no partner in B is named and left out.

#include "testutil.h"

#include "compareview.h"
#include "formats/readerregistry.h"
#include "itemmodels/checkpointtreemodel.h"
#include "restorechoices.h"
#include "restoredialog.h"
#include "restoretarget.h"
#include "sourcesview.h"

#include <QAction>
#include <QItemSelectionModel>
#include <QLabel>
#include <QListWidget>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>
#include <QTreeView>
#include <QUndoStack>

using namespace wl;

namespace
{

const char *const kItem = "tf2-checkpoint/a2c-suspension-ckpts";
const QString kKernel = QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
const QString kBias = QStringLiteral("critic/value_layer/bias/.ATTRIBUTES/VARIABLE_VALUE");
const QString kGraph = QStringLiteral("_CHECKPOINTABLE_OBJECT_GRAPH");

std::shared_ptr<const Checkpoint> named(const QList<std::shared_ptr<const Checkpoint>> &all,
                                        const QString &prefix)
{
    for (const auto &c : all)
        if (const QString f = QFileInfo(c->index().path).fileName();
            f == prefix || f.startsWith(prefix + "."))
            return c;
    return {};
}

int tensorIndex(const Checkpoint &c, const QString &key)
{
    for (int i = 0; i < c.index().tensors.size(); ++i)
        if (c.tensor(i).key == key)
            return i;
    return -1;
}

} // namespace

class TstTreeRestore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void restoreSelectionInto()
    {
        const auto before = test::corpusDigests({kItem});
        auto opened = ReaderRegistry::builtin().open(test::corpus(kItem));
        QVERIFY(opened.ok());
        CheckpointTreeModel model;
        model.addSource(opened.value());
        SourcesView tree(&model);
        tree.resize(900, 700);
        tree.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tree));
        const auto all = tree.allCheckpoints();
        QCOMPARE(all.size(), 3);
        const auto a = named(all, "ckpt-7"), b = named(all, "ckpt-9");
        QVERIFY(a && b);

        // Select A's kernel, bias and object graph in the tree, as Ctrl+clicks would.
        auto *selection = tree.tree()->selectionModel();
        const auto selectKey = [&](const std::shared_ptr<const Checkpoint> &c, const QString &key) {
            const int i = tensorIndex(*c, key);
            QVERIFY(i >= 0);
            const QModelIndex at = tree.viewIndex(model.indexOf({c, i}));
            QVERIFY(at.isValid());
            selection->select(at, QItemSelectionModel::Select | QItemSelectionModel::Rows);
        };
        QVERIFY(!tree.restoreAction()->isEnabled());
        for (const auto &key : {kKernel, kBias, kGraph})
            selectKey(a, key);
        QVERIFY(tree.restoreAction()->isEnabled());
        QCOMPARE(tree.selectionCheckpoint(), a);
        // A tensor of another checkpoint too: nothing to restore from.
        selectKey(b, kBias);
        QVERIFY(!tree.restoreAction()->isEnabled());
        QVERIFY(tree.restorableSelection().isEmpty());
        selection->select(tree.viewIndex(model.indexOf({b, tensorIndex(*b, kBias)})),
                          QItemSelectionModel::Deselect | QItemSelectionModel::Rows);
        QVERIFY(tree.restoreAction()->isEnabled());

        QSignalSpy asked(&tree, &SourcesView::restoreRequested);
        tree.restoreAction()->trigger();
        QCOMPARE(asked.size(), 1);
        const auto tensors = asked[0][0].value<QList<TensorRef>>();
        QCOMPARE(tensors.size(), 3);
        QVector<int> chosen;
        QSet<QString> keys;
        for (const auto &t : tensors) {
            QCOMPARE(t.checkpoint, a);
            chosen << t.index;
            keys << t.info().key;
        }
        QCOMPARE(keys, (QSet<QString>{kKernel, kBias, kGraph}));

        // The target: any other checkpoint of the tree, never A itself.
        RestoreTargetDialog pick(*a, int(chosen.size()), all);
        QCOMPARE(pick.list()->count(), 2);
        int row = -1;
        for (int r = 0; r < pick.list()->count(); ++r)
            if (pick.list()->item(r)->toolTip() == b->index().path)
                row = r;
        QVERIFY(row >= 0);
        QVERIFY(!pick.target());
        pick.list()->setCurrentRow(row);
        QCOMPARE(pick.target(), b);

        // The compare view's dry run, while the comparison is still running.
        CompareView view(a, pick.target());
        QSignalSpy ready(&view, &CompareView::treeRestoreReady);
        view.restoreTensorsOfA(chosen);
        QVERIFY(ready.size() == 1 || ready.wait(20000));
        QVERIFY2(ready[0][0].toBool(), qPrintable(view.summary()->text()));
        auto *dialog = view.dryRun();
        QVERIFY(dialog);
        QCOMPARE(dialog->table()->rowCount(), 2);
        QSet<QString> listed;
        for (int r = 0; r < 2; ++r)
            listed << dialog->table()->item(r, 0)->text();
        QCOMPARE(listed, (QSet<QString>{"actor/hidden1/kernel", "critic/value_layer/bias"}));
        // The object graph (a string) is named as left out.
        QVERIFY(dialog->note()->isVisibleTo(dialog));
        QVERIFY2(dialog->note()->text().contains(kGraph), qPrintable(dialog->note()->text()));
        // One undoable step.
        auto *undo = view.choices()->undoStack();
        QCOMPARE(undo->count(), 1);
        undo->undo();
        QVERIFY(view.choices()->chosen().isEmpty());
        undo->redo();
        QCOMPARE(view.choices()->chosen().size(), 2);
        dialog->reject();

        QTemporaryDir dir;
        const QString out = dir.filePath("restored");
        QVERIFY(!QFileInfo::exists(out + ".index"));
        QSignalSpy restored(&view, &CompareView::restoreFinished);
        view.startRestore(out, false, false);
        QVERIFY(restored.wait(20000));
        QVERIFY2(restored.first().at(0).toBool(), qPrintable(restored.first().at(1).toString()));
        const auto fromA = test::groundTruthHashes(kItem, "ckpt-7"),
                   fromB = test::groundTruthHashes(kItem, "ckpt-9");
        const auto got = test::tensorHashes(out);
        QCOMPARE(got.size(), fromB.size());
        for (auto it = fromB.begin(); it != fromB.end(); ++it) {
            const bool taken = it.key() == kKernel || it.key() == kBias;
            QCOMPARE(got.value(it.key()), taken ? fromA.value(it.key()) : it.value());
        }
        QVERIFY(fromA.value(kKernel) != fromB.value(kKernel));
        QCOMPARE(test::corpusDigests({kItem}), before);
    }
};

QTEST_MAIN(TstTreeRestore)
#include "tst_treerestore.moc"
