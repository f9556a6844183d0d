#pragma once

// PyTorch files written the way torch.save lays them out (formats-keras-pytorch.md 4.1, 4.2),
// for the cases the corpus lacks: views, shared and big-endian storages, legacy files.
#include "picklewriter.h"
#include "ziptestfiles.h"

#include <QList>
#include <QPair>

namespace wl::test
{

// <prefix>/data.pkl, <prefix>/data/<key>..., <prefix>/version and, unless empty, byteorder.
inline bool writeTorchZip(const QString &path, const QString &prefix, const QByteArray &pkl,
                          const QList<QPair<QString, QByteArray>> &storages,
                          const QByteArray &byteorder = {})
{
    QList<QPair<QString, QByteArray>> members{{prefix + "/data.pkl", pkl}};
    if (!byteorder.isEmpty())
        members.append({prefix + "/byteorder", byteorder});
    for (const auto &[key, bytes] : storages)
        members.append({prefix + "/data/" + key, bytes});
    members.append({prefix + "/version", QByteArray("3\n")});
    return writeZipMembers(path, members);
}

// The legacy layout: magic, protocol 1001, sys_info, the object, the storage keys, then each
// storage as an int64 element count and its bytes.
inline QByteArray legacyTorchFile(const QByteArray &objectPickle,
                                  const QList<QPair<QString, QByteArray>> &storages, int itemSize)
{
    QByteArray out = QByteArray::fromHex("80028a0a6cfc9c46f9206aa850192e");
    PickleWriter version;
    version.integer(1001).stop();
    out += version.bytes();
    PickleWriter sys;
    sys.emptyDict().mark().str("protocol_version").integer(1001).str("little_endian");
    sys.boolean(true).str("type_sizes").emptyDict().mark().str("short").integer(2);
    sys.str("int").integer(4).str("long").integer(4).setItems().setItems().stop();
    out += sys.bytes();
    out += objectPickle;
    PickleWriter keys;
    keys.emptyList().mark();
    for (const auto &s : storages)
        keys.str(s.first);
    keys.appends().stop();
    out += keys.bytes();
    for (const auto &s : storages) {
        char n[8];
        qToLittleEndian<qint64>(s.second.size() / itemSize, n);
        out += QByteArray(n, 8) + s.second;
    }
    return out;
}

} // namespace wl::test
