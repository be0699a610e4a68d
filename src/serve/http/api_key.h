// --api-key checking: "Authorization: Bearer <key>" compared in constant time.
#pragma once
#include <string>

namespace qvl::serve {

// True when the Authorization header value is exactly "Bearer " + key. Both sides
// are hashed (SHA-256) and the digests compared with CRYPTO_memcmp, so the time
// taken depends on neither the key's content nor its length: a byte-by-byte
// early exit would let a client learn the key one byte at a time from timings.
bool api_key_matches(const std::string& authorization, const std::string& key);

}  // namespace qvl::serve
