// grammar_token_trie (engine layer): see grammar_vocabulary.h.
#include "engine/grammar_vocabulary.h"

#include <string>

namespace qvl {

std::shared_ptr<grammar::TokenTrie> grammar_token_trie(const Tokenizer& tok, const std::vector<int32_t>& eos,
                                                       int32_t padded_vocab) {
  const TokenizerData& d = tok.data();
  std::vector<std::string> bytes(tok.vocab_size());
  std::vector<bool> usable(tok.vocab_size());
  for (int32_t i = 0; i < tok.vocab_size(); ++i) {
    bytes[i] = tok.token_bytes(i);
    const TokenType t = i < static_cast<int32_t>(d.token_types.size()) ? d.token_types[i] : TokenType::kNormal;
    usable[i] = t == TokenType::kNormal || t == TokenType::kUserDefined || t == TokenType::kByte;
  }
  return std::make_shared<grammar::TokenTrie>(bytes, usable, eos, padded_vocab);
}

}  // namespace qvl
