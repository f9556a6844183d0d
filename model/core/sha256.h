#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

namespace wl
{

// SHA-256 through OpenSSL's implementation, which uses the CPU's SHA extensions: Qt's portable
// one hashed about seven times slower and was most of the time of a convert or a restore.
class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void add(QByteArrayView bytes);
    // The raw 32-byte digest; the object is done with after this.
    QByteArray result();

    static QByteArray hash(QByteArrayView bytes);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace wl
