// Giving memory back after large requests (issue 11: RSS after a burst of big
// requests must return close to where it started). glibc keeps freed memory in
// per-thread arenas and, with its dynamic mmap threshold, serves even multi-MB
// buffers from them once one has been freed; a server with many HTTP threads then
// holds the peak of every thread. Two measures: a fixed mmap threshold (buffers of
// 1 MiB and up are mapped and unmapped on free), and malloc_trim after a
// connection that carried a large request.
#pragma once
#include <cstddef>

namespace qvl::serve {

void configure_allocator_for_serving();     // once per process; idempotent
void note_large_request(size_t body_bytes);  // marks this thread if the body was large
void release_memory_if_noted();              // malloc_trim if this thread was marked

}  // namespace qvl::serve
