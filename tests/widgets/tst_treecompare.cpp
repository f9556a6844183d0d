// Comparing from the tree: a checkpoint node drags out as its key and, dropped on another
// checkpoint of the tree, asks to compare the two (dragged = A, target = B); drops on itself or
// on tensors, and tensor drags, ask nothing.

#include "testutil.h"

#include "formats/readerregistry.h"
#include "itemmodels/checkpointtreemodel.h"
#include "sourcesview.h"

#include <QDropEvent>
#include <QMimeData>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>

using namespace wl;

class TstTreeCompare : public QObject
{
    Q_OBJECT

    // Sends a drag move and, when it is accepted, a drop, as a drag session would.
    static bool drop(QWidget *viewport, const QMimeData *mime, const QPoint &at)
    {
        QDragEnterEvent enter(at, Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(viewport, &enter);
        QDragMoveEvent move(at, Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(viewport, &move);
        if (!move.isAccepted())
            return false;
        QDropEvent dropped(QPointF(at), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(viewport, &dropped);
        return dropped.isAccepted();
    }

private slots:
    void initTestCase() { WL_REQUIRE_CORPUS(); }

    void dragOntoAnother()
    {
        auto opened =
            ReaderRegistry::builtin().open(test::corpus("tf2-checkpoint/a2c-suspension-ckpts"));
        QVERIFY(opened.ok());
        CheckpointTreeModel model;
        model.addSource(opened.value());
        SourcesView view(&model);
        view.resize(900, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));

        const QModelIndex src = model.index(0, 0);
        const QModelIndex first = model.index(0, 0, src), third = model.index(2, 0, src);
        QCOMPARE(model.nodeKind(first), CheckpointTreeModel::NodeKind::Checkpoint);
        QVERIFY(model.flags(first) & Qt::ItemIsDragEnabled);
        std::unique_ptr<QMimeData> mime(model.mimeData({first}));
        QVERIFY(mime);
        const QString key = QString::fromUtf8(
            mime->data(QString::fromLatin1(CheckpointTreeModel::kCheckpointMime)));
        QCOMPARE(key, opened->checkpoints[0]->index().path);
        QCOMPARE(model.checkpointByKey(key), opened->checkpoints[0]);

        QTreeView *tree = view.tree();
        tree->expand(view.viewIndex(src));
        const auto centre = [&](const QModelIndex &i) {
            return tree->visualRect(view.viewIndex(i)).center();
        };
        QSignalSpy asked(&view, &SourcesView::compareRequested);
        // Onto itself: refused.
        QVERIFY(!drop(tree->viewport(), mime.get(), centre(first)));
        QCOMPARE(asked.size(), 0);
        // Onto the third checkpoint: A is the dragged one, B the target.
        QVERIFY(drop(tree->viewport(), mime.get(), centre(third)));
        QCOMPARE(asked.size(), 1);
        QCOMPARE(asked[0][0].value<std::shared_ptr<const Checkpoint>>(), opened->checkpoints[0]);
        QCOMPARE(asked[0][1].value<std::shared_ptr<const Checkpoint>>(), opened->checkpoints[2]);

        // A tensor drags out as its key, never as a checkpoint.
        tree->expand(view.viewIndex(third));
        QModelIndex tensor = model.index(0, 0, third);
        while (tensor.isValid() && model.nodeKind(tensor) != CheckpointTreeModel::NodeKind::Tensor)
            tensor = model.index(0, 0, tensor);
        QVERIFY(tensor.isValid());
        std::unique_ptr<QMimeData> tmime(model.mimeData({tensor}));
        QVERIFY(tmime);
        QVERIFY(!tmime->hasFormat(QString::fromLatin1(CheckpointTreeModel::kCheckpointMime)));
        QCOMPARE(tmime->text(), model.tensorAt(tensor).info().key);
    }
};

QTEST_MAIN(TstTreeCompare)
#include "tst_treecompare.moc"
