// Sizing the KV pool from a memory budget (`qvl serve --kv-memory`): parse a
// size, read the machine's available memory, and turn bytes into the pool's
// token capacity for one model. The pool never needs more than max_running full
// contexts and must hold at least one.
#pragma once
#include <cstdint>
#include <string>

#include "base/kv_type.h"
#include "model/config.h"

namespace qvl {

// "8G", "512M", "1.5GiB", "64k", "1073741824" (bytes) -> bytes. Throws qvl::Error.
int64_t parse_memory_size(const std::string& s);
// MemAvailable from /proc/meminfo, in bytes; -1 when unknown.
int64_t available_memory_bytes();
// The context the engine gives a sequence for a requested --ctx (0 = default).
int engine_context_length(const TextConfig& cfg, int requested);

struct KvPlan {
  int64_t tokens = 0;  // pool capacity (EngineOptions::kv_tokens), a multiple of the block size
  int64_t bytes = 0;   // what those tokens take when full
  bool capped = false; // the budget allowed more than max_running contexts need
};

// Throws qvl::Error when the budget holds less than one context.
KvPlan plan_kv_pool(const TextConfig& cfg, int64_t budget_bytes, int ctx, int max_running,
                    KvType type = KvType::kF16);

}  // namespace qvl
