// Paged KV cache bookkeeping: block accounting on reserve / truncate / free and slot reuse.
#include <gtest/gtest.h>

#include "base/error.h"
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

}  // namespace
}  // namespace qvl
