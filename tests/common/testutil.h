#pragma once

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QTest>

#include <random>
#include <vector>

namespace wl::test
{

// n seeded normal(mean, sd) floats: data whose statistics the tests compute independently.
inline std::vector<float> normalFloats(std::size_t n, float mean, float sd, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(mean, sd);
    std::vector<float> v(n);
    for (auto &x : v)
        x = normal(rng);
    return v;
}

inline QString corpusDir()
{
    return QStringLiteral(WEIGHTLENS_CORPUS_DIR);
}

inline QString corpus(const QString &relative)
{
    return QDir::cleanPath(corpusDir() + QLatin1Char('/') + relative);
}

// A whole file; empty when it cannot be read.
inline QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Writes (replaces) a file; false when not all of it was written.
inline bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// Copies a single-shard V2 bundle (P.index, P.data-00000-of-00001) to another prefix.
inline bool copyBundle(const QString &from, const QString &to)
{
    for (const char *suffix : {".index", ".data-00000-of-00001"})
        if (!QFile::copy(from + QLatin1String(suffix), to + QLatin1String(suffix)))
            return false;
    return true;
}

// A text-format `checkpoint` state file as CheckpointManager writes it.
inline bool writeStateFile(const QString &dir, const QString &latest, const QStringList &all,
                           const QList<double> &timestamps = {})
{
    QByteArray text = "model_checkpoint_path: \"" + latest.toUtf8() + "\"\n";
    for (const auto &p : all)
        text += "all_model_checkpoint_paths: \"" + p.toUtf8() + "\"\n";
    for (double t : timestamps)
        text += "all_model_checkpoint_timestamps: " + QByteArray::number(t, 'f', 6) + "\n";
    return writeFile(dir + QStringLiteral("/checkpoint"), text);
}

inline QJsonObject loadJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// The tensors GROUND_TRUTH_TF.json lists for one bundle of a corpus item.
inline QJsonArray groundTruthTensors(const QString &item, const QString &bundle)
{
    return loadJson(corpus(item + QStringLiteral("/GROUND_TRUTH_TF.json")))[QStringLiteral(
        "bundles")][bundle][QStringLiteral("tensors")]
        .toArray();
}

// Skips the calling test when the shared corpus is not beside the checkout.
#define WL_REQUIRE_CORPUS()                                                                        \
    do {                                                                                           \
        if (!QDir(wl::test::corpusDir()).exists())                                                 \
            QFAIL(qPrintable(QStringLiteral("corpus not found at ") + wl::test::corpusDir()));     \
    } while (0)

// The objects of JSON Lines output, blank lines skipped.
inline QList<QJsonObject> jsonLines(const QByteArray &out)
{
    QList<QJsonObject> lines;
    for (const QByteArray &line : out.split('\n'))
        if (!line.trimmed().isEmpty())
            lines << QJsonDocument::fromJson(line).object();
    return lines;
}

struct ProcessResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs the weightlens binary with arguments and no standard input.
inline ProcessResult runWeightLens(const QStringList &args, int timeoutMs = 120000)
{
    QProcess p;
    p.setProgram(QStringLiteral(WEIGHTLENS_BINARY));
    p.setArguments(args);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start();
    ProcessResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace wl::test
