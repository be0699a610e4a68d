// CompletionSteering (engine layer): keeps a grammar-constrained output
// completable within max_tokens. It holds a plan (a completion of the matcher's
// state and the fewest tokens that spell it). While the plan needs clearly fewer
// tokens than the budget left, sampling is free under the grammar mask, and each
// sampled token is checked: if its state could no longer finish in time it is
// taken back and the choice is narrowed. Once the budget gets within kMargin
// tokens of the plan, the mask is narrowed to tokens that are prefixes of the
// plan and leave a suffix that fits: the output ends complete at max_tokens at
// the latest. See docs/GRAMMAR.md ("Steering to completion").
#pragma once
#include <cstdint>

#include "grammar/completion_plan.h"
#include "grammar/matcher.h"

namespace qvl {

class CompletionSteering {
 public:
  // Tokens of slack kept above the plan's cost before narrowing starts, so the
  // model is steered a few tokens early rather than forced on the last one.
  static constexpr int kMargin = 4;

  // Before sampling, with `budget` tokens left (this one included) and `mask`
  // the grammar's next-token mask. Narrows the mask when the budget is close
  // (always when `force`); returns whether it did. False with an unchanged mask
  // when no completing path exists (the grammar cannot finish at all).
  bool narrow(grammar::Matcher& m, int64_t budget, uint64_t* mask, bool force);

  // After m accepted token t (sampled from a mask narrowed or not): whether the
  // new state still completes within budget_left tokens. When it does not, the
  // caller rolls the token back and samples again from narrow(..., force=true).
  bool still_fits(grammar::Matcher& m, int32_t t, bool narrowed, int64_t budget_left);

 private:
  bool refresh(grammar::Matcher& m);  // plan_ := the better of plan_ and a fresh shortest completion

  grammar::CompletionPlan plan_;
  bool valid_ = false;  // plan_ completes the matcher's current state
};

}  // namespace qvl
