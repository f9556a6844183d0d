#pragma once

#include "formats/readerregistry.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
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

// The one checkpoint a path opens to; null (with the reader's message in *error) when it does not
// open or opens to a run of several.
inline std::shared_ptr<Checkpoint> openOne(const QString &path, QString *error = nullptr)
{
    auto r = ReaderRegistry::builtin().open(path);
    if (!r.ok()) {
        if (error)
            *error = r.error().message();
        return nullptr;
    }
    return r->checkpoints.size() == 1 ? r->checkpoints.front() : nullptr;
}

// A reader's metadata value by label; empty when absent.
inline QString metadataValue(const CheckpointIndex &idx, const QString &key)
{
    for (const auto &[k, v] : idx.metadata)
        if (k == key)
            return v;
    return {};
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

// `bytes` with 1 to `maxChanges` of them, at `from` or later, set to random values.
inline QByteArray mutated(QByteArray bytes, QRandomGenerator &rng, int maxChanges = 4, int from = 0)
{
    for (int k = 0, n = 1 + int(rng.bounded(maxChanges)); k < n; ++k)
        bytes[from + rng.bounded(int(bytes.size()) - from)] = char(rng.bounded(256));
    return bytes;
}

// Opens `rounds` copies of `clean`, each with 1 to 4 bytes set at random, written to
// `path`, and reads every tensor of those that open (within 1 MiB each): bad bytes must end in
// an error, never a crash or a read out of bounds. How many opened; -1 when a write failed.
inline int openMutated(const QByteArray &clean, const QString &path, quint32 seed, int rounds)
{
    QRandomGenerator rng(seed);
    int opened = 0;
    for (int i = 0; i < rounds; ++i) {
        if (!writeFile(path, mutated(clean, rng)))
            return -1;
        auto cp = openOne(path);
        if (!cp)
            continue;
        ++opened;
        for (int t = 0; t < cp->index().tensors.size(); ++t)
            (void)cp->readTensor(t, 1 << 20);
    }
    return opened;
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

// key -> sha256 (hex) of every tensor GROUND_TRUTH_TF.json lists for one bundle.
inline QHash<QString, QString> groundTruthHashes(const QString &item, const QString &bundle)
{
    QHash<QString, QString> out;
    for (const auto &v : groundTruthTensors(item, bundle))
        out.insert(v.toObject()[QStringLiteral("key")].toString(),
                   v.toObject()[QStringLiteral("sha256")].toString());
    return out;
}

struct Raw {
    QString dtype;
    QList<qint64> shape;
    QByteArray bytes;
    bool crcOk = false;
    qint64 offset = 0;
};

// Each tensor of one bundle of a corpus item, its bytes read straight from the .data shard at
// the offset GROUND_TRUTH_TF.json gives (not through WeightLens's readers), by stored key.
inline QHash<QString, Raw> rawTensors(const QString &item, const QString &bundle)
{
    QHash<QString, Raw> out;
    const QJsonArray tensors = test::groundTruthTensors(item, bundle);
    // The shard count from the files present: PREFIX.data-0000S-of-0000N.
    const QDir dir(test::corpus(item));
    const QStringList shards =
        dir.entryList({bundle + QStringLiteral(".data-*")}, QDir::Files, QDir::Name);
    for (const auto &v : tensors) {
        const QJsonObject t = v.toObject();
        Raw r;
        r.dtype = t[QStringLiteral("dtype")].toString();
        r.crcOk = t[QStringLiteral("crc_ok")].toBool();
        r.offset = t[QStringLiteral("offset")].toInteger();
        for (const auto &d : t[QStringLiteral("shape")].toArray())
            r.shape << d.toInteger();
        const int shard = t[QStringLiteral("shard")].toInt();
        QFile f(dir.filePath(shards.value(shard)));
        if (f.open(QIODevice::ReadOnly) && f.seek(t[QStringLiteral("offset")].toInteger()))
            r.bytes = f.read(t[QStringLiteral("size")].toInteger());
        out.insert(t[QStringLiteral("key")].toString(), r);
    }
    return out;
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

// Runs the weightlens binary with arguments and no standard input; `env` adds NAME=VALUE
// variables to the environment.
inline ProcessResult runWeightLens(const QStringList &args, int timeoutMs = 120000,
                                   const QStringList &env = {})
{
    QProcess p;
    p.setProgram(QStringLiteral(WEIGHTLENS_BINARY));
    if (!env.isEmpty()) {
        auto e = QProcessEnvironment::systemEnvironment();
        for (const auto &v : env)
            e.insert(v.section(QLatin1Char('='), 0, 0), v.section(QLatin1Char('='), 1));
        p.setProcessEnvironment(e);
    }
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

// The first object `weightlens ls --json path` prints (the file's header); empty when none.
inline QJsonObject lsHeader(const QString &path)
{
    const auto lines =
        jsonLines(runWeightLens({QStringLiteral("ls"), QStringLiteral("--json"), path}).out);
    return lines.isEmpty() ? QJsonObject() : lines.first();
}

// sha256 of every file of these corpus items, to show that a test left them as they were.
inline QHash<QString, QByteArray> corpusDigests(const QStringList &items)
{
    QHash<QString, QByteArray> out;
    for (const QString &item : items) {
        QDirIterator it(corpus(item), QDir::Files);
        while (it.hasNext()) {
            const QString f = it.next();
            out.insert(f, QCryptographicHash::hash(readFile(f), QCryptographicHash::Sha256));
        }
    }
    return out;
}

// key -> sha256 of every tensor at `path`, as `stats --json --hash` prints them.
inline QHash<QString, QString> tensorHashes(const QString &path)
{
    QHash<QString, QString> out;
    for (const auto &o : jsonLines(runWeightLens({"stats", "--json", "--hash", path}).out))
        if (o.contains(QStringLiteral("key")))
            out.insert(o[QStringLiteral("key")].toString(), o[QStringLiteral("sha256")].toString());
    return out;
}

} // namespace wl::test
