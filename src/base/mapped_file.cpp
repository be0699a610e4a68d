#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "base/error.h"

namespace qvl {
namespace {

// Live read-only file mappings, for release_mapped_pages.
std::mutex g_maps_mu;
std::vector<std::pair<const uint8_t*, size_t>> g_maps;

void track(const uint8_t* p, size_t n) {
  std::lock_guard<std::mutex> lk(g_maps_mu);
  g_maps.emplace_back(p, n);
}

void untrack(const uint8_t* p) {
  std::lock_guard<std::mutex> lk(g_maps_mu);
  g_maps.erase(std::remove_if(g_maps.begin(), g_maps.end(), [&](const auto& m) { return m.first == p; }),
               g_maps.end());
}

}  // namespace

bool release_mapped_pages(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  {
    std::lock_guard<std::mutex> lk(g_maps_mu);
    const bool inside = std::any_of(g_maps.begin(), g_maps.end(),
                                    [&](const auto& m) { return b >= m.first && b + n <= m.first + m.second; });
    if (!inside) return false;
  }
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = (uintptr_t(b) + page - 1) / page * page, hi = (uintptr_t(b) + n) / page * page;
  // PROT_READ + MAP_PRIVATE: no page was ever written, so dropping them loses nothing.
  if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
  return true;
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  QVL_CHECK(fd >= 0, path, ": cannot open: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    QVL_FAIL(path, ": not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      QVL_FAIL(path, ": mmap failed: ", std::strerror(err));
    }
    data_ = static_cast<const uint8_t*>(p);
    track(data_, size_);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) {
    untrack(data_);
    ::munmap(const_cast<uint8_t*>(data_), size_);
  }
}

MappedFile::MappedFile(MappedFile&& o) noexcept
    : path_(std::move(o.path_)), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (data_) {
      untrack(data_);
      ::munmap(const_cast<uint8_t*>(data_), size_);
    }
    path_ = std::move(o.path_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

}  // namespace qvl
