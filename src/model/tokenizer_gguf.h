// Tokenizer data to and from GGUF metadata (tokenizer.ggml.*) and from a Hugging
// Face tokenizer.json (model layer). The tokenizer itself lives in input/tokenizer.
#pragma once
#include <string>

#include "input/tokenizer/tokenizer.h"
#include "model/gguf/gguf.h"

namespace qvl {

// Requires tokenizer.ggml.model == "gpt2"; ids that are absent stay -1.
TokenizerData tokenizer_data_from_gguf(const GgufFile& file);
// Writes tokenizer.ggml.{model,pre,tokens,token_type,merges,*_token_id,add_bos_token}.
void add_tokenizer_to_gguf(const TokenizerData& data, GgufWriter& writer);
TokenizerData tokenizer_data_from_hf_json(const std::string& tokenizer_json_path);

}  // namespace qvl
