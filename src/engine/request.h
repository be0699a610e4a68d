// What a caller hands the engine for one generation, and what comes back.
// Token-level only: text stop strings are matched here too (via the tokenizer),
// but JSON, HTTP and chat templates never reach this layer.
#pragma once
#include <memory>

#include "grammar/matcher.h"
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace qvl {

struct SamplingParams {
  float temperature = 0.0f;  // 0 = greedy
  int top_k = 0;             // 0 = off
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;  // HF-style: divide positive logits, multiply negative
  float presence_penalty = 0.0f;    // OpenAI-style, over generated tokens
  float frequency_penalty = 0.0f;
  int penalty_last_n = 64;          // window for the penalties (-1 = whole context)
  uint64_t seed = 0;
  std::map<int32_t, float> logit_bias;
  int n_logprobs = 0;  // top alternatives reported per token (0 = none)
};

// Thinking budget: when `budget` reasoning tokens have been generated inside an
// open <think> block, the engine lets the current sentence finish (up to
// `sentence_grace` more tokens), then injects wrapup_tokens (ending with
// </think>) and the model answers. answer_floor tokens of max_tokens are kept
// for the answer whatever the budget.
struct ThinkingControl {
  bool starts_open = false;  // the prompt already opened <think>
  int budget = -1;           // < 0: no budget
  int sentence_grace = 32;
  int answer_floor = 64;
  // Tokens always kept for the answer, not halved on small max_tokens: the
  // fewest tokens that complete a structured-output grammar (set by the server).
  int answer_reserve = 0;
  int32_t think_start_id = -1, think_end_id = -1;
  std::vector<int32_t> wrapup_tokens;  // e.g. "\n\nConsidering the limited time, I'll answer now.\n</think>\n\n"
};

// Vision features for a span of prompt positions (one image or video block).
struct EmbeddingSpan {
  int32_t start = 0;     // first prompt index replaced
  int32_t n_tokens = 0;
  std::vector<float> main;                    // [n_tokens, H]: replaces the token embedding
  std::vector<std::vector<float>> deepstack;  // per DeepStack layer, [n_tokens, H], added after layer k
};

struct PromptInput {
  std::vector<int32_t> tokens;
  std::vector<std::array<int32_t, 3>> positions;  // (t, h, w) per token; empty = text (p, p, p)
  std::vector<EmbeddingSpan> embeddings;
};

struct TokenLogprob {
  int32_t id = 0;
  float logprob = 0.0f;
};

struct TokenEvent {
  int32_t token = 0;
  float logprob = 0.0f;
  std::vector<TokenLogprob> top;  // n_logprobs best alternatives
  bool injected = false;          // inserted by the thinking budget, not sampled
  bool in_reasoning = false;      // token lies inside <think>…</think> (including both tags)
  // The output text this token completes (UTF-8 safe; control tokens give "").
  // Concatenating `text` over all events gives the exact output: bytes that may
  // start a stop string are held back (the events are delayed) until decided,
  // and on a match the text is cut before it. Stop strings are matched only
  // outside reasoning.
  std::string text;
};

enum class FinishReason { kStop, kLength, kCancelled, kError };

// Scheduling class of a request: the engine admits instruct requests before
// thinking ones, caps each class's running sequences, prefills instruct prompts
// first and preempts thinking sequences first (engine.h). The serve layer sets
// it from the reasoning mode.
enum class RequestClass { kInstruct = 0, kThinking = 1 };
inline constexpr int kRequestClasses = 2;

struct GenerationResult {
  FinishReason finish = FinishReason::kStop;
  std::string error;  // when finish == kError
  int prompt_tokens = 0;
  int cached_tokens = 0;  // of prompt_tokens, those whose KV came from the prefix cache
  int completion_tokens = 0;
  int reasoning_tokens = 0;
  bool budget_hit = false;
  double queue_ms = 0, prefill_ms = 0, decode_ms = 0;
};

struct GenerationRequest {
  PromptInput prompt;
  SamplingParams sampling;
  int max_tokens = 256;
  std::vector<int32_t> stop_tokens;      // e.g. <|im_end|>, <|endoftext|>; not reported as output
  std::vector<std::string> stop_strings;  // text; output is cut before the match
  ThinkingControl thinking;
  RequestClass request_class = RequestClass::kInstruct;
  // Called on the engine thread for each output token; return false to cancel
  // (client gone). Must be quick: it runs inside the batch loop.
  std::function<bool(const TokenEvent&)> on_token;
  std::function<void(const GenerationResult&)> on_done;  // exactly once
  // Structured output: each sampled token must be allowed by this matcher,
  // which advances with it (ids past its vocabulary are never allowed); while the
  // output is inside <think> it is not constrained. The grammar's end-of-sequence
  // tokens should be among stop_tokens.
  std::shared_ptr<grammar::Matcher> grammar;
};

}  // namespace qvl
