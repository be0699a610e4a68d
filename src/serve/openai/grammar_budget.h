// Structured output against max_tokens (serve layer): in thinking mode the
// answer keeps the tokens the grammar needs (ThinkingControl::answer_reserve),
// and the engine's CompletionSteering ends the output complete in time whenever
// max_tokens can hold it. When it cannot, /v1/chat/completions answers as
// before (finish_reason "length", the output cut), while the guide endpoints,
// which promise a complete document, refuse the request (400).
#pragma once
#include "engine/request.h"

namespace qvl::serve {

// gen.grammar must be set. Inside a RequireCompleteOutput scope, throws ApiError
// 400 (param max_tokens, code max_tokens_too_small) when gen.max_tokens is below
// the fewest tokens that complete the grammar (plus the </think> wrap-up when
// the prompt opens <think>).
void reserve_grammar_budget(GenerationRequest& gen);

// Marks the requests handled on this thread while it lives as ones that must
// come back complete (a guide endpoint running its chat completion).
class RequireCompleteOutput {
 public:
  RequireCompleteOutput();
  ~RequireCompleteOutput();
  RequireCompleteOutput(const RequireCompleteOutput&) = delete;
  RequireCompleteOutput& operator=(const RequireCompleteOutput&) = delete;
  static bool active();

 private:
  bool outer_;
};

}  // namespace qvl::serve
