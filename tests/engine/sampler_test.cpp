// Sampler: hand-computed distributions (through the reported log-probs) and
// fixed-seed statistical checks. Every statistical bound is >= 5 standard
// deviations of the binomial estimate, and the seed is fixed, so these are
// deterministic: they fail only if the sampler changes.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "base/error.h"

namespace qvl {
namespace {

std::vector<double> frequencies(Sampler& s, const std::vector<float>& logits, int n) {
  std::vector<double> f(logits.size(), 0.0);
  for (int i = 0; i < n; ++i) f[s.sample(logits.data(), nullptr)] += 1.0 / n;
  return f;
}

TEST(Sampler, GreedyPicksArgmaxLowestIdOnTies) {
  SamplingParams p;
  Sampler s(p, 4);
  std::vector<float> x = {0.5f, 2.0f, 2.0f, -1.0f};
  EXPECT_EQ(s.sample(x.data(), nullptr), 1);
}

TEST(Sampler, LogitBiasMovesArgmax) {
  SamplingParams p;
  p.logit_bias[3] = 10.0f;
  Sampler s(p, 4);
  std::vector<float> x = {0.5f, 2.0f, 2.0f, -1.0f};
  EXPECT_EQ(s.sample(x.data(), nullptr), 3);
}

TEST(Sampler, LogprobsAreLogSoftmaxWithSortedTop) {
  SamplingParams p;
  p.n_logprobs = 3;
  p.temperature = 5.0f;  // must not change the reported numbers
  Sampler s(p, 3);
  std::vector<float> x = {0.0f, std::log(2.0f), std::log(4.0f)};  // p = 1/7, 2/7, 4/7
  TokenEvent ev;
  const int32_t t = s.sample(x.data(), &ev);
  EXPECT_EQ(ev.token, t);
  const double expect[3] = {std::log(1.0 / 7), std::log(2.0 / 7), std::log(4.0 / 7)};
  EXPECT_NEAR(ev.logprob, expect[t], 1e-6);
  ASSERT_EQ(ev.top.size(), 3u);
  EXPECT_EQ(ev.top[0].id, 2);
  EXPECT_EQ(ev.top[1].id, 1);
  EXPECT_EQ(ev.top[2].id, 0);
  for (const auto& a : ev.top) EXPECT_NEAR(a.logprob, expect[a.id], 1e-6);
}

TEST(Sampler, RepetitionPenaltyIsHfStyle) {
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  p.n_logprobs = 3;
  Sampler s(p, 3);
  s.accept(0, false);  // prompt tokens count for the repetition penalty
  s.accept(1, false);
  std::vector<float> x = {2.0f, -1.0f, 1.5f};  // -> {1.0, -2.0, 1.5}
  TokenEvent ev;
  EXPECT_EQ(s.sample(x.data(), &ev), 2);
  const double lse = std::log(std::exp(1.0) + std::exp(-2.0) + std::exp(1.5));
  for (const auto& a : ev.top) {
    const double adj[3] = {1.0, -2.0, 1.5};
    EXPECT_NEAR(a.logprob, adj[a.id] - lse, 1e-6) << "token " << a.id;
  }
}

TEST(Sampler, PresenceAndFrequencyCountGeneratedTokensOnly) {
  SamplingParams p;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  p.n_logprobs = 3;
  Sampler s(p, 3);
  s.accept(0, false);  // prompt: not penalised
  s.accept(1, true);
  s.accept(1, true);
  s.accept(2, true);
  std::vector<float> x = {1.0f, 1.0f, 1.0f};  // -> {1, 1 - 0.5 - 0.5, 1 - 0.5 - 0.25}
  TokenEvent ev;
  EXPECT_EQ(s.sample(x.data(), &ev), 0);
  const double adj[3] = {1.0, 0.0, 0.25};
  const double lse = std::log(std::exp(adj[0]) + std::exp(adj[1]) + std::exp(adj[2]));
  for (const auto& a : ev.top) EXPECT_NEAR(a.logprob, adj[a.id] - lse, 1e-6) << "token " << a.id;
}

TEST(Sampler, PenaltyWindowOnlySeesLastN) {
  SamplingParams p;
  p.repetition_penalty = 4.0f;
  p.penalty_last_n = 1;
  Sampler s(p, 2);
  s.accept(0, true);
  s.accept(1, true);  // only this one is in the window
  std::vector<float> x = {1.0f, 2.0f};  // -> {1.0, 0.5}
  EXPECT_EQ(s.sample(x.data(), nullptr), 0);
}

TEST(Sampler, TopKOneIsGreedyAtAnyTemperature) {
  SamplingParams p;
  p.temperature = 2.0f;
  p.top_k = 1;
  p.seed = 7;
  Sampler s(p, 5);
  std::vector<float> x = {0.1f, 0.3f, 0.2f, 0.25f, 0.0f};
  for (int i = 0; i < 200; ++i) EXPECT_EQ(s.sample(x.data(), nullptr), 1);
}

TEST(Sampler, TemperatureReshapesDistribution) {
  std::vector<float> x = {0.0f, std::log(2.0f)};  // T=1: p1 = 2/3; T=0.5: p1 = 4/5
  const int n = 20000;  // sd of the estimate <= 0.0034; bound 0.02 is ~6 sd
  SamplingParams p;
  p.seed = 1;
  p.temperature = 1.0f;
  Sampler a(p, 2);
  EXPECT_NEAR(frequencies(a, x, n)[1], 2.0 / 3.0, 0.02);
  p.temperature = 0.5f;
  Sampler b(p, 2);
  EXPECT_NEAR(frequencies(b, x, n)[1], 4.0 / 5.0, 0.02);
}

TEST(Sampler, TopPKeepsSmallestSetReachingMass) {
  std::vector<float> x = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  SamplingParams p;
  p.seed = 2;
  p.temperature = 1.0f;
  p.top_p = 0.6f;  // 0.5 < 0.6 <= 0.8: keeps {0, 1}, renormalised to 5/8, 3/8
  Sampler s(p, 3);
  const auto f = frequencies(s, x, 20000);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_NEAR(f[0], 0.625, 0.02);
}

TEST(Sampler, MinPDropsTokensBelowFractionOfMax) {
  std::vector<float> x = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  SamplingParams p;
  p.seed = 3;
  p.temperature = 1.0f;
  p.min_p = 0.5f;  // threshold 0.25: keeps {0, 1}
  Sampler s(p, 3);
  const auto f = frequencies(s, x, 20000);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_NEAR(f[0], 0.625, 0.02);
}

TEST(Sampler, TopPOverLargeFlatVocabularyGrowsSortedPrefix) {
  const int n_vocab = 5000;
  std::vector<float> x(n_vocab, 0.0f);
  SamplingParams p;
  p.seed = 4;
  p.temperature = 1.0f;
  p.top_p = 0.9f;  // flat: keeps the 4500 lowest ids (ties broken by id)
  Sampler s(p, n_vocab);
  int max_id = 0;
  for (int i = 0; i < 5000; ++i) max_id = std::max(max_id, s.sample(x.data(), nullptr));
  EXPECT_LT(max_id, 4500);
  EXPECT_GT(max_id, 4000);  // P(all 5000 draws < 4000) = (4000/4500)^5000, i.e. never
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDifferent) {
  std::vector<float> x(50);
  for (int i = 0; i < 50; ++i) x[i] = 0.1f * static_cast<float>(i % 7);
  auto run = [&](uint64_t seed) {
    SamplingParams p;
    p.seed = seed;
    p.temperature = 1.0f;
    p.top_p = 0.95f;
    Sampler s(p, 50);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(x.data(), nullptr));
    return out;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST(Sampler, BadParametersThrow) {
  auto make = [](auto tweak) {
    SamplingParams p;
    tweak(p);
    Sampler s(p, 10);
  };
  EXPECT_THROW(make([](SamplingParams& p) { p.temperature = -1; }), Error);
  EXPECT_THROW(make([](SamplingParams& p) { p.top_p = 0; }), Error);
  EXPECT_THROW(make([](SamplingParams& p) { p.min_p = 2; }), Error);
  EXPECT_THROW(make([](SamplingParams& p) { p.top_k = -3; }), Error);
  EXPECT_THROW(make([](SamplingParams& p) { p.repetition_penalty = 0; }), Error);
  EXPECT_THROW(make([](SamplingParams& p) { p.logit_bias[10] = 1; }), Error);
  EXPECT_THROW(make([](SamplingParams& p) { p.n_logprobs = 21; }), Error);
  EXPECT_NO_THROW(make([](SamplingParams& p) { p.logit_bias[9] = -100; }));
}

}  // namespace
}  // namespace qvl
