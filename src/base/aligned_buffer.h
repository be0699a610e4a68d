// An owning, move-only byte buffer aligned to a cache line (base layer): packed
// weights that SIMD kernels read a whole 64-byte vector at a time, where a buffer
// from std::vector (16-byte aligned) would split every second or every load across
// two cache lines. Contents start uninitialised.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace qvl {

class AlignedBuffer {
 public:
  static constexpr size_t kAlign = 64;
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n) { resize(n); }
  // Grows (never shrinks) to at least n bytes; contents are not kept.
  void reserve_discard(size_t n) {
    if (n > size_) resize(n);
  }
  void resize(size_t n) {
    void* p = n ? std::aligned_alloc(kAlign, (n + kAlign - 1) / kAlign * kAlign) : nullptr;
    if (n && !p) throw std::bad_alloc();
    data_.reset(static_cast<unsigned char*>(p));
    size_ = n;
  }
  unsigned char* data() { return data_.get(); }
  const unsigned char* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(unsigned char* p) const { std::free(p); }
  };
  std::unique_ptr<unsigned char[], Free> data_;
  size_t size_ = 0;
};

}  // namespace qvl
