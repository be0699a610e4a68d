// Per-sequence token sampler (engine layer): logit bias, penalties, top-k, top-p,
// min-p, temperature and a seeded draw, plus log-probabilities. Works on one row
// of logits; knows nothing about batches, stop rules or thinking.
//
// Order (llama.cpp's default chain, where order changes the result):
//   logit_bias -> penalties (repetition, presence, frequency) -> [log-probs taken here]
//   -> top_k -> top_p -> min_p -> temperature -> draw.
// temperature <= 0 is greedy: argmax after bias and penalties (ties -> lowest id).
// Because temperature comes last (as in llama.cpp, unlike HF), top_p and min_p
// see the untempered distribution.
//
// Log-probabilities are the log-softmax of the logits after bias and penalties
// and before truncation and temperature: they describe the model (plus the
// caller's explicit adjustments), not the sampling knobs, so the same request at
// different temperatures reports the same numbers.
//
// Penalty window: the last penalty_last_n tokens of the context (prompt +
// generated; -1 = all). Repetition penalty (HF-style: positive logits divided,
// negative multiplied) applies to every distinct token in the window; presence
// and frequency penalties (OpenAI-style: logit -= presence + frequency * count)
// count only generated tokens inside that window.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "engine/request.h"

namespace qvl {

class Sampler {
 public:
  Sampler(const SamplingParams& params, int32_t n_vocab);  // throws qvl::Error on bad params

  // Context tokens the penalties look at: call for each prompt token (generated
  // = false) and each output token (generated = true), in order.
  void accept(int32_t token, bool generated);

  // Picks the next token from logits[n_vocab] (left unchanged). Fills
  // ev->token, ev->logprob and ev->top (params.n_logprobs best) when ev != nullptr.
  // allowed (a grammar's mask, bit t of word t/64, n_vocab bits): the other
  // tokens get -inf right after bias and penalties, so greedy choice, sampling
  // and log-probs all see the constrained distribution. At least one bit must be set.
  int32_t sample(const float* logits, TokenEvent* ev, const uint64_t* allowed = nullptr);

  const SamplingParams& params() const { return params_; }

 private:
  struct Cand {
    int32_t id;
    float logit;
  };
  void apply_penalties(std::vector<float>& x) const;
  void fill_logprobs(const std::vector<float>& x, int32_t chosen, TokenEvent* ev) const;
  int32_t draw(const std::vector<float>& x);
  double uniform();  // [0, 1) from the per-request generator, same on every platform

  SamplingParams params_;
  int32_t n_vocab_;
  std::mt19937_64 rng_;
  std::vector<int32_t> history_;        // context tokens, oldest first
  std::vector<uint8_t> generated_;      // parallel to history_
  std::vector<float> scratch_;
  std::vector<Cand> cands_;
};

}  // namespace qvl
