#include "formats/kerash5reader.h"
#include "stats/statsengine.h"
#include "testutil.h"

#include "kerastestfiles.h"

#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <cmath>
#include <cstring>

using namespace wl;

// HDF5 files written here with the C library: the cases the corpus lacks.
class TestKerasGenerated : public QObject
{
    Q_OBJECT
private slots:
    void nestedAndAlias()
    {
        QTemporaryDir dir;
        const QString nested = dir.filePath("nested.h5");
        hid_t f = kt::createFile(nested);
        const QString config = R"({"class_name": "Sequential", "config": {"name": "outer",
            "layers": [{"class_name": "Sequential", "config": {"name": "sequential_1",
            "layers": []}}, {"class_name": "Dense", "config": {"name": "head", "units": 2,
            "trainable": false}}]}})";
        kt::vlenStrings(f, "model_config", {config}, false, true);
        kt::vlenStrings(f, "keras_version", {"2.7.0"}, false, true);
        hid_t g = kt::group(f, "model_weights");
        kt::fixedStrings(g, "layer_names", {"sequential_1", "head"}, H5T_STR_NULLPAD);
        hid_t l = kt::group(g, "sequential_1");
        kt::fixedStrings(l, "weight_names", {"dense_1/kernel:0", "dense_1/bias:0"},
                         H5T_STR_NULLTERM);
        kt::floats(l, "dense_1/kernel:0", {3, 4}, std::vector<float>(12, 1.0f));
        kt::floats(l, "dense_1/bias:0", {4}, std::vector<float>(4, 2.0f));
        H5Gclose(l);
        l = kt::group(g, "head");
        kt::fixedStrings(l, "weight_names", {"head/kernel:0"}, H5T_STR_NULLPAD);
        kt::floats(l, "head/kernel:0", {4, 2}, std::vector<float>(8, 0.5f));
        H5Gclose(l);
        H5Gclose(g);
        H5Fclose(f);
        auto cp = test::openOne(nested);
        QVERIFY(cp);
        const auto &s = cp->index().summary;
        QCOMPARE(kt::layerList(s), (QStringList{"sequential_1:16", "head:8"}));
        QCOMPARE(s.value("layers").toArray()[0].toObject().value("class").toString(),
                 QStringLiteral("Sequential"));
        QCOMPARE(s.value("non_trainable_params").toInt(), 8);
        const auto &idx = cp->index();
        QCOMPARE(idx.tensors[idx.indexOfKey("model_weights/sequential_1/dense_1/kernel:0")].name,
                 QStringLiteral("sequential_1/dense_1/kernel"));
        QCOMPARE(idx.tensors[idx.indexOfKey("model_weights/head/head/kernel:0")].name,
                 QStringLiteral("head/kernel"));

        const QString alias = dir.filePath("alias.weights.h5");
        f = kt::createFile(alias);
        for (const char *name : {"dense", "dense_1", "dense_10", "dense_2"})
            kt::floats(f, QStringLiteral("_layer_checkpoint_dependencies/%1/vars/0").arg(name), {2},
                       {1, 1});
        H5Fclose(f);
        cp = test::openOne(alias);
        QVERIFY(cp);
        QCOMPARE(cp->index().summary.value("format").toString(),
                 QStringLiteral("keras3-weights-h5"));
        QCOMPARE(kt::layerList(cp->index().summary),
                 (QStringList{"dense:2", "dense_1:2", "dense_2:2", "dense_10:2"}));
    }

    // A Functional model keeps its InputLayer in the group numbering; names and variable
    // names come from config.json. Stored and deflated members give the same values.
    void functionalArchive()
    {
        QTemporaryDir dir;
        const QString h5 = dir.filePath("model.weights.h5");
        hid_t f = kt::createFile(h5);
        H5Gclose(kt::group(f, "layers/input_layer/vars"));
        kt::floats(f, "layers/dense/vars/0", {3, 4}, std::vector<float>(12, 0.25f));
        kt::floats(f, "layers/dense/vars/1", {4}, {1, 2, 3, 4});
        kt::floats(f, "layers/dense_1/vars/0", {4, 1}, {-1, -2, -3, -4});
        H5Gclose(kt::group(f, "optimizer/vars"));
        H5Fclose(f);
        QFile file(h5);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray weights = file.readAll();
        const QByteArray meta = R"({"keras_version": "3.10.0", "date_saved": "x"})";
        const QByteArray config = R"({"class_name": "Functional", "config": {"name": "f",
            "layers": [{"class_name": "InputLayer", "name": "in",
                        "config": {"name": "in", "batch_shape": [null, 3]}},
                       {"class_name": "Dense", "name": "fc1", "config": {"name": "fc1",
                        "units": 4}, "inbound_nodes": [{"args": [{"class_name":
                        "__keras_tensor__", "config": {"shape": [null, 3],
                        "keras_history": ["in", 0, 0]}}], "kwargs": {}}]},
                       {"class_name": "Dense", "name": "head", "config": {"name": "head",
                        "units": 1}, "inbound_nodes": [{"args": [{"class_name":
                        "__keras_tensor__", "config": {"shape": [null, 4],
                        "keras_history": ["fc1", 0, 0]}}], "kwargs": {}}]}]},
            "compile_config": {"optimizer": "sgd", "loss": "mse"}})";
        for (bool deflate : {false, true}) {
            const QString path = dir.filePath(deflate ? "d.keras" : "s.keras");
            QVERIFY(kt::writeZip(
                path,
                {{"metadata.json", meta}, {"config.json", config}, {"model.weights.h5", weights}},
                deflate));
            auto cp = test::openOne(path);
            QVERIFY(cp);
            const auto &idx = cp->index();
            QCOMPARE(kt::layerList(idx.summary), (QStringList{"in:0", "fc1:16", "head:4"}));
            QCOMPARE(idx.summary.value("version").toString(), QStringLiteral("3.10.0"));
            QCOMPARE(idx.tensors[idx.indexOfKey("layers/dense/vars/1")].name,
                     QStringLiteral("fc1/bias"));
            QCOMPARE(idx.tensors[idx.indexOfKey("layers/dense_1/vars/0")].name,
                     QStringLiteral("head/kernel"));
            QVERIFY(idx.summaryText.contains("(None, 1)"));
            QCOMPARE(idx.tensors[0].location.storage, deflate
                                                          ? TensorLocation::Storage::ReaderDecoded
                                                          : TensorLocation::Storage::Raw);
            const auto r = computeStats(*cp, allTensors(cp->index()), StatsRequest{});
            QCOMPARE(r[idx.indexOfKey("layers/dense/vars/0")].stats.sum, 3.0);
            QCOMPARE(r[idx.indexOfKey("layers/dense/vars/1")].stats.sum, 10.0);
            QCOMPARE(r[idx.indexOfKey("layers/dense_1/vars/0")].stats.sum, -10.0);
        }
    }

    // A stored weights member is opened in place in the mapped archive: opening a 48 MiB one
    // raises the peak resident memory by a few MiB; reading the member would add 48.
    void storedArchiveOpensInPlace()
    {
        QTemporaryDir dir;
        const QString h5 = dir.filePath("model.weights.h5");
        constexpr hsize_t rows = 3072, cols = 4096;
        {
            hid_t f = kt::createFile(h5);
            kt::floats(f, "layers/dense/vars/0", {rows, cols},
                       std::vector<float>(rows * cols, 0.5f));
            H5Fclose(f);
            QFile file(h5);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QVERIFY(kt::writeZip(
                dir.filePath("big.keras"),
                {{"metadata.json", R"({"keras_version": "3.10.0", "date_saved": "x"})"},
                 {"config.json", R"({"class_name": "Sequential", "config": {"name": "s",
                     "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 4096}}]}})"},
                 {"model.weights.h5", file.readAll()}}));
        }
        // Peak resident memory while opening: the kernel's high-water mark, reset first.
        auto statusMiB = [](const char *field) {
            QFile status(QStringLiteral("/proc/self/status"));
            if (!status.open(QIODevice::ReadOnly))
                return -1.0;
            for (const QByteArray &line : status.readAll().split('\n'))
                if (line.startsWith(field))
                    return line.mid(qsizetype(std::strlen(field)))
                               .trimmed()
                               .split(' ')[0]
                               .toDouble() /
                           1024;
            return -1.0;
        };
        QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
        if (!clearRefs.open(QIODevice::WriteOnly) || clearRefs.write("5") != 1)
            QSKIP("the peak resident memory cannot be reset here");
        clearRefs.close();
        const double before = statusMiB("VmRSS:");
        auto cp = test::openOne(dir.filePath("big.keras"));
        QVERIFY(cp);
        const double grown = statusMiB("VmHWM:") - before;
        QVERIFY2(
            before >= 0 && grown < 16,
            qPrintable(
                QStringLiteral("opening raised the peak resident memory by %1 MiB").arg(grown)));
        const auto &idx = cp->index();
        QCOMPARE(idx.tensors.size(), 1);
        QCOMPARE(idx.tensors[0].location.storage, TensorLocation::Storage::Raw);
        const auto r = computeStats(*cp, allTensors(cp->index()), StatsRequest{});
        QCOMPARE(r[0].stats.count, std::int64_t(rows * cols));
        QCOMPARE(r[0].stats.sum, 0.5 * double(rows * cols));
    }

    void chunkedLayerNames()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("chunked.h5");
        QStringList names;
        for (int i = 0; i < 300; ++i)
            names << QStringLiteral("layer_%1_")
                         .arg(i, 3, 10, QLatin1Char('0'))
                         .leftJustified(231, 'x');
        hid_t f = kt::createFile(path);
        kt::fixedStrings(f, "layer_names0", names.mid(0, 150), H5T_STR_NULLPAD);
        kt::fixedStrings(f, "layer_names1", names.mid(150), H5T_STR_SPACEPAD);
        kt::vlenStrings(f, "keras_version", {"2.15.0"}, true, true);
        kt::vlenStrings(f, "backend", {"tensorflow"}, false, true);
        for (int i = 0; i < names.size(); ++i) {
            hid_t g = kt::group(f, names[i]);
            if (i == 7) {
                kt::vlenStrings(g, "weight_names", {names[i] + "/kernel:0"}, false, false);
                kt::floats(g, names[i] + "/kernel:0", {2, 3}, {1, 2, 3, 4, 5, 6});
            } else {
                kt::emptyFloatArray(g, "weight_names");
            }
            H5Gclose(g);
        }
        H5Fclose(f);
        auto cp = test::openOne(path);
        QVERIFY(cp);
        const auto &s = cp->index().summary;
        QCOMPARE(s.value("format").toString(), QStringLiteral("keras2-h5-weights"));
        QCOMPARE(s.value("version").toString(), QStringLiteral("2.15.0"));
        const auto layers = s.value("layers").toArray();
        QCOMPARE(layers.size(), 300);
        for (int i = 0; i < 300; ++i)
            QCOMPARE(layers[i].toObject().value("name").toString(), names[i]);
        QCOMPARE(layers[7].toObject().value("params").toInt(), 6);
        QCOMPARE(layers[7].toObject().value("class").toString(), QStringLiteral("—"));
        QCOMPARE(s.value("total_params").toInt(), 6);
        QCOMPARE(cp->index().tensors.size(), 1);
        QCOMPARE(cp->index().tensors[0].name, names[7] + "/kernel");
    }

    void bfloat16()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("bf16.weights.h5");
        hid_t f = kt::createFile(path);
        hid_t opaque = H5Tcreate(H5T_OPAQUE, 2);
        const std::uint16_t bits[] = {0x3F80, 0x4000, 0xBF80, 0x0000}; // 1, 2, -1, 0
        kt::dataset(f, "layers/dense/vars/0", opaque, opaque, {4}, bits);
        kt::dataset(f, "layers/dense/vars/1", H5T_STD_U16LE, H5T_NATIVE_UINT16, {2}, bits);
        kt::dataset(f, "layers/dense_1/vars/0", H5T_STD_U16LE, H5T_NATIVE_UINT16, {2}, bits);
        for (const char *p : {"layers/dense/vars/0", "layers/dense/vars/1"}) {
            hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
            kt::vlenStrings(d, "dtype", {"bfloat16"}, true, true);
            H5Dclose(d);
        }
        H5Tclose(opaque);
        H5Fclose(f);
        auto cp = test::openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        QCOMPARE(idx.summary.value("format").toString(), QStringLiteral("keras3-weights-h5"));
        const int a = idx.indexOfKey("layers/dense/vars/0");
        const int b = idx.indexOfKey("layers/dense/vars/1");
        const int c = idx.indexOfKey("layers/dense_1/vars/0");
        QCOMPARE(idx.tensors[a].dtype, DType::BFloat16);
        QCOMPARE(idx.tensors[b].dtype, DType::BFloat16);
        QCOMPARE(idx.tensors[c].dtype, DType::UInt16);
        auto bytes = cp->readTensor(a);
        QVERIFY(bytes.ok());
        QCOMPARE(*bytes, QByteArray(reinterpret_cast<const char *>(bits), 8));
        const auto r = computeStats(*cp, {a, b}, StatsRequest{});
        QCOMPARE(r[0].stats.sum, 2.0);
        QCOMPARE(*r[0].stats.min, -1.0);
        QCOMPARE(*r[0].stats.max, 2.0);
        QCOMPARE(r[1].stats.sum, 3.0);
    }

    // Chunked, compressed and big-endian datasets: H5Dread in bounded pieces, swapped bytes.
    void decodedDatasets()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("generic.h5");
        std::vector<float> big(300 * 1000);
        double bigSum = 0;
        for (std::size_t i = 0; i < big.size(); ++i) {
            big[i] = float(double(i % 1000) * 0.25 - double(i / 1000));
            bigSum += double(big[i]);
        }
        std::vector<double> wide(4 * 5 * 30000);
        for (std::size_t i = 0; i < wide.size(); ++i)
            wide[i] = double(i) * 1e-3 - 7;
        const std::vector<float> be = {1, 2, 3, 4, 5};
        hid_t f = kt::createFile(path);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        const hsize_t chunk[] = {7, 33};
        H5Pset_chunk(dcpl, 2, chunk);
        H5Pset_deflate(dcpl, 6);
        kt::dataset(f, "big", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {300, 1000}, big.data(), dcpl);
        H5Pclose(dcpl);
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        const hsize_t chunk3[] = {1, 1, 1000};
        H5Pset_chunk(dcpl, 3, chunk3);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 1);
        kt::dataset(f, "wide", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, {4, 5, 30000}, wide.data(), dcpl);
        H5Pclose(dcpl);
        kt::dataset(f, "be32", H5T_IEEE_F32BE, H5T_NATIVE_FLOAT, {5}, be.data());
        H5Fclose(f);

        auto cp = test::openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        const int ib = idx.indexOfKey("big"), iw = idx.indexOfKey("wide"),
                  ie = idx.indexOfKey("be32");
        QCOMPARE(idx.tensors[ib].location.storage, TensorLocation::Storage::ReaderDecoded);
        QCOMPARE(idx.tensors[iw].location.storage, TensorLocation::Storage::ReaderDecoded);
        QCOMPARE(idx.tensors[ie].location.storage, TensorLocation::Storage::Raw);
        QVERIFY(idx.tensors[ie].location.bigEndian);
        QCOMPARE(idx.tensors[iw].dtype, DType::Float64);

        for (int i : {ib, iw}) {
            StreamOptions opt;
            opt.window = 64 << 10;
            QByteArray all;
            int pieces = 0;
            auto st = cp->streamTensor(
                i,
                [&](const std::uint8_t *p, std::size_t n) {
                    if (n > opt.window)
                        return false;
                    ++pieces;
                    all.append(reinterpret_cast<const char *>(p), qsizetype(n));
                    return true;
                },
                opt);
            QVERIFY(st.ok());
            QVERIFY(pieces > 10);
            if (i == ib)
                QCOMPARE(all, QByteArray(reinterpret_cast<const char *>(big.data()),
                                         qsizetype(big.size() * 4)));
            else
                QCOMPARE(all, QByteArray(reinterpret_cast<const char *>(wide.data()),
                                         qsizetype(wide.size() * 8)));
        }
        const auto r = computeStats(*cp, {ib, ie}, StatsRequest{});
        QVERIFY(std::abs(r[0].stats.sum - bigSum) <= 1e-9 * std::abs(bigSum));
        QCOMPARE(*r[0].stats.min, -299.0);
        QCOMPARE(*r[0].stats.max, 249.75);
        QCOMPARE(r[1].stats.sum, 15.0);
        auto bytes = cp->readTensor(ie);
        QVERIFY(bytes.ok());
        QCOMPARE(*bytes, QByteArray(reinterpret_cast<const char *>(be.data()), 20));
    }

    void genericHdf5()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("plain.h5");
        hid_t f = kt::createFile(path);
        kt::vlenStrings(f, "title", {"hello"}, true, true);
        const std::int32_t v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12};
        kt::dataset(f, "a/b/data", H5T_STD_I32LE, H5T_NATIVE_INT32, {3, 4}, v);
        H5Fclose(f);
        QCOMPARE(KerasH5Reader().probe(Source::fromPath(path)).score, 40);
        auto cp = test::openOne(path);
        QVERIFY(cp);
        const auto &idx = cp->index();
        QCOMPARE(idx.summary.value("kind").toString(), QStringLiteral("hdf5"));
        QCOMPARE(idx.tensors.size(), 1);
        QCOMPARE(idx.tensors[0].key, QStringLiteral("a/b/data"));
        QCOMPARE(idx.tensors[0].dtype, DType::Int32);
        QVERIFY(idx.metadata.contains(qMakePair(QStringLiteral("title"), QStringLiteral("hello"))));
        const auto r = computeStats(*cp, allTensors(cp->index()), StatsRequest{});
        QCOMPARE(r[0].stats.sum, 54.0);
        QCOMPARE(*r[0].stats.min, -12.0);
    }

    // With a user block, dataset offsets must still point at the data, and addresses stored in
    // the file (variable-length strings in a global heap, header continuations) count from the
    // superblock.
    void userBlock()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("ub.weights.h5");
        hid_t f = kt::createFile(path, 8192);
        kt::floats(f, "layers/dense/vars/0", {2, 2}, {0.5f, -1.5f, 2.5f, 4});
        H5Gclose(kt::group(f, "optimizer/vars"));
        H5Fclose(f);
        QCOMPARE(KerasH5Reader().probe(Source::fromPath(path)).score, 80);
        auto cp = test::openOne(path);
        QVERIFY(cp);
        QCOMPARE(cp->index().tensors[0].location.storage, TensorLocation::Storage::Raw);
        const auto r = computeStats(*cp, allTensors(cp->index()), StatsRequest{});
        QCOMPARE(r[0].stats.sum, 5.5);
        QCOMPARE(*r[0].stats.min, -1.5);

        // A legacy model file as h5py writes it (variable-length string attributes).
        const QString legacy = dir.filePath("ub.h5");
        f = kt::createFile(legacy, 1024);
        kt::vlenStrings(f, "keras_version", {"2.7.0"}, false, true);
        kt::oneDenseWeight(f);
        H5Fclose(f);
        QString error;
        auto model = test::openOne(legacy, &error);
        QVERIFY2(model, qPrintable(error));
        QCOMPARE(model->index().tensors.size(), 1);
        QVERIFY(model->index().tensors[0].key.endsWith(QStringLiteral("d/kernel:0")));
        QStringList problems;
        for (const auto &pr : model->index().problems)
            problems << pr.toString();
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join('\n')));
        const auto mr = computeStats(*model, allTensors(model->index()), StatsRequest{});
        QCOMPARE(mr[0].stats.sum, 6.0);
    }

    void badModelConfig()
    {
        QTemporaryDir dir;
        const QString withWeights = dir.filePath("broken.h5");
        hid_t f = kt::createFile(withWeights);
        kt::vlenStrings(f, "model_config", {"{\"class_name\": \"Sequential\", oops"}, false, true);
        kt::oneDenseWeight(f);
        H5Fclose(f);
        // Weights still listed, the broken config is a warning.
        auto cp = test::openOne(withWeights);
        QVERIFY(cp);
        QCOMPARE(cp->index().tensors.size(), 1);
        QCOMPARE(cp->index().summary.value("total_params").toInt(), 3);
        bool warned = false;
        for (const auto &p : cp->index().problems)
            warned = warned || p.where.contains("model_config");
        QVERIFY(warned);

        // Nothing usable: an error naming the attribute.
        const QString bare = dir.filePath("bare.h5");
        f = kt::createFile(bare);
        kt::vlenStrings(f, "model_config", {"not json"}, false, true);
        H5Fclose(f);
        QString error;
        QVERIFY(!test::openOne(bare, &error));
        QVERIFY2(error.contains("model_config") && error.contains(bare), qPrintable(error));
    }
    // A Keras 3 weights file with one optimizer scalar: the summary counts in the singular.
    void optimizerCountsInTheSingular()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("one.weights.h5");
        hid_t f = kt::createFile(path);
        kt::floats(f, "layers/dense/vars/0", {3}, {1, 2, 3});
        kt::floats(f, "optimizer/vars/0", {}, {7});
        H5Fclose(f);
        QString error;
        auto cp = test::openOne(path, &error);
        QVERIFY2(cp, qPrintable(error));
        const QString text = cp->index().summaryText;
        QVERIFY2(text.contains("Optimizer weights (not counted): 1 tensor, 1 value\n"),
                 qPrintable(text));
        f = kt::createFile(path);
        kt::floats(f, "layers/dense/vars/0", {3}, {1, 2, 3});
        kt::floats(f, "optimizer/vars/0", {2}, {7, 8});
        kt::floats(f, "optimizer/vars/1", {}, {9});
        H5Fclose(f);
        cp = test::openOne(path, &error);
        QVERIFY2(cp, qPrintable(error));
        QVERIFY2(cp->index().summaryText.contains(
                     "Optimizer weights (not counted): 2 tensors, 3 values\n"),
                 qPrintable(cp->index().summaryText));
    }
};

QTEST_GUILESS_MAIN(TestKerasGenerated)
#include "tst_keras_generated.moc"
