// GPT-2 byte-level alphabet (input layer): the 256 bytes mapped to printable code
// points, as vocabularies and merges store pieces. Knows nothing of BPE.
#pragma once
#include <string>
#include <string_view>

namespace qvl {

std::string bytes_to_byte_level(std::string_view bytes);  // raw bytes -> stored piece
// Stored piece -> raw bytes. A code point outside the alphabet is kept as its own
// UTF-8 (such a piece cannot come out of BPE, but a file may still hold one).
std::string byte_level_to_bytes(std::string_view piece);

}  // namespace qvl
