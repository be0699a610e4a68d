// The Qwen2/Qwen3 pre-tokenizer split rule, hand-written (input layer):
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// with \s = White_Space. Only splits; byte-level mapping and BPE happen elsewhere.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

namespace qvl {

struct Span {
  uint32_t begin, end;  // byte offsets into the text
};

// Appends the pieces of `text` (valid UTF-8) to `out`, in order, covering all of it.
void pretokenize_qwen2(std::string_view text, std::vector<Span>& out);

}  // namespace qvl
