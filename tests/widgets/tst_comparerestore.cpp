// Restoring from the compare view: pairs are chosen with the check boxes, each choice undoes
// and redoes, the dry run lists exactly the chosen pairs, and the written checkpoint carries
// A's bytes for them and B's for every other tensor (sha256 from GROUND_TRUTH_TF.json), after
// which nothing is left to undo. A run-folder restore adds the next checkpoint to the state file.

#include "testutil.h"

#include "compareview.h"
#include "formats/readerregistry.h"
#include "formats/tfstatefile.h"
#include "itemmodels/comparemodel.h"
#include "restorechoices.h"
#include "restoredialog.h"

#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>
#include <QToolButton>
#include <QUndoStack>

using namespace wl;

namespace
{

const char *const kItem = "tf2-checkpoint/a2c-suspension-ckpts";

// The source row of the pair whose B key is `key`.
int rowOf(const RestoreChoices &c, const Checkpoint &b, const QString &key)
{
    for (int r = 0; r < c.rowCount(); ++r)
        if (c.choosable(r) && b.tensor(c.pairAt(r).second).key == key)
            return r;
    return -1;
}

} // namespace

class TstCompareRestore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void chooseUndoAndWrite()
    {
        QTemporaryDir dir;
        const QString run = dir.path();
        for (const char *n : {"ckpt-7", "ckpt-9"})
            QVERIFY(test::copyBundle(test::corpus(QString(kItem) + "/" + n), run + "/" + n));
        QVERIFY(test::writeStateFile(run, "ckpt-9", {"ckpt-7", "ckpt-9"}));
        auto a = test::openOne(run + "/ckpt-7");
        auto b = test::openOne(run + "/ckpt-9");
        QVERIFY(a && b);
        CompareView view(a, b);
        QSignalSpy finished(&view, &CompareView::comparisonFinished);
        QVERIFY(finished.wait(20000));
        auto *choices = view.choices();
        QVERIFY(!view.restoreButton()->isEnabled());

        const QString kernel = "actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE";
        const QString bias = "critic/value_layer/bias/.ATTRIBUTES/VARIABLE_VALUE";
        const int kr = rowOf(*choices, *b, kernel), br = rowOf(*choices, *b, bias);
        QVERIFY(kr >= 0 && br >= 0);
        // The object graph (a string) cannot be chosen.
        QCOMPARE(rowOf(*choices, *b, "_CHECKPOINTABLE_OBJECT_GRAPH"), -1);
        QVERIFY(choices->setData(choices->index(kr, CompareModel::NameColumn), Qt::Checked,
                                 Qt::CheckStateRole));
        QVERIFY(choices->setData(choices->index(br, CompareModel::NameColumn), Qt::Checked,
                                 Qt::CheckStateRole));
        QCOMPARE(choices->chosen().size(), 2);
        QCOMPARE(choices->index(kr, 0).data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
        QVERIFY(view.restoreButton()->isEnabled());
        choices->undoStack()->undo();
        QCOMPARE(choices->chosen(), QVector<RestoreChoices::Pair>{choices->pairAt(kr)});
        choices->undoStack()->redo();
        QCOMPARE(choices->chosen().size(), 2);
        choices->undoStack()->undo(); // the kernel alone

        // The dry run names the chosen tensor and the run's next checkpoint; it writes nothing.
        auto *dialog = view.openRestoreDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->table()->rowCount(), 1);
        QCOMPARE(dialog->table()->item(0, 0)->text(), QString("actor/hidden1/kernel"));
        QCOMPARE(dialog->runDir(), QDir(run).absolutePath());
        dialog->reject();
        QCOMPARE(QDir(run).entryList({"ckpt-10*"}, QDir::Files), QStringList());

        // Written as the run's next checkpoint, slots along.
        QSignalSpy restored(&view, &CompareView::restoreFinished);
        view.startRestore(run, true, true);
        QVERIFY(restored.wait(20000));
        QVERIFY2(restored.first().at(0).toBool(), qPrintable(restored.first().at(1).toString()));
        const auto fromA = test::groundTruthHashes(kItem, "ckpt-7"),
                   fromB = test::groundTruthHashes(kItem, "ckpt-9");
        const QSet<QString> chosen{
            kernel,
            "actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
            "actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/v/.ATTRIBUTES/VARIABLE_VALUE"};
        const auto got = test::tensorHashes(run + "/ckpt-10");
        QCOMPARE(got.size(), fromB.size());
        for (auto it = fromB.begin(); it != fromB.end(); ++it)
            QCOMPARE(got.value(it.key()),
                     chosen.contains(it.key()) ? fromA.value(it.key()) : it.value());
        auto state = readCheckpointState(run + "/checkpoint");
        QVERIFY(state.ok());
        QCOMPARE(state->latest.written, QString("ckpt-10"));
        // Written: nothing chosen, nothing to undo.
        QVERIFY(choices->chosen().isEmpty());
        QCOMPARE(choices->undoStack()->count(), 0);
        QVERIFY(!view.restoreButton()->isEnabled());
    }
};

QTEST_MAIN(TstCompareRestore)
#include "tst_comparerestore.moc"
