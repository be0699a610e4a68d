// SHA-256 (OpenSSL's libcrypto) for content-addressed cache keys: a key built from
// request bytes must not be collidable on purpose, or one client's crafted image
// could be served another request's cached vision features (FNV-64 was).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace qvl {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void add(const void* data, size_t n);
  template <class T>
  void add_value(const T& v) { add(&v, sizeof v); }  // trivially copyable values only
  Sha256Digest finish();  // once

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace qvl
