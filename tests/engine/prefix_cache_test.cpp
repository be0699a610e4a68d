// Prefix caching over the fake model (whose "KV" lives in the physical blocks,
// so a wrongly shared block changes the output): a repeated prompt reuses its
// full blocks and generates the same tokens, a multi-turn follow-up reuses the
// blocks of the previous answer, different content (tokens, positions, image
// features) never matches, idle cached blocks are evicted under pressure, and
// the option turns it off.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "base/compute_scheduler.h"
#include "engine/engine.h"
#include "engine_test_util.h"
#include "fake_model.h"

namespace qvl {
namespace {

using testing::attach;
using testing::FakeModel;
using testing::Outcome;
using testing::request;

EngineOptions opts(int64_t kv_tokens = 4096) {
  static ThreadPool pool(1);
  static ComputeScheduler sched(&pool);
  EngineOptions o;
  o.max_running = 4;
  o.max_batch_tokens = 64;
  o.compute = &sched;
  o.context_length = 512;
  o.kv_tokens = kv_tokens;
  return o;
}

Outcome run(Engine& e, GenerationRequest r) {
  Outcome o;
  auto f = attach(r, o);
  e.submit(std::move(r));
  f.wait();
  return o;
}

const std::string kLong = "You are a helpful assistant. Answer briefly and truthfully. Question: what is a prefix?";

TEST(PrefixCache, RepeatedPromptReusesFullBlocksAndGivesTheSameTokens) {
  ASSERT_EQ(kLong.size(), 87u);  // 2 full blocks usable ((87 - 2) / 32)
  FakeModel m;
  Engine e(m, opts());
  const Outcome a = run(e, request(kLong, 20, 5));
  EXPECT_EQ(a.result.cached_tokens, 0);
  EXPECT_GT(e.load().kv_blocks_cached, 0);  // a's blocks stay cached after it ends
  const Outcome b = run(e, request(kLong, 20, 5));
  EXPECT_EQ(b.result.cached_tokens, 64);
  EXPECT_EQ(b.ids(), a.ids());
  const GeneratorLoad l = e.load();
  EXPECT_EQ(l.prefix_query_tokens, 2u * 87);
  EXPECT_EQ(l.prefix_hit_tokens, 64u);
  EXPECT_EQ(l.kv_blocks_used, 0);
  // Without the cache the same tokens come out, computed in full.
  FakeModel m2;
  EngineOptions off = opts();
  off.prefix_cache = false;
  Engine cold(m2, off);
  const Outcome c = run(cold, request(kLong, 20, 5));
  EXPECT_EQ(c.ids(), a.ids());
  EXPECT_EQ(run(cold, request(kLong, 20, 5)).result.cached_tokens, 0);
  EXPECT_EQ(cold.load().kv_blocks_cached, 0);
}

TEST(PrefixCache, FollowUpReusesThePreviousAnswersBlocks) {
  FakeModel m;
  Engine e(m, opts());
  GenerationRequest first = request(kLong, 60, 9);
  const Outcome a = run(e, first);
  // The next turn: the whole previous sequence (prompt + answer) plus a new question.
  GenerationRequest next = request(kLong, 10, 9);
  for (int32_t t : a.ids()) next.prompt.tokens.push_back(t);
  for (unsigned char c : std::string(" And then?")) next.prompt.tokens.push_back(c);
  const int n = static_cast<int>(next.prompt.tokens.size());  // 87 + 60 + 10 = 157
  const Outcome b = run(e, next);
  // Every full block of the first sequence that was fed (87 + 59 = 146 positions:
  // 4 blocks) is reused.
  EXPECT_EQ(b.result.cached_tokens, 128);
  EXPECT_EQ(b.result.prompt_tokens, n);
  // Same answer as a cold engine gives the same prompt.
  FakeModel m2;
  Engine cold(m2, opts());
  EXPECT_EQ(run(cold, next).ids(), b.ids());
}

TEST(PrefixCache, DifferentContentDoesNotMatch) {
  FakeModel m;
  Engine e(m, opts());
  run(e, request(kLong, 4, 1));
  std::string other = kLong;
  other[40] = 'X';  // differs in block 1: block 0 still matches
  EXPECT_EQ(run(e, request(other, 4, 1)).result.cached_tokens, 32);
  // Same tokens at other positions (an image grid shifts MRoPE positions) do not match.
  GenerationRequest shifted = request(kLong, 4, 1);
  for (int i = 0; i < static_cast<int>(shifted.prompt.tokens.size()); ++i)
    shifted.prompt.positions.push_back({i + 1, i + 1, i + 1});
  EXPECT_EQ(run(e, shifted).result.cached_tokens, 0);
}

TEST(PrefixCache, ImageFeaturesArePartOfTheKey) {
  FakeModel m;
  Engine e(m, opts());
  auto with_image = [&](float value) {
    GenerationRequest r = request(kLong, 4, 1);
    EmbeddingSpan span;
    span.start = 4;
    span.n_tokens = 8;
    span.main.assign(8 * m.config().hidden_size, value);
    r.prompt.embeddings.push_back(span);
    return r;
  };
  run(e, with_image(0.5f));
  EXPECT_EQ(run(e, with_image(0.5f)).result.cached_tokens, 64);  // same image: cached
  EXPECT_EQ(run(e, with_image(0.25f)).result.cached_tokens, 0);  // other pixels in block 0
}

TEST(PrefixCache, IdleCachedBlocksAreEvictedWhenTheSpaceIsNeeded) {
  FakeModel m;
  Engine e(m, opts(512));  // 16 blocks = one context
  for (int i = 0; i < 6; ++i) {  // six different long prompts fill the pool with cached blocks
    const Outcome o = run(e, request(std::to_string(i) + kLong + kLong + kLong, 40, i));
    EXPECT_EQ(o.result.completion_tokens, 40) << i;
  }
  const GeneratorLoad l = e.load();
  EXPECT_EQ(l.kv_blocks_used, 0);
  EXPECT_GT(l.kv_blocks_cached, 0);
  EXPECT_LE(l.kv_blocks_cached, l.kv_blocks_total);
  // The most recent prompt is still cached; the first was evicted.
  EXPECT_GT(run(e, request("5" + kLong + kLong + kLong, 4, 5)).result.cached_tokens, 0);
  EXPECT_EQ(run(e, request("0" + kLong + kLong + kLong, 4, 0)).result.cached_tokens, 0);
}

}  // namespace
}  // namespace qvl
