// One request's state inside the engine (engine layer, private to engine.cpp):
// its tokens, how many are in the KV cache, positions and the per-request
// sampler, stop filter, thinking tracker and detokeniser.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/timer.h"
#include "engine/grammar_steering.h"
#include "engine/request.h"
#include "engine/sampler.h"
#include "engine/stop_filter.h"
#include "engine/thinking.h"
#include "input/tokenizer/tokenizer.h"

namespace qvl {

struct Sequence {
  Sequence(uint64_t id_, GenerationRequest r, const Tokenizer& tok, int32_t n_vocab)
      : id(id_),
        req(std::move(r)),
        sampler(req.sampling, n_vocab),
        thinking(req.thinking, req.max_tokens),
        stops(req.stop_strings),
        decoder(tok, /*skip_special=*/true) {
    n_prompt = static_cast<int>(req.prompt.tokens.size());
    tokens = req.prompt.tokens;
    gen_pos = n_prompt;
    if (!req.prompt.positions.empty()) {
      int32_t mx = -1;
      for (const auto& p : req.prompt.positions) mx = std::max({mx, p[0], p[1], p[2]});
      gen_pos = mx + 1;
    }
    for (int32_t t : tokens) sampler.accept(t, false);
  }

  // (t, h, w) rotary position of token i: the prompt's own, then continuing
  // after the largest prompt position (as HF's get_rope_index does for text).
  std::array<int32_t, 3> position(int i) const {
    if (i < n_prompt && !req.prompt.positions.empty()) return req.prompt.positions[i];
    const int32_t p = i < n_prompt ? i : gen_pos + (i - n_prompt);
    return {p, p, p};
  }
  // Embedding override of prompt token i: {span index, row}, or {-1, -1}.
  std::pair<int, int> embedding_of(int i) const {
    if (i >= n_prompt) return {-1, -1};
    for (size_t k = 0; k < req.prompt.embeddings.size(); ++k) {
      const auto& e = req.prompt.embeddings[k];
      if (i >= e.start && i < e.start + e.n_tokens) return {static_cast<int>(k), i - e.start};
    }
    return {-1, -1};
  }
  int unfed() const { return static_cast<int>(tokens.size()) - n_fed; }

  uint64_t id;
  GenerationRequest req;
  Sampler sampler;
  std::vector<uint64_t> grammar_mask;  // the next-token mask of req.grammar
  // grammar_mask was filled during this step's forward pass (grammar_mask_overlap.h);
  // grammar_mask_error: what that threw, empty when it worked.
  bool grammar_mask_ready = false;
  std::string grammar_mask_error;
  CompletionSteering steering;         // keeps req.grammar completable within max_tokens
  ThinkingTracker thinking;
  StopFilter stops;
  IncrementalDecoder decoder;

  int n_prompt = 0;
  int32_t gen_pos = 0;
  std::vector<int32_t> tokens;  // prompt, then output (sampled or injected)
  int n_fed = 0;                // tokens[0, n_fed) are in the KV cache
  int kv_seq = -1;
  int completion = 0;
  bool done = false;
  bool queued = false;      // counted in the engine's queue gauges (incoming or waiting)
  bool in_step = false;     // has a chunk in the batch being built (never preempted then)
  bool preempted = false;   // KV dropped this step; goes back to the queue's head
  int preemptions = 0;
  uint64_t admitted_seq = 0;  // admission counter: higher = newer (preempted first)
  // Prefix caching (prefix_keys.h): keys of the full blocks computed so far, the
  // features' digest per embedding span, blocks already offered for sharing, and
  // prompt tokens found in the cache at first admission.
  std::vector<std::string> block_keys;
  std::vector<std::string> span_digests;
  int64_t n_published = 0;
  int cached_tokens = 0;
  int klass() const { return static_cast<int>(req.request_class); }

  Timer since_submit;
  double queue_ms = 0, first_token_ms = 0;
};

}  // namespace qvl
