// KV pool sizing for --kv-memory: size parsing, bytes -> tokens, the one-context
// floor and the max_running-contexts cap.
#include "engine/kv_budget.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "model/model.h"

namespace qvl {
namespace {

TEST(KvBudget, ParsesSizes) {
  EXPECT_EQ(parse_memory_size("1073741824"), 1073741824);
  EXPECT_EQ(parse_memory_size("512M"), 512LL << 20);
  EXPECT_EQ(parse_memory_size("4G"), 4LL << 30);
  EXPECT_EQ(parse_memory_size("4GiB"), 4LL << 30);
  EXPECT_EQ(parse_memory_size("1.5g"), 3LL << 29);
  EXPECT_EQ(parse_memory_size("64k"), 64LL << 10);
  for (const char* bad : {"", "G", "4X", "-1G", "0", "1e30G", "abc"}) EXPECT_THROW(parse_memory_size(bad), Error) << bad;
}

TEST(KvBudget, AvailableMemoryIsRead) { EXPECT_GT(available_memory_bytes(), 0); }

TEST(KvBudget, PlanCapsAtMaxRunningContextsAndRefusesLessThanOne) {
  TextConfig c;
  c.num_hidden_layers = 2;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  c.max_position_embeddings = 4096;
  const int64_t block = KvCache::bytes_per_block(c);  // 2 · 2 · 2 · 2 · 32 · 64 = 32 KiB
  EXPECT_EQ(block, 32 * 1024);
  EXPECT_EQ(engine_context_length(c, 0), 4096);
  EXPECT_EQ(engine_context_length(c, 100000), 4096);
  EXPECT_EQ(engine_context_length(c, 500), 500);
  // A budget of 20 blocks, context 256 (8 blocks), 4 running: 20 blocks, uncapped.
  KvPlan p = plan_kv_pool(c, 20 * block + 100, 256, 4);
  EXPECT_EQ(p.tokens, 20 * 32);
  EXPECT_EQ(p.bytes, 20 * block);
  EXPECT_FALSE(p.capped);
  // Plenty of memory: 4 contexts.
  p = plan_kv_pool(c, 1LL << 40, 256, 4);
  EXPECT_EQ(p.tokens, 4 * 256);
  EXPECT_TRUE(p.capped);
  // Less than one context (7 blocks < 8) is an error that says what to do.
  try {
    plan_kv_pool(c, 7 * block, 256, 4);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("less than one context of 256 tokens"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qvl
