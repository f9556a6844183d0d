#pragma once

#include <QObject>
#include <QStringList>

class QLocalServer;

namespace wl
{

// One window per user and display: a second `weightlens PATH` hands its paths to the window
// already running (over a local socket) and exits.
class SingleInstance : public QObject
{
    Q_OBJECT
public:
    // The socket name for this user and display.
    static QString defaultName();
    // Sends absolute paths to the instance listening on `name`; true once it has taken them.
    // False, quickly, when none listens or it does not answer within timeoutMs.
    static bool handOver(const QString &name, const QStringList &paths, int timeoutMs = 3000);

    explicit SingleInstance(const QString &name, QObject *parent = nullptr);
    // Starts listening for later instances; a socket left by a crashed instance is replaced.
    // False (errorString() says why) when it cannot.
    bool listen();
    QString errorString() const { return m_error; }

signals:
    void pathsReceived(const QStringList &paths);

private:
    void accept();

    QString m_name;
    QString m_error;
    QLocalServer *m_server = nullptr;
};

} // namespace wl
