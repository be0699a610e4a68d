// Structured output against max_tokens (serve layer): a grammar that cannot be
// completed within max_tokens is refused up front (400), and in thinking mode
// the answer keeps the tokens the grammar needs (ThinkingControl::answer_reserve);
// the engine's CompletionSteering then ends the output complete in time.
#pragma once
#include "engine/request.h"

namespace qvl::serve {

// gen.grammar must be set. Throws ApiError 400 (param max_tokens, code
// max_tokens_too_small) when gen.max_tokens is below the fewest tokens that
// complete the grammar (plus the </think> wrap-up when the prompt opens <think>).
void reserve_grammar_budget(GenerationRequest& gen);

}  // namespace qvl::serve
