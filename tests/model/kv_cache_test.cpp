// Paged KV cache bookkeeping: block accounting on reserve / truncate / free and slot reuse.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "base/error.h"
#include "model/kv_cache_impl.h"
#include "model/model.h"

namespace qvl {
namespace {

TextConfig small_cfg() {
  TextConfig c;
  c.architecture = "qwen3";
  c.num_hidden_layers = 2;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  return c;
}

TEST(KvCacheTest, ReserveTruncateFree) {
  KvCache kv(small_cfg(), 5);
  EXPECT_EQ(kv.total_blocks(), 5);
  const int a = kv.new_sequence(), b = kv.new_sequence();
  EXPECT_NE(a, b);
  EXPECT_TRUE(kv.reserve(a, 1));
  EXPECT_EQ(kv.free_blocks(), 4);
  EXPECT_TRUE(kv.reserve(a, 32));  // still one block
  EXPECT_EQ(kv.free_blocks(), 4);
  EXPECT_TRUE(kv.reserve(a, 33));
  EXPECT_EQ(kv.free_blocks(), 3);
  EXPECT_TRUE(kv.reserve(b, 96));
  EXPECT_EQ(kv.free_blocks(), 0);
  EXPECT_FALSE(kv.reserve(a, 65));  // out of blocks: nothing changes
  EXPECT_EQ(kv.free_blocks(), 0);
  kv.truncate(b, 40);
  EXPECT_EQ(kv.free_blocks(), 1);
  EXPECT_EQ(kv.length(b), 0);  // nothing was written yet
  kv.free_sequence(a);
  EXPECT_EQ(kv.free_blocks(), 3);
  EXPECT_EQ(kv.new_sequence(), a);  // slot reused
  EXPECT_THROW(kv.length(99), Error);
  EXPECT_THROW(kv.free_sequence(-1), Error);
  EXPECT_THROW(KvCache(small_cfg(), 0), Error);
}

// A pool sized far beyond what is written costs address space, not memory: the
// process's resident set grows only by the blocks actually filled.
TEST(KvCacheTest, MemoryIsCommittedAsBlocksAreWritten) {
  auto rss_kb = [] {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
    return -1LL;
  };
  TextConfig c = small_cfg();
  c.num_hidden_layers = 8;
  c.num_key_value_heads = 8;
  c.head_dim = 128;
  EXPECT_EQ(KvCache::bytes_per_block(c), 2 * 2 * 8 * 8 * 32 * 128);  // 512 KiB
  const int64_t before = rss_kb();
  ASSERT_GT(before, 0);
  KvCache kv(c, 4096);  // 2 GiB of blocks
  EXPECT_LT(rss_kb() - before, 64 * 1024);  // nothing written: well under 64 MiB resident
  EXPECT_EQ(kv.used_blocks(), 0);
  const int s = kv.new_sequence();
  ASSERT_TRUE(kv.reserve(s, 64));
  EXPECT_EQ(kv.used_blocks(), 2);
  EXPECT_EQ(kv.free_blocks() + kv.used_blocks(), kv.total_blocks());
}

// --kv-type q8_0: rows of head_dim / 32 Q8_0 blocks (34 bytes per 32 values), laid
// out as the F16 pools are; a head_dim that is not a multiple of 32 is refused with
// a message naming the fix.
TEST(KvCacheTest, Q8_0RowsAndSizes) {
  TextConfig c = small_cfg();
  c.head_dim = 64;
  EXPECT_EQ(KvCache::bytes_per_block(c, KvType::kQ8_0), 2 * 2 * 2 * 32 * (64 / 32 * 34));
  EXPECT_EQ(KvCache::bytes_per_block(c, KvType::kF16), 2 * 2 * 2 * 32 * 64 * 2);
  KvCache kv(c, 3, KvType::kQ8_0);
  EXPECT_EQ(kv.type(), KvType::kQ8_0);
  KvCache::Impl& m = *kv.impl();
  const int s = kv.new_sequence();
  ASSERT_TRUE(kv.reserve(s, 40));
  // Position 33 of head 1, layer 1: second block of the sequence, row (1 · 32 + 1).
  const auto& seq = m.seqs[size_t(s)];
  const uint8_t* want = m.v[1].base + seq.blocks[1] * m.block_bytes + (32 + 1) * 68;
  EXPECT_EQ(m.v_row(1, seq, 33, 1), want);
  try {
    KvCache bad(small_cfg(), 2, KvType::kQ8_0);  // head_dim 16
    FAIL() << "head_dim 16 accepted for q8_0";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of 32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_kv_type("q4_0"), Error);
  EXPECT_EQ(parse_kv_type("q8_0"), KvType::kQ8_0);
  EXPECT_EQ(parse_kv_type("f16"), KvType::kF16);
}

// Shared blocks: published full blocks are attached by key with a reference
// count, stay cached (and allocatable) when idle, and are evicted oldest first.
TEST(KvCacheTest, SharedPrefixBlocksAreCountedCachedAndEvicted) {
  KvCache kv(small_cfg(), 4);
  const int a = kv.new_sequence();
  ASSERT_TRUE(kv.reserve(a, 64));
  kv.impl()->seqs[a].length = 64;  // as a forward pass would
  EXPECT_THROW(kv.publish_block(a, 2, "k2"), Error);  // no such block
  kv.publish_block(a, 0, "k0");
  kv.publish_block(a, 1, "k1");
  const int b = kv.new_sequence();
  EXPECT_EQ(kv.attach_prefix(b, {"k0", "k1", "k2"}), 2);  // stops at the first miss
  EXPECT_EQ(kv.length(b), 64);
  EXPECT_EQ(kv.impl()->seqs[b].blocks, kv.impl()->seqs[a].blocks);
  EXPECT_EQ(kv.used_blocks(), 2);
  kv.free_sequence(a);
  EXPECT_EQ(kv.used_blocks(), 2);  // b still holds them
  kv.free_sequence(b);
  EXPECT_EQ(kv.used_blocks(), 0);
  EXPECT_EQ(kv.cached_idle_blocks(), 2);
  EXPECT_EQ(kv.free_blocks(), 4);
  const int c = kv.new_sequence();
  EXPECT_EQ(kv.attach_prefix(c, {"k0"}), 1);  // reattached from idle
  EXPECT_EQ(kv.cached_idle_blocks(), 1);
  ASSERT_TRUE(kv.reserve(c, 4 * 32));  // needs the 2 unused blocks and evicts k1
  EXPECT_EQ(kv.cached_idle_blocks(), 0);
  EXPECT_FALSE(kv.reserve(c, 5 * 32));
  const int d = kv.new_sequence();
  EXPECT_EQ(kv.attach_prefix(d, {"k1"}), 0);  // evicted
  EXPECT_EQ(kv.attach_prefix(d, {"k0"}), 1);  // still held by c: shared
  kv.free_sequence(c);
  kv.free_sequence(d);
  EXPECT_EQ(kv.used_blocks(), 0);
}

}  // namespace
}  // namespace qvl
