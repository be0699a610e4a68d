// Qwen2 split rule as a direct scanner: each branch below is one alternative of the
// regex, tried in the regex's order, with the same greedy/backtracking outcome.
// Contractions match ASCII letters only, as llama.cpp's rewrite of the pattern does.
#include "input/tokenizer/pretokenizer.h"

#include "input/tokenizer/unicode.h"

namespace qvl {
namespace {

using unicode::kLetter;
using unicode::kNumber;
using unicode::kWhiteSpace;

struct Cp {
  uint32_t cp;
  uint8_t flags;
  uint8_t len;
};

// ASCII flags precomputed: most text is mostly ASCII.
struct AsciiFlags {
  uint8_t f[128];
  AsciiFlags() {
    for (uint32_t c = 0; c < 128; ++c) f[c] = unicode::flags(c);
  }
};

inline Cp at(std::string_view s, size_t i) {
  static const AsciiFlags ascii;
  uint8_t b = static_cast<uint8_t>(s[i]);
  if (b < 0x80) return {b, ascii.f[b], 1};
  size_t j = i;
  uint32_t cp = unicode::next_codepoint(s, j);
  return {cp, unicode::flags(cp), static_cast<uint8_t>(j - i)};
}

inline bool is_newline(uint32_t cp) { return cp == '\r' || cp == '\n'; }
inline bool is_other(const Cp& c) { return !(c.flags & (kLetter | kNumber | kWhiteSpace)); }
inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Length of the contraction suffix after an apostrophe at s[i - 1], or 0.
size_t contraction(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  char a = lower(s[i]);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 1;
  if (i + 1 >= s.size()) return 0;
  char b = lower(s[i + 1]);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 2;
  return 0;
}

size_t skip_letters(std::string_view s, size_t i) {
  while (i < s.size()) {
    Cp c = at(s, i);
    if (!(c.flags & kLetter)) break;
    i += c.len;
  }
  return i;
}

// End of the piece that starts at i.
size_t piece_end(std::string_view s, size_t i) {
  const size_t n = s.size();
  Cp c = at(s, i);
  if (c.cp == '\'') {
    if (size_t k = contraction(s, i + 1)) return i + 1 + k;
  }
  if (c.flags & kLetter) return skip_letters(s, i + c.len);
  if (!(c.flags & (kLetter | kNumber)) && !is_newline(c.cp) && i + c.len < n &&
      (at(s, i + c.len).flags & kLetter)) {
    return skip_letters(s, i + c.len);
  }
  if (c.flags & kNumber) return i + c.len;
  size_t j = c.cp == ' ' ? i + 1 : i;
  if (j < n && is_other(at(s, j))) {
    while (j < n) {
      Cp o = at(s, j);
      if (!is_other(o)) break;
      j += o.len;
    }
    while (j < n && is_newline(static_cast<uint8_t>(s[j]))) ++j;
    return j;
  }
  // Here c is whitespace: scan the run, remembering its last newline and last character.
  size_t last_newline = SIZE_MAX, last_start = i;
  j = i;
  while (j < n) {
    Cp w = at(s, j);
    if (!(w.flags & kWhiteSpace)) break;
    if (is_newline(w.cp)) last_newline = j;
    last_start = j;
    j += w.len;
  }
  if (last_newline != SIZE_MAX) return last_newline + 1;  // \s*[\r\n]+
  if (j == n) return n;                                   // \s+(?!\S) at the end
  if (last_start > i) return last_start;                  // \s+(?!\S) leaves one space to the next word
  return j;                                               // \s+
}

}  // namespace

void pretokenize_qwen2(std::string_view text, std::vector<Span>& out) {
  size_t i = 0;
  while (i < text.size()) {
    size_t e = piece_end(text, i);
    out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(e)});
    i = e;
  }
}

}  // namespace qvl
