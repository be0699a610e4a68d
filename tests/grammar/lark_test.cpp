// Lark-style EBNF front end: rules and terminals, literals (with the i flag),
// regexes, ranges, optional/repeat forms, %import common and %ignore.
#include <gtest/gtest.h>

#include "grammar/front_ends.h"
#include "grammar_test_util.h"

namespace qvl::grammar {
namespace {

using testing::full_match;

TEST(Lark, CalculatorWithIgnoredWhitespace) {
  Grammar g = parse_lark(R"G(
// a calculator
?start: sum
?sum: product
    | sum_tail
sum_tail: product (("+" | "-") product)+
?product: atom (("*" | "/") atom)*
?atom: NUMBER -> number
     | "-" atom
     | NAME
     | "(" sum ")"
NAME: /[a-z_]+/
%import common.NUMBER
%import common.WS_INLINE
%ignore WS_INLINE
)G");
  EXPECT_TRUE(full_match(g, "1+2"));
  EXPECT_TRUE(full_match(g, " 1 + 2 * ( x - 3.5e2 ) "));
  EXPECT_TRUE(full_match(g, "-foo"));
  EXPECT_FALSE(full_match(g, "1 +"));
  EXPECT_FALSE(full_match(g, "1\n+2"));  // only inline whitespace is ignored
  EXPECT_FALSE(full_match(g, "fo o"));    // not inside a terminal
}

TEST(Lark, LiteralsRangesRepetition) {
  Grammar g = parse_lark(
      "start: \"select\"i _WS LETTER~2..3 [\"!\"] DIGIT~2 \"a\"..\"c\"*\n"
      "_WS: \" \"+\n"
      "LETTER: \"a\"..\"z\"\n"
      "%import common.DIGIT\n");
  EXPECT_TRUE(full_match(g, "SeLeCt  ab12"));
  EXPECT_TRUE(full_match(g, "select abc!12cab"));
  EXPECT_FALSE(full_match(g, "select a12"));
  EXPECT_FALSE(full_match(g, "select abcd12"));
  EXPECT_FALSE(full_match(g, "select ab1"));
  EXPECT_FALSE(full_match(g, "select ab12d"));
}

TEST(Lark, ErrorsAndRefusals) {
  EXPECT_THROW(parse_lark("rule: \"a\"\n"), Error);  // no start
  EXPECT_THROW(parse_lark("start: missing\n"), Error);
  EXPECT_THROW(parse_lark("start: \"a\n"), Error);
  EXPECT_THROW(parse_lark("start: \"a\"\n%import foo.BAR\n"), Unsupported);
  EXPECT_THROW(parse_lark("start: \"a\"\n%declare X\n"), Unsupported);
  EXPECT_THROW(parse_lark("start: /a/i\n"), Unsupported);
}

}  // namespace
}  // namespace qvl::grammar
