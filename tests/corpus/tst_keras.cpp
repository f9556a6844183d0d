#include "formats/kerasarchivereader.h"
#include "formats/kerasconfig.h"
#include "formats/kerash5reader.h"
#include "formats/readerregistry.h"
#include "io/hdf5file.h"
#include "stats/statsengine.h"
#include "testutil.h"

#include "kerastestfiles.h"

#include <QJsonArray>
#include <QLocale>
#include <QTemporaryDir>
#include <QtEndian>
#include <cmath>

using namespace wl;

namespace
{

// Every Keras file of the corpus: (corpus file, item, GROUND_TRUTH key).
struct CorpusFile {
    QString file;
    QString item;
    QString key;
};

QList<CorpusFile> corpusFiles()
{
    QList<CorpusFile> out;
    for (const char *category : {"keras2-h5-full", "keras2-h5-weights", "keras3"}) {
        const QDir dir(test::corpus(QString::fromLatin1(category)));
        for (const auto &item : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            const QString rel = QString::fromLatin1(category) + QLatin1Char('/') + item;
            const auto gt =
                test::loadJson(test::corpus(rel + QStringLiteral("/GROUND_TRUTH.json")));
            for (const auto &key : gt.value("files").toObject().keys())
                out << CorpusFile{rel + QLatin1Char('/') + key, rel, key};
        }
    }
    out << CorpusFile{QStringLiteral("csvlog/digit-cnn-run/models/model.h5"),
                      QStringLiteral("csvlog/digit-cnn-run"), QStringLiteral("models/model.h5")};
    out << CorpusFile{QStringLiteral("tfevents/churn-fit-run/model.h5"),
                      QStringLiteral("tfevents/churn-fit-run"), QStringLiteral("model.h5")};
    return out;
}
// Writes `bytes` to `path` and opens it with the HDF5 wrapper; `objects` gets the root ("")
// and every group and dataset. Null when it cannot be written, opened or walked.
std::shared_ptr<h5::File> writeAndOpen(const QString &path, const QByteArray &bytes,
                                       QStringList &objects)
{
    if (!test::writeFile(path, bytes))
        return {};
    auto file = h5::File::open(path);
    if (!file.ok())
        return {};
    auto nodes = (*file)->walk();
    if (!nodes.ok())
        return {};
    objects = QStringList{QString()};
    for (const auto &n : *nodes)
        objects << n.path;
    return *file;
}

quint64 u64(const QByteArray &b, qsizetype at)
{
    return qFromLittleEndian<quint64>(b.constData() + at);
}

void setU64(QByteArray &b, qsizetype at, quint64 v)
{
    qToLittleEndian<quint64>(v, b.data() + at);
}

} // namespace

class TestKeras : public QObject
{
    Q_OBJECT
private slots:
    void groundTruth_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("item");
        QTest::addColumn<QString>("key");
        const auto files = corpusFiles();
        QVERIFY(files.size() >= 9);
        for (const auto &f : files)
            QTest::newRow(qPrintable(f.file)) << f.file << f.item << f.key;
    }

    // Every dataset of the item's GROUND_TRUTH.json: dtype, shape, sum, min and max.
    void groundTruth()
    {
        WL_REQUIRE_CORPUS();
        QFETCH(QString, file);
        QFETCH(QString, item);
        QFETCH(QString, key);
        const auto gt = test::loadJson(test::corpus(item + QStringLiteral("/GROUND_TRUTH.json")))
                            .value("files")
                            .toObject()
                            .value(key)
                            .toObject();
        QVERIFY(!gt.isEmpty());
        const bool archive = gt.value("format").toString() == QLatin1String("zip");
        const auto datasets = (archive ? gt.value("inner:model.weights.h5").toObject() : gt)
                                  .value("datasets")
                                  .toObject();
        QVERIFY(!datasets.isEmpty());
        QString error;
        auto cp = test::openOne(test::corpus(file), &error);
        QVERIFY2(cp, qPrintable(error));
        const auto &idx = cp->index();
        QCOMPARE(idx.readerId, archive ? QStringLiteral("keras-zip") : QStringLiteral("keras-h5"));
        QCOMPARE(idx.tensors.size(), datasets.size());
        const auto reports = computeStats(*cp, allTensors(cp->index()), StatsRequest{});
        for (auto it = datasets.begin(); it != datasets.end(); ++it) {
            const int i = idx.indexOfKey(it.key());
            QVERIFY2(i >= 0, qPrintable(it.key()));
            const auto &t = idx.tensors[i];
            const auto want = it.value().toObject();
            QCOMPARE(dtypeName(t.dtype), want.value("dtype").toString());
            std::vector<std::int64_t> dims;
            for (const auto &d : want.value("shape").toArray())
                dims.push_back(qint64(d.toDouble()));
            QCOMPARE(t.shape.dims, dims);
            QCOMPARE(t.numElements(), qint64(want.value("size").toDouble()));
            const auto &r = reports[i];
            QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
            QVERIFY(r.reduced);
            const double sum = want.value("sum").toDouble();
            QVERIFY2(std::abs(r.stats.sum - sum) <= 1e-6 * std::max(1.0, std::abs(sum)),
                     qPrintable(QStringLiteral("%1: sum %2 vs %3")
                                    .arg(it.key())
                                    .arg(r.stats.sum, 0, 'g', 17)
                                    .arg(sum, 0, 'g', 17)));
            QCOMPARE(*r.stats.min, want.value("min").toDouble());
            QCOMPARE(*r.stats.max, want.value("max").toDouble());
        }
        if (archive) {
            // Stored members stream in place from the archive.
            for (const auto &t : idx.tensors) {
                QCOMPARE(t.location.storage, TensorLocation::Storage::Raw);
                QCOMPARE(t.location.file, test::corpus(file));
            }
            QCOMPARE(idx.summary.value("members").toArray(), gt.value("members").toArray());
            const auto meta = gt.value("metadata.json").toObject();
            QVERIFY(idx.metadata.contains(qMakePair(QStringLiteral("Keras version"),
                                                    meta.value("keras_version").toString())));
            QCOMPARE(idx.summary.value("version").toString(),
                     meta.value("keras_version").toString());
        } else {
            const auto version = gt.value("root_attrs").toObject().value("keras_version");
            QCOMPARE(idx.summary.value("version"), version.isString() ? version : QJsonValue());
        }
    }

    // Layer tables and totals given in the spec (section 2.5 "How to verify", section 3).
    void layerTotals_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("version");
        QTest::addColumn<QStringList>("layers");
        QTest::addColumn<qint64>("total");
        QTest::addColumn<int>("optimizerTensors");
        const QStringList churn = {"dense_6:832", "dense_7:2080", "dense_8:33"};
        QTest::newRow("churn-ann-ankit") << "keras2-h5-full/churn-ann-ankit/model.h5"
                                         << "keras2-h5-full"
                                         << "3.8.0" << churn << qint64(2945) << 14;
        QTest::newRow("churn-ann-samyak") << "keras2-h5-full/churn-ann-samyak/model.h5"
                                          << "keras2-h5-full"
                                          << "3.5.0" << churn << qint64(2945) << 14;
        QTest::newRow("churn-fit-run")
            << "tfevents/churn-fit-run/model.h5"
            << "keras2-h5-full"
            << "3.14.0" << QStringList{"dense:832", "dense_1:2080", "dense_2:33"} << qint64(2945)
            << 14;
        QTest::newRow("mnist-mlp-h5") << "keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5"
                                      << "keras2-h5-full"
                                      << "2.7.0"
                                      << QStringList{"input_2:0",
                                                     "dropout_9:0",
                                                     "batch_normalization_9:3136",
                                                     "dense_9:100480",
                                                     "dropout_10:0",
                                                     "batch_normalization_10:512",
                                                     "re_lu_5:0",
                                                     "dense_10:8256",
                                                     "dropout_11:0",
                                                     "batch_normalization_11:256",
                                                     "re_lu_6:0",
                                                     "dense_11:650"}
                                      << qint64(113290) << 25;
        QTest::newRow("mnist-keras-weights")
            << "keras2-h5-weights/mnist-keras-weights/weights.h5"
            << "keras2-h5-weights"
            << "2.1.4" << QStringList{"conv2d_1:780",      "max_pooling2d_1:0", "conv2d_2:4065",
                                      "max_pooling2d_2:0", "dropout_1:0",       "flatten_1:0",
                                      "dense_1:48128",     "dense_2:6450",      "dense_3:510"}
            << qint64(59933) << 0;
        QTest::newRow("diabetes-weights-h5")
            << "keras3/diabetes-weights-h5/model.weights.h5"
            << "keras3-weights-h5" << QString()
            << QStringList{"dense:108", "dense_1:104", "dense_2:9"} << qint64(221) << 14;
        QTest::newRow("digit-cnn")
            << "csvlog/digit-cnn-run/models/model.h5"
            << "keras2-h5-full"
            << "3.4.1" << QStringList{"flatten:0", "dense:100480", "dense_1:1290"} << qint64(101770)
            << 10;
        QTest::newRow("flownet-25-06")
            << "keras3/flownet-keras-zip/25-06/model.keras"
            << "keras3-archive"
            << "3.9.2" << QStringList{"dense:320", "dense_1:8320", "dense_2:8256", "dense_3:130"}
            << qint64(17026) << 18;
        QTest::newRow("flownet-final")
            << "keras3/flownet-keras-zip/out/final_model.keras"
            << "keras3-archive"
            << "3.9.2"
            << QStringList{"dense:384",    "dropout:0",       "dense_1:8256", "leaky_re_lu:0",
                           "dense_2:2080", "leaky_re_lu_1:0", "dense_3:66"}
            << qint64(10786) << 18;
    }

    // Every layer of a file with a model config gets an output shape; a Dense layer's last
    // dimension is its kernel's.
    void layerOutputShapes_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("churn-ann-ankit") << "keras2-h5-full/churn-ann-ankit/model.h5";
        QTest::newRow("mnist-mlp-h5") << "keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5";
        QTest::newRow("digit-cnn") << "csvlog/digit-cnn-run/models/model.h5";
        QTest::newRow("flownet") << "keras3/flownet-keras-zip/25-06/model.keras";
    }
    void layerOutputShapes()
    {
        WL_REQUIRE_CORPUS();
        QFETCH(QString, file);
        auto cp = test::openOne(test::corpus(file));
        QVERIFY(cp);
        int dense = 0;
        for (const auto &l : cp->index().summary.value("layers").toArray()) {
            const QString name = l[QStringLiteral("name")].toString();
            const QString shape = l[QStringLiteral("output_shape")].toString();
            QVERIFY2(shape.startsWith(QLatin1String("(None, ")), qPrintable(name + shape));
            if (l[QStringLiteral("class")].toString() != QLatin1String("Dense"))
                continue;
            bool found = false;
            for (const auto &t : cp->index().tensors)
                if (t.role == TensorRole::Variable && t.name == name + QLatin1String("/kernel")) {
                    QCOMPARE(shape, QStringLiteral("(None, %1)").arg(t.shape.dims.at(1)));
                    found = true;
                }
            QVERIFY2(found, qPrintable(name));
            ++dense;
        }
        QVERIFY(dense >= 2);
    }

    void layerTotals()
    {
        WL_REQUIRE_CORPUS();
        QFETCH(QString, file);
        QFETCH(QString, format);
        QFETCH(QString, version);
        QFETCH(QStringList, layers);
        QFETCH(qint64, total);
        QFETCH(int, optimizerTensors);
        auto cp = test::openOne(test::corpus(file));
        QVERIFY(cp);
        const auto &s = cp->index().summary;
        QCOMPARE(s.value("kind").toString(), QStringLiteral("keras"));
        QCOMPARE(s.value("format").toString(), format);
        QCOMPARE(s.value("version").toString(), version);
        QCOMPARE(kt::layerList(s), layers);
        QCOMPARE(qint64(s.value("total_params").toDouble()), total);
        int opt = 0;
        std::int64_t variables = 0;
        for (const auto &t : cp->index().tensors) {
            opt += t.role == TensorRole::Optimizer || t.role == TensorRole::OptimizerSlot;
            variables += t.role == TensorRole::Variable ? t.numElements() : 0;
        }
        QCOMPARE(opt, optimizerTensors);
        QCOMPARE(variables, total); // optimizer weights are listed but not counted
        QLocale grouped(QLocale::C);
        grouped.setNumberOptions(QLocale::DefaultNumberOptions); // "2,945" as Keras prints it
        QVERIFY(cp->index().summaryText.contains(QStringLiteral("Total params: ") +
                                                 grouped.toString(total)));
    }

    void knownClassesAndNames()
    {
        WL_REQUIRE_CORPUS();
        auto cp = test::openOne(test::corpus("keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5"));
        QVERIFY(cp);
        const auto &idx = cp->index();
        const auto layers = idx.summary.value("layers").toArray();
        QCOMPARE(layers[0].toObject().value("class").toString(), QStringLiteral("InputLayer"));
        QCOMPARE(layers[2].toObject().value("class").toString(),
                 QStringLiteral("BatchNormalization"));
        // BatchNormalization moving statistics: 2 * (784 + 128 + 64).
        QCOMPARE(qint64(idx.summary.value("non_trainable_params").toDouble()), qint64(1952));
        const int k = idx.indexOfKey("model_weights/dense_9/dense_9/kernel:0");
        QVERIFY(k >= 0);
        QCOMPARE(idx.tensors[k].name, QStringLiteral("dense_9/kernel"));
        const int m = idx.indexOfKey("optimizer_weights/Adam/dense_9/kernel/m:0");
        QVERIFY(m >= 0);
        QCOMPARE(idx.tensors[m].role, TensorRole::OptimizerSlot);
        QCOMPARE(idx.tensors[m].slotName, QStringLiteral("m"));
        QCOMPARE(idx.tensors[m].slotOf, QStringLiteral("dense_9/kernel"));
        QCOMPARE(idx.tensors[idx.indexOfKey("optimizer_weights/Adam/iter:0")].role,
                 TensorRole::Optimizer);

        auto k3 = test::openOne(test::corpus("keras2-h5-full/churn-ann-ankit/model.h5"));
        QVERIFY(k3);
        const auto &i3 = k3->index();
        const int v = i3.indexOfKey("optimizer_weights/adam/sequential_2_dense_6_kernel_velocity");
        QVERIFY(v >= 0);
        QCOMPARE(i3.tensors[v].slotOf, QStringLiteral("dense_6/kernel"));
        QCOMPARE(i3.tensors[v].slotName, QStringLiteral("velocity"));
        QCOMPARE(
            i3.tensors[i3.indexOfKey("model_weights/dense_6/sequential_2/dense_6/kernel")].name,
            QStringLiteral("dense_6/kernel"));
        QVERIFY(
            i3.metadata.contains(qMakePair(QStringLiteral("Optimizer"), QStringLiteral("Adam"))));
        QVERIFY(i3.metadata.contains(
            qMakePair(QStringLiteral("Loss"), QStringLiteral("binary_crossentropy"))));

        auto z = test::openOne(test::corpus("keras3/flownet-keras-zip/25-06/model.keras"));
        QVERIFY(z);
        const auto &iz = z->index();
        QCOMPARE(iz.tensors[iz.indexOfKey("layers/dense_1/vars/0")].name,
                 QStringLiteral("dense_1/kernel"));
        QCOMPARE(iz.tensors[iz.indexOfKey("layers/dense_1/vars/1")].name,
                 QStringLiteral("dense_1/bias"));
        QCOMPARE(iz.tensors[iz.indexOfKey("optimizer/vars/0")].role, TensorRole::Optimizer);
    }

    void snakeCase()
    {
        QCOMPARE(keras::snakeCase("Dense"), QStringLiteral("dense"));
        QCOMPARE(keras::snakeCase("BatchNormalization"), QStringLiteral("batch_normalization"));
        QCOMPARE(keras::snakeCase("Conv2D"), QStringLiteral("conv2d"));
        QCOMPARE(keras::snakeCase("LeakyReLU"), QStringLiteral("leaky_re_lu"));
        QCOMPARE(keras::snakeCase("GlobalAveragePooling2D"),
                 QStringLiteral("global_average_pooling2d"));
    }

    // A data layout message (version 3) holds its class, then for a contiguous dataset its
    // address and size, for a compact one a 2-byte size and the bytes. HDF5 1.10 copies as many
    // compact bytes as the dataspace holds whatever that size says. Here a contiguous layout of
    // the corpus flownet archive (weights member stored, so its bytes lie in the archive) is
    // turned compact with 16 bytes, as a mutation of this file did: reading must be refused.
    void damagedCompactDataset()
    {
        WL_REQUIRE_CORPUS();
        const QString path = test::corpus("keras3/flownet-keras-zip/25-06/model.keras");
        QByteArray archive = test::readFile(path);
        QVERIFY(!archive.isEmpty());
        auto cp = test::openOne(path);
        QVERIFY(cp);
        int tensor = -1;
        qsizetype layout = -1;
        for (int i = 0; i < cp->index().tensors.size() && tensor < 0; ++i) {
            const auto &loc = cp->index().tensors[i].location;
            if (loc.storage != TensorLocation::Storage::Raw || loc.size < 32 || loc.size > 0xFFFF)
                continue;
            QByteArray size(8, '\0');
            qToLittleEndian<quint64>(quint64(loc.size), size.data());
            for (auto at = archive.indexOf(size); at >= 0 && tensor < 0;
                 at = archive.indexOf(size, at + 1)) {
                if (at < 10 || archive.mid(at - 10, 2) != QByteArray::fromHex("0301"))
                    continue;
                const auto address = qFromLittleEndian<quint64>(archive.constData() + at - 8);
                const auto member = loc.offset - qint64(address);
                if (member >= 0 && archive.mid(member, 4) == QByteArray("\x89HDF")) {
                    tensor = i;
                    layout = at - 10;
                }
            }
        }
        QVERIFY2(tensor >= 0, "no contiguous layout message found in the archive");
        const auto expected = cp->index().tensors[tensor].location.size;
        archive[layout + 1] = 0; // compact
        qToLittleEndian<quint16>(16, archive.data() + layout + 2);
        QTemporaryDir dir;
        const QString bad = dir.filePath("short.keras");
        QVERIFY(test::writeFile(bad, archive));
        auto damaged = test::openOne(bad);
        QVERIFY(damaged);
        auto r = damaged->readTensor(tensor);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message().contains(
                     QStringLiteral("compact data of %1 bytes, found 16").arg(expected)),
                 qPrintable(r.error().message()));
    }

    // HDF5 1.10 decodes a global heap collection (variable-length strings) unchecked: a
    // free-space object of size zero made it loop forever, an object size past the collection
    // made it copy out of bounds. Each collection of a corpus file is damaged both ways; every
    // read that meets it must fail with an error, and opening the file must return.
    void damagedGlobalHeap()
    {
        WL_REQUIRE_CORPUS();
        const QByteArray whole =
            test::readFile(test::corpus("keras2-h5-full/churn-ann-ankit/model.h5"));
        QVERIFY(!whole.isEmpty());
        // A collection: "GCOL", version 1, 3 reserved bytes, its size (8 bytes here); then
        // objects of index (2), reference count (2), 4 reserved, size (8), data padded to 8.
        // Index 0 is the free space, which runs to the end of the collection.
        QList<qsizetype> heaps;
        for (auto at = whole.indexOf("GCOL"); at >= 0; at = whole.indexOf("GCOL", at + 1))
            heaps << at;
        QCOMPARE(heaps.size(), 2);
        QTemporaryDir dir;
        int damaged = 0;
        for (qsizetype heap : heaps) {
            const auto size = qsizetype(u64(whole, heap + 8));
            // The first object, made to reach past the collection.
            QByteArray past = whole;
            QVERIFY(qFromLittleEndian<quint16>(whole.constData() + heap + 16) > 0);
            setU64(past, heap + 24, u64(whole, heap + 24) | (quint64(1) << 52));
            // The last object (the free space, when there is one) made free space of size 0.
            QByteArray loop = whole;
            qsizetype last = heap + 16;
            for (qsizetype at = last; at + 16 <= heap + size;) {
                last = at;
                const quint64 n = u64(whole, at + 8);
                if (qFromLittleEndian<quint16>(whole.constData() + at) == 0)
                    break;
                at += 16 + qsizetype((n + 7) & ~quint64(7));
            }
            loop.replace(last, 16, QByteArray(16, '\0'));

            for (const auto &[name, bytes] : {std::pair{QStringLiteral("past"), past},
                                              std::pair{QStringLiteral("loop"), loop}}) {
                const QString p = dir.filePath(QStringLiteral("%1-%2.h5").arg(name).arg(heap));
                QStringList objects;
                const auto file = writeAndOpen(p, bytes, objects);
                QVERIFY2(file, qPrintable(p));
                int failed = 0;
                for (const auto &o : objects) {
                    const auto names = file->attributeNames(o);
                    QVERIFY(names.ok());
                    for (const auto &a : *names)
                        if (auto r = file->attribute(o, a); !r.ok()) {
                            QVERIFY2(r.error().message().contains("corrupt global heap") &&
                                         r.error().file == p,
                                     qPrintable(r.error().message()));
                            ++failed;
                        }
                }
                QVERIFY2(failed > 0, qPrintable(p));
                damaged += failed;
                // The reader either fails, or opens and warns: never silence.
                QString error;
                if (auto cp = test::openOne(p, &error)) {
                    QStringList warned;
                    for (const auto &pr : cp->index().problems)
                        warned << pr.toString();
                    QVERIFY2(warned.join('\n').contains("corrupt global heap"),
                             qPrintable(p + ": " + warned.join('\n')));
                } else {
                    QVERIFY2(error.contains(p) && error.contains("corrupt global heap"),
                             qPrintable(error));
                }
            }
        }
        QVERIFY(damaged >= 4);

        // A value's reference to a heap object (length, collection address, object index)
        // given an index the collection does not hold: HDF5 would read past its object table.
        const quint16 firstIndex = qFromLittleEndian<quint16>(whole.constData() + heaps[0] + 16);
        QByteArray reference(16, '\0');
        qToLittleEndian<quint32>(quint32(u64(whole, heaps[0] + 24)), reference.data());
        qToLittleEndian<quint64>(quint64(heaps[0]), reference.data() + 4);
        qToLittleEndian<quint32>(firstIndex, reference.data() + 12);
        const auto ref = whole.indexOf(reference);
        QVERIFY(ref > 0);
        QByteArray badIndex = whole;
        qToLittleEndian<quint32>(65537, badIndex.data() + ref + 12);
        const QString indexPath = dir.filePath(QStringLiteral("index.h5"));
        QStringList objects;
        const auto file = writeAndOpen(indexPath, badIndex, objects);
        QVERIFY(file);
        const auto rootNames = file->attributeNames({});
        QVERIFY(rootNames.ok());
        QString reported;
        for (const auto &a : *rootNames)
            if (auto r = file->attribute({}, a); !r.ok())
                reported += r.error().message();
        QVERIFY2(reported.contains(
                     QStringLiteral("no object 65537 in the global heap at %1").arg(heaps[0])),
                 qPrintable(reported));

        // In a folder, the damaged file is named once, with the cause.
        QDir folder(dir.filePath(QStringLiteral("run")));
        QVERIFY(folder.mkpath(QStringLiteral(".")));
        const QString inFolder = folder.filePath(QStringLiteral("model.h5"));
        QVERIFY(
            QFile::copy(dir.filePath(QStringLiteral("past-%1.h5").arg(heaps.front())), inFolder));
        QString error;
        QVERIFY(!test::openOne(folder.path(), &error));
        QVERIFY2(error.contains("corrupt global heap") && error.count(inFolder) == 1,
                 qPrintable(error));
    }

    // HDF5 1.10 decodes an attribute message's name, datatype and dataspace with the sizes
    // the message gives: a damaged size read past the message (ASan: heap-buffer-overflow in
    // H5O_attr_shared_decode, from a mutation of this file). In version 1 object headers
    // (h5py's default), every attribute message found in corpus files gets a dataspace size
    // past its message; the object's attributes must then give an error naming the message.
    void damagedAttributeMessage()
    {
        WL_REQUIRE_CORPUS();
        QTemporaryDir dir;
        int damaged = 0, readerReported = 0;
        for (const char *rel : {"keras2-h5-full/churn-ann-ankit/model.h5",
                                "keras3/diabetes-weights-h5/model.weights.h5"}) {
            const QByteArray whole = test::readFile(test::corpus(QString::fromLatin1(rel)));
            QVERIFY(!whole.isEmpty());
            // Message header: type 0x000C, size, flags, 3 reserved; then version 1, reserved,
            // name size (with its NUL), datatype size, dataspace size, the name padded to 8.
            for (const char *attr :
                 {"layer_names", "keras_version", "backend", "weight_names", "model_config"}) {
                const QByteArray name = QByteArray(attr) + '\0';
                for (auto at = whole.indexOf(name); at >= 16; at = whole.indexOf(name, at + 1)) {
                    const qsizetype header = at - 16;
                    if (qFromLittleEndian<quint16>(whole.constData() + header) != 0x0C ||
                        whole[header + 8] != 1 ||
                        qFromLittleEndian<quint16>(whole.constData() + header + 10) != name.size())
                        continue;
                    const auto size = qFromLittleEndian<quint16>(whole.constData() + header + 2);
                    QByteArray bad = whole;
                    qToLittleEndian<quint16>(quint16(size + 1), bad.data() + header + 14);
                    const QString p = dir.filePath(QStringLiteral("attr-%1.h5").arg(++damaged));
                    QStringList objects;
                    const auto file = writeAndOpen(p, bad, objects);
                    QVERIFY2(file, qPrintable(p));
                    const QString expected =
                        QStringLiteral("attribute message at %1 declares").arg(header);
                    QString reported;
                    for (const auto &o : objects) {
                        if (auto names = file->attributeNames(o); !names.ok())
                            reported += names.error().message() + '\n';
                        if (auto a = file->attribute(o, QString::fromLatin1(attr)); !a.ok())
                            reported += a.error().message() + '\n';
                    }
                    QVERIFY2(reported.contains(expected) && reported.contains(p),
                             qPrintable(QStringLiteral("%1 %2: %3").arg(rel, attr, reported)));
                    // The reader, where it reads that object's attributes, fails or warns
                    // with the same cause; attributes it never reads stay harmless.
                    QString error;
                    QStringList said;
                    if (auto cp = test::openOne(p, &error)) {
                        for (const auto &pr : cp->index().problems)
                            said << pr.toString();
                    } else {
                        said << error;
                    }
                    for (const auto &line : said)
                        if (line.contains(QStringLiteral("object header")))
                            QVERIFY2(line.contains(expected), qPrintable(line));
                    readerReported += said.join('\n').contains(expected);
                }
            }
        }
        QVERIFY2(damaged >= 5, qPrintable(QString::number(damaged)));
        QVERIFY2(readerReported >= 3, qPrintable(QString::number(readerReported)));
    }

    // A dataspace's extent is taken as the file gives it. The kernel-shaped ([12, 64]) datasets
    // of a corpus file: the first one's extent damaged so that its bytes overflow 64 bits (a
    // signed overflow under UBSan before, from a mutation of this file) must be an error that
    // names the dataset and the extent; damaged to 2^62 bytes, which fits, the reader opens
    // it, and its statistics fail alone (the progress sums overflowed before).
    void damagedDataspaceExtent()
    {
        WL_REQUIRE_CORPUS();
        const QString source = test::corpus("keras2-h5-full/churn-ann-ankit/model.h5");
        const QByteArray whole = test::readFile(source);
        QVERIFY(!whole.isEmpty());
        QStringList kernels;
        {
            auto file = h5::File::open(source);
            QVERIFY(file.ok());
            auto nodes = (*file)->walk();
            QVERIFY(nodes.ok());
            for (const auto &n : *nodes)
                if (auto d = (*file)->dataset(n.path);
                    !n.isGroup && d.ok() && d->shape.dims == std::vector<std::int64_t>{12, 64})
                    kernels << n.path;
        }
        QCOMPARE(kernels.size(), 3);
        // Version 1 dataspace: version, rank 2, flags (maximum dimensions present), 5 reserved;
        // then the dimensions and their maximums, 8 bytes each.
        QByteArray extent("\x01\x02\x01\0\0\0\0\0", 8);
        for (quint64 d : {12, 64, 12, 64}) {
            extent += QByteArray(8, '\0');
            setU64(extent, extent.size() - 8, d);
        }
        const auto at = whole.indexOf(extent) + 8;
        QVERIFY(at > 8);
        QTemporaryDir dir;

        QByteArray overflow = whole;
        setU64(overflow, at, quint64(1) << 62); // 2^62 · 64 elements of 4 bytes
        const QString p = dir.filePath(QStringLiteral("overflow.h5"));
        QStringList objects;
        const auto file = writeAndOpen(p, overflow, objects);
        QVERIFY(file);
        const QString cause = QStringLiteral("expected at most 2^63 - 1 bytes of data, found "
                                             "dimensions [4611686018427387904, 64] of 4-byte");
        QStringList failed;
        for (const auto &o : objects)
            if (auto d = file->dataset(o); !d.ok() && d.error().message().contains(cause)) {
                QVERIFY2(d.error().file == p, qPrintable(d.error().message()));
                failed << o;
            }
        QCOMPARE(failed.size(), 1);
        QVERIFY(kernels.contains(failed.front()));
        QString error;
        auto cp = test::openOne(p, &error);
        QVERIFY2(cp, qPrintable(error));
        QStringList warned;
        for (const auto &pr : cp->index().problems)
            warned << pr.toString();
        QVERIFY2(warned.join('\n').count(cause) == 1, qPrintable(warned.join('\n')));

        QByteArray large = whole;
        for (qsizetype field : {at, at + 16}) {
            setU64(large, field, quint64(1) << 40);
            setU64(large, field + 8, quint64(1) << 20);
        }
        const QString q = dir.filePath(QStringLiteral("large.h5"));
        QVERIFY(writeAndOpen(q, large, objects));
        cp = test::openOne(q, &error);
        QVERIFY2(cp, qPrintable(error));
        const auto &idx = cp->index();
        const int big = idx.indexOfKey(failed.front());
        QVERIFY2(big >= 0, qPrintable(failed.front()));
        QCOMPARE(idx.tensors[big].shape.dims,
                 (std::vector<std::int64_t>{std::int64_t(1) << 40, std::int64_t(1) << 20}));
        StatsRequest request;
        request.bins = 8;
        const auto reports = computeStats(*cp, allTensors(idx), request);
        QCOMPARE(reports.size(), idx.tensors.size());
        for (const auto &r : reports) {
            QVERIFY2((r.tensor == big) == !r.error.isEmpty(), qPrintable(r.error));
            QVERIFY(r.tensor == big || r.reduced);
            // The error names the file and the dataset once each.
            QVERIFY2(r.error.isEmpty() ||
                         (r.error.count(q) == 1 && r.error.count(idx.tensors[big].key) == 1),
                     qPrintable(r.error));
        }
    }

    // A nested Sequential in a legacy full model, and Keras 2.13's alias group with names
    // that sort differently alphabetically and numerically.
    void badInput()
    {
        WL_REQUIRE_CORPUS();
        QTemporaryDir dir;
        const QByteArray whole =
            test::readFile(test::corpus("keras2-h5-full/churn-ann-ankit/model.h5"));
        QVERIFY(!whole.isEmpty());
        for (qsizetype cut : {qsizetype(0), qsizetype(8), qsizetype(100), qsizetype(1024),
                              whole.size() / 2, whole.size() - 100}) {
            const QString p = dir.filePath(QStringLiteral("cut%1.h5").arg(cut));
            QVERIFY(test::writeFile(p, whole.left(cut)));
            QString error;
            QVERIFY2(!test::openOne(p, &error), qPrintable(p));
            QVERIFY2(error.contains(p), qPrintable(error));
        }
        auto empty =
            KerasH5Reader().open(Source::fromPath(dir.filePath("cut0.h5")), JobContext::none());
        QVERIFY(!empty.ok());
        QCOMPARE(empty.error().code, LoadError::Code::Empty);

        const QByteArray meta = R"({"keras_version": "3.9.2", "date_saved": "x"})";
        const QByteArray config =
            R"({"class_name": "Sequential", "config": {"name": "s", "layers": []}})";
        const QString noWeights = dir.filePath("noweights.keras");
        QVERIFY(kt::writeZip(noWeights, {{"metadata.json", meta}, {"config.json", config}}));
        QString error;
        QVERIFY(!test::openOne(noWeights, &error));
        QVERIFY2(error.contains("model.weights.h5") && error.contains(noWeights),
                 qPrintable(error));

        const QString npz = dir.filePath("npz.keras");
        QVERIFY(kt::writeZip(npz, {{"metadata.json", meta},
                                   {"config.json", config},
                                   {"model.weights.npz", QByteArray("PK")}}));
        auto cp = test::openOne(npz);
        QVERIFY(cp);
        QVERIFY(!cp->index().problems.isEmpty());
        QVERIFY(cp->index().problems.front().where.contains("npz"));

        // Members that cannot be used are named in the problem's place, the archive in its
        // file, and neither again in the text.
        const QString odd = dir.filePath("odd.keras");
        QVERIFY(kt::writeZip(
            odd, {{"config.json", QByteArray("[1]")}, {"model.weights.npz", QByteArray("PK")}}));
        auto oddCp = test::openOne(odd);
        QVERIFY(oddCp);
        QStringList places;
        for (const Problem &p : oddCp->index().problems) {
            QCOMPARE(p.file, odd);
            QVERIFY2(!p.text.contains(dir.path()), qPrintable(p.toString()));
            places << p.where;
            if (p.where == QLatin1String("config.json"))
                QVERIFY2(p.text.startsWith("corrupt: expected a JSON object"), qPrintable(p.text));
            if (p.where == QLatin1String("metadata.json"))
                QVERIFY2(p.text.startsWith("corrupt: expected a member, found none"),
                         qPrintable(p.text));
        }
        QVERIFY2(places.contains("metadata.json") && places.contains("config.json"),
                 qPrintable(places.join(", ")));

        // The same on a real archive: the corpus flownet model with its metadata.json renamed
        // (in the local header and the central directory; names are outside the CRC) opens with
        // every tensor and a warning for the member.
        {
            const QString real = test::corpus("keras3/flownet-keras-zip/25-06/model.keras");
            QByteArray bytes = test::readFile(real);
            QCOMPARE(bytes.count("metadata.json"), 2);
            bytes.replace("metadata.json", "metadata.jsoX");
            const QString renamed = dir.filePath("renamed.keras");
            QVERIFY(test::writeFile(renamed, bytes));
            auto whole = test::openOne(real);
            auto cut = test::openOne(renamed);
            QVERIFY(whole && cut);
            QCOMPARE(cut->index().tensors.size(), whole->index().tensors.size());
            bool warned = false;
            for (const Problem &p : cut->index().problems) {
                QVERIFY2(!p.text.contains(dir.path()), qPrintable(p.toString()));
                warned = warned || (p.file == renamed && p.where == "metadata.json" &&
                                    p.text.startsWith("corrupt: expected a member, found none"));
            }
            QVERIFY(warned);
        }

        const QString notKeras = dir.filePath("other.zip");
        QVERIFY(kt::writeZip(notKeras, {{"readme.txt", QByteArray("hello")}}));
        QCOMPARE(KerasArchiveReader().probe(Source::fromPath(notKeras)).score, 0);
        QVERIFY(!test::openOne(notKeras, &error));
        auto direct = KerasArchiveReader().open(Source::fromPath(notKeras), JobContext::none());
        QVERIFY(!direct.ok());
        QVERIFY(direct.error().message().contains("config.json"));

        const QByteArray a =
            test::readFile(test::corpus("keras3/flownet-keras-zip/25-06/model.keras"));
        QVERIFY(!a.isEmpty());
        const QString cutArchive = dir.filePath("cut.keras");
        QVERIFY(test::writeFile(cutArchive, a.left(a.size() / 2)));
        QVERIFY(!test::openOne(cutArchive, &error));
        QVERIFY(!KerasArchiveReader().open(Source::fromPath(cutArchive), JobContext::none()).ok());

        // A changed byte in a stored member fails its CRC-32 and names the member.
        const QByteArray marker = "\"name\": \"s\"";
        const QString flipped = dir.filePath("flipped.keras");
        QVERIFY(kt::writeZip(flipped, {{"metadata.json", meta}, {"config.json", config}}));
        QByteArray bytes = test::readFile(flipped);
        const qsizetype at = bytes.indexOf(marker);
        QVERIFY(at > 0);
        bytes[at + marker.size() - 2] = 't'; // still valid JSON: only the CRC can tell
        QVERIFY(test::writeFile(flipped, bytes));
        auto bad = KerasArchiveReader().open(Source::fromPath(flipped), JobContext::none());
        QVERIFY(!bad.ok());
        QVERIFY2(bad.error().message().contains("config.json") &&
                     bad.error().message().contains("CRC"),
                 qPrintable(bad.error().message()));

        // Damage inside a deflated member is an error naming the member, never a crash.
        const QString deflated = dir.filePath("deflated.keras");
        QByteArray big = config;
        big.insert(big.size() - 1, QByteArray(", \"pad\": \"") + QByteArray(4000, 'x') + "\"");
        QVERIFY(kt::writeZip(deflated, {{"metadata.json", meta}, {"config.json", big}}, true));
        QByteArray zipped = test::readFile(deflated);
        const qsizetype member = zipped.indexOf("config.json");
        QVERIFY(member > 0);
        for (qsizetype i = member + 40; i < member + 60; ++i)
            zipped[i] = char(zipped[i] ^ 0x5A);
        QVERIFY(test::writeFile(deflated, zipped));
        auto damaged = KerasArchiveReader().open(Source::fromPath(deflated), JobContext::none());
        QVERIFY(!damaged.ok());
        QCOMPARE(damaged.error().code, LoadError::Code::Corrupt);
        QVERIFY2(damaged.error().message().contains("config.json"),
                 qPrintable(damaged.error().message()));
    }
};

QTEST_GUILESS_MAIN(TestKeras)
#include "tst_keras.moc"
