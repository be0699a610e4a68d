// Shortest completion: appended to a prefix it completes the grammar, and its
// length equals a breadth-first search over the automaton's bytes.
#include <gtest/gtest.h>

#include <map>
#include <queue>
#include <random>

#include <nlohmann/json.hpp>

#include "grammar/compiled_grammar.h"
#include "grammar/front_ends.h"

namespace qvl::grammar {
namespace {

// Fewest bytes from s to an accepting state (BFS; every byte tried).
int bfs_distance(CompiledGrammar& g, CompiledGrammar::StateId s, int limit) {
  std::map<CompiledGrammar::StateId, int> dist{{s, 0}};
  std::queue<CompiledGrammar::StateId> q;
  q.push(s);
  while (!q.empty()) {
    auto x = q.front();
    q.pop();
    if (g.accepts(x)) return dist[x];
    if (dist[x] >= limit) continue;
    for (int b = 0; b < 256; ++b) {
      auto y = g.step(x, static_cast<uint8_t>(b));
      if (y != CompiledGrammar::kDead && !dist.count(y)) {
        dist[y] = dist[x] + 1;
        q.push(y);
      }
    }
  }
  return -1;
}

TEST(Completion, ShortestAndCompleting) {
  struct Case {
    Grammar g;
    std::string text;
  };
  std::vector<Case> cases;
  cases.push_back({compile_json_schema(nlohmann::ordered_json::parse(R"({"type":"object","properties":{
      "name":{"type":"string","minLength":3},"tags":{"type":"array","items":{"enum":["ab","c"]},"minItems":2},
      "n":{"type":"integer","minimum":100}},"required":["name","tags","n"],"additionalProperties":false})")),
                   R"({"name": "Qwen", "tags": ["ab", "c", "ab"], "n": 12345})"});
  cases.push_back({parse_gbnf("root ::= \"(\" root \")\" | \"x\" [0-9]{3}\n"), "((((x123))))"});
  cases.push_back({compile_regex("[a-z]{2,4}@(gmail|example)\\.(com|org)"), "abc@example.org"});
  int checked = 0;
  for (Case& c : cases) {
    CompiledGrammar g(c.g);
    auto s = g.initial();
    for (size_t i = 0; i <= c.text.size(); ++i) {
      if (i > 0) s = g.step(s, static_cast<uint8_t>(c.text[i - 1]));
      ASSERT_NE(s, CompiledGrammar::kDead) << c.text.substr(0, i);
      std::string tail;
      ASSERT_TRUE(g.shortest_completion(s, &tail)) << c.text.substr(0, i);
      auto end = g.step(s, tail);
      ASSERT_TRUE(end != CompiledGrammar::kDead && g.accepts(end)) << c.text.substr(0, i) << " + " << tail;
      ASSERT_EQ(static_cast<int>(tail.size()), bfs_distance(g, s, 40)) << c.text.substr(0, i) << " + " << tail;
      ++checked;
    }
  }
  EXPECT_GT(checked, 60);
}

}  // namespace
}  // namespace qvl::grammar
