// SHA-256 through OpenSSL's EVP interface (libssl-dev is already a dependency).
#include "engine/prefix_keys.h"

#include <openssl/evp.h>

#include <memory>

#include "base/error.h"
#include "engine/sequence.h"
#include "model/model.h"

namespace qvl {

namespace {

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    QVL_CHECK(ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1, "sha256: init failed");
  }
  void add(const void* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  template <class T>
  void add_value(const T& v) { add(&v, sizeof v); }
  std::string digest() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), out, &n);
    return std::string(reinterpret_cast<char*>(out), n);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

}  // namespace

std::string embedding_digest(const EmbeddingSpan& e) {
  Sha256 h;
  h.add_value(e.n_tokens);
  h.add(e.main.data(), e.main.size() * sizeof(float));
  for (const auto& d : e.deepstack) h.add(d.data(), d.size() * sizeof(float));
  return h.digest();
}

void extend_block_keys(Sequence& s, int64_t n_blocks) {
  const int bt = KvCache::kBlockTokens;
  while (static_cast<int64_t>(s.block_keys.size()) < n_blocks) {
    const int b = static_cast<int>(s.block_keys.size());
    QVL_CHECK((b + 1) * bt <= static_cast<int>(s.tokens.size()), "prefix keys: block ", b, " is not full");
    Sha256 h;
    if (b > 0) h.add(s.block_keys.back().data(), s.block_keys.back().size());
    for (int i = b * bt; i < (b + 1) * bt; ++i) {
      h.add_value(s.tokens[i]);
      h.add_value(s.position(i));
      const auto [span, row] = s.embedding_of(i);
      if (span >= 0) {
        const std::string& d = s.span_digests[span];
        h.add(d.data(), d.size());
        h.add_value(row);
      }
    }
    s.block_keys.push_back(h.digest());
  }
}

}  // namespace qvl
