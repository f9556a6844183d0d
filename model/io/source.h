#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace wl
{

// What a path names, with cached head/tail bytes so probes stay cheap.
class Source
{
public:
    enum class Kind {
        File,          // an existing regular file
        Directory,     // an existing directory
        Prefix,        // no such file, but PATH.index or PATH.data-* exists (a checkpoint prefix)
        ArchiveMember, // a member inside a zip archive
        Missing,       // nothing there
    };

    static Source fromPath(const QString &path);
    static Source archiveMember(const QString &archive, const QString &member);

    Kind kind() const { return m_kind; }
    const QString &path() const { return m_path; } // absolute, cleaned
    const QString &member() const { return m_member; }
    QString fileName() const;
    qint64 size() const { return m_size; }

    // First / last bytes of a file (empty for directories and prefixes).
    QByteArray head(int n = 4096) const;
    QByteArray tail(int n = 64) const;
    // Entry names of a directory (files and folders), sorted.
    QStringList entries() const;
    bool hasEntry(const QString &name) const;

private:
    Kind m_kind = Kind::Missing;
    QString m_path;
    QString m_member;
    qint64 m_size = 0;
    mutable QByteArray m_head;
    mutable QByteArray m_tail;
    mutable QStringList m_entries;
    mutable bool m_entriesRead = false;
};

} // namespace wl
