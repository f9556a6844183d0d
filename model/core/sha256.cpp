#include "sha256.h"

// The one-shot SHA256_* calls need no provider or configuration set up, unlike EVP in
// OpenSSL 3, so a command that hashes pays nothing at start.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace wl
{

struct Sha256::State {
    SHA256_CTX ctx;
};

Sha256::Sha256() : m_state(std::make_unique<State>())
{
    SHA256_Init(&m_state->ctx);
}

Sha256::~Sha256() = default;

void Sha256::add(QByteArrayView bytes)
{
    SHA256_Update(&m_state->ctx, bytes.data(), std::size_t(bytes.size()));
}

QByteArray Sha256::result()
{
    QByteArray out(SHA256_DIGEST_LENGTH, Qt::Uninitialized);
    SHA256_Final(reinterpret_cast<unsigned char *>(out.data()), &m_state->ctx);
    return out;
}

QByteArray Sha256::hash(QByteArrayView bytes)
{
    Sha256 h;
    h.add(bytes);
    return h.result();
}

} // namespace wl
