// GGUF text-model loading (model layer): config from {arch}.* keys, weights as
// zero-copy views into the mapped file, tokenizer from tokenizer.ggml.*, chat
// template from tokenizer.chat_template. Vision (mmproj) files are not read here.
#include <memory>

#include "base/error.h"
#include "model/gguf/gguf.h"
#include "model/loader_util.h"
#include "model/qwen3vl/text_model.h"
#include "model/tokenizer_gguf.h"

namespace qvl {

std::unique_ptr<Model> load_gguf_model(const std::string& path, const ProgressFn& progress) {
  auto file = std::make_shared<GgufFile>(path);
  const GgufFile& f = *file;
  TextConfig cfg = text_config_from_gguf(f);
  auto need = [&](const std::string& name) -> Tensor {
    const Tensor* t = f.find_tensor(name);
    QVL_CHECK(t, path, ": missing tensor ", name);
    return *t;
  };
  const int64_t H = cfg.hidden_size, d = cfg.head_dim;
  TextWeights w;
  w.keepalive = file;
  w.token_embd = need("token_embd.weight");
  w.output_norm = norm_to_f32(path, need("output_norm.weight"), H);
  w.output = cfg.tie_word_embeddings ? w.token_embd : need("output.weight");
  for (int64_t l = 0; l < cfg.num_hidden_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.attn_norm = norm_to_f32(path, need(p + "attn_norm.weight"), H);
    lw.attn_q_norm = norm_to_f32(path, need(p + "attn_q_norm.weight"), d);
    lw.attn_k_norm = norm_to_f32(path, need(p + "attn_k_norm.weight"), d);
    lw.ffn_norm = norm_to_f32(path, need(p + "ffn_norm.weight"), H);
    lw.attn_q = need(p + "attn_q.weight");
    lw.attn_k = need(p + "attn_k.weight");
    lw.attn_v = need(p + "attn_v.weight");
    lw.attn_output = need(p + "attn_output.weight");
    if (cfg.is_moe()) {
      lw.ffn_gate_inp = need(p + "ffn_gate_inp.weight");
      lw.ffn_gate_exps = need(p + "ffn_gate_exps.weight");
      lw.ffn_up_exps = need(p + "ffn_up_exps.weight");
      lw.ffn_down_exps = need(p + "ffn_down_exps.weight");
    } else {
      lw.ffn_gate = need(p + "ffn_gate.weight");
      lw.ffn_up = need(p + "ffn_up.weight");
      lw.ffn_down = need(p + "ffn_down.weight");
    }
    w.layers.push_back(std::move(lw));
  }
  check_text_weights(path, cfg, w);
  pack_text_weights(w, progress);

  Tokenizer tok(tokenizer_data_from_gguf(f));
  QVL_CHECK(tok.vocab_size() <= cfg.vocab_size, path, ": tokenizer has ", tok.vocab_size(),
            " tokens but the embedding only ", cfg.vocab_size, " rows");
  std::string tmpl;
  if (const GgufValue* v = f.find("tokenizer.chat_template")) tmpl = v->as_string();
  std::string name;
  if (const GgufValue* v = f.find("general.name")) name = v->as_string();
  if (name.empty()) {
    const size_t slash = path.find_last_of('/');
    name = slash == std::string::npos ? path : path.substr(slash + 1);
  }
  return std::make_unique<Qwen3TextModel>(std::move(cfg), std::move(w), std::move(tok), std::move(tmpl),
                                          std::move(name));
}

}  // namespace qvl
