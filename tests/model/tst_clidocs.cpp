// The man page and the bash completion the build writes list every command and option that the
// command line itself shows in its --help, and the completion completes them in bash.
#include "testutil.h"

#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace wl;

namespace
{

// The commands named by `weightlens --help`, each with the options its usage line shows.
QMap<QString, QStringList> overviewCommands()
{
    const auto run = test::runWeightLens({QStringLiteral("--help")});
    QMap<QString, QStringList> commands;
    static const QRegularExpression line(QStringLiteral("^  weightlens (\\w+)"));
    static const QRegularExpression option(QStringLiteral("(--?[a-z][a-z-]*)"));
    for (const QString &l : QString::fromUtf8(run.out).split(QLatin1Char('\n'))) {
        const auto m = line.match(l);
        if (!m.hasMatch())
            continue;
        QStringList &opts = commands[m.captured(1)];
        for (auto it = option.globalMatch(l); it.hasNext();)
            opts << it.next().captured(1);
    }
    return commands;
}

// Options as Qt's --help prints them: "  -o, --output <FILE>  The report...".
QStringList helpOptions(const QByteArray &help)
{
    QStringList opts;
    static const QRegularExpression line(QStringLiteral("^  (-[^ ].*?)(?:  |$)"));
    static const QRegularExpression name(QStringLiteral("(--?[a-z][a-z-]*)"));
    for (const QString &l : QString::fromUtf8(help).split(QLatin1Char('\n'))) {
        const auto m = line.match(l);
        if (!m.hasMatch())
            continue;
        for (auto it = name.globalMatch(m.captured(1)); it.hasNext();)
            opts << it.next().captured(1);
    }
    return opts;
}

QString manOption(QString o)
{
    return QStringLiteral("\\fB") + o.replace(QLatin1Char('-'), QLatin1String("\\-")) +
           QStringLiteral("\\fR");
}

// The section of the man page from a heading to the next one of the same level.
QString manSection(const QString &man, const QString &heading)
{
    const qsizetype start = man.indexOf(heading);
    if (start < 0)
        return {};
    const QString level = heading.left(3);
    const qsizetype end = man.indexOf(QLatin1Char('\n') + level, start + 1);
    return man.mid(start, end < 0 ? -1 : end - start);
}

} // namespace

class TestCliDocs : public QObject
{
    Q_OBJECT

    QString m_man;
    QString m_completion;
    QMap<QString, QStringList> m_commands;

private slots:
    void initTestCase()
    {
        m_man = QString::fromUtf8(test::readFile(QStringLiteral(WEIGHTLENS_MANPAGE)));
        m_completion = QString::fromUtf8(test::readFile(QStringLiteral(WEIGHTLENS_COMPLETION)));
        QVERIFY(!m_man.isEmpty());
        QVERIFY(!m_completion.isEmpty());
        m_commands = overviewCommands();
        for (const char *c : {"ls", "stats", "events", "report", "demo"})
            QVERIFY2(m_commands.contains(QLatin1String(c)), c);
    }

    // Each command's --help options, and the options its overview line shows, are in the man
    // page under that command and in the completion's list for it.
    void everyOptionDocumented()
    {
        for (auto it = m_commands.cbegin(); it != m_commands.cend(); ++it) {
            const QString &cmd = it.key();
            const auto run = test::runWeightLens({cmd, QStringLiteral("--help")});
            QCOMPARE(run.exitCode, 0);
            QStringList opts = helpOptions(run.out);
            QVERIFY2(opts.contains(QStringLiteral("--help")), qPrintable(cmd));
            QVERIFY2(opts.contains(QStringLiteral("--version")), qPrintable(cmd));
            for (const auto &o : it.value())
                QVERIFY2(opts.contains(o), qPrintable(cmd + QLatin1Char(' ') + o));

            const QString section = manSection(m_man, QStringLiteral(".SS \"weightlens ") + cmd);
            QVERIFY2(!section.isEmpty(), qPrintable(cmd));
            const qsizetype caseStart = m_completion.indexOf(QStringLiteral("    %1)\n").arg(cmd));
            QVERIFY2(caseStart > 0, qPrintable(cmd));
            const qsizetype caseEnd = m_completion.indexOf(QLatin1String(";;\n    "), caseStart);
            const QString completionCase = m_completion.mid(caseStart, caseEnd - caseStart);
            for (const auto &o : opts) {
                QVERIFY2(section.contains(manOption(o)), qPrintable(cmd + QLatin1Char(' ') + o));
                QVERIFY2(completionCase.contains(QLatin1Char(' ') + o) ||
                             completionCase.contains(QLatin1Char('"') + o),
                         qPrintable(cmd + QLatin1Char(' ') + o));
            }
        }
    }

    // The window's options (--new-window, --demo) are in the overview, the man page's OPTIONS
    // and the completion of the first word.
    void windowOptionsDocumented()
    {
        const auto run = test::runWeightLens({QStringLiteral("--help")});
        const QString overview = QString::fromUtf8(run.out);
        const QString options = manSection(m_man, QStringLiteral(".SH OPTIONS"));
        const qsizetype star = m_completion.indexOf(QLatin1String("    *)\n"));
        QVERIFY(star > 0);
        const QString firstWord = m_completion.mid(star);
        for (const char *o : {"--new-window", "--demo", "--help", "--version"}) {
            QVERIFY2(overview.contains(QLatin1String(o)), o);
            QVERIFY2(options.contains(manOption(QLatin1String(o))), o);
            QVERIFY2(firstWord.contains(QLatin1String(o)), o);
        }
    }

    // --version on its own and after every command: one line, status 0.
    void versionEverywhere()
    {
        QStringList prefixes{QString()};
        prefixes += m_commands.keys();
        for (const auto &cmd : prefixes) {
            QStringList args{QStringLiteral("--version")};
            if (!cmd.isEmpty())
                args.prepend(cmd);
            const auto run = test::runWeightLens(args);
            QCOMPARE(run.exitCode, 0);
            QVERIFY2(QRegularExpression(QStringLiteral("^weightlens \\d+\\.\\d+\\.\\d+\\n$"))
                         .match(QString::fromUtf8(run.out))
                         .hasMatch(),
                     run.out.constData());
        }
    }

    // The man page is well-formed troff: man's own formatter reads it without a warning.
    void manPageFormats()
    {
        const QString groff = QStandardPaths::findExecutable(QStringLiteral("groff"));
        if (groff.isEmpty())
            QSKIP("groff is not installed");
        QProcess p;
        p.start(groff,
                {QStringLiteral("-man"), QStringLiteral("-Tascii"), QStringLiteral("-P-cbou"),
                 QStringLiteral("-ww"), QStringLiteral(WEIGHTLENS_MANPAGE)});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(p.readAllStandardError(), QByteArray());
        const QString text = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY(text.contains(QLatin1String("--allow-large")));
    }

    // Bash completes commands, options after a command, and paths where a command takes one.
    void completesInBash_data()
    {
        QTest::addColumn<QStringList>("words");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("command") << QStringList{"weightlens", "sta"} << QStringList{"stats"};
        QTest::newRow("option") << QStringList{"weightlens", "stats", "--b"}
                                << QStringList{"--bins"};
        QTest::newRow("help command")
            << QStringList{"weightlens", "help", "ev"} << QStringList{"events"};
        QTest::newRow("report path")
            << QStringList{"weightlens", "report", "-o", "@/rep"} << QStringList{"@/report.md"};
        QTest::newRow("ls path") << QStringList{"weightlens", "ls", "@/ck"}
                                 << QStringList{"@/ckpt-1.index"};
        QTest::newRow("demo folder")
            << QStringList{"weightlens", "demo", "@/"} << QStringList{"@/runs"};
        QTest::newRow("window option")
            << QStringList{"weightlens", "--new"} << QStringList{"--new-window"};
    }
    void completesInBash()
    {
        QFETCH(QStringList, words);
        QFETCH(QStringList, expected);
        const QString bash = QStandardPaths::findExecutable(QStringLiteral("bash"));
        if (bash.isEmpty())
            QSKIP("bash is not installed");
        QTemporaryDir dir;
        QVERIFY(test::writeFile(dir.filePath(QStringLiteral("report.md")), "x"));
        QVERIFY(test::writeFile(dir.filePath(QStringLiteral("ckpt-1.index")), "x"));
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("runs")));
        for (auto &w : words)
            w.replace(QLatin1Char('@'), dir.path());
        for (auto &w : expected)
            w.replace(QLatin1Char('@'), dir.path());
        QString script = QStringLiteral("source '%1'\nCOMP_WORDS=(").arg(WEIGHTLENS_COMPLETION);
        for (const auto &w : words)
            script += QStringLiteral("'%1' ").arg(w);
        script += QStringLiteral(")\nCOMP_CWORD=%1\nCOMP_LINE='%2'\nCOMP_POINT=${#COMP_LINE}\n"
                                 "_weightlens\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
                      .arg(words.size() - 1)
                      .arg(words.join(QLatin1Char(' ')));
        QProcess p;
        p.start(bash, {QStringLiteral("--norc"), QStringLiteral("-c"), script});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        QStringList got = QString::fromUtf8(p.readAllStandardOutput())
                              .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        got.sort();
        QCOMPARE(got, expected);
    }
};

QTEST_GUILESS_MAIN(TestCliDocs)
#include "tst_clidocs.moc"
