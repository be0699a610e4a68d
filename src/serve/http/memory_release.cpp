// glibc allocator settings and trimming for the serve process (see memory_release.h).
#include "serve/http/memory_release.h"

#include <malloc.h>

#include <mutex>

namespace qvl::serve {

namespace {
constexpr size_t kLargeRequestBytes = 256u << 10;
constexpr int kMmapThreshold = 1 << 20;
thread_local bool tl_large = false;
}  // namespace

void configure_allocator_for_serving() {
  static std::once_flag once;
  std::call_once(once, [] { mallopt(M_MMAP_THRESHOLD, kMmapThreshold); });
}

void note_large_request(size_t body_bytes) {
  if (body_bytes >= kLargeRequestBytes) tl_large = true;
}

void release_memory_if_noted() {
  if (!tl_large) return;
  tl_large = false;
  malloc_trim(0);  // returns free pages of every arena, not only the heap top
}

}  // namespace qvl::serve
