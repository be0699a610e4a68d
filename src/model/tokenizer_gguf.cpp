// GGUF <-> TokenizerData, following the keys llama.cpp reads (model layer).
#include "model/tokenizer_gguf.h"

#include "base/error.h"

namespace qvl {

TokenizerData tokenizer_data_from_gguf(const GgufFile& f) {
  const std::string& model = f.get("tokenizer.ggml.model").as_string();
  QVL_CHECK(model == "gpt2", f.path(), ": tokenizer.ggml.model is '", model, "'; qvl supports byte-level BPE ('gpt2')");
  TokenizerData d;
  if (const GgufValue* pre = f.find("tokenizer.ggml.pre")) d.pre = pre->as_string();
  d.tokens = f.get("tokenizer.ggml.tokens").as_string_array();
  if (const GgufValue* types = f.find("tokenizer.ggml.token_type")) {
    std::vector<int64_t> t = types->as_int_array();
    QVL_CHECK(t.size() == d.tokens.size(), f.path(), ": tokenizer.ggml.token_type has ", t.size(),
              " entries for ", d.tokens.size(), " tokens");
    d.token_types.reserve(t.size());
    for (int64_t v : t) {
      QVL_CHECK(v >= 0 && v <= 6, f.path(), ": token type ", v, " is not a GGUF token type");
      d.token_types.push_back(v == 0 ? TokenType::kNormal : static_cast<TokenType>(v));
    }
  } else {
    d.token_types.assign(d.tokens.size(), TokenType::kNormal);
  }
  if (const GgufValue* merges = f.find("tokenizer.ggml.merges")) d.merges = merges->as_string_array();
  auto id = [&](const char* key) -> int32_t {
    const GgufValue* v = f.find(key);
    if (!v) return -1;
    int64_t x = v->as_int();
    QVL_CHECK(x >= 0 && x < static_cast<int64_t>(d.tokens.size()), f.path(), ": ", key, " = ", x, " is out of range");
    return static_cast<int32_t>(x);
  };
  d.eos_id = id("tokenizer.ggml.eos_token_id");
  d.bos_id = id("tokenizer.ggml.bos_token_id");
  d.pad_id = id("tokenizer.ggml.padding_token_id");
  return d;
}

void add_tokenizer_to_gguf(const TokenizerData& d, GgufWriter& w) {
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", d.pre);
  w.set_string_array("tokenizer.ggml.tokens", d.tokens);
  std::vector<int32_t> types;
  types.reserve(d.tokens.size());
  for (size_t i = 0; i < d.tokens.size(); ++i)
    types.push_back(static_cast<int32_t>(i < d.token_types.size() ? d.token_types[i] : TokenType::kNormal));
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_string_array("tokenizer.ggml.merges", d.merges);
  if (d.eos_id >= 0) w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(d.eos_id));
  if (d.pad_id >= 0) w.set_u32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(d.pad_id));
  if (d.bos_id >= 0) w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(d.bos_id));
  w.set_bool("tokenizer.ggml.add_bos_token", false);
}

TokenizerData tokenizer_data_from_hf_json(const std::string& path) { return Tokenizer::data_from_hf_json(path); }

}  // namespace qvl
