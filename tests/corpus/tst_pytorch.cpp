#include "formats/readerregistry.h"
#include "itemmodels/checkpointtreemodel.h"
#include "testutil.h"
#include "torchtestfiles.h"
#include "write/pytorchwriter.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtEndian>
#include <cstring>

using namespace wl;
using namespace wl::test;

namespace
{

const char *kItem = "pytorch/mnist-mlp-pt";

QString modelPath()
{
    return corpus(QStringLiteral("%1/model.pt").arg(kItem));
}

// A member's bytes as libzip reads them: a path independent of the reader's mapping.
QByteArray zipMember(const QString &archive, const QString &name)
{
    int err = 0;
    zip_t *z = zip_open(QFile::encodeName(archive).constData(), ZIP_RDONLY, &err);
    if (!z)
        return {};
    zip_stat_t st;
    QByteArray out;
    if (zip_stat(z, name.toUtf8().constData(), 0, &st) == 0) {
        zip_file_t *f = zip_fopen(z, name.toUtf8().constData(), 0);
        out.resize(qsizetype(st.size));
        if (!f || zip_fread(f, out.data(), st.size) != zip_int64_t(st.size))
            out.clear();
        if (f)
            zip_fclose(f);
    }
    zip_close(z);
    return out;
}

QByteArray floats(const std::vector<float> &v)
{
    return QByteArray(reinterpret_cast<const char *>(v.data()), qsizetype(v.size() * 4));
}

std::vector<float> toFloats(const QByteArray &b)
{
    std::vector<float> v(std::size_t(b.size()) / 4);
    std::memcpy(v.data(), b.constData(), v.size() * 4);
    return v;
}

QByteArray swapped4(QByteArray b)
{
    for (qsizetype i = 0; i + 4 <= b.size(); i += 4)
        std::reverse(b.begin() + i, b.begin() + i + 4);
    return b;
}

std::vector<float> arange(int n)
{
    std::vector<float> v(std::size_t(n), 0.f);
    for (int i = 0; i < n; ++i)
        v[std::size_t(i)] = float(i) * 0.5f - 3.f;
    return v;
}

// The storage elements a view selects, in C order (formats-keras-pytorch.md 4.1).
std::vector<float> gather(const std::vector<float> &storage, std::int64_t offset,
                          const std::vector<std::int64_t> &size,
                          const std::vector<std::int64_t> &stride)
{
    std::vector<float> out;
    std::vector<std::int64_t> at(size.size(), 0);
    std::int64_t n = 1;
    for (auto s : size)
        n *= s;
    for (std::int64_t k = 0; k < n; ++k) {
        std::int64_t idx = offset;
        for (std::size_t d = 0; d < size.size(); ++d)
            idx += at[d] * stride[d];
        out.push_back(storage[std::size_t(idx)]);
        for (std::size_t d = size.size(); d-- > 0;)
            if (++at[d] < size[d])
                break;
            else
                at[d] = 0;
    }
    return out;
}

struct ViewCase {
    const char *name;
    std::int64_t offset;
    std::vector<std::int64_t> size, stride;
};

// base, base.t(), base[1:, ::2], base[2] on one 4x6 storage.
const std::vector<ViewCase> &viewCases()
{
    static const std::vector<ViewCase> cases{{"base", 0, {4, 6}, {6, 1}},
                                             {"t", 0, {6, 4}, {1, 6}},
                                             {"sl", 6, {3, 3}, {6, 2}},
                                             {"row", 12, {6}, {1}}};
    return cases;
}

QByteArray viewsPickle()
{
    PickleWriter w;
    w.emptyDict().mark();
    for (const auto &c : viewCases())
        w.str(c.name).tensor("FloatStorage", "0", 24, c.offset, c.size, c.stride);
    w.setItems().stop();
    return w.bytes();
}

} // namespace

class TstPyTorch : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    void checkViews(const Checkpoint &cp, const std::vector<float> &storage)
    {
        const auto &idx = cp.index();
        QCOMPARE(idx.tensors.size(), qsizetype(viewCases().size()));
        for (int i = 0; i < idx.tensors.size(); ++i) {
            const auto &c = viewCases()[std::size_t(i)];
            const auto &t = idx.tensors[i];
            QCOMPARE(t.key, QString::fromLatin1(c.name));
            QCOMPARE(t.shape.dims, c.size);
            auto bytes = cp.readTensor(i);
            QVERIFY2(bytes.ok(), qPrintable(bytes.ok() ? QString() : bytes.error().message()));
            QCOMPARE(toFloats(*bytes), gather(storage, c.offset, c.size, c.stride));
        }
        QCOMPARE(idx.tensors[1].location.storage, TensorLocation::Storage::ReaderDecoded);
        QCOMPARE(idx.tensors[3].location.storage, TensorLocation::Storage::Raw);
        const auto shared = idx.summary.value("shared_storages").toArray();
        QCOMPARE(shared.size(), 1);
        QCOMPARE(shared[0].toObject().value("tensors").toArray().size(), 4);
        // All four views lie within `base`: the storage counts once.
        QCOMPARE(idx.totalBytes(), qint64(storage.size() * 4));
        QCOMPARE(idx.totalValues(), qint64(storage.size()));
        QCOMPARE(idx.aliasesOf(3), QStringList({"base", "t", "sl"}));
    }

    // A model of fc.weight [2,3] and fc.bias [2] under `modelKey`, Adam state for both under
    // `optimizerKey` (inside a one-element list for Lightning), and `counterKey` = 3.
    QString writeTraining(const QString &file, const char *modelKey, const char *optimizerKey,
                          bool optimizerList, const char *counterKey)
    {
        PickleWriter w;
        w.emptyDict().mark().str(modelKey).emptyDict().mark();
        w.str("fc.weight").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1});
        w.str("fc.bias").tensor("FloatStorage", "1", 2, 0, {2}, {1});
        w.setItems();
        w.str(optimizerKey);
        if (optimizerList)
            w.emptyList().mark();
        w.emptyDict().mark().str("state").emptyDict().mark();
        for (int p = 0; p < 2; ++p) {
            const std::vector<std::int64_t> size =
                p == 0 ? std::vector<std::int64_t>{2, 3} : std::vector<std::int64_t>{2};
            const std::vector<std::int64_t> stride =
                p == 0 ? std::vector<std::int64_t>{3, 1} : std::vector<std::int64_t>{1};
            const std::int64_t n = p == 0 ? 6 : 2;
            w.integer(p).emptyDict().mark();
            w.str("step").tensor("FloatStorage", QString::number(2 + 3 * p), 1, 0, {}, {});
            w.str("exp_avg").tensor("FloatStorage", QString::number(3 + 3 * p), n, 0, size, stride);
            w.str("exp_avg_sq")
                .tensor("FloatStorage", QString::number(4 + 3 * p), n, 0, size, stride);
            w.setItems();
        }
        w.setItems().str("param_groups").emptyList().mark().emptyDict().mark();
        w.str("lr").real(0.001).str("params").emptyList().mark().integer(0).integer(1).appends();
        w.setItems().appends().setItems();
        if (optimizerList)
            w.appends();
        w.str(counterKey).integer(3).setItems().stop();
        QList<QPair<QString, QByteArray>> storages;
        const int counts[] = {6, 2, 1, 6, 6, 1, 2, 2};
        for (int k = 0; k < 8; ++k)
            storages.append({QString::number(k), floats(arange(counts[k]))});
        const QString path = m_dir.filePath(file);
        return writeTorchZip(path, "archive", w.bytes(), storages) ? path : QString();
    }

private slots:
    void initTestCase()
    {
        WL_REQUIRE_CORPUS();
        QVERIFY(m_dir.isValid());
    }

    // The corpus file: 8 contiguous float32 tensors, one storage member each, mapped in place
    // at 64-byte aligned offsets, with the bytes libzip reads from the members.
    void corpusStateDict()
    {
        QString error;
        auto cp = openOne(modelPath(), &error);
        QVERIFY2(cp, qPrintable(error));
        const auto &idx = cp->index();
        QCOMPARE(idx.readerId, QStringLiteral("pytorch"));
        const QStringList names{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
                                "fc3.weight", "fc3.bias", "fc4.weight", "fc4.bias"};
        const QList<std::vector<std::int64_t>> shapes{{128, 784}, {128}, {64, 128}, {64},
                                                      {32, 64},   {32},  {10, 32},  {10}};
        QCOMPARE(idx.tensors.size(), names.size());
        QHash<QString, qint64> memberSize;
        const auto members = loadJson(corpus(QString(kItem) + "/GROUND_TRUTH.json"))["files"]
                                 .toObject()["model.pt"]
                                 .toObject()["members"]
                                 .toArray();
        for (const auto &m : members)
            memberSize.insert(m.toObject()["name"].toString(),
                              qint64(m.toObject()["size"].toDouble()));
        for (int i = 0; i < names.size(); ++i) {
            const auto &t = idx.tensors[i];
            QCOMPARE(t.key, names[i]);
            QCOMPARE(t.dtype, DType::Float32);
            QCOMPARE(t.shape.dims, shapes[i]);
            QCOMPARE(t.location.storage, TensorLocation::Storage::Raw);
            QCOMPARE(t.location.offset % 64, 0);
            const QString member = QStringLiteral("archive/data/%1").arg(i);
            QCOMPARE(t.location.size, memberSize.value(member));
            auto bytes = cp->readTensor(i);
            QVERIFY(bytes.ok());
            QCOMPARE(*bytes, zipMember(modelPath(), member));
        }
        QCOMPARE(
            metadataValue(idx, "Globals"),
            QStringLiteral(
                "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.FloatStorage"));
        QVERIFY(idx.problems.isEmpty());
        QVERIFY(idx.summary.value("shared_storages").toArray().isEmpty());
        // No storage is shared: the total is every data member once, and none has aliases.
        qint64 dataBytes = 0;
        for (auto it = memberSize.cbegin(); it != memberSize.cend(); ++it)
            if (it.key().startsWith(QLatin1String("archive/data/")))
                dataBytes += it.value();
        QCOMPARE(idx.totalBytes(), dataBytes);
        for (int i = 0; i < idx.tensors.size(); ++i)
            QVERIFY(idx.aliasesOf(i).isEmpty());
    }

    void cliListsAndStats()
    {
        const auto ls = runWeightLens({"ls", modelPath()});
        QCOMPARE(ls.exitCode, 0);
        QVERIFY(ls.out.contains("fc4/bias"));
        const auto stats = runWeightLens({"stats", "--json", modelPath()});
        QCOMPARE(stats.exitCode, 0);
        // fc4.bias from its member bytes, summed here.
        double sum = 0;
        for (float f : toFloats(zipMember(modelPath(), "archive/data/7")))
            sum += f;
        bool seen = false;
        for (const auto &o : jsonLines(stats.out))
            if (o.value("name").toString() == QLatin1String("fc4.bias") ||
                o.value("key").toString() == QLatin1String("fc4.bias")) {
                seen = true;
                QVERIFY(qAbs(o.value("mean").toDouble() * 10 - sum) < 1e-9);
            }
        QVERIFY2(seen, stats.out.left(2000).constData());
    }

    // One storage shared by four views: transposed, strided with an offset, a row.
    void viewsAndSharedStorage()
    {
        const auto storage = arange(24);
        const QString path = m_dir.filePath("views.pt");
        QVERIFY(writeTorchZip(path, "views", viewsPickle(), {{"0", floats(storage)}}));
        auto cp = openOne(path);
        QVERIFY(cp);
        checkViews(*cp, storage);
    }

    // Tied weights (head.weight is embed.weight) and three views of one storage, two of them
    // halves and one across both: totals count each storage once, the tree and the Overview
    // name the aliases.
    void sharedStoragesCountedOnce()
    {
        PickleWriter w;
        w.emptyDict().mark();
        w.str("embed.weight").tensor("FloatStorage", "0", 24, 0, {4, 6}, {6, 1});
        w.str("head.weight").tensor("FloatStorage", "0", 24, 0, {4, 6}, {6, 1});
        w.str("head.bias").tensor("FloatStorage", "1", 4, 0, {4}, {1});
        w.str("split.lo").tensor("FloatStorage", "2", 10, 0, {5}, {1});
        w.str("split.hi").tensor("FloatStorage", "2", 10, 5, {5}, {1});
        w.str("split.mid").tensor("FloatStorage", "2", 10, 3, {4}, {1});
        w.setItems().stop();
        const QList<QPair<QString, QByteArray>> storages{
            {"0", floats(arange(24))}, {"1", floats(arange(4))}, {"2", floats(arange(10))}};
        const QString path = m_dir.filePath("tied.pt");
        QVERIFY(writeTorchZip(path, "tied", w.bytes(), storages));
        auto opened = ReaderRegistry::builtin().open(path);
        QVERIFY(opened.ok());
        const auto cp = opened->checkpoints.front();
        const auto &idx = cp->index();
        QCOMPARE(idx.tensors.size(), 6);
        // Every storage is covered by its views, so the totals are the storages' sizes.
        qint64 storageBytes = 0;
        for (const auto &s : storages)
            storageBytes += s.second.size();
        QCOMPARE(idx.totalBytes(), storageBytes);
        QCOMPARE(idx.totalValues(), storageBytes / 4);
        const int head = idx.indexOfKey("head.weight");
        QCOMPARE(idx.aliasesOf(head), QStringList{"embed.weight"});
        QCOMPARE(idx.aliasesOf(idx.indexOfKey("split.mid")), QStringList({"split.lo", "split.hi"}));
        QVERIFY(idx.aliasesOf(idx.indexOfKey("head.bias")).isEmpty());
        // The tied tensor still reads its own values.
        QCOMPARE(*cp->readTensor(head), storages[0].second);

        CheckpointTreeModel model;
        model.addSource(*opened);
        const QModelIndex cpNode = model.indexOfCheckpoint(cp.get());
        QVERIFY(cpNode.isValid());
        auto total = [&](const QModelIndex &i, int column) {
            return i.siblingAtColumn(column).data(CheckpointTreeModel::Role::SortRole).toLongLong();
        };
        QCOMPARE(total(cpNode, CheckpointTreeModel::BytesColumn), storageBytes);
        QCOMPARE(total(cpNode, CheckpointTreeModel::ParamsColumn), storageBytes / 4);
        const QModelIndex leaf = model.indexOf(TensorRef{cp, head});
        QCOMPARE(total(leaf, CheckpointTreeModel::ParamsColumn), 24);
        QVERIFY2(leaf.data(Qt::ToolTipRole)
                     .toString()
                     .contains(QLatin1String("Shares its storage with: embed.weight")),
                 qPrintable(leaf.data(Qt::ToolTipRole).toString()));

        // The report counts the same bytes.
        const QString report = m_dir.filePath("tied.json");
        const auto run = runWeightLens({"report", path, "-o", report});
        QCOMPARE(run.exitCode, 0);
        const auto inputs = loadJson(report).value("inputs").toArray();
        QCOMPARE(inputs.size(), 1);
        const auto cps = inputs[0].toObject().value("checkpoints").toArray();
        QCOMPARE(cps.size(), 1);
        QCOMPARE(qint64(cps[0].toObject().value("bytes").toDouble()), storageBytes);
        QCOMPARE(qint64(loadJson(report).value("totals").toObject().value("values").toDouble()),
                 storageBytes / 4);
    }

    // The PyTorch writer: a state_dict of several dtypes and shapes (a scalar, an empty tensor)
    // read back member by member by libzip, which checks each CRC-32, and by our reader.
    void writtenStateDict()
    {
        auto le64 = [](qint64 v) {
            char b[8];
            qToLittleEndian<qint64>(v, b);
            return QByteArray(b, 8);
        };
        const QList<QPair<QString, QByteArray>> bytes{
            {"fc.weight", floats(arange(6))},
            {"fc.bias", floats({0.25f, -1.5f})},
            {"steps", le64(42)},
            {"empty", QByteArray()},
            {"half", QByteArray("\x80\x3f\x00\xc0\x49\x40", 6)}};
        const QList<DType> dtypes{DType::Float32, DType::Float32, DType::Int64, DType::Float32,
                                  DType::BFloat16};
        const QList<std::vector<std::int64_t>> shapes{{2, 3}, {2}, {}, {0, 4}, {3}};
        std::vector<PyTorchTensor> tensors;
        for (qsizetype i = 0; i < bytes.size(); ++i)
            tensors.push_back({bytes[i].first, dtypes[i], Shape{shapes[i]},
                               [b = bytes[i].second]() -> Result<QByteArray> { return b; }});
        const QString path = m_dir.filePath("written.pt");
        auto written = writePyTorch(path, tensors);
        QVERIFY2(written.ok(), qPrintable(written.ok() ? QString() : written.error().message()));
        QCOMPARE(zipMember(path, "archive/byteorder"), QByteArray("little"));
        QCOMPARE(zipMember(path, "archive/version"), QByteArray("3\n"));
        auto cp = openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        QVERIFY(idx.problems.isEmpty());
        QCOMPARE(idx.tensors.size(), bytes.size());
        for (int i = 0; i < bytes.size(); ++i) {
            const auto &t = idx.tensors[i];
            QCOMPARE(t.key, bytes[i].first);
            QCOMPARE(t.dtype, dtypes[i]);
            QCOMPARE(t.shape.dims, shapes[i]);
            QCOMPARE(zipMember(path, QStringLiteral("archive/data/%1").arg(i)), bytes[i].second);
            QCOMPARE(*cp->readTensor(i), bytes[i].second);
            if (!bytes[i].second.isEmpty())
                QCOMPARE(t.location.offset % 64, 0);
            QCOMPARE(written->value(t.key),
                     QCryptographicHash::hash(bytes[i].second, QCryptographicHash::Sha256));
        }
        // An existing file is left as it is; a dtype torch has no storage for writes nothing.
        const QByteArray before = readFile(path);
        QVERIFY(!writePyTorch(path, tensors).ok());
        QCOMPARE(readFile(path), before);
        const QString bad = m_dir.filePath("uint32.pt");
        tensors = {{"u", DType::UInt32, Shape{{1}},
                    []() -> Result<QByteArray> { return QByteArray(4, '\0'); }}};
        auto refused = writePyTorch(bad, tensors);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.error().message().contains(QLatin1String("uint32")),
                 qPrintable(refused.error().message()));
        QVERIFY(!QFile::exists(bad));
    }

    // Restore into the corpus file, which torch.save wrote with data descriptors: fc4.bias
    // taken from A, its member's CRC-32 rewritten so that libzip reads it without complaint,
    // every other member as it was; a B whose tensor shares its storage is refused.
    void restoreInto()
    {
        std::vector<float> bias(10);
        for (int i = 0; i < 10; ++i)
            bias[std::size_t(i)] = 0.125f * float(i) - 0.5f;
        const QString a = m_dir.filePath("bias-from.pt");
        QVERIFY(writePyTorch(a, {{"fc4.bias", DType::Float32, Shape{{10}},
                                  [&]() -> Result<QByteArray> { return floats(bias); }}})
                    .ok());
        const QByteArray before = readFile(modelPath());
        const QString out = m_dir.filePath("restored.pt");
        auto run = runWeightLens({"restore", "--from", a, "--into", modelPath(), "--out", out});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(readFile(modelPath()), before);
        QCOMPARE(QFileInfo(out).size(), before.size());
        QCOMPARE(zipMember(out, "archive/data/7"), floats(bias));
        for (int i = 0; i < 7; ++i) {
            const QString member = QStringLiteral("archive/data/%1").arg(i);
            QCOMPARE(zipMember(out, member), zipMember(modelPath(), member));
        }
        QCOMPARE(zipMember(out, "archive/data.pkl"), zipMember(modelPath(), "archive/data.pkl"));
        auto cp = openOne(out);
        QVERIFY(cp);
        QCOMPARE(*cp->readTensor(cp->index().indexOfKey("fc4.bias")), floats(bias));

        // `row` views the storage of `base`: writing it would change base too.
        const QString views = m_dir.filePath("views-b.pt");
        QVERIFY(writeTorchZip(views, "v", viewsPickle(), {{"0", floats(arange(24))}}));
        const QString rowFrom = m_dir.filePath("row-from.pt");
        QVERIFY(writePyTorch(rowFrom, {{"row", DType::Float32, Shape{{6}},
                                        []() -> Result<QByteArray> { return floats(arange(6)); }}})
                    .ok());
        run = runWeightLens({"restore", "--from", rowFrom, "--into", views, "--out",
                             m_dir.filePath("views-out.pt")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("shared with base"), run.err.constData());
        QVERIFY(!QFile::exists(m_dir.filePath("views-out.pt")));
    }

    void bigEndianStorage()
    {
        const auto storage = arange(24);
        const QString path = m_dir.filePath("big.pt");
        QVERIFY(writeTorchZip(path, "anyname", viewsPickle(), {{"0", swapped4(floats(storage))}},
                              "big"));
        auto cp = openOne(path);
        QVERIFY(cp);
        QCOMPARE(metadataValue(cp->index(), "Byte order"), QStringLiteral("big"));
        checkViews(*cp, storage);
    }

    void legacyFile()
    {
        const auto storage = arange(24);
        // Legacy storage keys are object ids, long decimal strings.
        PickleWriter w;
        w.emptyDict().mark();
        for (const auto &c : viewCases())
            w.str(c.name).tensor("FloatStorage", "94113741021184", 24, c.offset, c.size, c.stride);
        w.setItems().stop();
        const QString path = m_dir.filePath("legacy.pth");
        QVERIFY(
            writeFile(path, legacyTorchFile(w.bytes(), {{"94113741021184", floats(storage)}}, 4)));
        auto cp = openOne(path);
        QVERIFY(cp);
        QCOMPARE(cp->index().formatName, QStringLiteral("PyTorch checkpoint (legacy)"));
        checkViews(*cp, storage);
        // Cut inside the storage: an error naming the file, no crash.
        QByteArray cut = readFile(path);
        cut.chop(10);
        QVERIFY(writeFile(path, cut));
        QString error;
        QVERIFY(!openOne(path, &error));
        QVERIFY2(error.contains(QLatin1String("legacy.pth")), qPrintable(error));
    }

    // {"model": sd, "optimizer": {"state": {0: {...}, 1: {...}}, "param_groups": [...]},
    // "epoch": 3}: Adam's slots tied to the parameters, `step` and `epoch` kept apart.
    void trainingCheckpoint()
    {
        const QString path = writeTraining("train.ckpt", "model", "optimizer", false, "epoch");
        QVERIFY(!path.isEmpty());
        auto cp = openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        QCOMPARE(idx.tensors.size(), 8);
        auto find = [&](const QString &key) -> const TensorInfo * {
            const int i = idx.indexOfKey(key);
            return i < 0 ? nullptr : &idx.tensors[i];
        };
        QVERIFY(find("model.fc.weight"));
        QCOMPARE(find("model.fc.weight")->role, TensorRole::Variable);
        const auto *m = find("optimizer.state.0.exp_avg");
        QVERIFY(m);
        QCOMPARE(m->role, TensorRole::OptimizerSlot);
        QCOMPARE(m->slotOf, QStringLiteral("model/fc/weight"));
        QCOMPARE(m->slotName, QStringLiteral("exp_avg"));
        QCOMPARE(find("optimizer.state.1.exp_avg_sq")->slotOf, QStringLiteral("model/fc/bias"));
        QCOMPARE(find("optimizer.state.1.step")->role, TensorRole::Optimizer);
        QCOMPARE(metadataValue(idx, "epoch"), QStringLiteral("3"));
        QCOMPARE(metadataValue(idx, "optimizer.param_groups.0.lr"), QStringLiteral("0.001"));
        QVERIFY(metadataValue(idx, "optimizer.param_groups.0.params.0").isEmpty());
    }

    // PyTorch Lightning: `state_dict` and a list `optimizer_states`; global_step is the step.
    void lightningCheckpoint()
    {
        const QString path =
            writeTraining("lightning.ckpt", "state_dict", "optimizer_states", true, "global_step");
        QVERIFY(!path.isEmpty());
        auto cp = openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        const int i = idx.indexOfKey("optimizer_states.0.state.1.exp_avg");
        QVERIFY(i >= 0);
        QCOMPARE(idx.tensors[i].role, TensorRole::OptimizerSlot);
        QCOMPARE(idx.tensors[i].slotOf, QStringLiteral("state_dict/fc/bias"));
        QCOMPARE(idx.tensors[i].optimizerPath, QStringLiteral("optimizer_states/0"));
        QCOMPARE(idx.step, std::optional<std::int64_t>(3));
    }

    // A checkpoint naming os.system: listed as inert, never called; its tensors still show.
    void offListGlobalShownInert()
    {
        PickleWriter w;
        w.emptyDict().mark().str("w").tensor("FloatStorage", "0", 2, 0, {2}, {1});
        w.str("hook").global("os", "system").mark().str("touch pwned-by-pickle").tuple().reduce();
        w.setItems().stop();
        const QString path = m_dir.filePath("evil.pt");
        QVERIFY(writeTorchZip(path, "evil", w.bytes(), {{"0", floats({1.f, 2.f})}}));
        auto cp = openOne(path);
        QVERIFY(cp);
        QCOMPARE(cp->index().tensors.size(), 1);
        QCOMPARE(metadataValue(cp->index(), "Inert globals"), QStringLiteral("os.system"));
        bool named = false;
        for (const auto &p : cp->index().problems)
            named = named || p.text.contains(QLatin1String("os.system"));
        QVERIFY(named);
        QVERIFY(!QFile::exists("pwned-by-pickle"));
    }

    // A view past its storage's end is reported and left unread.
    void viewOutsideStorage()
    {
        PickleWriter w;
        w.emptyDict().mark().str("w").tensor("FloatStorage", "0", 4, 2, {2, 2}, {2, 1});
        w.setItems().stop();
        const QString path = m_dir.filePath("oob.pt");
        QVERIFY(writeTorchZip(path, "oob", w.bytes(), {{"0", floats({1.f, 2.f, 3.f, 4.f})}}));
        auto cp = openOne(path);
        QVERIFY(cp);
        QCOMPARE(cp->index().tensors[0].location.storage, TensorLocation::Storage::None);
        QCOMPARE(cp->index().problems.size(), 1);
        QVERIFY2(cp->index().problems[0].text.contains(QLatin1String("element 5")),
                 qPrintable(cp->index().problems[0].text));
    }

    // Truncations and a member offset past the end: errors or problems, never a crash.
    void damagedArchives()
    {
        const QByteArray full = readFile(modelPath());
        const QString path = m_dir.filePath("cut.pt");
        for (qsizetype n :
             {qsizetype(0), qsizetype(30), qsizetype(900), full.size() / 2, full.size() - 100}) {
            QVERIFY(writeFile(path, full.left(n)));
            QString error;
            auto cp = openOne(path, &error);
            QVERIFY2(!cp, qPrintable(QString::number(n)));
            QVERIFY(!error.isEmpty());
            // Cut before its end record, the archive is named as cut short, not by a code.
            if (n >= full.size() / 2)
                QVERIFY2(error.contains(QLatin1String("cut short")), qPrintable(error));
        }
        // The central directory entry of archive/data/0 points past the end of the file.
        QByteArray moved = full;
        const QByteArray name = "archive/data/0";
        const auto cd = moved.indexOf("PK\x01\x02");
        qsizetype at = -1;
        for (auto i = moved.indexOf("PK\x01\x02", cd); i >= 0;
             i = moved.indexOf("PK\x01\x02", i + 1))
            if (moved.mid(i + 46, name.size()) == name &&
                qFromLittleEndian<quint16>(moved.constData() + i + 28) == name.size())
                at = i;
        QVERIFY(at > 0);
        qToLittleEndian<quint32>(quint32(full.size() + 4096), moved.data() + at + 42);
        QVERIFY(writeFile(path, moved));
        QString error;
        QVERIFY(!openOne(path, &error));
        QVERIFY2(error.contains(QLatin1String("cut.pt")), qPrintable(error));
    }

    // Random bytes changed in the pickle of a file with views: every open either fails with
    // a message or yields tensors whose reads stay inside their storages.
    void mutatedPickles()
    {
        const auto storage = arange(24);
        const QByteArray pkl = viewsPickle();
        const QString path = m_dir.filePath("mutated.pt");
        QRandomGenerator rng(2020);
        int opened = 0;
        for (int i = 0; i < 400; ++i) {
            // The first two bytes (PROTO 2) kept, so that each file still reads as a pickle.
            QVERIFY(writeTorchZip(path, "m", mutated(pkl, rng, 3, 2), {{"0", floats(storage)}}));
            auto cp = openOne(path);
            if (!cp)
                continue;
            ++opened;
            for (int t = 0; t < cp->index().tensors.size(); ++t)
                (void)cp->readTensor(t, 1 << 20);
        }
        QVERIFY(opened > 0);
    }

    // The same with bytes changed anywhere in the archive: headers, names, offsets, sizes.
    void mutatedArchives()
    {
        const QString clean = m_dir.filePath("clean.pt");
        QVERIFY(writeTorchZip(clean, "z", viewsPickle(), {{"0", floats(arange(24))}}));
        const QByteArray bytes = readFile(clean);
        QVERIFY(openMutated(bytes, m_dir.filePath("mutated-zip.pt"), 77, 1000) >= 0);
    }

    void tarFormatRefused()
    {
        QByteArray tar(1024, '\0');
        std::memcpy(tar.data(), "pickle", 6);
        std::memcpy(tar.data() + 257, "ustar", 5);
        const QString path = m_dir.filePath("old.pt");
        QVERIFY(writeFile(path, tar));
        QString error;
        QVERIFY(!openOne(path, &error));
        QVERIFY2(error.contains(QLatin1String("tar format")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TstPyTorch)
#include "tst_pytorch.moc"
