#pragma once

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>
#include <QStringList>

#include <optional>

// The command line described once: the parsers, --help, the man page and the bash completion
// are all made from these tables, so none of them can list an option the others lack.
namespace wl::cli
{

// What a value names, for completion.
enum class ValueKind { None, Word, Path, File, Dir };

struct OptionSpec {
    QStringList names; // "o", "output": one letter is a short option
    QString help;
    QString valueName; // empty for a flag
    ValueKind value = ValueKind::None;
};

struct CommandSpec {
    QString name;
    QString description; // may hold '\n' where --help should break the line
    QString positional;  // PATH, PATH..., DIR
    QString positionalHelp;
    ValueKind positionalKind = ValueKind::Path;
    QList<OptionSpec> options; // beyond --help and --version, which every command has
};

const QList<CommandSpec> &commandSpecs();
const CommandSpec *findCommand(const QString &name);
// The options of the window (`weightlens [options] [PATH...]`).
const QList<OptionSpec> &guiOptions();
// --help and --version, which every command takes.
const QList<OptionSpec> &commonOptions();

// The one-screen usage of every command, as `weightlens --help` prints it.
QString overviewText();
QString versionText();
// A man page (troff) and a bash completion script made from the tables above.
QString manPage();
QString bashCompletion();

// One parser per command, built from its spec: --help, --version, its options.
class CommandLine
{
public:
    explicit CommandLine(const QString &command);
    QCommandLineParser &parser() { return m_parser; }
    bool isSet(const QString &option) const { return m_parser.isSet(option); }
    QString value(const QString &option) const { return m_parser.value(option); }
    QStringList values(const QString &option) const { return m_parser.values(option); }
    QStringList positional() const { return m_parser.positionalArguments(); }

    // Parses a command's arguments. Returns an exit status when the command stops here: 0 after
    // printing --help or --version, 2 after naming a usage problem.
    std::optional<int> parse(const QStringList &args);
    // A usage problem found after parsing: the problem, then where to find help.
    int fail(const QString &problem);

private:
    const CommandSpec &m_spec;
    QCommandLineParser m_parser;
};

} // namespace wl::cli
