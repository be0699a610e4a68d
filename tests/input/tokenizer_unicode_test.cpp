// Unit tests of the tokenizer's Unicode layer: classes, UTF-8 repair, NFC, and the
// Qwen2 split rule on hand-checked strings (expected pieces worked out from the regex).
#include <gtest/gtest.h>

#include "input/tokenizer/pretokenizer.h"
#include "input/tokenizer/unicode.h"

namespace qvl {
namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<Span> spans;
  pretokenize_qwen2(s, spans);
  std::vector<std::string> out;
  for (const Span& sp : spans) out.push_back(s.substr(sp.begin, sp.end - sp.begin));
  return out;
}

using V = std::vector<std::string>;

TEST(TokenizerUnicode, Classes) {
  EXPECT_TRUE(unicode::flags('a') & unicode::kLetter);
  EXPECT_TRUE(unicode::flags(0x4E2D) & unicode::kLetter);  // 中
  EXPECT_TRUE(unicode::flags(0x0663) & unicode::kNumber);  // Arabic-Indic three
  EXPECT_TRUE(unicode::flags(0x00B2) & unicode::kNumber);  // superscript two
  EXPECT_TRUE(unicode::flags(0x3000) & unicode::kWhiteSpace);
  EXPECT_TRUE(unicode::flags(0x0085) & unicode::kWhiteSpace);  // White_Space, unlike JavaScript's \s
  EXPECT_FALSE(unicode::flags(0xFEFF) & unicode::kWhiteSpace);  // JavaScript's \s has it, White_Space not
  EXPECT_EQ(unicode::flags(0x1F600), 0);                        // emoji: none of the classes
  EXPECT_EQ(unicode::flags(0x110000), 0);
}

TEST(TokenizerUnicode, RepairUtf8) {
  EXPECT_EQ(unicode::repair_utf8("abc"), "abc");
  EXPECT_EQ(unicode::repair_utf8("\xE4\xB8"), "\xEF\xBF\xBD");                    // truncated: one U+FFFD
  EXPECT_EQ(unicode::repair_utf8("\xE4\xB8x"), "\xEF\xBF\xBDx");
  EXPECT_EQ(unicode::repair_utf8("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");       // each bad byte
  EXPECT_EQ(unicode::repair_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(unicode::repair_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");       // overlong
  EXPECT_EQ(unicode::repair_utf8("\xF4\x90\x80\x80").size(), 12u);               // above U+10FFFF
  EXPECT_TRUE(unicode::is_valid_utf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(unicode::is_valid_utf8("\xF0\x9F\x98"));
}

TEST(TokenizerUnicode, Nfc) {
  EXPECT_FALSE(unicode::needs_nfc("plain ascii and caf\xC3\xA9"));
  EXPECT_EQ(unicode::to_nfc("e\xCC\x81"), "\xC3\xA9");                        // e + acute -> é
  EXPECT_EQ(unicode::to_nfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "\xEA\xB0\x81");  // jamo -> 각
  // d + dot below + dot above: reordered by class, dot below composes first: ḍ + dot above.
  EXPECT_EQ(unicode::to_nfc("d\xCC\x87\xCC\xA3"), "\xE1\xB8\x8D\xCC\x87");
  EXPECT_EQ(unicode::to_nfc("\xE2\x84\xAB"), "\xC3\x85");  // Angstrom sign -> Å (singleton)
  EXPECT_EQ(unicode::to_nfc("\xCC\x81" "a"), "\xCC\x81" "a");  // leading mark stays
}

TEST(TokenizerPretokenizer, Splits) {
  EXPECT_EQ(split("Hello, world!"), (V{"Hello", ",", " world", "!"}));
  EXPECT_EQ(split("I'm we'RE it's"), (V{"I", "'m", " we", "'RE", " it", "'s"}));
  EXPECT_EQ(split("x'y"), (V{"x", "'y"}));
  EXPECT_EQ(split("12345"), (V{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(split("a  b"), (V{"a", " ", " b"}));
  EXPECT_EQ(split("a \n\n b"), (V{"a", " \n\n", " b"}));
  EXPECT_EQ(split("x  "), (V{"x", "  "}));
  EXPECT_EQ(split("{ } ;\n"), (V{"{", " }", " ;\n"}));
  EXPECT_EQ(split("\t\tfoo"), (V{"\t", "\tfoo"}));
  EXPECT_EQ(split("\xE4\xB8\xAD\xE6\x96\x87 ok"), (V{"\xE4\xB8\xAD\xE6\x96\x87", " ok"}));
  EXPECT_EQ(split("\xF0\x9F\x98\x80x"), (V{"\xF0\x9F\x98\x80x"}));  // symbol + letters
  EXPECT_EQ(split("\r\nabc"), (V{"\r\n", "abc"}));
  EXPECT_EQ(split(""), V{});
}

}  // namespace
}  // namespace qvl
