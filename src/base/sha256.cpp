// Incremental SHA-256 over OpenSSL's EVP interface.
#include "base/sha256.h"

#include <openssl/evp.h>

#include "base/error.h"

namespace qvl {

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  QVL_CHECK(ctx_->md && EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) == 1, "sha256: cannot initialise");
}

Sha256::~Sha256() = default;

void Sha256::add(const void* data, size_t n) {
  if (n) QVL_CHECK(EVP_DigestUpdate(ctx_->md, data, n) == 1, "sha256: update failed");
}

Sha256Digest Sha256::finish() {
  Sha256Digest d{};
  unsigned int len = 0;
  QVL_CHECK(EVP_DigestFinal_ex(ctx_->md, d.data(), &len) == 1 && len == d.size(), "sha256: final failed");
  return d;
}

}  // namespace qvl
