// api_key_matches: see api_key.h.
#include "serve/http/api_key.h"

#include <openssl/crypto.h>

#include "base/sha256.h"

namespace qvl::serve {

bool api_key_matches(const std::string& authorization, const std::string& key) {
  const std::string want = "Bearer " + key;
  Sha256 a, b;
  a.add(authorization.data(), authorization.size());
  b.add(want.data(), want.size());
  const Sha256Digest da = a.finish(), db = b.finish();
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace qvl::serve
