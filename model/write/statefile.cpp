#include "statefile.h"

#include "atomicfile.h"
#include "formats/tfstatefile.h"

#include <QDir>
#include <QLocale>

namespace wl
{
namespace
{

QByteArray quoted(const QString &s)
{
    QByteArray out = "\"";
    for (char c : s.toUtf8()) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out + '"';
}

QByteArray number(double v)
{
    // Shortest text that reads back as the same double, as Python's repr writes it.
    return QByteArray::number(v, 'g', QLocale::FloatingPointShortest);
}

} // namespace

QByteArray formatCheckpointState(const CheckpointStateText &state)
{
    QByteArray text = "model_checkpoint_path: " + quoted(state.latest) + "\n";
    for (const auto &p : state.all)
        text += "all_model_checkpoint_paths: " + quoted(p) + "\n";
    for (double t : state.timestamps)
        text += "all_model_checkpoint_timestamps: " + number(t) + "\n";
    if (state.lastPreserved)
        text += "last_preserved_timestamp: " + number(*state.lastPreserved) + "\n";
    return text;
}

Status addToCheckpointState(const QString &runDir, const QString &name, double savedAt)
{
    const QString path = QDir(runDir).filePath(QStringLiteral("checkpoint"));
    CheckpointStateText state;
    if (QFileInfo::exists(path)) {
        auto old = readCheckpointState(path);
        if (!old.ok())
            return old.error();
        for (const auto &e : old->all)
            if (e.written != name)
                state.all << e.written;
        // Timestamps only while they pair up with the paths, as TensorFlow keeps them.
        if (old->timestamps.size() == old->all.size() && state.all.size() == old->all.size())
            state.timestamps = old->timestamps;
        state.lastPreserved = old->lastPreserved;
    }
    if (state.timestamps.size() == state.all.size())
        state.timestamps << savedAt;
    else
        state.timestamps.clear();
    state.all << name;
    state.latest = name;
    return writeBytesAtomically(path, formatCheckpointState(state), true);
}

} // namespace wl
