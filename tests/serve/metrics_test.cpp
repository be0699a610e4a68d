// /metrics text for the engine gauges: per-mode sums over engines, per-checkpoint
// KV, prefix-cache and preemption series with the values given.
#include "serve/deploy/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace qvl::serve {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, EngineGaugesRenderTheirValues) {
  Metrics m;
  GeneratorLoad a, b;
  a.queued = {2, 1};
  a.running = {3, 0};
  a.kv_blocks_total = 100;
  a.kv_blocks_used = 40;
  a.kv_block_tokens = 32;
  a.kv_block_bytes = 1024;
  a.kv_blocks_cached = 7;
  a.preemptions = 5;
  a.prefix_query_tokens = 900;
  a.prefix_hit_tokens = 320;
  a.steps = 11;
  a.max_batch_seqs = 3;
  b.queued = {0, 4};
  b.running = {1, 6};
  const std::string t = m.render(7, 10, {{"pair", "instruct", a}, {"pair", "thinking", b}});
  EXPECT_TRUE(has_line(t, "qvl_queue_depth 7"));
  EXPECT_TRUE(has_line(t, "qvl_requests_running 10"));
  EXPECT_TRUE(has_line(t, "qvl_queue_depth_by_mode{mode=\"instruct\"} 2"));
  EXPECT_TRUE(has_line(t, "qvl_queue_depth_by_mode{mode=\"thinking\"} 5"));
  EXPECT_TRUE(has_line(t, "qvl_requests_running_by_mode{mode=\"instruct\"} 4"));
  EXPECT_TRUE(has_line(t, "qvl_requests_running_by_mode{mode=\"thinking\"} 6"));
  const std::string ki = "{model=\"pair\",checkpoint=\"instruct\"} ";
  EXPECT_TRUE(has_line(t, "qvl_kv_blocks_total" + ki + "100"));
  EXPECT_TRUE(has_line(t, "qvl_kv_blocks_used" + ki + "40"));
  EXPECT_TRUE(has_line(t, "qvl_kv_pool_bytes" + ki + "102400"));
  EXPECT_TRUE(has_line(t, "qvl_kv_used_bytes" + ki + "40960"));
  EXPECT_TRUE(has_line(t, "qvl_kv_blocks_cached" + ki + "7"));
  EXPECT_TRUE(has_line(t, "qvl_preemptions_total" + ki + "5"));
  EXPECT_TRUE(has_line(t, "qvl_prefix_cache_query_tokens_total" + ki + "900"));
  EXPECT_TRUE(has_line(t, "qvl_prefix_cache_hit_tokens_total" + ki + "320"));
  EXPECT_TRUE(has_line(t, "qvl_engine_steps_total" + ki + "11"));
  EXPECT_TRUE(has_line(t, "qvl_batch_sequences_max" + ki + "3"));
  EXPECT_TRUE(has_line(t, "qvl_kv_blocks_used{model=\"pair\",checkpoint=\"thinking\"} 0"));
  EXPECT_NE(t.find("# TYPE qvl_preemptions_total counter"), std::string::npos);
}

// The endpoint picker's KV utilisation: blocks held over blocks owned, summed over
// engines (cached free blocks are free); LoRA info present with no adapters.
TEST(Metrics, GatewaySeriesFollowTheInferenceExtensionProtocol) {
  Metrics m;
  GeneratorLoad a, b;
  a.kv_blocks_total = 100;
  a.kv_blocks_used = 40;
  a.kv_blocks_cached = 30;
  b.kv_blocks_total = 60;
  b.kv_blocks_used = 0;
  std::string t = m.render(0, 0, {{"pair", "instruct", a}, {"pair", "thinking", b}});
  EXPECT_TRUE(has_line(t, "qvl_kv_cache_usage_perc 0.25"));
  EXPECT_NE(t.find("# TYPE qvl_kv_cache_usage_perc gauge"), std::string::npos);
  EXPECT_NE(t.find("\nqvl_lora_requests_info{max_lora=\"0\",running_lora_adapters=\"\",waiting_lora_adapters=\"\"} "),
            std::string::npos);
  // No engine loaded yet: 0, not a division by zero.
  t = m.render(0, 0, {});
  EXPECT_TRUE(has_line(t, "qvl_kv_cache_usage_perc 0"));
}

}  // namespace
}  // namespace qvl::serve
