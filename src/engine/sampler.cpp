// Sampler implementation (see sampler.h for the order of the chain and why).
// Sorting the whole vocabulary per token is avoided: top-p grows a sorted prefix
// only until it holds the requested mass.
#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "base/error.h"

namespace qvl {

namespace {

constexpr int kMaxLogprobs = 20;

int32_t argmax(const std::vector<float>& x) {
  int32_t best = 0;
  for (int32_t i = 1; i < static_cast<int32_t>(x.size()); ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

}  // namespace

Sampler::Sampler(const SamplingParams& p, int32_t n_vocab) : params_(p), n_vocab_(n_vocab), rng_(p.seed) {
  QVL_CHECK(n_vocab > 0, "sampler: empty vocabulary");
  QVL_CHECK(std::isfinite(p.temperature) && p.temperature >= 0.0f, "temperature must be >= 0, got ", p.temperature);
  QVL_CHECK(p.top_k >= 0, "top_k must be >= 0, got ", p.top_k);
  QVL_CHECK(p.top_p > 0.0f && p.top_p <= 1.0f, "top_p must be in (0, 1], got ", p.top_p);
  QVL_CHECK(p.min_p >= 0.0f && p.min_p <= 1.0f, "min_p must be in [0, 1], got ", p.min_p);
  QVL_CHECK(std::isfinite(p.repetition_penalty) && p.repetition_penalty > 0.0f,
            "repetition_penalty must be > 0, got ", p.repetition_penalty);
  QVL_CHECK(std::isfinite(p.presence_penalty) && std::isfinite(p.frequency_penalty), "penalties must be finite");
  QVL_CHECK(p.penalty_last_n >= -1, "penalty_last_n must be >= -1, got ", p.penalty_last_n);
  QVL_CHECK(p.n_logprobs >= 0 && p.n_logprobs <= kMaxLogprobs, "logprobs must be in [0, ", kMaxLogprobs, "], got ",
            p.n_logprobs);
  for (const auto& [id, bias] : p.logit_bias) {
    QVL_CHECK(id >= 0 && id < n_vocab, "logit_bias token id ", id, " is outside the vocabulary (", n_vocab, ")");
    QVL_CHECK(!std::isnan(bias), "logit_bias for token ", id, " is NaN");
  }
}

void Sampler::accept(int32_t token, bool generated) {
  history_.push_back(token);
  generated_.push_back(generated ? 1 : 0);
}

void Sampler::apply_penalties(std::vector<float>& x) const {
  const SamplingParams& p = params_;
  const bool any = p.repetition_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f;
  if (!any || history_.empty() || p.penalty_last_n == 0) return;
  const size_t n = history_.size();
  const size_t first = p.penalty_last_n < 0 ? 0 : n - std::min(n, static_cast<size_t>(p.penalty_last_n));
  // token -> generated count; an entry with count 0 is a prompt-only token.
  std::unordered_map<int32_t, int> counts;
  for (size_t i = first; i < n; ++i) counts[history_[i]] += generated_[i];
  for (const auto& [tok, gen_count] : counts) {
    if (tok < 0 || tok >= n_vocab_) continue;
    float& l = x[tok];
    if (p.repetition_penalty != 1.0f) l = l > 0 ? l / p.repetition_penalty : l * p.repetition_penalty;
    if (gen_count > 0) l -= p.presence_penalty + p.frequency_penalty * static_cast<float>(gen_count);
  }
}

void Sampler::fill_logprobs(const std::vector<float>& x, int32_t chosen, TokenEvent* ev) const {
  float mx = -std::numeric_limits<float>::infinity();
  for (float v : x) mx = std::max(mx, v);
  double sum = 0;
  for (float v : x) sum += std::exp(static_cast<double>(v) - mx);
  const double lse = mx + std::log(sum);
  ev->token = chosen;
  ev->logprob = static_cast<float>(x[chosen] - lse);
  ev->top.clear();
  const int k = std::min<int>(params_.n_logprobs, n_vocab_);
  if (k == 0) return;
  std::vector<int32_t> ids(x.size());
  for (int32_t i = 0; i < static_cast<int32_t>(ids.size()); ++i) ids[i] = i;
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int32_t a, int32_t b) { return x[a] > x[b] || (x[a] == x[b] && a < b); });
  for (int i = 0; i < k; ++i)
    if (std::isfinite(x[ids[i]])) ev->top.push_back({ids[i], static_cast<float>(x[ids[i]] - lse)});  // not masked out
}

double Sampler::uniform() {
  // 53 random bits -> [0, 1); std::uniform_real_distribution is not specified
  // bit-exactly, and the same seed must give the same text everywhere.
  return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
}

int32_t Sampler::draw(const std::vector<float>& x) {
  const SamplingParams& p = params_;
  if (p.temperature <= 0.0f) return argmax(x);

  cands_.resize(x.size());
  for (int32_t i = 0; i < static_cast<int32_t>(x.size()); ++i) cands_[i] = {i, x[i]};
  size_t n = cands_.size();  // live candidates are cands_[0, n)
  size_t sorted = 0;         // cands_[0, sorted) are the best, in descending order
  auto better = [](const Cand& a, const Cand& b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); };
  auto ensure_sorted = [&](size_t m) {
    m = std::min(m, n);
    if (m <= sorted) return;
    if (m < n) std::nth_element(cands_.begin(), cands_.begin() + m, cands_.begin() + n, better);
    std::sort(cands_.begin(), cands_.begin() + m, better);
    sorted = m;
  };

  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < n) {
    ensure_sorted(p.top_k);
    n = p.top_k;
  }
  if (p.top_p < 1.0f) {
    ensure_sorted(1);
    const float mx = cands_[0].logit;
    double z = 0;
    for (size_t i = 0; i < n; ++i) z += std::exp(static_cast<double>(cands_[i].logit) - mx);
    const double target = p.top_p * z;
    for (size_t m = 256;; m *= 4) {
      ensure_sorted(m);
      double cum = 0;
      size_t cut = 0;
      for (; cut < sorted; ++cut) {
        cum += std::exp(static_cast<double>(cands_[cut].logit) - mx);
        if (cum >= target) break;
      }
      if (cut < sorted) {
        n = cut + 1;
        break;
      }
      if (sorted >= n) break;  // rounding left the mass just short: keep everything
    }
  }
  float mx = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) mx = std::max(mx, cands_[i].logit);
  if (p.min_p > 0.0f) {
    const float floor = mx + std::log(p.min_p);
    auto end = std::stable_partition(cands_.begin(), cands_.begin() + n,
                                     [&](const Cand& c) { return c.logit >= floor; });
    n = static_cast<size_t>(end - cands_.begin());
  }
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += std::exp((static_cast<double>(cands_[i].logit) - mx) / p.temperature);
  const double u = uniform() * total;
  double cum = 0;
  for (size_t i = 0; i < n; ++i) {
    cum += std::exp((static_cast<double>(cands_[i].logit) - mx) / p.temperature);
    if (u < cum) return cands_[i].id;
  }
  return cands_[n - 1].id;  // u landed on the rounding edge
}

int32_t Sampler::sample(const float* logits, TokenEvent* ev, const uint64_t* allowed) {
  scratch_.assign(logits, logits + n_vocab_);
  for (const auto& [id, bias] : params_.logit_bias) scratch_[id] += bias;
  apply_penalties(scratch_);
  if (allowed) {
    const float kOut = -std::numeric_limits<float>::infinity();
    for (int32_t i = 0; i < n_vocab_; ++i)
      if (!((allowed[i >> 6] >> (i & 63)) & 1)) scratch_[i] = kOut;
  }
  const int32_t tok = draw(scratch_);
  if (ev) fill_logprobs(scratch_, tok, ev);
  return tok;
}

}  // namespace qvl
