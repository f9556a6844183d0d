#include "source.h"

#include "mappedfile.h"

#include <QDir>
#include <QFileInfo>

namespace wl
{

Source Source::fromPath(const QString &path)
{
    Source s;
    QFileInfo fi(path);
    s.m_path = QDir::cleanPath(fi.absoluteFilePath());
    if (fi.isDir()) {
        s.m_kind = Kind::Directory;
    } else if (fi.exists()) {
        s.m_kind = Kind::File;
        s.m_size = fi.size();
    } else if (QFileInfo::exists(s.m_path + QLatin1String(".index")) ||
               !QDir(fi.absolutePath())
                    .entryList({fi.fileName() + QLatin1String(".data-*")}, QDir::Files)
                    .isEmpty()) {
        s.m_kind = Kind::Prefix;
    }
    return s;
}

Source Source::archiveMember(const QString &archive, const QString &member)
{
    Source s = fromPath(archive);
    s.m_kind = Kind::ArchiveMember;
    s.m_member = member;
    return s;
}

QString Source::fileName() const
{
    if (m_kind == Kind::ArchiveMember)
        return QFileInfo(m_member).fileName();
    return QFileInfo(m_path).fileName();
}

QByteArray Source::head(int n) const
{
    if (m_kind != Kind::File)
        return {};
    if (m_head.size() < n && m_head.size() < m_size) {
        auto r = readFileBytes(m_path, 0, std::max(n, 4096));
        if (r.ok())
            m_head = r.value();
    }
    return m_head.left(n);
}

QByteArray Source::tail(int n) const
{
    if (m_kind != Kind::File)
        return {};
    if (m_tail.size() < n && m_tail.size() < m_size) {
        auto r =
            readFileBytes(m_path, std::max<qint64>(0, m_size - std::max(n, 64)), std::max(n, 64));
        if (r.ok())
            m_tail = r.value();
    }
    return m_tail.right(n);
}

QStringList Source::entries() const
{
    if (m_kind != Kind::Directory)
        return {};
    if (!m_entriesRead) {
        m_entries = QDir(m_path).entryList(
            QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden, QDir::Name);
        m_entriesRead = true;
    }
    return m_entries;
}

bool Source::hasEntry(const QString &name) const
{
    return entries().contains(name);
}

} // namespace wl
