#pragma once

// Zips written member by member with libzip, for the archive-based formats' tests.
#include <QFile>
#include <QList>
#include <QString>
#include <utility>
#include <zip.h>

namespace wl::test
{

// A zip of the members, each stored or deflated.
inline bool writeZipMembers(const QString &path,
                            const QList<std::pair<QString, QByteArray>> &members,
                            const QList<bool> &deflate = {})
{
    int err = 0;
    zip_t *z = zip_open(QFile::encodeName(path).constData(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z)
        return false;
    for (qsizetype i = 0; i < members.size(); ++i) {
        const auto &[name, data] = members[i];
        zip_source_t *src = zip_source_buffer(z, data.constData(), zip_uint64_t(data.size()), 0);
        const auto idx = zip_file_add(z, name.toUtf8().constData(), src, ZIP_FL_OVERWRITE);
        if (idx < 0)
            return false;
        zip_set_file_compression(z, zip_uint64_t(idx),
                                 deflate.value(i, false) ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    }
    return zip_close(z) == 0;
}

} // namespace wl::test
