#include "testutil.h"

#include <QJsonArray>
#include <QLocale>

using namespace wl;

// `weightlens ls` on every Keras file of the corpus: the layer table and the summary line.
class TestCliKeras : public QObject
{
    Q_OBJECT
private slots:
    void ls_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("layers");
        QTest::addColumn<qint64>("total");
        const QStringList churn = {"dense_6", "dense_7", "dense_8"};
        QTest::newRow("churn-ann-ankit")
            << "keras2-h5-full/churn-ann-ankit/model.h5" << churn << qint64(2945);
        QTest::newRow("churn-ann-samyak")
            << "keras2-h5-full/churn-ann-samyak/model.h5" << churn << qint64(2945);
        QTest::newRow("churn-fit-run")
            << "tfevents/churn-fit-run/model.h5" << QStringList{"dense", "dense_1", "dense_2"}
            << qint64(2945);
        QTest::newRow("mnist-mlp-h5") << "keras2-h5-full/mnist-mlp-h5/model_mnist_MLP_1.h5"
                                      << QStringList{"input_2",
                                                     "dropout_9",
                                                     "batch_normalization_9",
                                                     "dense_9",
                                                     "dropout_10",
                                                     "batch_normalization_10",
                                                     "re_lu_5",
                                                     "dense_10",
                                                     "dropout_11",
                                                     "batch_normalization_11",
                                                     "re_lu_6",
                                                     "dense_11"}
                                      << qint64(113290);
        QTest::newRow("mnist-keras-weights")
            << "keras2-h5-weights/mnist-keras-weights/weights.h5"
            << QStringList{"conv2d_1",        "max_pooling2d_1", "conv2d_2",
                           "max_pooling2d_2", "dropout_1",       "flatten_1",
                           "dense_1",         "dense_2",         "dense_3"}
            << qint64(59933);
        QTest::newRow("diabetes-weights-h5")
            << "keras3/diabetes-weights-h5/model.weights.h5"
            << QStringList{"dense", "dense_1", "dense_2"} << qint64(221);
        QTest::newRow("digit-cnn") << "csvlog/digit-cnn-run/models/model.h5"
                                   << QStringList{"flatten", "dense", "dense_1"} << qint64(101770);
        QTest::newRow("flownet-25-06")
            << "keras3/flownet-keras-zip/25-06/model.keras"
            << QStringList{"dense", "dense_1", "dense_2", "dense_3"} << qint64(17026);
        QTest::newRow("flownet-final")
            << "keras3/flownet-keras-zip/out/final_model.keras"
            << QStringList{"dense",   "dropout",       "dense_1", "leaky_re_lu",
                           "dense_2", "leaky_re_lu_1", "dense_3"}
            << qint64(10786);
    }

    void ls()
    {
        WL_REQUIRE_CORPUS();
        QFETCH(QString, file);
        QFETCH(QStringList, layers);
        QFETCH(qint64, total);
        const auto r = test::runWeightLens({"ls", test::corpus(file)});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString out = QString::fromUtf8(r.out);
        QVERIFY(out.contains("Layer (type)"));
        QVERIFY(out.contains("Param #"));
        // Each layer of the table is a row that starts with its name.
        const QStringList lines = out.split('\n');
        for (const auto &name : layers) {
            bool found = false;
            for (const auto &line : lines)
                found = found || line.startsWith(name + QStringLiteral(" ("));
            QVERIFY2(found, qPrintable(name));
        }
        QLocale grouped(QLocale::C);
        grouped.setNumberOptions(QLocale::DefaultNumberOptions);
        QVERIFY2(out.contains(QStringLiteral("Total params: ") + grouped.toString(total)),
                 qPrintable(out));
    }

    void lsJson_data() { ls_data(); }

    void lsJson()
    {
        WL_REQUIRE_CORPUS();
        QFETCH(QString, file);
        QFETCH(QStringList, layers);
        QFETCH(qint64, total);
        const auto r = test::runWeightLens({"ls", "--json", test::corpus(file)});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        int summaries = 0;
        for (const auto &line : r.out.split('\n')) {
            const auto o = QJsonDocument::fromJson(line).object();
            if (o.value("kind").toString() != QLatin1String("keras"))
                continue;
            ++summaries;
            QCOMPARE(qint64(o.value("total_params").toDouble()), total);
            QStringList names;
            for (const auto &l : o.value("layers").toArray())
                names << l.toObject().value("name").toString();
            QCOMPARE(names, layers);
        }
        QCOMPARE(summaries, 1);
    }
};

QTEST_GUILESS_MAIN(TestCliKeras)
#include "tst_cli_keras.moc"
