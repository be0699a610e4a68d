// Hostile grammars: deep nesting, multiplying repetitions and huge inputs end
// in a clear qvl::Error, never a crash, a hang or unbounded memory.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "grammar/compiled_grammar.h"
#include "grammar/front_ends.h"

namespace qvl::grammar {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Hostile, DeepNestingIsRefused) {
  std::string re = std::string(100000, '(') + "a" + std::string(100000, ')');
  EXPECT_NE(error_of([&] { compile_regex(re); }).find("nested more than"), std::string::npos);
  std::string gbnf = "root ::= " + std::string(100000, '(') + "\"a\"" + std::string(100000, ')') + "\n";
  EXPECT_NE(error_of([&] { parse_gbnf(gbnf); }).find("nested more than"), std::string::npos);
  std::string lark = "start: " + std::string(100000, '(') + "\"a\"" + std::string(100000, ')') + "\n";
  EXPECT_NE(error_of([&] { parse_lark(lark); }).find("nested more than"), std::string::npos);
  nlohmann::ordered_json schema = {{"type", "string"}};
  for (int i = 0; i < 1000; ++i) schema = {{"type", "array"}, {"items", schema}};
  EXPECT_NE(error_of([&] { compile_json_schema(schema); }).find("nested more than"), std::string::npos);
  nlohmann::ordered_json value = 1;
  for (int i = 0; i < 1000; ++i) value = nlohmann::ordered_json::array({value});
  EXPECT_NE(error_of([&] { compile_json_schema({{"const", value}}); }).find("nested more than"), std::string::npos);
}

TEST(Hostile, MultiplyingRepetitionIsBounded) {
  // A long literal repeated: the copies would hold 5000 * 9999 elements.
  std::string big = "root ::= \"" + std::string(5000, 'x') + "\"{9999}\n";
  EXPECT_NE(error_of([&] { parse_gbnf(big); }).find("grammar too large"), std::string::npos);
  EXPECT_NE(error_of([] { compile_regex("a{100001}"); }).find("repetition"), std::string::npos);
  // Groups are rules, so nested counts stay small to compile; matching a
  // billion-long count then runs into the automaton's state limit instead.
  CompiledGrammar g(compile_regex("((a{1000}){1000}){1000}"));
  std::string err = error_of([&] {
    auto s = g.initial();
    for (int i = 0; i < 100000 && s != CompiledGrammar::kDead; ++i) s = g.step(s, 'a');
  });
  EXPECT_NE(err.find("state limit"), std::string::npos) << err;
}

TEST(Hostile, AutomatonStateLimitEndsInAnError) {
  // 2^20 reachable byte configurations of an ambiguous grammar: the lazily built
  // automaton stops at its state limit with an error instead of growing.
  CompiledGrammar g(compile_regex("(a|b)*a(a|b){20}"));
  std::string err = error_of([&] {
    std::mt19937 rng(3);
    auto s = g.initial();
    for (int i = 0; i < 400000 && s != CompiledGrammar::kDead; ++i) s = g.step(s, static_cast<uint8_t>("ab"[rng() % 2]));
  });
  EXPECT_NE(err.find("state limit"), std::string::npos) << err;
}

}  // namespace
}  // namespace qvl::grammar
