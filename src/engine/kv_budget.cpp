// KV pool sizing: memory size parsing, /proc/meminfo, bytes -> tokens.
#include "engine/kv_budget.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>

#include "base/error.h"
#include "model/model.h"

namespace qvl {

int64_t parse_memory_size(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  QVL_CHECK(i > 0, "memory size '", s, "': expected a number with an optional unit (e.g. 8G, 512M)");
  double v = 0;
  try {
    v = std::stod(s.substr(0, i));
  } catch (...) {
    QVL_FAIL("memory size '", s, "' is not a number");
  }
  std::string unit = s.substr(i);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 'b') unit.pop_back();   // GB, MiB
  if (unit.size() > 1 && unit.back() == 'i') unit.pop_back();   // Gi
  double mul = 1;
  if (unit == "k") mul = 1024.0;
  else if (unit == "m") mul = 1024.0 * 1024;
  else if (unit == "g") mul = 1024.0 * 1024 * 1024;
  else if (unit == "t") mul = 1024.0 * 1024 * 1024 * 1024;
  else QVL_CHECK(unit.empty() || unit == "b", "memory size '", s, "': unknown unit (use K, M, G or T)");
  const double bytes = v * mul;
  QVL_CHECK(std::isfinite(bytes) && bytes >= 1 && bytes < 9.0e18, "memory size '", s, "' is out of range");
  return static_cast<int64_t>(bytes);
}

int64_t available_memory_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (f >> key >> kb) {
    std::getline(f, unit);
    if (key == "MemAvailable:") return kb * 1024;
  }
  return -1;
}

int engine_context_length(const TextConfig& cfg, int requested) {
  const int64_t max_pos = cfg.max_position_embeddings > 0 ? cfg.max_position_embeddings : 8192;
  return static_cast<int>(requested > 0 ? std::min<int64_t>(requested, max_pos) : std::min<int64_t>(max_pos, 8192));
}

KvPlan plan_kv_pool(const TextConfig& cfg, int64_t budget_bytes, int ctx, int max_running, KvType type) {
  const int64_t block_bytes = KvCache::bytes_per_block(cfg, type);
  QVL_CHECK(block_bytes > 0 && ctx > 0 && max_running > 0, "kv pool: bad model shape or limits");
  const int64_t bt = KvCache::kBlockTokens;
  const int64_t ctx_blocks = (ctx + bt - 1) / bt;
  const int64_t fit_blocks = budget_bytes / block_bytes;
  const int64_t want_blocks = ctx_blocks * max_running;
  QVL_CHECK(fit_blocks >= ctx_blocks, "--kv-memory: ", budget_bytes >> 20, " MiB holds ", fit_blocks * bt,
            " KV tokens of this model (", block_bytes / bt, " bytes each), less than one context of ", ctx,
            " tokens; raise --kv-memory or lower --ctx");
  KvPlan p;
  const int64_t blocks = std::min(fit_blocks, want_blocks);
  p.capped = fit_blocks > want_blocks;
  p.tokens = blocks * bt;
  p.bytes = blocks * block_bytes;
  return p;
}

}  // namespace qvl
