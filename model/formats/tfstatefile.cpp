#include "tfstatefile.h"

#include "core/plural.h"
#include "proto/tensor_bundle.pb.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

namespace wl
{
namespace
{

constexpr qint64 kMaxStateFileBytes = 16 << 20; // a state file is a few hundred bytes

class FirstError : public google::protobuf::io::ErrorCollector
{
public:
    void AddError(int line, int column, const std::string &message) override
    {
        if (!has) {
            has = true;
            this->line = line;
            this->column = column;
            this->message = QString::fromStdString(message);
        }
    }
    void AddWarning(int, int, const std::string &) override {}

    bool has = false;
    int line = -1, column = -1;
    QString message;
};

QString baseName(const QString &written)
{
    // Writers on Windows store backslashes.
    const qsizetype cut =
        std::max(written.lastIndexOf(QLatin1Char('/')), written.lastIndexOf(QLatin1Char('\\')));
    return written.mid(cut + 1);
}

bool isAbsolute(const QString &p)
{
    return QDir::isAbsolutePath(p) || p.startsWith(QLatin1Char('\\')) ||
           (p.size() > 2 && p[1] == QLatin1Char(':') &&
            (p[2] == QLatin1Char('\\') || p[2] == QLatin1Char('/')));
}

bool exists(const QString &prefix)
{
    return QFileInfo(prefix + QStringLiteral(".index")).isFile() || QFileInfo(prefix).isFile();
}

CheckpointStateEntry resolve(const QString &written, const QDir &dir, const QString &stateFile,
                             Problems &problems)
{
    CheckpointStateEntry e;
    e.written = written;
    e.absolute = isAbsolute(written);
    e.resolved = QDir::cleanPath(e.absolute ? written : dir.filePath(written));
    if (e.absolute && !exists(e.resolved)) {
        const QString sibling = QDir::cleanPath(dir.filePath(baseName(written)));
        if (!baseName(written).isEmpty() && exists(sibling)) {
            e.resolved = sibling;
            e.fellBack = true;
            problems.append({Problem::Severity::Warning, stateFile, written,
                             QStringLiteral("absolute path does not exist; using %1 beside the "
                                            "state file instead")
                                 .arg(baseName(written))});
        }
    }
    e.indexExists = QFileInfo(e.resolved + QStringLiteral(".index")).isFile();
    e.v1Exists = QFileInfo(e.resolved).isFile();
    return e;
}

} // namespace

Result<CheckpointStateInfo> readCheckpointState(const QString &stateFilePath)
{
    QFile f(stateFilePath);
    if (!QFileInfo(stateFilePath).isFile())
        return makeError(LoadError::Code::NotFound, stateFilePath, {},
                         QStringLiteral("a checkpoint state file"), QStringLiteral("nothing"));
    if (f.size() > kMaxStateFileBytes)
        return makeError(LoadError::Code::Corrupt, stateFilePath, {},
                         QStringLiteral("a small text file"), counted(f.size(), "byte"));
    if (!f.open(QIODevice::ReadOnly))
        return makeError(LoadError::Code::Unreadable, stateFilePath, {},
                         QStringLiteral("a readable file"), f.errorString());
    const QByteArray text = f.readAll();

    tf::CheckpointState state;
    FirstError errors;
    google::protobuf::TextFormat::Parser parser;
    parser.AllowUnknownField(true);
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(text.toStdString(), &state)) {
        const QString where =
            errors.has
                ? QStringLiteral("line %1, column %2").arg(errors.line + 1).arg(errors.column + 1)
                : QString();
        return makeError(LoadError::Code::Corrupt, stateFilePath, where,
                         QStringLiteral("a text-format CheckpointState"),
                         errors.has ? errors.message : QStringLiteral("text that does not parse"));
    }
    if (state.model_checkpoint_path().empty() && state.all_model_checkpoint_paths_size() == 0)
        return makeError(LoadError::Code::Empty, stateFilePath, {},
                         QStringLiteral("model_checkpoint_path"), QStringLiteral("no checkpoint"));

    CheckpointStateInfo info;
    const QDir dir = QFileInfo(stateFilePath).absoluteDir();
    QSet<QString> reported;
    auto add = [&](const std::string &w) {
        const QString written = QString::fromStdString(w);
        Problems local;
        CheckpointStateEntry e = resolve(written, dir, stateFilePath, local);
        if (!e.indexExists && !e.v1Exists)
            local.append({Problem::Severity::Warning, stateFilePath, written,
                          QStringLiteral("listed checkpoint is missing: neither %1.index nor %1 "
                                         "exists")
                              .arg(QFileInfo(e.resolved).fileName())});
        if (!reported.contains(written)) {
            reported.insert(written);
            info.problems.append(local);
        }
        return e;
    };
    for (const auto &p : state.all_model_checkpoint_paths())
        info.all.append(add(p));
    if (!state.model_checkpoint_path().empty())
        info.latest = add(state.model_checkpoint_path());
    else
        info.latest = info.all.last();
    // Writers keep the latest last in the list; a state without the list still names one.
    if (info.all.isEmpty())
        info.all.append(info.latest);

    for (double t : state.all_model_checkpoint_timestamps())
        info.timestamps.append(t);
    if (!info.timestamps.isEmpty() && info.timestamps.size() != info.all.size())
        info.problems.append({Problem::Severity::Info,
                              stateFilePath,
                              {},
                              QStringLiteral("%1 for %2")
                                  .arg(counted(info.timestamps.size(), "timestamp"),
                                       counted(info.all.size(), "checkpoint"))});
    if (state.last_preserved_timestamp() != 0.0)
        info.lastPreserved = state.last_preserved_timestamp();
    return info;
}

} // namespace wl
