// Hugging Face directory loading (model layer): config.json (text_config nesting,
// rope_scaling or rope_parameters), safetensors weights named model.language_model.*
// or model.*, tokenizer.json, chat template. Dense weights stay zero-copy; MoE experts
// (fused gate_up_proj/down_proj or per-expert matrices) are re-laid out once here.
#include <cstring>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "input/chat_template/chat_template.h"
#include "model/hf/safetensors.h"
#include "model/loader_util.h"
#include "model/qwen3vl/text_model.h"

namespace qvl {
namespace {

size_t elem_size(const std::string& where, const Tensor& t) {
  QVL_CHECK(t.dtype == DType::kF32 || t.dtype == DType::kF16 || t.dtype == DType::kBF16, where, ": tensor ",
            t.name, " has type ", dtype_info(t.dtype).name, " (expected f32, f16 or bf16)");
  return t.dtype == DType::kF32 ? 4 : 2;
}

// dst[e][c][r] = src[e][r][c + c0] for c < n_cols: a per-expert transpose of a
// column range, element by element in the source dtype (no rounding).
void transpose_experts(const Tensor& src, int64_t c0, int64_t n_cols, size_t es, uint8_t* dst) {
  const int64_t E = src.shape[0], R = src.shape[1], C = src.shape[2];
  const uint8_t* s = static_cast<const uint8_t*>(src.data);
  for (int64_t e = 0; e < E; ++e)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < n_cols; ++c)
        std::memcpy(dst + ((e * n_cols + c) * R + r) * es, s + ((e * R + r) * C + c0 + c) * es, es);
}

}  // namespace

std::unique_ptr<Model> load_hf_model(const std::string& dir_path, const ProgressFn& progress) {
  namespace fs = std::filesystem;
  auto ckpt = std::make_shared<HfCheckpoint>(dir_path);
  const HfCheckpoint& ck = *ckpt;
  const std::string& where = dir_path;
  TextConfig cfg = text_config_from_hf(ck.config());

  std::string pre = "model.language_model.";
  if (!ck.find_tensor(pre + "embed_tokens.weight")) pre = "model.";
  auto need = [&](const std::string& name) -> Tensor {
    const Tensor* t = ck.find_tensor(name);
    QVL_CHECK(t, where, ": missing tensor ", name);
    return *t;
  };
  const int64_t H = cfg.hidden_size, d = cfg.head_dim;
  TextWeights w;
  w.keepalive = ckpt;
  w.token_embd = need(pre + "embed_tokens.weight");
  QVL_CHECK(w.token_embd.shape.size() == 2 && w.token_embd.shape[1] == H, where, ": ", w.token_embd.name,
            " has shape ", w.token_embd.shape_str(), " but hidden_size is ", H);
  w.output_norm = norm_to_f32(where, need(pre + "norm.weight"), H);
  const Tensor* head = ck.find_tensor("lm_head.weight");
  QVL_CHECK(head || cfg.tie_word_embeddings, where, ": missing tensor lm_head.weight (tie_word_embeddings is false)");
  w.output = cfg.tie_word_embeddings ? w.token_embd : *head;

  for (int64_t l = 0; l < cfg.num_hidden_layers; ++l) {
    const std::string p = pre + "layers." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.attn_norm = norm_to_f32(where, need(p + "input_layernorm.weight"), H);
    lw.ffn_norm = norm_to_f32(where, need(p + "post_attention_layernorm.weight"), H);
    lw.attn_q_norm = norm_to_f32(where, need(p + "self_attn.q_norm.weight"), d);
    lw.attn_k_norm = norm_to_f32(where, need(p + "self_attn.k_norm.weight"), d);
    lw.attn_q = need(p + "self_attn.q_proj.weight");
    lw.attn_k = need(p + "self_attn.k_proj.weight");
    lw.attn_v = need(p + "self_attn.v_proj.weight");
    lw.attn_output = need(p + "self_attn.o_proj.weight");
    if (!cfg.is_moe()) {
      lw.ffn_gate = need(p + "mlp.gate_proj.weight");
      lw.ffn_up = need(p + "mlp.up_proj.weight");
      lw.ffn_down = need(p + "mlp.down_proj.weight");
      w.layers.push_back(std::move(lw));
      continue;
    }
    const int64_t E = cfg.num_experts, I = cfg.moe_intermediate_size;
    lw.ffn_gate_inp = need(p + "mlp.gate.weight");
    auto stacked = [&](DType dt, std::vector<int64_t> shape, std::vector<uint8_t> bytes, const std::string& name) {
      w.owned.push_back(std::move(bytes));
      Tensor t;
      t.name = name;
      t.dtype = dt;
      t.shape = std::move(shape);
      t.data = w.owned.back().data();
      return t;
    };
    if (const Tensor* gu = ck.find_tensor(p + "mlp.experts.gate_up_proj")) {
      // Qwen3-VL-MoE checkpoints: gate_up_proj [E, H, 2I] and down_proj [E, I, H], used as x @ W;
      // gate is columns [0, I), up is [I, 2I).
      const Tensor dn = need(p + "mlp.experts.down_proj");
      expect_shape(where, *gu, {E, H, 2 * I});
      expect_shape(where, dn, {E, I, H});
      const size_t es = elem_size(where, *gu);
      QVL_CHECK(dn.dtype == gu->dtype, where, ": ", dn.name, " and ", gu->name, " differ in type");
      std::vector<uint8_t> g(size_t(E * I * H) * es), u(g.size()), dd(g.size());
      transpose_experts(*gu, 0, I, es, g.data());
      transpose_experts(*gu, I, I, es, u.data());
      transpose_experts(dn, 0, H, es, dd.data());
      lw.ffn_gate_exps = stacked(gu->dtype, {E, I, H}, std::move(g), p + "mlp.experts.gate_proj");
      lw.ffn_up_exps = stacked(gu->dtype, {E, I, H}, std::move(u), p + "mlp.experts.up_proj");
      lw.ffn_down_exps = stacked(dn.dtype, {E, H, I}, std::move(dd), p + "mlp.experts.down_proj");
    } else {
      // Qwen3-MoE checkpoints: one nn.Linear per expert; stack them [E, n_out, n_in].
      auto stack = [&](const char* proj, int64_t n_out, int64_t n_in) {
        std::vector<uint8_t> bytes;
        DType dt = DType::kF32;
        for (int64_t e = 0; e < E; ++e) {
          const Tensor t = need(p + "mlp.experts." + std::to_string(e) + "." + proj + ".weight");
          expect_shape(where, t, {n_out, n_in});
          if (e == 0) dt = t.dtype;
          QVL_CHECK(t.dtype == dt, where, ": expert ", t.name, " differs in type from expert 0");
          const auto* b = static_cast<const uint8_t*>(t.data);
          bytes.insert(bytes.end(), b, b + t.nbytes());
        }
        return stacked(dt, {E, n_out, n_in}, std::move(bytes), p + "mlp.experts." + proj);
      };
      lw.ffn_gate_exps = stack("gate_proj", I, H);
      lw.ffn_up_exps = stack("up_proj", I, H);
      lw.ffn_down_exps = stack("down_proj", H, I);
    }
    w.layers.push_back(std::move(lw));
  }
  check_text_weights(where, cfg, w);
  pack_text_weights(w, progress);

  const fs::path dir(dir_path);
  QVL_CHECK(fs::exists(dir / "tokenizer.json"), where, ": missing tokenizer.json");
  Tokenizer tok = Tokenizer::from_hf_json((dir / "tokenizer.json").string());
  QVL_CHECK(tok.vocab_size() <= cfg.vocab_size, where, ": tokenizer has ", tok.vocab_size(),
            " tokens but the embedding only ", cfg.vocab_size, " rows");
  std::string name = fs::absolute(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  std::string tmpl = find_chat_template_in_hf_dir(dir_path);
  return std::make_unique<Qwen3TextModel>(std::move(cfg), std::move(w), std::move(tok), std::move(tmpl),
                                          std::move(name));
}

}  // namespace qvl
