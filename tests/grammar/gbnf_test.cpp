// GBNF front end: syntax (literals, escapes, classes, repetition, comments,
// multi-line groups), UTF-8 characters, and errors that name their cause.
#include <gtest/gtest.h>

#include "grammar/front_ends.h"
#include "grammar_test_util.h"

namespace qvl::grammar {
namespace {

using testing::full_match;
using testing::viable_prefix;

TEST(Gbnf, LiteralsClassesAndRepetition) {
  Grammar g = parse_gbnf(R"(
# a comment
root ::= "ab" [0-9]{2,3} x? ( "-" | "+" )+   # trailing comment
x ::= [^a-z\n]
)");
  EXPECT_TRUE(full_match(g, "ab12-"));
  EXPECT_TRUE(full_match(g, "ab123+-+"));
  EXPECT_TRUE(full_match(g, "ab12Z-"));
  EXPECT_TRUE(full_match(g, "ab12\xC3\xA9-"));  // é is outside a-z
  EXPECT_FALSE(full_match(g, "ab1-"));
  EXPECT_FALSE(full_match(g, "ab12345-"));
  EXPECT_FALSE(full_match(g, "ab12q-"));
  EXPECT_FALSE(full_match(g, "ab12"));
  EXPECT_TRUE(viable_prefix(g, "ab12"));
}

TEST(Gbnf, EscapesAndUnicode) {
  Grammar g = parse_gbnf("root ::= \"\\x41\\u00e9\\U0001F600\\n\\\"\" [\\u4e00-\\u9fff]+ .\n");
  EXPECT_TRUE(full_match(g, "A\xC3\xA9\xF0\x9F\x98\x80\n\"\xE4\xB8\xAD\xE6\x96\x87!"));
  EXPECT_FALSE(full_match(g, "A\xC3\xA9\xF0\x9F\x98\x80\n\"!"));
  // "." is one whole character, never a lone byte of one.
  Grammar dot = parse_gbnf("root ::= . .\n");
  EXPECT_TRUE(full_match(dot, "\xE4\xB8\xAD\xF0\x9F\x98\x80"));
  EXPECT_FALSE(full_match(dot, "\xE4\xB8"));
  EXPECT_FALSE(viable_prefix(dot, "\xFF"));
  EXPECT_FALSE(viable_prefix(dot, "\xED\xA0\x80"));  // a UTF-16 surrogate is not UTF-8
}

TEST(Gbnf, CountedRepetitionForms) {
  Grammar g = parse_gbnf("root ::= \"a\"{3} \"b\"{,2} \"c\"{1,} \"d\"{0}\n");
  EXPECT_TRUE(full_match(g, "aaac"));
  EXPECT_TRUE(full_match(g, "aaabbccc"));
  EXPECT_FALSE(full_match(g, "aaabbbc"));
  EXPECT_FALSE(full_match(g, "aac"));
  EXPECT_FALSE(full_match(g, "aaacd"));
}

TEST(Gbnf, MultiLineGroupsAndForwardReferences) {
  Grammar g = parse_gbnf(R"(root ::= (
    item
    | "none"
  )
item ::= "[" [a-z]* "]"
)");
  EXPECT_TRUE(full_match(g, "[abc]"));
  EXPECT_TRUE(full_match(g, "none"));
  EXPECT_FALSE(full_match(g, "[abc"));
}

TEST(Gbnf, ErrorsNameTheirCause) {
  auto message = [](const char* text) {
    try {
      parse_gbnf(text);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("root ::= foo\n").find("undefined rule 'foo'"), std::string::npos);
  EXPECT_NE(message("a ::= \"x\"\n").find("no 'root'"), std::string::npos);
  EXPECT_NE(message("root ::= \"x\n").find("unterminated"), std::string::npos);
  EXPECT_NE(message("root ::= [b-a]\n").find("line 1: character range out of order"), std::string::npos);
  EXPECT_NE(message("root ::= \"a\" \"b\"\n | \"c\"\n").find("line 2"), std::string::npos);
  EXPECT_NE(message("root ::= <[123]>\n").find("unsupported: gbnf token references"), std::string::npos);
  EXPECT_NE(message("root ::= \"a\"\nroot ::= \"b\"\n").find("defined twice"), std::string::npos);
  EXPECT_NE(message("root ::= * \"a\"\n").find("without a preceding element"), std::string::npos);
}

}  // namespace
}  // namespace qvl::grammar
