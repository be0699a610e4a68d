// The engine as the serve layer sees it: submit a request, get tokens through its
// callbacks. The real implementation batches sequences on one engine thread per
// model; tests may substitute a fake.
#pragma once
#include <array>
#include <cstdint>
#include <functional>

#include "engine/request.h"

namespace qvl {

class ThreadPool;

// A snapshot of an engine's load, for /metrics and /health. Per-class arrays are
// indexed by RequestClass.
struct GeneratorLoad {
  std::array<int, kRequestClasses> queued{}, running{};
  int64_t kv_blocks_total = 0, kv_blocks_used = 0;
  int kv_block_tokens = 0;
  int64_t kv_block_bytes = 0;
  int64_t kv_blocks_cached = 0; // free blocks still holding a shared prefix (reused or evicted on demand)
  uint64_t preemptions = 0;     // sequences whose KV was dropped to make room (recomputed later)
  uint64_t prefix_query_tokens = 0, prefix_hit_tokens = 0;  // prompt tokens looked up / found in the prefix cache
  uint64_t steps = 0;           // batched forward passes
  uint64_t max_batch_seqs = 0;  // most sequences in one forward pass so far
};

class Generator {
 public:
  virtual ~Generator() = default;
  // Queues the request; returns its id. Throws qvl::Error if the queue is full or
  // the prompt cannot fit the context (the caller maps that to 429 / 400).
  virtual uint64_t submit(GenerationRequest req) = 0;
  virtual void cancel(uint64_t id) = 0;
  virtual int queue_depth() const = 0;
  virtual int running() const = 0;
  virtual int context_length() const = 0;
  virtual GeneratorLoad load() const {
    GeneratorLoad l;
    l.queued[0] = queue_depth();
    l.running[0] = running();
    return l;
  }
  // Runs fn with the compute threads where this generator runs its tensors (the
  // engine thread, between batch steps, holding the compute lease) and waits for
  // it; rethrows what fn throws. How the serve layer gets vision encodes run
  // without running tensors itself. Generators without compute refuse.
  virtual void run_compute(std::function<void(ThreadPool&)> fn);
};

}  // namespace qvl
