// ThinkingTracker: sentence ends, budget with grace, answer floor, think tags.
#include "engine/thinking.h"

#include <gtest/gtest.h>

namespace qvl {
namespace {

constexpr int32_t kOpen = 100, kClose = 101;

ThinkingControl control(int budget, int grace, int floor, bool open) {
  ThinkingControl c;
  c.starts_open = open;
  c.budget = budget;
  c.sentence_grace = grace;
  c.answer_floor = floor;
  c.think_start_id = kOpen;
  c.think_end_id = kClose;
  c.wrapup_tokens = {7, 8, kClose, 9};
  return c;
}

TEST(Thinking, SentenceEnds) {
  EXPECT_TRUE(ends_sentence("done."));
  EXPECT_TRUE(ends_sentence("?"));
  EXPECT_TRUE(ends_sentence("!"));
  EXPECT_TRUE(ends_sentence("\n"));
  EXPECT_TRUE(ends_sentence("好。"));
  EXPECT_TRUE(ends_sentence("！"));
  EXPECT_TRUE(ends_sentence("吗？"));
  EXPECT_FALSE(ends_sentence("word"));
  EXPECT_FALSE(ends_sentence(". "));
  EXPECT_FALSE(ends_sentence(""));
}

TEST(Thinking, BudgetWaitsForSentenceEnd) {
  ThinkingTracker t(control(3, 5, 0, true), 1000);
  EXPECT_TRUE(t.in_think());
  EXPECT_FALSE(t.should_inject());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(t.on_token(1, false));
  EXPECT_FALSE(t.should_inject());  // budget spent, sentence still open
  t.on_token(2, true);
  EXPECT_TRUE(t.should_inject());
  const auto w = t.take_wrapup();
  EXPECT_EQ(w, (std::vector<int32_t>{7, 8, kClose, 9}));
  EXPECT_TRUE(t.on_token(7, false));
  EXPECT_TRUE(t.on_token(8, false));
  EXPECT_TRUE(t.on_token(kClose, false));  // </think> is still reasoning
  EXPECT_FALSE(t.on_token(9, false));      // the answer
  EXPECT_FALSE(t.in_think());
  EXPECT_EQ(t.reasoning_tokens(), 7);
  EXPECT_TRUE(t.budget_hit());
  EXPECT_FALSE(t.should_inject());
}

TEST(Thinking, GraceRunsOut) {
  ThinkingTracker t(control(2, 3, 0, true), 1000);
  for (int i = 0; i < 4; ++i) {
    t.on_token(1, false);
    EXPECT_FALSE(t.should_inject()) << i;
  }
  t.on_token(1, false);  // 5 = budget 2 + grace 3
  EXPECT_TRUE(t.should_inject());
}

TEST(Thinking, ZeroBudgetInjectsBeforeFirstToken) {
  ThinkingTracker t(control(0, 5, 0, true), 1000);
  EXPECT_TRUE(t.should_inject());
}

TEST(Thinking, AnswerFloorCapsThinkingWithoutBudget) {
  // max_tokens 100, floor min(64, 50) = 50: reasoning incl. 4 wrap-up tokens <= 50.
  ThinkingTracker t(control(-1, 5, 64, true), 100);
  int n = 0;
  while (!t.should_inject()) {
    t.on_token(1, false);
    ++n;
    ASSERT_LT(n, 100);
  }
  EXPECT_EQ(n, 46);
  for (int32_t w : t.take_wrapup()) t.on_token(w, false);
  EXPECT_EQ(t.reasoning_tokens(), 49);  // 46 + 7, 8, </think>
  EXPECT_LE(t.reasoning_tokens(), 50);
}

TEST(Thinking, ModelOpensThinkItself) {
  ThinkingTracker t(control(-1, 5, 0, false), 1000);
  EXPECT_FALSE(t.on_token(5, false));
  EXPECT_TRUE(t.on_token(kOpen, false));
  EXPECT_TRUE(t.on_token(5, false));
  EXPECT_TRUE(t.on_token(kClose, false));
  EXPECT_FALSE(t.on_token(5, false));
  EXPECT_EQ(t.reasoning_tokens(), 3);
  EXPECT_FALSE(t.budget_hit());
}

TEST(Thinking, NoWrapupFallsBackToThinkEnd) {
  ThinkingControl c = control(1, 0, 0, true);
  c.wrapup_tokens.clear();
  ThinkingTracker t(c, 1000);
  t.on_token(1, false);
  EXPECT_TRUE(t.should_inject());
  EXPECT_EQ(t.take_wrapup(), (std::vector<int32_t>{kClose}));
}

}  // namespace
}  // namespace qvl
