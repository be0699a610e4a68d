// UTF-8 and Unicode helpers for the tokenizer (input layer): code point classes of
// the Qwen pre-tokenizer, WHATWG-style UTF-8 repair, and NFC normalisation.
// Does not know about tokens or vocabularies.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace qvl::unicode {

enum CodepointFlag : uint8_t {
  kLetter = 1,        // \p{L}
  kNumber = 2,        // \p{N}
  kWhiteSpace = 4,    // \p{White_Space} (what Oniguruma and llama.cpp call \s)
  kNfcUnstable = 8,   // may change under NFC, alone or next to its neighbours
};

// Flags of one code point (any value; above U+10FFFF gives 0).
uint8_t flags(uint32_t cp);

// Decodes the code point at s[i], advancing i. The input must be valid UTF-8.
inline uint32_t next_codepoint(std::string_view s, size_t& i) {
  uint8_t b = static_cast<uint8_t>(s[i]);
  if (b < 0x80) { i += 1; return b; }
  if (b < 0xE0) { uint32_t c = ((b & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu); i += 2; return c; }
  if (b < 0xF0) {
    uint32_t c = ((b & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
    i += 3;
    return c;
  }
  uint32_t c = ((b & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
  i += 4;
  return c;
}

void append_utf8(std::string& out, uint32_t cp);

// Length of the well-formed UTF-8 sequence at s[i], or 0 when ill-formed; sets
// *prefix to the length of the longest valid prefix (the "maximal subpart").
size_t utf8_sequence_length(std::string_view s, size_t i, size_t* prefix);
bool is_valid_utf8(std::string_view s);
// Every maximal ill-formed subpart becomes one U+FFFD (WHATWG / Python "replace").
std::string repair_utf8(std::string_view s);

// NFC (Unicode canonical composition) of valid UTF-8 text.
bool needs_nfc(std::string_view s);  // false when s is certainly already NFC
std::string to_nfc(std::string_view s);

}  // namespace qvl::unicode
