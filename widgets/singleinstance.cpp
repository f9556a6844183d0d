#include "singleinstance.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>

#include <unistd.h>

namespace wl
{
namespace
{

constexpr quint32 kMagic = 0x574c4f50; // "WLOP": open these paths
constexpr qint64 kMaxMessage = 1 << 20;
constexpr char kAccepted = 'k';

} // namespace

QString SingleInstance::defaultName()
{
    // Per user, and per display: a second X or Wayland session gets its own window.
    const QByteArray display = qgetenv("WAYLAND_DISPLAY") + '|' + qgetenv("DISPLAY");
    return QStringLiteral("weightlens-%1-%2")
        .arg(::getuid())
        .arg(QString::fromLatin1(
            QCryptographicHash::hash(display, QCryptographicHash::Sha1).toHex().left(8)));
}

bool SingleInstance::handOver(const QString &name, const QStringList &paths, int timeoutMs)
{
    QLocalSocket socket;
    socket.connectToServer(name);
    if (!socket.waitForConnected(timeoutMs))
        return false;
    QByteArray message;
    QDataStream out(&message, QIODevice::WriteOnly);
    out.setVersion(QDataStream::Qt_6_0);
    out << kMagic << paths;
    socket.write(message);
    if (!socket.waitForBytesWritten(timeoutMs))
        return false;
    // Taken only once the window says so: a hung instance must not swallow the paths.
    while (socket.bytesAvailable() < 1)
        if (!socket.waitForReadyRead(timeoutMs))
            return false;
    char reply = 0;
    return socket.getChar(&reply) && reply == kAccepted;
}

SingleInstance::SingleInstance(const QString &name, QObject *parent)
    : QObject(parent), m_name(name), m_server(new QLocalServer(this))
{
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::accept);
}

bool SingleInstance::listen()
{
    if (m_server->listen(m_name))
        return true;
    // Nobody answered handOver(), so a socket file left behind is stale.
    if (m_server->serverError() == QAbstractSocket::AddressInUseError &&
        QLocalServer::removeServer(m_name) && m_server->listen(m_name))
        return true;
    m_error = m_server->errorString();
    return false;
}

void SingleInstance::accept()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
            if (socket->bytesAvailable() > kMaxMessage) {
                socket->abort();
                return;
            }
            // Anything but a hand-over is closed on its first bytes.
            if (socket->bytesAvailable() >= qint64(sizeof kMagic)) {
                QDataStream head(socket->peek(sizeof kMagic));
                quint32 magic = 0;
                head >> magic;
                if (magic != kMagic) {
                    socket->abort();
                    return;
                }
            }
            QDataStream in(socket);
            in.setVersion(QDataStream::Qt_6_0);
            in.startTransaction();
            quint32 magic = 0;
            QStringList paths;
            in >> magic >> paths;
            if (!in.commitTransaction()) {
                if (in.status() == QDataStream::ReadCorruptData)
                    socket->abort();
                return; // otherwise the rest has not arrived yet
            }
            if (magic != kMagic) {
                socket->abort();
                return;
            }
            socket->putChar(kAccepted);
            socket->flush();
            emit pathsReceived(paths);
        });
    }
}

} // namespace wl
