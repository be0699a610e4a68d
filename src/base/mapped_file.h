// Read-only memory map of a whole file (zero-copy weights). Move-only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace qvl {

// Drops this process's resident pages of [p, p + n) (the whole pages inside it)
// when the range lies in a live MappedFile; the data stays readable (the kernel
// reads it back from the file on the next touch). For weights whose only use after
// load is a repacked copy (runtime/repack.cpp): without this the mapped original
// stays resident next to the copy. Returns false, doing nothing, for any other
// memory (heap memory would be zeroed by MADV_DONTNEED, so it is never touched).
bool release_mapped_pages(const void* p, size_t n);

class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::string& path);  // throws qvl::Error naming the path
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace qvl
