// reserve_grammar_budget (see grammar_budget.h).
#include "serve/openai/grammar_budget.h"

#include "base/error.h"
#include "grammar/completion_plan.h"
#include "serve/http/api_error.h"

namespace qvl::serve {
namespace {
thread_local bool tl_require_complete = false;
}  // namespace

RequireCompleteOutput::RequireCompleteOutput() : outer_(tl_require_complete) { tl_require_complete = true; }
RequireCompleteOutput::~RequireCompleteOutput() { tl_require_complete = outer_; }
bool RequireCompleteOutput::active() { return tl_require_complete; }

void reserve_grammar_budget(GenerationRequest& gen) {
  const int64_t least = grammar::tokens_to_complete(*gen.grammar);
  if (least < 0) throw ApiError(400, "the grammar matches no output at all", "", "invalid_grammar");
  int64_t need = least;
  if (gen.thinking.starts_open)  // the wrap-up (or a bare </think>) comes before the constrained answer
    need += gen.thinking.wrapup_tokens.empty() ? 1 : static_cast<int64_t>(gen.thinking.wrapup_tokens.size());
  if (gen.max_tokens < need && RequireCompleteOutput::active())
    throw ApiError(400, str("max_tokens (", gen.max_tokens, ") is below the ", need,
                            " tokens that the shortest output allowed by the requested format needs"),
                   "max_tokens", "max_tokens_too_small");
  gen.thinking.answer_reserve = static_cast<int>(least);
}

}  // namespace qvl::serve
