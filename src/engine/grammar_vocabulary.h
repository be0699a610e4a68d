// The grammar engine's view of a model's vocabulary (engine layer, where the
// tokenizer and the grammar layer meet): every token's bytes, and which tokens may
// ever be grammar text. Used by the server's structured output and `qvl grammar`.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "grammar/token_trie.h"
#include "input/tokenizer/tokenizer.h"

namespace qvl {

// Control, unused and unknown tokens are never grammar text; `eos` are the tokens
// that end a complete grammar. padded_vocab: the logit row width when the model's
// is wider than the tokenizer's vocabulary (0: the same).
std::shared_ptr<grammar::TokenTrie> grammar_token_trie(const Tokenizer& tok, const std::vector<int32_t>& eos,
                                                       int32_t padded_vocab = 0);

}  // namespace qvl
