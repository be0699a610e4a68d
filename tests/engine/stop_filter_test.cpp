// StopFilter: stop strings spanning tokens, held-back prefixes that turn out not
// to match, earliest match among several, reasoning bypass.
#include "engine/stop_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qvl {
namespace {

TokenEvent ev(int32_t id, const std::string& text, bool reasoning = false) {
  TokenEvent e;
  e.token = id;
  e.text = text;
  e.in_reasoning = reasoning;
  return e;
}

struct Out {
  std::vector<int32_t> ids;
  std::string text;
  void add(const std::vector<TokenEvent>& v) {
    for (const auto& e : v) {
      ids.push_back(e.token);
      text += e.text;
    }
  }
};

TEST(StopFilter, NoStopsPassesThrough) {
  StopFilter f({});
  Out o;
  o.add(f.push(ev(1, "ab")));
  o.add(f.push(ev(2, "cd")));
  EXPECT_EQ(o.text, "abcd");
  EXPECT_FALSE(f.matched());
}

TEST(StopFilter, MatchSpanningTokensCutsBeforeIt) {
  StopFilter f({"STOP"});
  Out o;
  o.add(f.push(ev(1, "Hel")));
  EXPECT_EQ(o.text, "Hel");  // cannot start "STOP": released at once
  o.add(f.push(ev(2, "lo ST")));
  EXPECT_EQ(o.text, "Hel");  // "ST" may begin the stop string: held
  o.add(f.push(ev(3, "OP more")));
  EXPECT_TRUE(f.matched());
  EXPECT_EQ(o.text, "Hello ");
  EXPECT_EQ(o.ids, (std::vector<int32_t>{1, 2}));  // token 3 lies wholly in the match
  EXPECT_TRUE(f.push(ev(4, "x")).empty());
}

TEST(StopFilter, FalseStartIsReleased) {
  StopFilter f({"STOP"});
  Out o;
  o.add(f.push(ev(1, "ST")));
  EXPECT_TRUE(o.ids.empty());
  o.add(f.push(ev(2, "ART")));
  EXPECT_EQ(o.text, "START");
  EXPECT_FALSE(f.matched());
}

TEST(StopFilter, FlushReleasesHeldPrefix) {
  StopFilter f({"</answer>"});
  Out o;
  o.add(f.push(ev(1, "42</ans")));
  EXPECT_EQ(o.text, "");
  o.add(f.flush());
  EXPECT_EQ(o.text, "42</ans");
}

TEST(StopFilter, EarliestOfSeveralStopsWins) {
  StopFilter f({"world", "lo w"});
  Out o;
  o.add(f.push(ev(1, "hello world")));
  EXPECT_TRUE(f.matched());
  EXPECT_EQ(o.text, "hel");
}

TEST(StopFilter, MatchInsideOneToken) {
  StopFilter f({"\n\n"});
  Out o;
  o.add(f.push(ev(1, "a")));
  o.add(f.push(ev(2, "b\n\nc")));
  EXPECT_TRUE(f.matched());
  EXPECT_EQ(o.text, "ab");
  EXPECT_EQ(o.ids, (std::vector<int32_t>{1, 2}));
}

TEST(StopFilter, ReasoningTextIsNotMatched) {
  StopFilter f({"STOP"});
  Out o;
  o.add(f.push(ev(1, "STOP here", /*reasoning=*/true)));
  EXPECT_FALSE(f.matched());
  EXPECT_EQ(o.text, "STOP here");
}

}  // namespace
}  // namespace qvl
