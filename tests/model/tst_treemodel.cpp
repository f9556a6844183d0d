#include "formats/readerregistry.h"
#include "itemmodels/checkpointtreemodel.h"
#include "itemmodels/tensorfilterproxy.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace wl;

namespace
{

using Role = CheckpointTreeModel::Role;
using Kind = CheckpointTreeModel::NodeKind;

TensorInfo tensor(const QString &name, std::vector<std::int64_t> dims, DType dtype = DType::Float32,
                  TensorRole role = TensorRole::Variable)
{
    TensorInfo t;
    t.name = name;
    t.key = name + QStringLiteral("/.ATTRIBUTES/VARIABLE_VALUE");
    t.dtype = dtype;
    t.shape.dims = std::move(dims);
    t.role = role;
    t.location.storage = TensorLocation::Storage::None;
    t.location.size = t.numElements() * dtypeSize(dtype);
    return t;
}

TensorInfo slot(const QString &variable, const QString &optimizer, const QString &slotName,
                std::vector<std::int64_t> dims)
{
    TensorInfo t = tensor(variable + QStringLiteral("/.OPTIMIZER_SLOT/") + optimizer +
                              QLatin1Char('/') + slotName,
                          std::move(dims), DType::Float32, TensorRole::OptimizerSlot);
    t.slotOf = variable;
    t.optimizerPath = optimizer;
    t.slotName = slotName;
    return t;
}

std::shared_ptr<Checkpoint> makeCheckpoint(const QString &name, QVector<TensorInfo> tensors,
                                           std::optional<std::int64_t> step = {})
{
    CheckpointIndex idx;
    idx.path = QStringLiteral("/nonexistent/run/") + name;
    idx.displayName = name;
    idx.readerId = QStringLiteral("test");
    idx.formatName = QStringLiteral("test checkpoint");
    idx.tensors = std::move(tensors);
    idx.step = step;
    return std::make_shared<Checkpoint>(std::move(idx));
}

// A small actor network with Adam slots, optimizer scalars and bookkeeping.
std::shared_ptr<Checkpoint> actorCheckpoint(const QString &name = QStringLiteral("ckpt-1"),
                                            std::optional<std::int64_t> step = {})
{
    auto cp = makeCheckpoint(
        name,
        {
            tensor(QStringLiteral("actor/hidden1/kernel"), {1, 5}),
            tensor(QStringLiteral("actor/hidden1/bias"), {5}),
            tensor(QStringLiteral("actor/dense_10/kernel"), {5, 2}),
            tensor(QStringLiteral("actor/dense_2/kernel"), {5, 3}),
            slot(QStringLiteral("actor/hidden1/kernel"), QStringLiteral("actor_optimizer"),
                 QStringLiteral("m"), {1, 5}),
            slot(QStringLiteral("actor/hidden1/kernel"), QStringLiteral("actor_optimizer"),
                 QStringLiteral("v"), {1, 5}),
            tensor(QStringLiteral("actor_optimizer/iter"), {}, DType::Int64, TensorRole::Optimizer),
            tensor(QStringLiteral("save_counter"), {}, DType::Int64, TensorRole::Metadata),
        },
        step);
    return cp;
}

OpenResult openResult(std::vector<std::shared_ptr<Checkpoint>> cps, const QString &latest = {})
{
    OpenResult r;
    r.path = QStringLiteral("/nonexistent/run");
    r.kind = QStringLiteral("run");
    for (auto &c : cps)
        if (c->index().displayName == latest)
            c->setStateFileFacts(true, std::nullopt);
    r.checkpoints = std::move(cps);
    r.latest = latest;
    return r;
}

QModelIndex child(const QAbstractItemModel &m, const QModelIndex &parent, const QString &name)
{
    for (int r = 0; r < m.rowCount(parent); ++r) {
        const QModelIndex i = m.index(r, 0, parent);
        if (i.data().toString() == name)
            return i;
    }
    return {};
}

QModelIndex path(const QAbstractItemModel &m, QModelIndex at, const QStringList &names)
{
    for (const auto &n : names) {
        at = child(m, at, n);
        if (!at.isValid())
            return {};
    }
    return at;
}

QStringList childNames(const QAbstractItemModel &m, const QModelIndex &parent)
{
    QStringList out;
    for (int r = 0; r < m.rowCount(parent); ++r)
        out << m.index(r, 0, parent).data().toString();
    return out;
}

qint64 sortValue(const QModelIndex &i, int column)
{
    return i.siblingAtColumn(column).data(Role::SortRole).toLongLong();
}

// Readable names of every tensor the model shows, depth first.
void visibleTensors(const QAbstractItemModel &m, const QModelIndex &parent, QStringList &out)
{
    for (int r = 0; r < m.rowCount(parent); ++r) {
        const QModelIndex i = m.index(r, 0, parent);
        if (i.data(Role::NodeKindRole).toInt() == int(Kind::Tensor))
            out << i.data(Role::ReadableNameRole).toString();
        visibleTensors(m, i, out);
    }
}

QStringList visibleTensors(const QAbstractItemModel &m)
{
    QStringList out;
    visibleTensors(m, {}, out);
    out.sort();
    return out;
}

// The checkpoint lines of `weightlens ls PATH` ("ckpt-1 (latest)"), in order; empty when it
// fails. `out` receives the whole output.
QStringList lsCheckpoints(const QString &path, QByteArray *out = nullptr)
{
    const auto ls = test::runWeightLens({QStringLiteral("ls"), path});
    if (out)
        *out = ls.out;
    QStringList headers;
    if (ls.exitCode != 0)
        return headers;
    for (const QString &line : QString::fromUtf8(ls.out).split(QLatin1Char('\n')))
        if (!line.startsWith(QLatin1Char(' ')) && line.contains(QLatin1String("  (")))
            headers << line.section(QStringLiteral("  ("), 0, 0);
    return headers;
}

// The tree of one opened path, checked by QAbstractItemModelTester throughout.
struct OpenedTree {
    explicit OpenedTree(const QString &path)
    {
        auto r = ReaderRegistry::builtin().open(path);
        if (!r.ok()) {
            error = r.error().message();
            return;
        }
        opened = std::move(r).value();
        model.addSource(opened);
    }
    QModelIndex source() const { return model.index(0, 0); }

    CheckpointTreeModel model;
    QAbstractItemModelTester tester{&model, QAbstractItemModelTester::FailureReportingMode::Fatal};
    OpenResult opened;
    QString error;
};

} // namespace

class TestTreeModel : public QObject
{
    Q_OBJECT
private slots:
    void hierarchyAndTotals()
    {
        CheckpointTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.addSource(openResult({actorCheckpoint()}));
        QCOMPARE(model.rowCount(), 1);
        const QModelIndex src = model.index(0, 0);
        QCOMPARE(src.data(Role::NodeKindRole).toInt(), int(Kind::Source));
        QCOMPARE(src.data(Role::IconNameRole).toString(), QStringLiteral("source"));
        QCOMPARE(src.data().toString(), QStringLiteral("run"));
        const QModelIndex cp = model.index(0, 0, src);
        QCOMPARE(cp.data().toString(), QStringLiteral("ckpt-1"));
        QCOMPARE(cp.data(Role::IconNameRole).toString(), QStringLiteral("checkpoint"));
        QCOMPARE(childNames(model, cp),
                 (QStringList{QStringLiteral("actor"), QStringLiteral("actor_optimizer"),
                              QStringLiteral("save_counter")}));

        const QModelIndex actor = child(model, cp, QStringLiteral("actor"));
        QCOMPARE(sortValue(actor, CheckpointTreeModel::ParamsColumn), 5 + 5 + 10 + 15);
        QCOMPARE(sortValue(actor, CheckpointTreeModel::BytesColumn), 4 * (5 + 5 + 10 + 15));
        QCOMPARE(actor.data(Role::IconNameRole).toString(), QStringLiteral("group"));
        // Whole checkpoint: weights, two slots and two int64 scalars.
        QCOMPARE(sortValue(cp, CheckpointTreeModel::ParamsColumn), 35 + 10 + 2);
        QCOMPARE(sortValue(cp, CheckpointTreeModel::BytesColumn), 4 * 45 + 8 * 2);
        QCOMPARE(sortValue(src, CheckpointTreeModel::ParamsColumn), 47);

        const QModelIndex kernel = path(model, actor, {"hidden1", "kernel"});
        QVERIFY(kernel.isValid());
        QCOMPARE(kernel.data(Role::NodeKindRole).toInt(), int(Kind::Tensor));
        QCOMPARE(kernel.data(Role::IconNameRole).toString(), QStringLiteral("variable"));
        QCOMPARE(kernel.siblingAtColumn(CheckpointTreeModel::ShapeColumn).data().toString(),
                 QStringLiteral("[1, 5]"));
        QCOMPARE(kernel.siblingAtColumn(CheckpointTreeModel::DTypeColumn).data().toString(),
                 QStringLiteral("float32"));
        QCOMPARE(kernel.data(Role::RawKeyRole).toString(),
                 QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
        const QString tip = kernel.data(Qt::ToolTipRole).toString();
        QVERIFY(tip.contains(QStringLiteral("actor/hidden1/kernel/.ATTRIBUTES/VARIABLE_VALUE")));
        QVERIFY(tip.contains(QStringLiteral("[1, 5]")));
        QVERIFY(!kernel.siblingAtColumn(CheckpointTreeModel::MeanColumn).data().isValid());

        // Slots mirror the model's hierarchy under their optimizer, beside its scalars.
        const QModelIndex opt = child(model, cp, QStringLiteral("actor_optimizer"));
        QCOMPARE(opt.data(Role::IconNameRole).toString(), QStringLiteral("optimizer"));
        QCOMPARE(childNames(model, opt),
                 (QStringList{QStringLiteral("actor"), QStringLiteral("iter")}));
        const QModelIndex m = path(model, opt, {"actor", "hidden1", "kernel", "m"});
        QVERIFY(m.isValid());
        QCOMPARE(m.data(Role::IconNameRole).toString(), QStringLiteral("optimizer_slot"));
        QCOMPARE(m.data(Role::TensorRoleRole).toInt(), int(TensorRole::OptimizerSlot));
        QCOMPARE(sortValue(opt, CheckpointTreeModel::ParamsColumn), 11);
        QCOMPARE(child(model, opt, QStringLiteral("iter")).data(Role::IconNameRole).toString(),
                 QStringLiteral("optimizer"));
        QCOMPARE(
            child(model, cp, QStringLiteral("save_counter")).data(Role::IconNameRole).toString(),
            QStringLiteral("metadata"));

        // Navigation helpers agree with each other.
        const TensorRef ref = model.tensorAt(kernel);
        QVERIFY(ref.isValid());
        QCOMPARE(ref.info().name, QStringLiteral("actor/hidden1/kernel"));
        QCOMPARE(model.indexOf(ref), kernel);
        QCOMPARE(model.checkpointAt(kernel).get(), ref.checkpoint.get());
        QCOMPARE(model.checkpointAt(src).get(), ref.checkpoint.get());
        QCOMPARE(model.tensorsUnder(actor).size(), 4);
        QCOMPARE(model.tensorsUnder(cp).size(), 8);
        QVERIFY(!model.tensorAt(actor).isValid());
    }

    // The tree keeps the order the source gives (the reader's, which every view shows) and
    // marks the checkpoint its state file calls the latest, whatever its step.
    void runLatestAndOrder()
    {
        CheckpointTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.addSource(openResult({actorCheckpoint(QStringLiteral("ckpt-10"), 10),
                                    actorCheckpoint(QStringLiteral("ckpt-1"), 1)},
                                   QStringLiteral("ckpt-1")));
        const QModelIndex src = model.index(0, 0);
        QCOMPARE(childNames(model, src),
                 (QStringList{QStringLiteral("ckpt-10"), QStringLiteral("ckpt-1 (latest)")}));
        QCOMPARE(sortValue(src, CheckpointTreeModel::ParamsColumn), 2 * 47);
    }

    // Keras ModelCheckpoint runs (the `cp-{epoch:04d}.ckpt` pattern) in subfolders of the
    // opened folder, each with its own state file naming only its newest: each run marks its
    // own latest, in the tree and in `ls`, and lists its checkpoints oldest first.
    void latestOfEveryRunFolder()
    {
        WL_REQUIRE_CORPUS();
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString from =
            test::corpus(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs/ckpt_1"));
        const QString parent = tmp.filePath(QStringLiteral("experiments"));
        const QList<QPair<QString, int>> runs{{QStringLiteral("training_1"), 2},
                                              {QStringLiteral("training_2"), 3}};
        for (const auto &[run, epochs] : runs) {
            const QString dir = parent + QLatin1Char('/') + run;
            QVERIFY(QDir().mkpath(dir));
            QString newest;
            for (int e = 1; e <= epochs; ++e) {
                newest = QStringLiteral("cp-%1.ckpt").arg(e, 4, 10, QLatin1Char('0'));
                QVERIFY(test::copyBundle(from, dir + QLatin1Char('/') + newest));
            }
            QVERIFY(test::writeStateFile(dir, newest, {newest}));
        }

        OpenedTree tree(parent);
        QVERIFY2(tree.error.isEmpty(), qPrintable(tree.error));
        const auto &model = tree.model;
        const QModelIndex src = tree.source();
        QCOMPARE(childNames(model, src),
                 (QStringList{QStringLiteral("training_1"), QStringLiteral("training_2")}));
        QCOMPARE(
            childNames(model, child(model, src, QStringLiteral("training_1"))),
            (QStringList{QStringLiteral("cp-0001.ckpt"), QStringLiteral("cp-0002.ckpt (latest)")}));
        QCOMPARE(childNames(model, child(model, src, QStringLiteral("training_2"))),
                 (QStringList{QStringLiteral("cp-0001.ckpt"), QStringLiteral("cp-0002.ckpt"),
                              QStringLiteral("cp-0003.ckpt (latest)")}));

        QCOMPARE(lsCheckpoints(parent),
                 (QStringList{QStringLiteral("training_1/cp-0001.ckpt"),
                              QStringLiteral("training_1/cp-0002.ckpt (latest)"),
                              QStringLiteral("training_2/cp-0001.ckpt"),
                              QStringLiteral("training_2/cp-0002.ckpt"),
                              QStringLiteral("training_2/cp-0003.ckpt (latest)")}));
    }

    // A CheckpointManager restarted after ckpt-10: its state file lists ckpt-9, ckpt-10, then
    // the new ckpt-1, with rising save times. The opened source (what the Overview's table
    // lists), the tree and `ls` keep that order, mark ckpt-1 the latest and show the times.
    void stateFileOrderEverywhere()
    {
        WL_REQUIRE_CORPUS();
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString dir = tmp.filePath(QStringLiteral("manager"));
        QVERIFY(QDir().mkpath(dir));
        const QString from =
            test::corpus(QStringLiteral("keras-tf-weights/lstm-md-ckpt-epochs/ckpt_1"));
        const QStringList order{QStringLiteral("ckpt-9"), QStringLiteral("ckpt-10"),
                                QStringLiteral("ckpt-1")};
        for (const QString &name : order)
            QVERIFY(test::copyBundle(from, dir + QLatin1Char('/') + name));
        // 2023-11-14 22:13:20.5 UTC, then about an hour apart.
        const QList<double> times{1700000000.5, 1700003600.25, 1700007200.0};
        QVERIFY(test::writeStateFile(dir, QStringLiteral("ckpt-1"), order, times));
        const QString firstSaved = QDateTime(QDate(2023, 11, 14), QTime(22, 13, 20), Qt::UTC)
                                       .toLocalTime()
                                       .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));

        OpenedTree tree(dir);
        QVERIFY2(tree.error.isEmpty(), qPrintable(tree.error));
        QStringList names;
        for (const auto &c : tree.opened.checkpoints)
            names << c->index().displayName;
        QCOMPARE(names, order);
        for (int i = 0; i < 3; ++i) {
            const auto &idx = tree.opened.checkpoints[std::size_t(i)]->index();
            QCOMPARE(idx.savedAt, std::optional<double>(times[i]));
            QCOMPARE(idx.latest, i == 2);
        }
        QCOMPARE(tree.opened.checkpoints.front()->index().savedAtText(), firstSaved);

        const auto &model = tree.model;
        const QModelIndex src = tree.source();
        QCOMPARE(childNames(model, src),
                 (QStringList{QStringLiteral("ckpt-9"), QStringLiteral("ckpt-10"),
                              QStringLiteral("ckpt-1 (latest)")}));
        QVERIFY(model.index(0, 0, src)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("Saved: ") + firstSaved));

        // Sorting the tree by name leaves checkpoints in that order.
        TensorFilterProxy proxy;
        proxy.setSourceModel(&tree.model);
        proxy.sort(CheckpointTreeModel::NameColumn, Qt::AscendingOrder);
        QCOMPARE(childNames(proxy, proxy.index(0, 0)),
                 (QStringList{QStringLiteral("ckpt-9"), QStringLiteral("ckpt-10"),
                              QStringLiteral("ckpt-1 (latest)")}));

        QByteArray lsOut;
        QCOMPARE(lsCheckpoints(dir, &lsOut),
                 (QStringList{QStringLiteral("ckpt-9"), QStringLiteral("ckpt-10"),
                              QStringLiteral("ckpt-1 (latest)")}));
        QVERIFY(lsOut.contains(("  Saved: " + firstSaved).toUtf8()));

        for (const char *command : {"ls", "stats"}) {
            const auto json =
                test::runWeightLens({QLatin1String(command), QStringLiteral("--json"), dir});
            QCOMPARE(json.exitCode, 0);
            QStringList seen;
            for (const QByteArray &line : json.out.split('\n')) {
                const QJsonObject o = QJsonDocument::fromJson(line).object();
                if (!o.contains(QStringLiteral("key")))
                    continue;
                const QString cp = o[QStringLiteral("checkpoint")].toString();
                if (!seen.contains(cp))
                    seen << cp;
                QCOMPARE(o[QStringLiteral("saved_at")].toDouble(), times[order.indexOf(cp)]);
            }
            QCOMPARE(seen, order);
        }
    }

    void rawKeys()
    {
        CheckpointTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.addSource(openResult({actorCheckpoint()}));
        model.setShowRawKeys(true);
        const QModelIndex cp = model.index(0, 0, model.index(0, 0));
        const QModelIndex leaf =
            path(model, cp, {"actor", "hidden1", "kernel", ".ATTRIBUTES", "VARIABLE_VALUE"});
        QVERIFY(leaf.isValid());
        QCOMPARE(leaf.data(Role::NodeKindRole).toInt(), int(Kind::Tensor));
        // A kernel and its slot path share the "kernel" group in raw mode.
        QVERIFY(path(model, cp,
                     {"actor", "hidden1", "kernel", ".OPTIMIZER_SLOT", "actor_optimizer", "m",
                      ".ATTRIBUTES", "VARIABLE_VALUE"})
                    .isValid());
        model.setShowRawKeys(false);
        QVERIFY(path(model, {}, {"run", "ckpt-1", "actor", "hidden1", "kernel"}).isValid());
    }

    void statsFillOnlyTheirCells()
    {
        CheckpointTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        auto ck = actorCheckpoint();
        model.addSource(openResult({ck}));
        QSignalSpy spy(&model, &QAbstractItemModel::dataChanged);
        TensorStats s;
        s.mean = 0.25;
        s.std = 1.5;
        s.min = -2;
        s.max = 3;
        const TensorRef ref{ck, 2};
        model.setStats(ref, s);
        QCOMPARE(spy.count(), 1);
        const auto tl = spy.at(0).at(0).toModelIndex();
        const auto br = spy.at(0).at(1).toModelIndex();
        QCOMPARE(tl.column(), int(CheckpointTreeModel::MeanColumn));
        QCOMPARE(br.column(), int(CheckpointTreeModel::MaxColumn));
        QCOMPARE(tl.row(), br.row());
        QCOMPARE(tl.siblingAtColumn(0), model.indexOf(ref));
        const QModelIndex i = model.indexOf(ref);
        QCOMPARE(i.siblingAtColumn(CheckpointTreeModel::MeanColumn).data(Role::SortRole).toDouble(),
                 0.25);
        QCOMPARE(i.siblingAtColumn(CheckpointTreeModel::StdColumn).data().toString(),
                 QStringLiteral("1.5"));
        QCOMPARE(i.siblingAtColumn(CheckpointTreeModel::MinColumn).data().toString(),
                 QStringLiteral("-2"));
        // Statistics survive a switch of hierarchy.
        model.setShowRawKeys(true);
        QCOMPARE(
            model.indexOf(ref).siblingAtColumn(CheckpointTreeModel::MaxColumn).data().toString(),
            QStringLiteral("3"));
        // Reports from the job runner: only reduced ones fill cells.
        TensorReport rep;
        rep.reduced = true;
        rep.stats.mean = -7;
        TensorReport failed;
        failed.error = QStringLiteral("read error");
        failed.stats.mean = 99;
        model.setReports({qMakePair(TensorRef{ck, 0}, rep), qMakePair(TensorRef{ck, 1}, failed)});
        QCOMPARE(model.indexOf(TensorRef{ck, 0}, CheckpointTreeModel::MeanColumn).data().toString(),
                 QStringLiteral("-7"));
        QVERIFY(!model.indexOf(TensorRef{ck, 1}, CheckpointTreeModel::MeanColumn).data().isValid());
        QCOMPARE(model.dtypesPresent(),
                 (QStringList{QStringLiteral("float32"), QStringLiteral("int64")}));
        spy.clear();
        // Unknown tensors are ignored.
        model.setStats(TensorRef{actorCheckpoint(), 0}, s);
        QCOMPARE(spy.count(), 0);
    }

    void wholeNumbersPrintInFull()
    {
        CheckpointTreeModel model;
        auto ck = actorCheckpoint();
        model.addSource(openResult({ck}));
        TensorStats s;
        s.mean = 1804148;   // an optimizer's step counter
        s.std = 14277567.6; // not whole: six significant digits
        s.min = -999999999; // the widest whole number printed in full
        s.max = 3e9;        // too wide: exponent form
        const TensorRef ref{ck, 2};
        model.setStats(ref, s);
        auto cell = [&](int column) { return model.indexOf(ref, column).data().toString(); };
        QCOMPARE(cell(CheckpointTreeModel::MeanColumn), QStringLiteral("1804148"));
        QCOMPARE(cell(CheckpointTreeModel::StdColumn), QStringLiteral("1.42776e+07"));
        QCOMPARE(cell(CheckpointTreeModel::MinColumn), QStringLiteral("-999999999"));
        QCOMPARE(cell(CheckpointTreeModel::MaxColumn), QStringLiteral("3e+09"));
    }

    void naturalKeys()
    {
        QVERIFY(naturalSortKey(QStringLiteral("dense_2")) <
                naturalSortKey(QStringLiteral("dense_10")));
        QVERIFY(naturalSortKey(QStringLiteral("Dense_2")) <
                naturalSortKey(QStringLiteral("dense_3")));
        QVERIFY(naturalSortKey(QStringLiteral("ckpt-9")) <
                naturalSortKey(QStringLiteral("ckpt-10")));
        QVERIFY(naturalSortKey(QStringLiteral("a")) < naturalSortKey(QStringLiteral("b")));
    }

    void filterAndSort()
    {
        CheckpointTreeModel model;
        TensorFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester t1(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        QAbstractItemModelTester t2(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
        auto ck = actorCheckpoint();
        model.addSource(openResult({ck}));
        QCOMPARE(visibleTensors(proxy).size(), 8);

        proxy.setPattern(QStringLiteral("HIDDEN1/KERNEL"));
        QCOMPARE(visibleTensors(proxy),
                 (QStringList{
                     QStringLiteral("actor/hidden1/kernel"),
                     QStringLiteral("actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/m"),
                     QStringLiteral("actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/v")}));
        // Raw keys match too.
        proxy.setPattern(QStringLiteral("attributes/variable_value"));
        QCOMPARE(visibleTensors(proxy).size(), 8);
        proxy.setPattern(QStringLiteral("*dense_?/kernel"), TensorFilterProxy::PatternSyntax::Glob);
        QCOMPARE(visibleTensors(proxy), (QStringList{QStringLiteral("actor/dense_2/kernel")}));
        proxy.setPattern(QStringLiteral("actor/dense_*"), TensorFilterProxy::PatternSyntax::Glob);
        QCOMPARE(visibleTensors(proxy).size(), 2);
        proxy.setPattern(QStringLiteral("dense"), TensorFilterProxy::PatternSyntax::Glob);
        QCOMPARE(visibleTensors(proxy).size(), 0); // a glob matches whole names
        // fnmatch's globs, case-insensitive here: '^' in a set is itself, '!' negates.
        proxy.setPattern(QStringLiteral("ACTOR/DENSE_[^1]*"),
                         TensorFilterProxy::PatternSyntax::Glob);
        QCOMPARE(visibleTensors(proxy), (QStringList{QStringLiteral("actor/dense_10/kernel")}));
        proxy.setPattern(QStringLiteral("actor/dense_[!1]*"),
                         TensorFilterProxy::PatternSyntax::Glob);
        QCOMPARE(visibleTensors(proxy), (QStringList{QStringLiteral("actor/dense_2/kernel")}));
        proxy.setPattern(QStringLiteral("dense_\\d{2}/"), TensorFilterProxy::PatternSyntax::Regex);
        QVERIFY(proxy.isPatternValid());
        QCOMPARE(visibleTensors(proxy), (QStringList{QStringLiteral("actor/dense_10/kernel")}));
        proxy.setPattern(QStringLiteral("dense_(\\d"), TensorFilterProxy::PatternSyntax::Regex);
        QVERIFY(!proxy.isPatternValid());
        QCOMPARE(proxy.rowCount(), 0);
        proxy.setPattern({});
        QVERIFY(proxy.isPatternValid());
        QCOMPARE(visibleTensors(proxy).size(), 8);

        proxy.setDTypeFilter({QStringLiteral("int64")});
        QCOMPARE(visibleTensors(proxy), (QStringList{QStringLiteral("actor_optimizer/iter"),
                                                     QStringLiteral("save_counter")}));
        proxy.setRoleFilter({TensorRole::Metadata});
        QCOMPARE(visibleTensors(proxy), (QStringList{QStringLiteral("save_counter")}));
        proxy.setDTypeFilter({});
        proxy.setRoleFilter({TensorRole::OptimizerSlot, TensorRole::Optimizer});
        QCOMPARE(visibleTensors(proxy).size(), 3);
        proxy.setRoleFilter({});

        // Changes in the source while filtered.
        proxy.setPattern(QStringLiteral("kernel"));
        model.addSource(openResult({actorCheckpoint(QStringLiteral("ckpt-2"))}));
        QCOMPARE(visibleTensors(proxy).size(), 2 * 5);
        model.setShowRawKeys(true);
        QCOMPARE(visibleTensors(proxy).size(), 2 * 5);
        model.setShowRawKeys(false);
        TensorStats s;
        s.mean = 1;
        model.setStats(TensorRef{ck, 0}, s);
        model.removeSource(0);
        QCOMPARE(visibleTensors(proxy).size(), 5);
        proxy.setPattern({});

        // Names sort naturally, numbers numerically.
        const QModelIndex actor = path(proxy, {}, {"run", "ckpt-2", "actor"});
        QVERIFY(actor.isValid());
        proxy.sort(CheckpointTreeModel::NameColumn, Qt::AscendingOrder);
        QCOMPARE(childNames(proxy, actor),
                 (QStringList{QStringLiteral("dense_2"), QStringLiteral("dense_10"),
                              QStringLiteral("hidden1")}));
        proxy.sort(CheckpointTreeModel::ParamsColumn, Qt::DescendingOrder);
        QCOMPARE(childNames(proxy, actor),
                 (QStringList{QStringLiteral("dense_2"), QStringLiteral("dense_10"),
                              QStringLiteral("hidden1")})); // 15, 10, 10 (stable)
        const QModelIndex hidden = child(proxy, actor, QStringLiteral("hidden1"));
        proxy.sort(CheckpointTreeModel::ShapeColumn, Qt::AscendingOrder);
        QCOMPARE(childNames(proxy, hidden).size(), 2);
        model.clear();
        QCOMPARE(proxy.rowCount(), 0);
    }

    // Every folder of a run gets its own node; removing sources keeps rows consistent.
    void removeSources()
    {
        CheckpointTreeModel model;
        TensorFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester t1(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        QAbstractItemModelTester t2(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
        proxy.setPattern(QStringLiteral("bias"));
        for (int i = 0; i < 3; ++i)
            model.addSource(openResult({actorCheckpoint(QStringLiteral("c%1").arg(i))}));
        QCOMPARE(visibleTensors(proxy).size(), 3);
        auto keep = model.checkpointAt(model.index(2, 0));
        model.removeSource(1);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.checkpointAt(model.index(1, 0)), keep);
        QCOMPARE(model.index(1, 0).row(), 1);
        QCOMPARE(model.indexOfCheckpoint(keep.get()).parent(), model.index(1, 0));
        model.removeSource(7); // out of range: ignored
        QCOMPARE(visibleTensors(proxy).size(), 2);
    }

    // A watched run read again: a checkpoint the saver deleted leaves, new ones join where the
    // reader puts them and "(latest)" moves, all as row inserts and removes (no reset); the
    // checkpoints kept keep their objects and rows, and the totals follow.
    void refreshInPlace()
    {
        CheckpointTreeModel model;
        TensorFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester t1(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        QAbstractItemModelTester t2(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.addSource(openResult({actorCheckpoint(QStringLiteral("ckpt-1"), 1),
                                    actorCheckpoint(QStringLiteral("ckpt-2"), 2)},
                                   QStringLiteral("ckpt-2")));
        const QModelIndex src = model.index(0, 0);
        QCOMPARE(childNames(model, src),
                 (QStringList{QStringLiteral("ckpt-1"), QStringLiteral("ckpt-2 (latest)")}));
        const auto kept = model.checkpointAt(model.index(1, 0, src));
        const QPersistentModelIndex keptRow = model.index(1, 0, src);
        const QPersistentModelIndex keptTensor = model.indexOf({kept, 0});
        QVERIFY(keptTensor.isValid());
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);

        // Every checkpoint read anew, as a reader gives them: ckpt-1 gone, ckpt-3 new.
        QVERIFY(
            model.refreshCheckpoints(0, openResult({actorCheckpoint(QStringLiteral("ckpt-2"), 2),
                                                    actorCheckpoint(QStringLiteral("ckpt-3"), 3)},
                                                   QStringLiteral("ckpt-3"))));
        QCOMPARE(reset.size(), 0);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(removed.size(), 1);
        QCOMPARE(childNames(model, src),
                 (QStringList{QStringLiteral("ckpt-2"), QStringLiteral("ckpt-3 (latest)")}));
        QCOMPARE(keptRow.row(), 0);
        QCOMPARE(model.checkpointAt(keptRow), kept);
        QCOMPARE(model.tensorAt(keptTensor), (TensorRef{kept, 0}));
        QCOMPARE(model.sourceCheckpoints(src).first(), kept);
        QCOMPARE(model.sourceCheckpoints(src).last()->index().displayName,
                 QStringLiteral("ckpt-3"));
        QCOMPARE(sortValue(src, CheckpointTreeModel::ParamsColumn), 2 * 47);
        QCOMPARE(visibleTensors(proxy).size(), 2 * 8);

        // One the reader puts first goes first.
        QVERIFY(
            model.refreshCheckpoints(0, openResult({actorCheckpoint(QStringLiteral("ckpt-0"), 0),
                                                    actorCheckpoint(QStringLiteral("ckpt-2"), 2),
                                                    actorCheckpoint(QStringLiteral("ckpt-3"), 3)},
                                                   QStringLiteral("ckpt-3"))));
        QCOMPARE(childNames(model, src),
                 (QStringList{QStringLiteral("ckpt-0"), QStringLiteral("ckpt-2"),
                              QStringLiteral("ckpt-3 (latest)")}));
        QCOMPARE(model.sourceCheckpoints(src).at(1), kept);
        QCOMPARE(sortValue(src, CheckpointTreeModel::ParamsColumn), 3 * 47);
        QCOMPARE(reset.size(), 0);

        // A single checkpoint shown inline has no list to refresh: the caller replaces it.
        OpenResult single = openResult({actorCheckpoint(QStringLiteral("alone"))});
        single.kind = QStringLiteral("checkpoint");
        model.addSource(single);
        QVERIFY(!model.refreshCheckpoints(1, single));
        QVERIFY(!model.refreshCheckpoints(5, single));
    }

    void hundredThousandTensors()
    {
        constexpr int kBlocks = 100;
        constexpr int kLayers = 250;
        QVector<TensorInfo> ts;
        ts.reserve(kBlocks * kLayers * 4);
        std::int64_t expectParams = 0;
        for (int b = 0; b < kBlocks; ++b)
            for (int l = 0; l < kLayers; ++l) {
                const QString base = QStringLiteral("model/block_%1/dense_%2/").arg(b).arg(l);
                ts << tensor(base + QStringLiteral("kernel"), {l + 1, 3})
                   << tensor(base + QStringLiteral("bias"), {3}, DType::Float16);
                ts << slot(base + QStringLiteral("kernel"), QStringLiteral("optimizer"),
                           QStringLiteral("m"), {l + 1, 3})
                   << slot(base + QStringLiteral("kernel"), QStringLiteral("optimizer"),
                           QStringLiteral("v"), {l + 1, 3});
                expectParams += 3 * (l + 1) * 3 + 3;
            }
        QCOMPARE(ts.size(), 100000);
        auto ck = makeCheckpoint(QStringLiteral("big"), ts);
        CheckpointTreeModel model;
        TensorFilterProxy proxy;
        proxy.setSourceModel(&model);
        QElapsedTimer timer;
        timer.start();
        model.addSource(openResult({ck}));
        qInfo("tree of 100,000 tensors built in %lld ms", timer.elapsed());
        const QModelIndex cp = model.index(0, 0, model.index(0, 0));
        QCOMPARE(sortValue(cp, CheckpointTreeModel::ParamsColumn), expectParams);
        const QModelIndex block7 = path(model, cp, {"model", "block_7"});
        QCOMPARE(model.rowCount(block7), kLayers);
        QCOMPARE(model.tensorsUnder(block7).size(), 2 * kLayers);
        const QModelIndex optBlock7 = path(model, cp, {"optimizer", "model", "block_7"});
        QCOMPARE(model.tensorsUnder(optBlock7).size(), 2 * kLayers);
        const TensorRef last{ck, 99999};
        QCOMPARE(model.tensorAt(model.indexOf(last)), last);

        proxy.setPattern(QStringLiteral("block_7/"));
        QCOMPARE(visibleTensors(proxy).size(), 4 * kLayers);
        proxy.setPattern(QStringLiteral("*/dense_1?/bias"), TensorFilterProxy::PatternSyntax::Glob);
        QCOMPARE(visibleTensors(proxy).size(), kBlocks * 10);
        proxy.setPattern(QStringLiteral("block_99/dense_249/kernel$"),
                         TensorFilterProxy::PatternSyntax::Regex);
        QCOMPARE(visibleTensors(proxy),
                 (QStringList{QStringLiteral("model/block_99/dense_249/kernel")}));
        proxy.setPattern({});
        proxy.setDTypeFilter({QStringLiteral("float16")});
        QCOMPARE(visibleTensors(proxy).size(), kBlocks * kLayers);
        proxy.setDTypeFilter({});

        timer.restart();
        proxy.setPattern(QStringLiteral("kernel"));
        qInfo("substring filter over 100,000 tensors in %lld ms", timer.elapsed());
        timer.restart();
        proxy.sort(CheckpointTreeModel::NameColumn, Qt::DescendingOrder);
        qInfo("sorted by name in %lld ms", timer.elapsed());
        const QModelIndex pModel = path(proxy, {}, {"run", "big", "model"});
        QCOMPARE(proxy.index(0, 0, pModel).data().toString(), QStringLiteral("block_99"));
        QCOMPARE(proxy.index(kBlocks - 1, 0, pModel).data().toString(), QStringLiteral("block_0"));
        QCOMPARE(proxy.index(90, 0, pModel).data().toString(), QStringLiteral("block_9"));
    }

    // The a2c run: three bundles, ckpt-9 latest; totals against the ground truth.
    void corpusRun()
    {
        WL_REQUIRE_CORPUS();
        const QString dir = test::corpus(QStringLiteral("tf2-checkpoint/a2c-suspension-ckpts"));
        auto opened = ReaderRegistry::builtin().open(dir);
        if (!opened.ok() && opened.error().code == LoadError::Code::UnknownFormat)
            QSKIP("no TensorFlow bundle reader in this build");
        if (!opened.ok())
            QFAIL(qPrintable(opened.error().message()));
        const auto truth = test::loadJson(dir + QStringLiteral("/GROUND_TRUTH_TF.json"));
        const auto tensors =
            truth[QStringLiteral("bundles")][QStringLiteral("ckpt-9")][QStringLiteral("tensors")]
                .toArray();
        QVERIFY(!tensors.isEmpty());
        qint64 all = 0, actor = 0, actorOpt = 0;
        for (const auto &v : tensors) {
            const auto o = v.toObject();
            const QString key = o[QStringLiteral("key")].toString();
            const qint64 count = o[QStringLiteral("count")].toInteger();
            all += count;
            if (key.startsWith(QLatin1String("actor/")) &&
                !key.contains(QLatin1String(".OPTIMIZER_SLOT")))
                actor += count;
            if (key.startsWith(QLatin1String("actor_optimizer/")) ||
                key.contains(QLatin1String("/.OPTIMIZER_SLOT/actor_optimizer/")))
                actorOpt += count;
        }

        CheckpointTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.addSource(*opened);
        const QModelIndex src = model.index(0, 0);
        const QStringList names = childNames(model, src);
        QCOMPARE(names, (QStringList{QStringLiteral("ckpt-7"), QStringLiteral("ckpt-8"),
                                     QStringLiteral("ckpt-9 (latest)")}));
        const QModelIndex cp = child(model, src, QStringLiteral("ckpt-9 (latest)"));
        QCOMPARE(model.tensorsUnder(cp).size(), tensors.size());
        QCOMPARE(sortValue(cp, CheckpointTreeModel::ParamsColumn), all);
        QCOMPARE(
            sortValue(child(model, cp, QStringLiteral("actor")), CheckpointTreeModel::ParamsColumn),
            actor);
        const QModelIndex opt = child(model, cp, QStringLiteral("actor_optimizer"));
        QCOMPARE(sortValue(opt, CheckpointTreeModel::ParamsColumn), actorOpt);
        const QModelIndex m = path(model, opt, {"actor", "hidden1", "kernel", "m"});
        QVERIFY(m.isValid());
        QCOMPARE(m.siblingAtColumn(CheckpointTreeModel::ShapeColumn).data().toString(),
                 QStringLiteral("[1, 5]"));
        QCOMPARE(m.data(Role::RawKeyRole).toString(),
                 QStringLiteral("actor/hidden1/kernel/.OPTIMIZER_SLOT/actor_optimizer/m/"
                                ".ATTRIBUTES/VARIABLE_VALUE"));
    }

    // A run folder with event files beside its checkpoints holds Checkpoints and Logs; eval/
    // is a run of its own, and the logs' point counts are what GROUND_TRUTH.json counts per file.
    void runWithLogs()
    {
        WL_REQUIRE_CORPUS();
        const QString item = QStringLiteral("tf1-checkpoint/mnist-estimator-run");
        OpenedTree tree(test::corpus(item));
        QVERIFY2(tree.error.isEmpty(), qPrintable(tree.error));
        const auto &model = tree.model;
        const QModelIndex src = tree.source();
        QCOMPARE(childNames(model, src),
                 (QStringList{QStringLiteral("Checkpoints"), QStringLiteral("Logs")}));
        const QModelIndex cps = child(model, src, QStringLiteral("Checkpoints"));
        QCOMPARE(childNames(model, cps),
                 (QStringList{QStringLiteral("model.ckpt-1"),
                              QStringLiteral("model.ckpt-20000 (latest)")}));
        QCOMPARE(model.index(1, 0, cps).data(Role::NodeKindRole).toInt(), int(Kind::Checkpoint));
        QCOMPARE(model.sourceCheckpoints(cps).size(), 2);
        QCOMPARE(*model.sourceCheckpoints(cps).last()->index().step, 20000);

        const QModelIndex logs = child(model, src, QStringLiteral("Logs"));
        QCOMPARE(logs.data(Role::NodeKindRole).toInt(), int(Kind::Logs));
        QCOMPARE(logs.data(Role::IconNameRole).toString(), QStringLiteral("logs"));
        QCOMPARE(childNames(model, logs),
                 (QStringList{QStringLiteral("mnist-estimator-run"), QStringLiteral("eval")}));
        QCOMPARE(model.logRunsAt(logs).size(), 2);
        QCOMPARE(model.logRunsAt(src).size(), 2);
        QVERIFY(model.logRunsAt(cps).size() == 2); // the source's, from anywhere in it
        QVERIFY(model.tensorsUnder(logs).isEmpty());
        QVERIFY(!model.hasChildren(child(model, logs, QStringLiteral("eval"))));

        // Expected points per run and tag: the sum of the per-file counts.
        const auto events = test::loadJson(test::corpus(
            item + QStringLiteral("/GROUND_TRUTH.json")))[QStringLiteral("events")]
                                .toObject();
        QHash<QString, QHash<QString, qint64>> want;
        for (auto f = events.begin(); f != events.end(); ++f) {
            const QString run =
                f.key().contains(QLatin1Char('/')) ? QStringLiteral("eval") : QStringLiteral(".");
            const auto tags = f.value()[QStringLiteral("tags")].toObject();
            for (auto t = tags.begin(); t != tags.end(); ++t)
                want[run][t.key()] += t.value()[QStringLiteral("count")].toInteger();
        }
        QCOMPARE(want.size(), 2);
        for (const QString &name :
             {QStringLiteral("eval"), QStringLiteral("mnist-estimator-run")}) {
            const QModelIndex runIndex = child(model, logs, name);
            QCOMPARE(runIndex.data(Role::NodeKindRole).toInt(), int(Kind::LogRun));
            const auto runs = model.logRunsAt(runIndex);
            QCOMPARE(runs.size(), 1);
            QCOMPARE(model.indexOfLogRun(runs.first()), runIndex);
            const auto &run = runs.first().get();
            const auto &expected = want[name == QLatin1String("eval") ? name : QStringLiteral(".")];
            QCOMPARE(qsizetype(run.series.all().size()), expected.size());
            for (auto t = expected.begin(); t != expected.end(); ++t) {
                const auto *series = run.series.find(t.key());
                QVERIFY2(series, qPrintable(t.key()));
                QCOMPARE(qint64(series->scalars.size()), t.value());
            }
        }
        // The event files are read, not listed as files nobody read.
        for (const auto &p : tree.opened.problems)
            QVERIFY2(!p.file.contains(QLatin1String("tfevents")), qPrintable(p.toString()));
    }

    // One node per thing opened: a SavedModel and a `.keras` archive hold their tensors
    // directly, and a folder of SavedModels lists one node per SavedModel.
    void openedThingIsOneNode()
    {
        WL_REQUIRE_CORPUS();
        auto isWeightNode = [](const QModelIndex &i) {
            const int kind = i.data(Role::NodeKindRole).toInt();
            return kind == int(Kind::Group) || kind == int(Kind::Tensor);
        };
        const QString tetris = QStringLiteral("savedmodel/tetris-dqn-keras-savedmodel");
        const QString archive = QStringLiteral("keras3/flownet-keras-zip/25-06/model.keras");
        const auto kerasTruth = test::loadJson(
            test::corpus(QStringLiteral("keras3/flownet-keras-zip/GROUND_TRUTH.json")));
        const qsizetype kerasTensors =
            kerasTruth[QStringLiteral("files")][QStringLiteral("25-06/model.keras")]
                      [QStringLiteral("inner:model.weights.h5")][QStringLiteral("datasets")]
                          .toObject()
                          .size();
        const qsizetype tetrisTensors =
            test::groundTruthTensors(tetris, QStringLiteral("variables/variables")).size();
        QVERIFY(kerasTensors > 0 && tetrisTensors > 0);
        for (const auto &[item, count] :
             {qMakePair(tetris, tetrisTensors), qMakePair(archive, kerasTensors)}) {
            OpenedTree tree(test::corpus(item));
            QVERIFY2(tree.error.isEmpty(), qPrintable(tree.error));
            const auto &model = tree.model;
            const QModelIndex src = tree.source();
            QCOMPARE(src.data().toString(), QFileInfo(item).fileName());
            QVERIFY(model.rowCount(src) > 0);
            for (int r = 0; r < model.rowCount(src); ++r)
                QVERIFY2(isWeightNode(model.index(r, 0, src)),
                         qPrintable(model.index(r, 0, src).data().toString()));
            QCOMPARE(model.tensorsUnder(src).size(), count);
            // The top rows are the tensors' own first name segments: no `variables` level.
            QSet<QString> tops;
            for (const auto &t : model.tensorsUnder(src))
                tops.insert(
                    t.info().name.section(QLatin1Char('/'), 0, 0, QString::SectionSkipEmpty));
            const QStringList names = childNames(model, src);
            QCOMPARE(QSet<QString>(names.begin(), names.end()), tops);
            QVERIFY(model.checkpointAt(src));
            QCOMPARE(model.indexOfCheckpoint(model.checkpointAt(src).get()), src);
        }

        OpenedTree folder(test::corpus(QStringLiteral("savedmodel")));
        QVERIFY2(folder.error.isEmpty(), qPrintable(folder.error));
        const auto &model = folder.model;
        const QModelIndex src = folder.source();
        QCOMPARE(childNames(model, src),
                 (QStringList{QStringLiteral("lstm-test-sharded-savedmodel"),
                              QStringLiteral("tetris-dqn-keras-savedmodel"),
                              QStringLiteral("tfs-half-plus-two-tf1"),
                              QStringLiteral("tfs-half-plus-two-tf2")}));
        const QModelIndex cp = child(model, src, QStringLiteral("tetris-dqn-keras-savedmodel"));
        QCOMPARE(cp.data(Role::NodeKindRole).toInt(), int(Kind::Checkpoint));
        QCOMPARE(model.tensorsUnder(cp).size(), tetrisTensors);
        for (int r = 0; r < model.rowCount(cp); ++r)
            QVERIFY(isWeightNode(model.index(r, 0, cp)));
    }

    // The overview's problem lines name files inside the opened folder from it, and files
    // elsewhere in full. A copy of a corpus SavedModel with a damaged fingerprint.
    void problemLinesNameFilesFromTheFolder()
    {
        WL_REQUIRE_CORPUS();
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString src = test::corpus(QStringLiteral("savedmodel/tfs-half-plus-two-tf2"));
        const QString dir = tmp.filePath(QStringLiteral("served"));
        QVERIFY(QDir().mkpath(dir + QStringLiteral("/variables")));
        for (const char *f : {"saved_model.pb", "variables/variables.index",
                              "variables/variables.data-00000-of-00001"})
            QVERIFY(QFile::copy(src + QLatin1Char('/') + QLatin1String(f),
                                dir + QLatin1Char('/') + QLatin1String(f)));
        QFile fp(dir + QStringLiteral("/fingerprint.pb"));
        QVERIFY(fp.open(QIODevice::WriteOnly) && fp.write("\x0d\x0a", 2) == 2);
        fp.close();
        auto opened = ReaderRegistry::builtin().open(dir);
        QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().message()));
        Problem outside{Problem::Severity::Warning,
                        QStringLiteral("/elsewhere/other.index"),
                        {},
                        QStringLiteral("text")};
        opened->problems << outside;

        CheckpointTreeModel model;
        model.addSource(*opened);
        const QStringList lines =
            model.problemsText(model.index(0, 0)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY2(lines.contains(QStringLiteral("fingerprint.pb: fingerprint unreadable: corrupt: "
                                               "expected a FingerprintDef, found 2 bytes that do "
                                               "not parse (offset 0: field 1 should be varint, "
                                               "found fixed32)")),
                 qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY(lines.contains(outside.toString()));
        for (const QString &l : lines)
            QVERIFY2(!l.contains(dir), qPrintable(l));
    }
};

QTEST_GUILESS_MAIN(TestTreeModel)
#include "tst_treemodel.moc"
