#include "formats/readerregistry.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace wl;

namespace
{

// Claims files ending in `suffix`; fails to open those whose content is "bad".
class SuffixReader : public Reader
{
public:
    SuffixReader(QString id, QString suffix, int score)
        : m_id(std::move(id)), m_suffix(std::move(suffix)), m_score(score)
    {
    }
    QString id() const override { return m_id; }
    QString displayName() const override { return m_id.toUpper(); }
    QStringList filePatterns() const override { return {QLatin1Char('*') + m_suffix}; }
    ProbeResult probe(const Source &s) const override
    {
        if (s.kind() == Source::Kind::File && s.path().endsWith(m_suffix))
            return {m_score, {}};
        return {};
    }
    Result<OpenResult> open(const Source &s, const JobContext &) const override
    {
        if (s.head(3) == "bad")
            return makeError(LoadError::Code::Corrupt, s.path(), QStringLiteral("offset 0"),
                             QStringLiteral("good bytes"), QStringLiteral("bad"));
        CheckpointIndex idx;
        idx.path = s.path();
        idx.displayName = s.fileName();
        OpenResult r;
        r.checkpoints.push_back(std::make_shared<Checkpoint>(idx));
        r.consumedFiles << s.path();
        return r;
    }

private:
    QString m_id, m_suffix;
    int m_score;
};

// Claims a folder holding `run.marker` as one checkpoint, as a TF run folder is claimed.
class MarkedFolderReader : public Reader
{
public:
    QString id() const override { return QStringLiteral("marked"); }
    QString displayName() const override { return QStringLiteral("Marked folder"); }
    QStringList filePatterns() const override { return {}; }
    ProbeResult probe(const Source &s) const override
    {
        if (s.kind() == Source::Kind::Directory && s.hasEntry(QStringLiteral("run.marker")))
            return {95, {}};
        return {};
    }
    Result<OpenResult> open(const Source &s, const JobContext &) const override
    {
        CheckpointIndex idx;
        idx.path = s.path() + QStringLiteral("/run.marker");
        idx.displayName = s.fileName();
        OpenResult r;
        r.checkpoints.push_back(std::make_shared<Checkpoint>(idx));
        r.consumedFiles << idx.path;
        return r;
    }
};

void touch(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(content);
}

} // namespace

class TestRegistry : public QObject
{
    Q_OBJECT
private slots:
    void bestCandidateFirstAndErrorsCombined()
    {
        ReaderRegistry reg;
        reg.add(std::make_unique<SuffixReader>(QStringLiteral("low"), QStringLiteral(".w"), 10));
        reg.add(std::make_unique<SuffixReader>(QStringLiteral("high"), QStringLiteral(".w"), 90));
        QTemporaryDir dir;
        touch(dir.filePath(QStringLiteral("a.w")), "ok");
        touch(dir.filePath(QStringLiteral("b.w")), "bad");
        const auto cands = reg.candidates(Source::fromPath(dir.filePath(QStringLiteral("a.w"))));
        QCOMPARE(cands.size(), std::size_t(2));
        QCOMPARE(cands[0].reader->id(), QStringLiteral("high"));
        auto ok = reg.open(dir.filePath(QStringLiteral("a.w")));
        QVERIFY(ok.ok());
        QCOMPARE(ok->readerId, QStringLiteral("high"));

        auto bad = reg.open(dir.filePath(QStringLiteral("b.w")));
        QVERIFY(!bad.ok());
        const QString msg = bad.error().message();
        QVERIFY2(msg.contains(QLatin1String("b.w")), qPrintable(msg));
        QVERIFY2(msg.contains(QLatin1String("HIGH")) && msg.contains(QLatin1String("LOW")),
                 qPrintable(msg));
    }

    void unknownFilesAreDescribed()
    {
        ReaderRegistry reg;
        QTemporaryDir dir;
        touch(dir.filePath(QStringLiteral("events.out.tfevents.1.host")), "x");
        touch(dir.filePath(QStringLiteral("empty.bin")), "");
        touch(dir.filePath(QStringLiteral("mystery.bin")), "\x01\x02\x03");
        auto ev = reg.open(dir.filePath(QStringLiteral("events.out.tfevents.1.host")));
        QVERIFY(!ev.ok());
        QVERIFY(ev.error().message().contains(QLatin1String("TensorBoard event file")));
        auto empty = reg.open(dir.filePath(QStringLiteral("empty.bin")));
        QCOMPARE(empty.error().code, LoadError::Code::Empty);
        auto mystery = reg.open(dir.filePath(QStringLiteral("mystery.bin")));
        QCOMPARE(mystery.error().code, LoadError::Code::UnknownFormat);
        QVERIFY(mystery.error().message().contains(QLatin1String("01 02 03")));
        auto missing = reg.open(dir.filePath(QStringLiteral("nope")));
        QCOMPARE(missing.error().code, LoadError::Code::NotFound);
    }

    // A folder no reader claims is scanned; readable files become a run, failures problems.
    void folderScanCollectsRun()
    {
        ReaderRegistry reg;
        reg.add(std::make_unique<SuffixReader>(QStringLiteral("w"), QStringLiteral(".w"), 90));
        QTemporaryDir dir;
        touch(dir.filePath(QStringLiteral("one.w")), "ok");
        touch(dir.filePath(QStringLiteral("sub/two.w")), "ok");
        touch(dir.filePath(QStringLiteral("sub/deeper/three.w")), "bad");
        touch(dir.filePath(QStringLiteral("notes.txt")), "hello");
        auto r = reg.open(dir.path());
        QVERIFY(r.ok());
        QCOMPARE(r->kind, QStringLiteral("run"));
        QCOMPARE(r->checkpoints.size(), std::size_t(2));
        QCOMPARE(r->problems.size(), 2);
        QVERIFY(r->problems[0].file.endsWith(QLatin1String("three.w")));
        // A file no reader claims is listed once, as information.
        QVERIFY(r->problems[1].file.endsWith(QLatin1String("notes.txt")));
        QCOMPARE(r->problems[1].severity, Problem::Severity::Info);
        QCOMPARE(r->problems[1].text, QStringLiteral("not read: no reader knows this file"));

        QTemporaryDir empty;
        auto none = reg.open(empty.path());
        QVERIFY(!none.ok());
        QVERIFY(none.error().message().contains(QLatin1String("folder")));
    }

    // A run folder a reader claims keeps the files beside what the reader read, whether it is
    // opened on its own or found inside a parent folder.
    void claimedSubRunKeepsItsOtherFiles()
    {
        ReaderRegistry reg;
        reg.add(std::make_unique<SuffixReader>(QStringLiteral("w"), QStringLiteral(".w"), 90));
        reg.add(std::make_unique<MarkedFolderReader>());
        QTemporaryDir dir;
        for (const char *run : {"run1", "run2"}) {
            touch(dir.filePath(QStringLiteral("%1/run.marker").arg(QLatin1String(run))), "x");
            touch(dir.filePath(QStringLiteral("%1/best.w").arg(QLatin1String(run))), "ok");
        }
        auto names = [](const OpenResult &r) {
            QStringList out;
            for (const auto &cp : r.checkpoints)
                out << QDir(QFileInfo(cp->index().path).absolutePath()).dirName() +
                           QLatin1Char('/') + QFileInfo(cp->index().path).fileName();
            return out;
        };
        auto one = reg.open(dir.filePath(QStringLiteral("run1")));
        QVERIFY(one.ok());
        QCOMPARE(names(*one),
                 (QStringList{QStringLiteral("run1/run.marker"), QStringLiteral("run1/best.w")}));
        auto both = reg.open(dir.path());
        QVERIFY(both.ok());
        QCOMPARE(names(*both),
                 (QStringList{QStringLiteral("run1/run.marker"), QStringLiteral("run1/best.w"),
                              QStringLiteral("run2/run.marker"), QStringLiteral("run2/best.w")}));
        QVERIFY(both->problems.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
