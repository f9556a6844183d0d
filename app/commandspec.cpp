#include "commandspec.h"

#include <QCoreApplication>
#include <QTextStream>

namespace wl::cli
{
namespace
{

OptionSpec flag(const QString &name, const QString &help)
{
    return {{name}, help, {}, ValueKind::None};
}

const OptionSpec &allowLarge()
{
    static const OptionSpec o = flag(
        QStringLiteral("allow-large"),
        QStringLiteral("Read archive members that inflate to more than 20 times the archive and "
                       "over 1 GiB."));
    return o;
}

OptionSpec json(const QString &what)
{
    return flag(QStringLiteral("json"), QStringLiteral("Print one JSON object per %1.").arg(what));
}

const OptionSpec &tensorFilter()
{
    static const OptionSpec o{
        {QStringLiteral("filter")},
        QStringLiteral("Only tensors whose readable name or stored key matches "
                       "GLOB, as Python's fnmatch does: '*' any characters, "
                       "'/' included; '?' one; [seq], [!seq]; case-sensitive; "
                       "the whole name. Repeat to take tensors matching any."),
        QStringLiteral("GLOB"),
        ValueKind::Word};
    return o;
}

const QString &checkpointPathHelp()
{
    static const QString s = QStringLiteral(
        "A checkpoint prefix, its .index or a .data-* shard, a SavedModel, a Keras file, or a "
        "folder (every checkpoint in it).");
    return s;
}

QList<CommandSpec> buildSpecs()
{
    QList<CommandSpec> specs;
    specs << CommandSpec{QStringLiteral("ls"),
                         QStringLiteral("Tensors of every checkpoint found at PATH: name, dtype, "
                                        "shape and role."),
                         QStringLiteral("PATH"),
                         checkpointPathHelp(),
                         ValueKind::Path,
                         {json(QStringLiteral("tensor")), allowLarge()}};
    specs << CommandSpec{
        QStringLiteral("stats"),
        QStringLiteral("Statistics of every tensor of every checkpoint found at PATH:\ncount, min, "
                       "max, mean, std, nan, inf, zeros, l2."),
        QStringLiteral("PATH"),
        checkpointPathHelp(),
        ValueKind::Path,
        {json(QStringLiteral("tensor")), allowLarge(),
         flag(QStringLiteral("hash"),
              QStringLiteral("Add the sha256 of each tensor's stored bytes.")),
         tensorFilter(),
         OptionSpec{{QStringLiteral("bins")},
                    QStringLiteral("Add a histogram of N equal-width bins over each tensor's "
                                   "[min, max]."),
                    QStringLiteral("N"),
                    ValueKind::Word}}};
    specs << CommandSpec{
        QStringLiteral("analyze"),
        QStringLiteral(
            "Spectral health of every weight matrix of every checkpoint found at PATH: "
            "Frobenius\nand spectral norm, stable and effective rank, condition number, a "
            "power-law fit (alpha,\nalpha_xmin, alpha_ks) of the eigenvalues of W^T W / rows, "
            "the Marchenko-Pastur edge and\nthe eigenvalues above it (mp_spikes), dead rows and "
            "columns. Matrices: 2-D weights as\nthey are; convolution kernels reshaped to "
            "(kh*kw*in) x out; Keras LSTM and GRU kernels\nsplit into their gates (name[i], "
            "gate \"i\" of ifco; zrh for GRU). Biases, norms, optimizer\nslots and metadata "
            "are skipped. Singular values: Eigen's SVD up to 128 on the smaller\nside, above "
            "that the square roots of the eigenvalues of the smaller Gram matrix (W^T W\nor "
            "W W^T), up to 4096 on the smaller side; eigenvalues below (rows + cols) * eps\n"
            "times the largest count as zero (the condition number is then null)."),
        QStringLiteral("PATH"),
        checkpointPathHelp(),
        ValueKind::Path,
        {json(QStringLiteral("weight matrix")), allowLarge(), tensorFilter()}};
    specs << CommandSpec{
        QStringLiteral("diff"),
        QStringLiteral("Element differences of the tensors checkpoints A and B share by name:\n"
                       "max |A-B|, mean |A-B|, ||A-B||/||A||, cosine, fraction changed, "
                       "bitwise identical.\nNames are matched with ':0', "
                       "'/.ATTRIBUTES/VARIABLE_VALUE', doubled Keras paths and leading\nprefixes "
                       "set aside, and Keras 'layer_with_weights-N' against an .h5's layers."),
        QStringLiteral("A B"),
        QStringLiteral("The two checkpoints to compare."),
        ValueKind::Path,
        {OptionSpec{{QStringLiteral("json")},
                    QStringLiteral("Print one JSON object per matched tensor, then one per "
                                   "unmatched tensor and per mismatch."),
                    {},
                    ValueKind::None},
         OptionSpec{{QStringLiteral("map")},
                    QStringLiteral("Rename A's tensors to B's before matching: FROM=TO replaces "
                                   "the text FROM, re:PATTERN=TO a regular expression (\\1 in TO "
                                   "for a group). The last '=' splits. Repeat for several rules, "
                                   "applied in order."),
                    QStringLiteral("FROM=TO"),
                    ValueKind::Word}}};
    specs << CommandSpec{
        QStringLiteral("restore"),
        QStringLiteral(
            "Writes a new checkpoint OUT in B's format (TensorFlow, Keras .h5, "
            "safetensors or PyTorch):\nB with the chosen tensors taken from A (matched by name "
            "as for diff; same shape and dtype), all\nelse of B kept byte for byte. "
            "Neither input is written; the result is read back and checked\nby "
            "sha256, and OUT.restore.json lists what was restored. With --into a TF "
            "run folder and no\n--out, the result is the run's next checkpoint and "
            "its state file names it as the latest."),
        QString(),
        QString(),
        ValueKind::None,
        {OptionSpec{{QStringLiteral("from")},
                    QStringLiteral("The checkpoint to take tensors from (any format)."),
                    QStringLiteral("A"),
                    ValueKind::Path},
         OptionSpec{
             {QStringLiteral("into")},
             QStringLiteral("The checkpoint to restore into (TensorFlow, Keras .h5, "
                            "safetensors or PyTorch), or a TF run folder with a checkpoint state "
                            "file (its latest)."),
             QStringLiteral("B"),
             ValueKind::Path},
         OptionSpec{{QStringLiteral("out")},
                    QStringLiteral("The checkpoint to write (for TensorFlow the prefix of "
                                   "OUT.index and OUT.data-00000-of-00001); must not exist. Leave "
                                   "it out to add a checkpoint to the run folder given to "
                                   "--into."),
                    QStringLiteral("OUT"),
                    ValueKind::File},
         OptionSpec{{QStringLiteral("select")},
                    QStringLiteral("Restore the tensors whose readable name or key, in A or B, "
                                   "matches GLOB (fnmatch rules). Repeat to take tensors "
                                   "matching any; without it, every matched variable."),
                    QStringLiteral("GLOB"),
                    ValueKind::Word},
         OptionSpec{{QStringLiteral("map")},
                    QStringLiteral("Rename A's tensors to B's before matching, as for diff."),
                    QStringLiteral("FROM=TO"),
                    ValueKind::Word},
         flag(QStringLiteral("with-slots"),
              QStringLiteral("Restore each chosen variable's optimizer slots (Adam m and v...) "
                             "from A's slots of the same name along with it.")),
         flag(QStringLiteral("cast"),
              QStringLiteral("Convert A's values to B's dtype where they differ (otherwise "
                             "refused) and report each tensor's largest rounding error."))}};
    specs << CommandSpec{
        QStringLiteral("convert"),
        QStringLiteral(
            "Writes the checkpoint IN as OUT in another format: a TensorFlow checkpoint, "
            "Keras weights\n(.h5, the layout load_weights reads), safetensors or a PyTorch "
            "state_dict (.pt, .pth, as\ntorch.save writes it). Tensors keep their readable "
            "names, into PyTorch with '.' for '/';\nPyTorch, safetensors, ONNX and NumPy keys "
            "go into safetensors and PyTorch as they are.\nOnes the target cannot hold "
            "(strings) are listed and left out. IN is only read; OUT must\nnot exist, and "
            "every tensor of it is read back and checked by sha256; OUT.convert.json\nlists "
            "what was written."),
        QStringLiteral("IN OUT"),
        QStringLiteral("The checkpoint to convert, and the file or checkpoint prefix to write."),
        ValueKind::Path,
        {OptionSpec{{QStringLiteral("format")},
                    QStringLiteral("The format of OUT: tf, keras-h5, safetensors or pytorch. "
                                   "Without it, from OUT's name: .h5 or .hdf5 Keras, "
                                   ".safetensors safetensors, .pt or .pth PyTorch, anything "
                                   "else a TensorFlow checkpoint prefix."),
                    QStringLiteral("FORMAT"),
                    ValueKind::Word}}};
    specs << CommandSpec{QStringLiteral("events"),
                         QStringLiteral("Scalar and histogram series of a run: TensorBoard event "
                                        "files and CSV logs."),
                         QStringLiteral("PATH"),
                         QStringLiteral("An event file, a CSV log or a run folder."),
                         ValueKind::Path,
                         {json(QStringLiteral("point (JSON Lines)")),
                          OptionSpec{{QStringLiteral("tag")},
                                     QStringLiteral("Only tags matching GLOB ('*' matches '/')."),
                                     QStringLiteral("GLOB"),
                                     ValueKind::Word}}};
    specs << CommandSpec{
        QStringLiteral("graph"),
        QStringLiteral("The model's layers or ops and their connections, each "
                       "with the keys of its weights:\nKeras .h5 and .keras "
                       "model configs, SavedModel and .meta GraphDefs."),
        QStringLiteral("PATH"),
        QStringLiteral("A Keras file, a SavedModel folder or saved_model.pb, or "
                       "a .meta file."),
        ValueKind::Path,
        {json(QStringLiteral("node and one per edge (JSON Lines)")),
         flag(QStringLiteral("dot"), QStringLiteral("Print the graph in Graphviz DOT, scopes as "
                                                    "clusters."))}};
    specs << CommandSpec{
        QStringLiteral("report"),
        QStringLiteral("A report to share of the checkpoints and training logs found at the "
                       "PATHs: summary,\nlayer table, tensor statistics, histograms, training "
                       "curves, weights over time,\na comparison and restore logs. HTML and PDF "
                       "hold the plots; Markdown writes them\nbeside it in FILE_files/; JSON "
                       "holds the numbers."),
        QStringLiteral("PATH..."),
        QStringLiteral("Checkpoints, files or folders (runs with their logs)."),
        ValueKind::Path,
        {OptionSpec{{QStringLiteral("o"), QStringLiteral("output")},
                    QStringLiteral("The report to write, by its suffix: .html, .pdf, .md or "
                                   ".json."),
                    QStringLiteral("FILE"),
                    ValueKind::File},
         OptionSpec{{QStringLiteral("compare")},
                    QStringLiteral("Add a comparison of checkpoint A with checkpoint B (two "
                                   "values: --compare A B)."),
                    QStringLiteral("A B"),
                    ValueKind::Path},
         OptionSpec{{QStringLiteral("sections")},
                    QStringLiteral("Only these sections, comma-separated: summary, layers, "
                                   "statistics, histograms, analysis, curves, over-time, "
                                   "compare, restore (default: all)."),
                    QStringLiteral("LIST"),
                    ValueKind::Word},
         allowLarge()}};
    specs << CommandSpec{QStringLiteral("demo"),
                         QStringLiteral("Trains the built-in demo (a small MLP on generated "
                                        "spirals, Adam at two\nlearning rates) and writes its "
                                        "two runs into DIR: checkpoints, event files,\na CSV log "
                                        "and the best epoch as Keras .h5."),
                         QStringLiteral("DIR"),
                         QStringLiteral("The folder to write into."),
                         ValueKind::Dir,
                         {}};
    return specs;
}

QString dashed(const QString &name)
{
    return (name.size() == 1 ? QStringLiteral("-") : QStringLiteral("--")) + name;
}

// Usage of one command: "weightlens stats PATH [--json] [--filter GLOB]...".
QString usageLine(const CommandSpec &c)
{
    QString line = QStringLiteral("weightlens %1 %2").arg(c.name, c.positional);
    for (const auto &o : c.options) {
        const QString name = dashed(o.names.first());
        line += o.valueName.isEmpty() ? QStringLiteral(" [%1]").arg(name)
                                      : QStringLiteral(" [%1 %2]").arg(name, o.valueName);
    }
    return line;
}

// troff: a backslash, a leading dot or quote, and '-' (to keep it a hyphen-minus) are escaped.
QString roff(QString s)
{
    s.replace(QLatin1Char('\\'), QLatin1String("\\e"));
    s.replace(QLatin1Char('-'), QLatin1String("\\-"));
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    if (s.startsWith(QLatin1Char('.')) || s.startsWith(QLatin1Char('\'')))
        s.prepend(QLatin1String("\\&"));
    return s;
}

void manOptions(QTextStream &m, const QList<OptionSpec> &options)
{
    for (const auto &o : options) {
        QStringList names;
        for (const auto &n : o.names)
            names << QStringLiteral("\\fB%1\\fR").arg(roff(dashed(n)));
        m << ".TP\n" << names.join(QLatin1String(", "));
        if (!o.valueName.isEmpty())
            m << " \\fI" << roff(o.valueName) << "\\fR";
        m << "\n" << roff(o.help) << "\n";
    }
}

QStringList optionWords(const QList<OptionSpec> &options)
{
    QStringList words;
    for (const auto &o : options)
        for (const auto &n : o.names)
            words << dashed(n);
    return words;
}

// Bash code that completes the current word as a ValueKind.
QString completeAs(ValueKind k)
{
    switch (k) {
    case ValueKind::Path:
    case ValueKind::File:
        return QStringLiteral("_weightlens_paths");
    case ValueKind::Dir:
        return QStringLiteral("_weightlens_paths -d");
    case ValueKind::Word:
    case ValueKind::None:
        break;
    }
    return QStringLiteral("return 0");
}

} // namespace

const QList<CommandSpec> &commandSpecs()
{
    static const QList<CommandSpec> specs = buildSpecs();
    return specs;
}

const CommandSpec *findCommand(const QString &name)
{
    for (const auto &c : commandSpecs())
        if (c.name == name)
            return &c;
    return nullptr;
}

const QList<OptionSpec> &guiOptions()
{
    static const QList<OptionSpec> o{
        flag(QStringLiteral("new-window"),
             QStringLiteral("Open a new window even when WeightLens is already running; without "
                            "it the PATHs are added to the running window.")),
        flag(QStringLiteral("demo"), QStringLiteral("Open the built-in demo runs (with no display: "
                                                    "write a report of them in the current "
                                                    "folder).")),
    };
    return o;
}

const QList<OptionSpec> &commonOptions()
{
    static const QList<OptionSpec> o{
        OptionSpec{{QStringLiteral("h"), QStringLiteral("help")},
                   QStringLiteral("Show this help and exit."),
                   {},
                   ValueKind::None},
        flag(QStringLiteral("version"), QStringLiteral("Show the version and exit.")),
    };
    return o;
}

QString overviewText()
{
    QString s = QStringLiteral("usage:\n  weightlens [--new-window] [PATH...]   open the GUI\n");
    for (const auto &c : commandSpecs())
        s += QStringLiteral("  ") + usageLine(c) + QLatin1Char('\n');
    s += QStringLiteral("  weightlens --demo                    open the demo runs\n"
                        "  weightlens --version\n"
                        "Run 'weightlens COMMAND --help' for a command's options.\n");
    return s;
}

QString versionText()
{
    return QStringLiteral("weightlens %1\n").arg(QStringLiteral(WEIGHTLENS_VERSION));
}

QString manPage()
{
    QString text;
    QTextStream m(&text);
    m << ".TH WEIGHTLENS 1 \"\" \"WeightLens " << WEIGHTLENS_VERSION << "\" \"User Commands\"\n"
      << ".SH NAME\nweightlens \\- look inside model checkpoints\n"
      << ".SH SYNOPSIS\n"
      << ".B weightlens\n[\\fIOPTIONS\\fR] [\\fIPATH\\fR...]\n";
    for (const auto &c : commandSpecs())
        m << ".br\n.B weightlens " << c.name << "\n[\\fIOPTIONS\\fR] \\fI" << roff(c.positional)
          << "\\fR\n";
    m << ".SH DESCRIPTION\n"
      << "WeightLens shows every weight of a model checkpoint in a tree, with statistics, "
         "histograms and values. Without a command it opens the window on the PATHs; with one "
         "it runs headless.\n"
      << ".SH OPTIONS\n";
    manOptions(m, guiOptions() + commonOptions());
    m << ".SH COMMANDS\n";
    for (const auto &c : commandSpecs()) {
        m << ".SS \"" << roff(usageLine(c)) << "\"\n" << roff(c.description) << "\n";
        m << ".TP\n\\fI" << roff(c.positional) << "\\fR\n" << roff(c.positionalHelp) << "\n";
        manOptions(m, c.options + commonOptions());
    }
    m << ".SS \"weightlens help \\fICOMMAND\\fR\"\nThe options of COMMAND, as "
         "\\fBweightlens \\fICOMMAND\\fB \\-\\-help\\fR prints them.\n"
      << ".SH EXIT STATUS\n0 success, 1 an input failed (the message names the file and the "
         "reason), 2 bad usage.\n"
      << ".SH ENVIRONMENT\n"
      << ".TP\n\\fBWEIGHTLENS_WORKER_TIMEOUT\\fR\nSeconds the HDF5 reader process may run "
         "without replying (default 20).\n"
      << ".TP\n\\fBWEIGHTLENS_ISOLATION\\fR\n\\fBoff\\fR parses HDF5 files in-process, for "
         "debugging.\n";
    return text;
}

QString bashCompletion()
{
    QStringList names;
    for (const auto &c : commandSpecs())
        names << c.name;
    QString text;
    QTextStream b(&text);
    b << "# bash completion for weightlens, made by `weightlens __completion`\n"
      << "_weightlens_paths()\n{\n"
      << "    if declare -F _filedir >/dev/null; then\n"
      << "        _filedir \"$@\"\n"
      << "    else\n"
      << "        compopt -o filenames 2>/dev/null\n"
      << "        local IFS=$'\\n'\n"
      << "        COMPREPLY=($(compgen \"${1:--f}\" -- \"$cur\"))\n"
      << "    fi\n}\n\n"
      << "_weightlens()\n{\n"
      << "    local cur prev words cword\n"
      << "    if declare -F _init_completion >/dev/null; then\n"
      << "        _init_completion || return\n"
      << "    else\n"
      << "        words=(\"${COMP_WORDS[@]}\") cword=$COMP_CWORD\n"
      << "        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
      << "    fi\n"
      << "    local commands=\"" << names.join(QLatin1Char(' ')) << "\"\n"
      << "    local cmd= i\n"
      << "    for ((i = 1; i < cword; i++)); do\n"
      << "        case ${words[i]} in\n"
      << "        " << names.join(QLatin1Char('|')) << "|help)\n"
      << "            cmd=${words[i]}\n"
      << "            break\n"
      << "            ;;\n"
      << "        esac\n"
      << "    done\n"
      << "    local opts\n"
      << "    case $cmd in\n"
      << "    help)\n"
      << "        COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n"
      << "        return 0\n"
      << "        ;;\n";
    const QStringList common = optionWords(commonOptions());
    for (const auto &c : commandSpecs()) {
        b << "    " << c.name << ")\n"
          << "        opts=\"" << (optionWords(c.options) + common).join(QLatin1Char(' '))
          << "\"\n";
        QStringList valueCases;
        for (const auto &o : c.options) {
            if (o.valueName.isEmpty())
                continue;
            QStringList words;
            for (const auto &n : o.names)
                words << dashed(n);
            b << "        case $prev in " << words.join(QLatin1Char('|')) << ") "
              << completeAs(o.value) << "; return 0 ;; esac\n";
        }
        b << "        if [[ $cur != -* ]]; then " << completeAs(c.positionalKind)
          << "; return 0; fi\n"
          << "        ;;\n";
    }
    b << "    *)\n"
      << "        opts=\"" << (optionWords(guiOptions()) + common).join(QLatin1Char(' ')) << "\"\n"
      << "        if [[ $cur != -* ]]; then\n"
      << "            _weightlens_paths\n"
      << "            COMPREPLY+=($(compgen -W \"$commands help\" -- \"$cur\"))\n"
      << "            return 0\n"
      << "        fi\n"
      << "        ;;\n"
      << "    esac\n"
      << "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
      << "}\n"
      << "complete -F _weightlens weightlens\n";
    return text;
}

CommandLine::CommandLine(const QString &command) : m_spec(*findCommand(command))
{
    // Not addHelpOption(): its --help-all lists Qt's GUI options, which a command has none of.
    for (const auto &o : m_spec.options + commonOptions())
        m_parser.addOption(QCommandLineOption(o.names, o.help, o.valueName));
    m_parser.setApplicationDescription(m_spec.description);
    m_parser.addPositionalArgument(m_spec.positional, m_spec.positionalHelp, m_spec.positional);
}

std::optional<int> CommandLine::parse(const QStringList &args)
{
    if (!m_parser.parse(QStringList{m_spec.name} + args)) {
        const QStringList unknown = m_parser.unknownOptionNames();
        if (!unknown.isEmpty())
            return fail(QStringLiteral("unknown option %1").arg(dashed(unknown.first())));
        return fail(m_parser.errorText());
    }
    QTextStream out(stdout);
    if (m_parser.isSet(QStringLiteral("help"))) {
        // Qt's first line names the executable as started; name the command instead.
        QString text = m_parser.helpText();
        text.replace(0, text.indexOf(QLatin1Char('\n')),
                     QStringLiteral("Usage: weightlens %1 [options] %2")
                         .arg(m_spec.name, m_spec.positional));
        out << text;
        return 0;
    }
    if (m_parser.isSet(QStringLiteral("version"))) {
        out << versionText();
        return 0;
    }
    return std::nullopt;
}

int CommandLine::fail(const QString &problem)
{
    QTextStream(stderr) << "weightlens: " << m_spec.name << ": " << problem << "\n"
                        << "Run 'weightlens " << m_spec.name << " --help' for its options.\n";
    return 2;
}

} // namespace wl::cli
