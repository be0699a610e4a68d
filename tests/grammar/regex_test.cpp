// Regex front end against std::regex's ECMAScript engine (full match) on
// seeded random strings, plus the constructs it must refuse.
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "grammar/front_ends.h"
#include "grammar_test_util.h"

namespace qvl::grammar {
namespace {

using testing::full_match;

TEST(Regex, AgreesWithStdRegexOnAsciiStrings) {
  // Each pattern with one string it matches, so both answers are exercised.
  const std::pair<const char*, const char*> patterns[] = {
      {"a|b|ab", "ab"},         {"(ab)*c?", "ababc"},      {"[a-c]{2,3}", "cab"},   {"a+?b*", "aab"},
      {"\\d{3}-\\d{2}", "019-12"}, {"[^abc]+", "xyz"},   {"(?:x|yz){1,2}", "yzx"}, {"\\w+\\s\\w*", "ab c"},
      {"a.c", "a-c"},           {"[\\d.]+", "1.0"},         {"(a|b)*abb", "babb"},   {"x{2,}", "xxx"},
      {"[-a]b", "-b"},          {"\\.\\*\\[", ".*["},       {"(?:ab)|ba", "ba"},     {"[a-c\\-x]*", "a-x"},
      {"\\x41\\u0042", "AB"},   {"^ab$", "ab"},            {"a\\/b", "a/b"},       {"\\S\\D\\W", "ab-"},
  };
  std::string alphabet = "abcxyz019 -.*[/AB\n";
  std::mt19937 rng(11);
  for (auto [p, example] : patterns) {
    Grammar g = compile_regex(p);
    CompiledGrammar cg(g);
    std::regex ref(p, std::regex::ECMAScript);
    int yes = 0;
    for (int i = 0; i < 3000; ++i) {
      std::uniform_int_distribution<size_t> len(0, 6), pick(0, alphabet.size() - 1);
      std::string s;
      for (size_t n = len(rng); n > 0; --n) s += alphabet[pick(rng)];
      if (i == 0) s = example;
      if (i % 3 == 1) {  // the example with one random character replaced
        s = example;
        s[pick(rng) % s.size()] = alphabet[pick(rng)];
      }
      auto st = cg.step(cg.initial(), s);
      bool ours = st != CompiledGrammar::kDead && cg.accepts(st);
      bool want = std::regex_match(s, ref);
      ASSERT_EQ(ours, want) << "pattern " << p << " string \"" << s << "\"";
      yes += want;
    }
    EXPECT_GT(yes, 0) << p;
  }
}

TEST(Regex, UnicodeClasses) {
  Grammar g = compile_regex("[\\u4e00-\\u9fff]{2}\\u{1F600}?.");
  EXPECT_TRUE(full_match(g, "\xE4\xB8\xAD\xE6\x96\x87x"));
  EXPECT_TRUE(full_match(g, "\xE4\xB8\xAD\xE6\x96\x87\xF0\x9F\x98\x80\xC3\xA9"));
  EXPECT_FALSE(full_match(g, "\xE4\xB8\xAD\xE6\x96\x87\n"));  // "." excludes line terminators
}

TEST(Regex, RefusesWhatItCannotEnforce) {
  for (const char* p : {"(a)\\1", "a(?=b)", "(?!x)y", "\\bword", "a^b", "(a$)", "(?<=a)b"}) {
    try {
      compile_regex(p);
      ADD_FAILURE() << p << " compiled";
    } catch (const Unsupported& e) {
      EXPECT_EQ(std::string(e.what()).rfind("unsupported: ", 0), 0u) << p;
    }
  }
  EXPECT_THROW(compile_regex("(ab"), Error);
  EXPECT_THROW(compile_regex("ab)"), Error);
  EXPECT_THROW(compile_regex("[b-a]"), Error);
  EXPECT_THROW(compile_regex("*a"), Error);
}

}  // namespace
}  // namespace qvl::grammar

namespace qvl::grammar {
namespace {

TEST(Regex, NamedGroupsAreGroups) {
  EXPECT_TRUE(testing::full_match(compile_regex("(?<year>\\d{4})-x"), "2024-x"));
  EXPECT_FALSE(testing::full_match(compile_regex("(?<year>\\d{4})-x"), "202-x"));
}

}  // namespace
}  // namespace qvl::grammar
