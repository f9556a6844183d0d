// Output shapes of the Keras layer table, inferred from model configs built here. Expected
// values come from the textbook formulas (below) or are worked out by hand in the comments.
#include "formats/kerasconfig.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace wl;

namespace
{

// Convolution / pooling output length: floor((in + 2p - d*(k-1) - 1) / s) + 1, with p = 0 for
// "valid"; "same" keeps ceil(in / s).
int validLength(int in, int k, int s, int d = 1)
{
    return (in - d * (k - 1) - 1) / s + 1;
}
int sameLength(int in, int s)
{
    return (in + s - 1) / s;
}

QString dims(std::initializer_list<int> d)
{
    QStringList parts{QStringLiteral("None")};
    for (int v : d)
        parts << (v < 0 ? QStringLiteral("None") : QString::number(v));
    return QLatin1Char('(') + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
}

QJsonObject layer(const QString &className, QJsonObject config)
{
    if (!config.contains("name"))
        config.insert("name", className.toLower());
    return QJsonObject{{"class_name", className}, {"config", config}};
}

// A Sequential config: an input layer of `batchShape`, then `layers`.
QByteArray sequential(const QJsonArray &batchShape, const QJsonArray &layers)
{
    QJsonArray all{layer("InputLayer", {{"name", "in"}, {"batch_shape", batchShape}})};
    for (const auto &l : layers)
        all.append(l);
    return QJsonDocument(QJsonObject{{"class_name", "Sequential"},
                                     {"config", QJsonObject{{"name", "m"}, {"layers", all}}}})
        .toJson();
}

// Layer name -> printed output shape.
QHash<QString, QString> shapes(const QByteArray &json)
{
    auto m = keras::parseModelConfig(json, QStringLiteral("config.json"), {});
    if (!m.ok())
        qWarning() << m.error().message();
    QHash<QString, QString> out;
    if (m.ok())
        for (const auto &l : m->layers)
            out.insert(l.name, keras::shapeText(l.output));
    return out;
}

// The output of a single layer after an input of `batchShape`.
QString one(const QJsonArray &batchShape, const QString &className, const QJsonObject &config)
{
    return shapes(sequential(batchShape, {layer(className, config)})).value(className.toLower());
}

// Columns of the single-layer tables: class, input shape, config, printed output shape.
void addColumns()
{
    QTest::addColumn<QString>("className");
    QTest::addColumn<QJsonArray>("input");
    QTest::addColumn<QJsonObject>("config");
    QTest::addColumn<QString>("expected");
}

} // namespace

class TstKerasShapes : public QObject
{
    Q_OBJECT
private slots:
    void convolutions_data()
    {
        addColumns();
        const QJsonArray img{QJsonValue(), 28, 30, 3};
        QTest::newRow("Conv2D valid")
            << "Conv2D" << img << QJsonObject{{"filters", 8}, {"kernel_size", QJsonArray{3, 3}}}
            << dims({validLength(28, 3, 1), validLength(30, 3, 1), 8});
        QTest::newRow("Conv2D same stride 2") << "Conv2D" << img
                                              << QJsonObject{{"filters", 16},
                                                             {"kernel_size", QJsonArray{5, 5}},
                                                             {"strides", QJsonArray{2, 2}},
                                                             {"padding", "same"}}
                                              << dims({sameLength(28, 2), sameLength(30, 2), 16});
        QTest::newRow("Conv2D valid stride 3 int kernel")
            << "Conv2D" << img << QJsonObject{{"filters", 4}, {"kernel_size", 4}, {"strides", 3}}
            << dims({validLength(28, 4, 3), validLength(30, 4, 3), 4});
        QTest::newRow("Conv2D dilated")
            << "Conv2D" << img
            << QJsonObject{{"filters", 2}, {"kernel_size", 3}, {"dilation_rate", QJsonArray{2, 3}}}
            << dims({validLength(28, 3, 1, 2), validLength(30, 3, 1, 3), 2});
        QTest::newRow("Conv2D channels_first")
            << "Conv2D" << QJsonArray{QJsonValue(), 3, 28, 30}
            << QJsonObject{{"filters", 6}, {"kernel_size", 3}, {"data_format", "channels_first"}}
            << dims({6, validLength(28, 3, 1), validLength(30, 3, 1)});
        QTest::newRow("Conv2D unknown height")
            << "Conv2D" << QJsonArray{QJsonValue(), QJsonValue(), 30, 3}
            << QJsonObject{{"filters", 5}, {"kernel_size", 3}}
            << dims({-1, validLength(30, 3, 1), 5});
        QTest::newRow("Conv1D causal")
            << "Conv1D" << QJsonArray{QJsonValue(), 100, 8}
            << QJsonObject{{"filters", 32}, {"kernel_size", QJsonArray{7}}, {"padding", "causal"}}
            << dims({100, 32});
        QTest::newRow("Conv1D valid stride 2")
            << "Conv1D" << QJsonArray{QJsonValue(), 100, 8}
            << QJsonObject{{"filters", 32}, {"kernel_size", 5}, {"strides", 2}}
            << dims({validLength(100, 5, 2), 32});
        QTest::newRow("Conv3D") << "Conv3D" << QJsonArray{QJsonValue(), 10, 12, 14, 1}
                                << QJsonObject{{"filters", 3}, {"kernel_size", QJsonArray{3, 5, 7}}}
                                << dims({validLength(10, 3, 1), validLength(12, 5, 1),
                                         validLength(14, 7, 1), 3});
        // Transposed: valid in*s + max(k - s, 0), same in*s (Keras deconv_output_length).
        QTest::newRow("Conv2DTranspose valid")
            << "Conv2DTranspose" << QJsonArray{QJsonValue(), 7, 9, 4}
            << QJsonObject{{"filters", 8}, {"kernel_size", 3}, {"strides", 2}}
            << dims({7 * 2 + 1, 9 * 2 + 1, 8});
        QTest::newRow("Conv2DTranspose same")
            << "Conv2DTranspose" << QJsonArray{QJsonValue(), 7, 9, 4}
            << QJsonObject{{"filters", 8}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}}
            << dims({14, 18, 8});
        // With output_padding: (in - 1)*s + k - 2*pad + output_padding, pad = k/2 for same.
        QTest::newRow("Conv2DTranspose output_padding")
            << "Conv2DTranspose" << QJsonArray{QJsonValue(), 7, 9, 4}
            << QJsonObject{{"filters", 8},
                           {"kernel_size", 3},
                           {"strides", 2},
                           {"padding", "same"},
                           {"output_padding", 1}}
            << dims({6 * 2 + 3 - 2 + 1, 8 * 2 + 3 - 2 + 1, 8});
        QTest::newRow("DepthwiseConv2D")
            << "DepthwiseConv2D" << img
            << QJsonObject{{"kernel_size", 3}, {"depth_multiplier", 2}, {"strides", 2}}
            << dims({validLength(28, 3, 2), validLength(30, 3, 2), 6});
        QTest::newRow("SeparableConv2D")
            << "SeparableConv2D" << img
            << QJsonObject{{"filters", 12}, {"kernel_size", 3}, {"padding", "same"}}
            << dims({28, 30, 12});
    }
    void convolutions()
    {
        QFETCH(QString, className);
        QFETCH(QJsonArray, input);
        QFETCH(QJsonObject, config);
        QFETCH(QString, expected);
        QCOMPARE(one(input, className, config), expected);
    }

    void pooling_data()
    {
        addColumns();
        const QJsonArray img{QJsonValue(), 27, 32, 5};
        QTest::newRow("MaxPooling2D default")
            << "MaxPooling2D" << img << QJsonObject{} << dims({validLength(27, 2, 2), 16, 5});
        QTest::newRow("MaxPooling2D 3 stride 1")
            << "MaxPooling2D" << img
            << QJsonObject{{"pool_size", QJsonArray{3, 3}}, {"strides", QJsonArray{1, 1}}}
            << dims({validLength(27, 3, 1), validLength(32, 3, 1), 5});
        QTest::newRow("AveragePooling2D same")
            << "AveragePooling2D" << img
            << QJsonObject{{"pool_size", 3}, {"strides", QJsonValue()}, {"padding", "same"}}
            << dims({sameLength(27, 3), sameLength(32, 3), 5});
        QTest::newRow("MaxPooling1D")
            << "MaxPooling1D" << QJsonArray{QJsonValue(), 99, 4}
            << QJsonObject{{"pool_size", QJsonArray{3}}} << dims({validLength(99, 3, 3), 4});
        QTest::newRow("AveragePooling3D channels_first")
            << "AveragePooling3D" << QJsonArray{QJsonValue(), 2, 8, 9, 10}
            << QJsonObject{{"data_format", "channels_first"}} << dims({2, 4, 4, 5});
        QTest::newRow("GlobalAveragePooling2D")
            << "GlobalAveragePooling2D" << img << QJsonObject{} << dims({5});
        QTest::newRow("GlobalMaxPooling2D keepdims")
            << "GlobalMaxPooling2D" << img << QJsonObject{{"keepdims", true}} << dims({1, 1, 5});
        QTest::newRow("GlobalAveragePooling1D channels_first")
            << "GlobalAveragePooling1D" << QJsonArray{QJsonValue(), 7, 50}
            << QJsonObject{{"data_format", "channels_first"}} << dims({7});
        QTest::newRow("GlobalMaxPooling3D")
            << "GlobalMaxPooling3D" << QJsonArray{QJsonValue(), 4, 4, 4, 9} << QJsonObject{}
            << dims({9});
    }
    void pooling() { convolutions(); }

    void reshaping_data()
    {
        addColumns();
        const QJsonArray img{QJsonValue(), 6, 8, 3};
        QTest::newRow("Flatten") << "Flatten" << img << QJsonObject{} << dims({6 * 8 * 3});
        QTest::newRow("Reshape -1")
            << "Reshape" << img << QJsonObject{{"target_shape", QJsonArray{12, -1}}}
            << dims({12, 144 / 12});
        QTest::newRow("Permute") << "Permute" << img << QJsonObject{{"dims", QJsonArray{3, 1, 2}}}
                                 << dims({3, 6, 8});
        QTest::newRow("RepeatVector") << "RepeatVector" << QJsonArray{QJsonValue(), 16}
                                      << QJsonObject{{"n", 5}} << dims({5, 16});
        QTest::newRow("ZeroPadding2D pairs")
            << "ZeroPadding2D" << img
            << QJsonObject{{"padding", QJsonArray{QJsonArray{1, 2}, QJsonArray{3, 4}}}}
            << dims({6 + 3, 8 + 7, 3});
        QTest::newRow("ZeroPadding2D int")
            << "ZeroPadding2D" << img << QJsonObject{{"padding", 1}} << dims({8, 10, 3});
        QTest::newRow("ZeroPadding1D")
            << "ZeroPadding1D" << QJsonArray{QJsonValue(), 10, 2}
            << QJsonObject{{"padding", QJsonArray{1, 2}}} << dims({13, 2});
        QTest::newRow("Cropping2D")
            << "Cropping2D" << img
            << QJsonObject{{"cropping", QJsonArray{QJsonArray{1, 1}, QJsonArray{2, 0}}}}
            << dims({4, 6, 3});
        QTest::newRow("UpSampling2D")
            << "UpSampling2D" << img << QJsonObject{{"size", QJsonArray{2, 3}}}
            << dims({12, 24, 3});
        QTest::newRow("UpSampling1D") << "UpSampling1D" << QJsonArray{QJsonValue(), 10, 2}
                                      << QJsonObject{{"size", 4}} << dims({40, 2});
        QTest::newRow("Embedding")
            << "Embedding" << QJsonArray{QJsonValue(), 20}
            << QJsonObject{{"input_dim", 1000}, {"output_dim", 64}} << dims({20, 64});
        QTest::newRow("Dropout") << "Dropout" << img << QJsonObject{{"rate", 0.5}}
                                 << dims({6, 8, 3});
        QTest::newRow("BatchNormalization")
            << "BatchNormalization" << img << QJsonObject{} << dims({6, 8, 3});
        QTest::newRow("Dense on 3-D") << "Dense" << QJsonArray{QJsonValue(), 7, 5}
                                      << QJsonObject{{"units", 11}} << dims({7, 11});
        // Numbers no model could have (found by fuzzing) give an unknown shape, not a wrapped
        // 64-bit value: 2^30 to the fourth leaves 64 bits.
        const double big = double(1 << 30);
        QTest::newRow("Dense units 3e121")
            << "Dense" << QJsonArray{QJsonValue(), 4} << QJsonObject{{"units", 3.27778e121}}
            << QStringLiteral("?");
        QTest::newRow("Flatten past 64 bits")
            << "Flatten" << QJsonArray{QJsonValue(), big, big, big, big} << QJsonObject{}
            << dims({-1});
        QTest::newRow("input dimension 1e300")
            << "Dropout" << QJsonArray{QJsonValue(), 1e300} << QJsonObject{} << QStringLiteral("?");
    }
    void reshaping() { convolutions(); }

    void recurrent_data()
    {
        addColumns();
        const QJsonArray seq{QJsonValue(), 30, 8};
        QTest::newRow("LSTM last") << "LSTM" << seq << QJsonObject{{"units", 16}} << dims({16});
        QTest::newRow("GRU sequences")
            << "GRU" << seq << QJsonObject{{"units", 12}, {"return_sequences", true}}
            << dims({30, 12});
        QTest::newRow("SimpleRNN")
            << "SimpleRNN" << QJsonArray{QJsonValue(), QJsonValue(), 8}
            << QJsonObject{{"units", 4}, {"return_sequences", true}} << dims({-1, 4});
        const QJsonObject lstm{
            {"class_name", "LSTM"},
            {"config", QJsonObject{{"name", "l"}, {"units", 10}, {"return_sequences", true}}}};
        QTest::newRow("Bidirectional concat")
            << "Bidirectional" << seq << QJsonObject{{"layer", lstm}} << dims({30, 20});
        QTest::newRow("Bidirectional sum")
            << "Bidirectional" << seq << QJsonObject{{"layer", lstm}, {"merge_mode", "sum"}}
            << dims({30, 10});
        const QJsonObject dense{{"class_name", "Dense"},
                                {"config", QJsonObject{{"name", "d"}, {"units", 3}}}};
        QTest::newRow("TimeDistributed Dense")
            << "TimeDistributed" << seq << QJsonObject{{"layer", dense}} << dims({30, 3});
        // Several outputs: the config does not give one shape.
        QTest::newRow("LSTM return_state")
            << "LSTM" << seq << QJsonObject{{"units", 16}, {"return_state", true}} << "?";
    }
    void recurrent() { convolutions(); }

    // Keras 3 Functional: tensors in inbound_nodes, a two-input Concatenate and Add.
    void keras3Functional()
    {
        auto tensor = [](const QString &from, const QJsonArray &shape) {
            return QJsonObject{{"class_name", "__keras_tensor__"},
                               {"config", QJsonObject{{"shape", shape},
                                                      {"dtype", "float32"},
                                                      {"keras_history", QJsonArray{from, 0, 0}}}}};
        };
        auto call = [&](QJsonObject l, const QJsonValue &args) {
            l.insert("inbound_nodes", QJsonArray{QJsonObject{{"args", QJsonArray{args}},
                                                             {"kwargs", QJsonObject{}}}});
            return l;
        };
        const QJsonValue none;
        const QJsonArray layers{
            layer("InputLayer", {{"name", "image"}, {"batch_shape", QJsonArray{none, 32, 32, 3}}}),
            call(layer("Conv2D", {{"name", "c1"},
                                  {"filters", 16},
                                  {"kernel_size", QJsonArray{3, 3}},
                                  {"strides", QJsonArray{2, 2}},
                                  {"padding", "same"}}),
                 tensor("image", {none, 32, 32, 3})),
            // No shape on this tensor: the shape comes from c1's inferred output.
            call(layer("MaxPooling2D", {{"name", "p1"}, {"pool_size", QJsonArray{2, 2}}}),
                 QJsonObject{{"class_name", "__keras_tensor__"},
                             {"config", QJsonObject{{"keras_history", QJsonArray{"c1", 0, 0}}}}}),
            call(layer("Conv2D", {{"name", "c2"}, {"filters", 8}, {"kernel_size", 1}}),
                 tensor("p1", {none, 8, 8, 16})),
            call(layer("Concatenate", {{"name", "cat"}, {"axis", -1}}),
                 QJsonArray{tensor("p1", {none, 8, 8, 16}), tensor("c2", {none, 8, 8, 8})}),
            call(layer("Conv2D", {{"name", "c3"}, {"filters", 24}, {"kernel_size", 1}}),
                 tensor("cat", {none, 8, 8, 24})),
            call(layer("Add", {{"name", "sum"}}),
                 QJsonArray{tensor("cat", {none, 8, 8, 24}), tensor("c3", {none, 8, 8, 24})}),
            call(layer("GlobalAveragePooling2D", {{"name", "gap"}}),
                 tensor("sum", {none, 8, 8, 24})),
            call(layer("Dense", {{"name", "out"}, {"units", 10}}), tensor("gap", {none, 24})),
        };
        const auto s = shapes(
            QJsonDocument(QJsonObject{{"class_name", "Functional"},
                                      {"config", QJsonObject{{"name", "f"}, {"layers", layers}}}})
                .toJson());
        QCOMPARE(s.value("image"), dims({32, 32, 3}));
        QCOMPARE(s.value("c1"), dims({sameLength(32, 2), sameLength(32, 2), 16}));
        QCOMPARE(s.value("p1"), dims({validLength(16, 2, 2), validLength(16, 2, 2), 16}));
        QCOMPARE(s.value("c2"), dims({8, 8, 8}));
        QCOMPARE(s.value("cat"), dims({8, 8, 16 + 8}));
        QCOMPARE(s.value("sum"), dims({8, 8, 24}));
        QCOMPARE(s.value("gap"), dims({24}));
        QCOMPARE(s.value("out"), dims({10}));
    }

    // Keras 2: a Sequential built with build_input_shape and no InputLayer, and a Functional
    // with [[name, 0, 0, {}]] inbound nodes; an unknown layer leaves "?" downstream.
    void keras2Layouts()
    {
        const QJsonValue none;
        const QJsonArray seqLayers{
            layer("Conv1D", {{"name", "conv"}, {"filters", 8}, {"kernel_size", QJsonArray{3}}}),
            layer("MaxPooling1D", {{"name", "pool"},
                                   {"pool_size", QJsonArray{2}},
                                   {"strides", QJsonArray{2}},
                                   {"padding", "valid"}}),
            layer("Dropout", {{"name", "drop"}, {"rate", 0.2}}),
            layer("Flatten", {{"name", "flat"}}),
            layer("Dense", {{"name", "dense"}, {"units", 1}}),
        };
        const auto seq =
            shapes(QJsonDocument(QJsonObject{{"class_name", "Sequential"},
                                             {"config", QJsonObject{{"name", "s"},
                                                                    {"layers", seqLayers},
                                                                    {"build_input_shape",
                                                                     QJsonArray{none, 50, 4}}}}})
                       .toJson());
        const int conv = validLength(50, 3, 1), pool = validLength(conv, 2, 2);
        QCOMPARE(seq.value("conv"), dims({conv, 8}));
        QCOMPARE(seq.value("pool"), dims({pool, 8}));
        QCOMPARE(seq.value("drop"), dims({pool, 8}));
        QCOMPARE(seq.value("flat"), dims({pool * 8}));
        QCOMPARE(seq.value("dense"), dims({1}));

        auto inbound = [](QJsonObject l, const QStringList &from) {
            QJsonArray node;
            for (const auto &f : from)
                node.append(QJsonArray{f, 0, 0, QJsonObject{}});
            l.insert("inbound_nodes", QJsonArray{node});
            return l;
        };
        const QJsonArray fnLayers{
            layer("InputLayer", {{"name", "a"}, {"batch_input_shape", QJsonArray{none, 20}}}),
            inbound(layer("Embedding", {{"name", "emb"}, {"input_dim", 100}, {"output_dim", 6}}),
                    {"a"}),
            inbound(layer("Lambda", {{"name", "fn"}}), {"emb"}),
            inbound(layer("Dense", {{"name", "after"}, {"units", 3}}), {"fn"}),
            inbound(layer("Dense", {{"name", "d1"}, {"units", 6}}), {"emb"}),
            inbound(layer("Multiply", {{"name", "mul"}}), {"emb", "d1"}),
            inbound(layer("RepeatVector", {{"name", "rep"}, {"n", 2}}), {"a"}),
        };
        const auto fn = shapes(
            QJsonDocument(QJsonObject{{"class_name", "Functional"},
                                      {"config", QJsonObject{{"name", "f"}, {"layers", fnLayers}}}})
                .toJson());
        QCOMPARE(fn.value("emb"), dims({20, 6}));
        QCOMPARE(fn.value("fn"), QStringLiteral("?")); // a Lambda's output is not in its config
        QCOMPARE(fn.value("after"), QStringLiteral("?"));
        QCOMPARE(fn.value("d1"), dims({20, 6}));
        QCOMPARE(fn.value("mul"), dims({20, 6}));
        QCOMPARE(fn.value("rep"), dims({2, 20}));
    }
};

QTEST_GUILESS_MAIN(TstKerasShapes)
#include "tst_kerasshapes.moc"
