// GPT-2 byte-level alphabet: printable Latin-1 bytes stand for themselves, the
// other 68 bytes take U+0100.. in byte order (input layer).
#include "input/tokenizer/byte_level.h"

#include <array>
#include <cstdint>

#include "input/tokenizer/unicode.h"

namespace qvl {
namespace {

struct Alphabet {
  std::array<uint32_t, 256> to_cp{};
  std::array<int16_t, 512> to_byte{};  // every alphabet code point is below U+0144
  Alphabet() {
    to_byte.fill(-1);
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_cp[b] = printable ? b : next++;
      to_byte[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet a;
  return a;
}

}  // namespace

std::string bytes_to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) unicode::append_utf8(out, alphabet().to_cp[static_cast<uint8_t>(c)]);
  return out;
}

std::string byte_level_to_bytes(std::string_view piece) {
  const Alphabet& a = alphabet();
  std::string out;
  out.reserve(piece.size());
  size_t i = 0;
  while (i < piece.size()) {
    size_t prefix, start = i;
    if (!unicode::utf8_sequence_length(piece, i, &prefix)) {  // not even UTF-8: keep the byte
      out.push_back(piece[i++]);
      continue;
    }
    uint32_t cp = unicode::next_codepoint(piece, i);
    if (cp < a.to_byte.size() && a.to_byte[cp] >= 0) {
      out.push_back(static_cast<char>(a.to_byte[cp]));
    } else {
      out.append(piece.substr(start, i - start));
    }
  }
  return out;
}

}  // namespace qvl
