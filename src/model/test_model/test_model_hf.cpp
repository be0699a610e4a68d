// make-test-model's HF directory output (model layer): config.json, model.safetensors
// with HF names and layouts (Qwen3-VL-MoE fused experts, Qwen3-MoE per-expert
// matrices), tokenizer files and the chat template. Values equal the GGUF ones.
#include <filesystem>
#include <fstream>
#include <functional>
#include <cstring>
#include <list>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fp16.h"
#include "model/hf/safetensors.h"
#include "model/test_model/test_model.h"

namespace qvl {

void generate_test_tensors(const TextConfig& c, uint64_t seed,
                           const std::function<void(const std::string&, const std::vector<int64_t>&,
                                                    const std::vector<float>&)>& emit);

namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  QVL_CHECK(in, p.string(), ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
  QVL_CHECK(out.good(), p.string(), ": cannot write");
}

// GGUF per-layer suffix -> HF suffix (dense and attention tensors).
std::string hf_layer_name(const std::string& g) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"attn_norm.weight", "input_layernorm.weight"},  {"ffn_norm.weight", "post_attention_layernorm.weight"},
      {"attn_q.weight", "self_attn.q_proj.weight"},    {"attn_k.weight", "self_attn.k_proj.weight"},
      {"attn_v.weight", "self_attn.v_proj.weight"},    {"attn_output.weight", "self_attn.o_proj.weight"},
      {"attn_q_norm.weight", "self_attn.q_norm.weight"}, {"attn_k_norm.weight", "self_attn.k_norm.weight"},
      {"ffn_gate.weight", "mlp.gate_proj.weight"},     {"ffn_up.weight", "mlp.up_proj.weight"},
      {"ffn_down.weight", "mlp.down_proj.weight"},     {"ffn_gate_inp.weight", "mlp.gate.weight"},
  };
  for (const auto& [a, b] : kMap)
    if (g == a) return b;
  return "";
}

nlohmann::json hf_config(const TestModelSpec& s, const TextConfig& c, const char* torch_dtype) {
  using nlohmann::json;
  const bool vl = c.mrope_interleaved;
  json t = {
      {"vocab_size", c.vocab_size},
      {"hidden_size", c.hidden_size},
      {"num_hidden_layers", c.num_hidden_layers},
      {"num_attention_heads", c.num_attention_heads},
      {"num_key_value_heads", c.num_key_value_heads},
      {"head_dim", c.head_dim},
      {"intermediate_size", c.intermediate_size},
      {"hidden_act", "silu"},
      {"rms_norm_eps", c.rms_norm_eps},
      {"rope_theta", c.rope_theta},
      {"max_position_embeddings", c.max_position_embeddings},
      {"attention_bias", false},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"bos_token_id", 151643},
      {"eos_token_id", 151645},
      {"torch_dtype", torch_dtype},
  };
  if (c.is_moe()) {
    t["num_experts"] = c.num_experts;
    t["num_experts_per_tok"] = c.num_experts_per_tok;
    t["moe_intermediate_size"] = c.moe_intermediate_size;
    t["norm_topk_prob"] = c.norm_topk_prob;
    t["decoder_sparse_step"] = 1;
    t["mlp_only_layers"] = json::array();
  }
  if (!vl) {
    t["model_type"] = c.is_moe() ? "qwen3_moe" : "qwen3";
    t["architectures"] = {c.is_moe() ? "Qwen3MoeForCausalLM" : "Qwen3ForCausalLM"};
    t["rope_scaling"] = nullptr;
    return t;
  }
  t["model_type"] = c.is_moe() ? "qwen3_vl_moe_text" : "qwen3_vl_text";
  t["rope_scaling"] = {{"rope_type", "default"},
                       {"mrope_interleaved", true},
                       {"mrope_section", {c.mrope_section[0], c.mrope_section[1], c.mrope_section[2]}}};
  return json{{"architectures", {c.is_moe() ? "Qwen3VLMoeForConditionalGeneration" : "Qwen3VLForConditionalGeneration"}},
              {"model_type", c.is_moe() ? "qwen3_vl_moe" : "qwen3_vl"},
              {"text_config", t},
              {"tie_word_embeddings", c.tie_word_embeddings},
              {"image_token_id", 151655},
              {"video_token_id", 151656},
              {"vision_start_token_id", 151652},
              {"vision_end_token_id", 151653},
              {"torch_dtype", torch_dtype}};
}

}  // namespace

void write_hf_test_model(const TestModelSpec& s, const TextConfig& c) {
  const std::string q = s.quant.empty() ? "bf16" : s.quant;
  QVL_CHECK(q == "bf16" || q == "f16" || q == "f32", "--format hf writes bf16, f16 or f32 weights, not ", q);
  const DType dt = q == "bf16" ? DType::kBF16 : q == "f16" ? DType::kF16 : DType::kF32;
  const fs::path dir(s.out);
  fs::create_directories(dir);
  const bool vl = c.mrope_interleaved;
  const std::string pre = vl ? "model.language_model." : "model.";

  std::list<std::vector<uint8_t>> bufs;  // stable addresses for the Tensor views
  std::vector<Tensor> tensors;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, const float* v, int64_t n) {
    std::vector<uint8_t> b(size_t(n) * (dt == DType::kF32 ? 4 : 2));
    for (int64_t i = 0; i < n; ++i) {
      if (dt == DType::kF32) {
        std::memcpy(&b[size_t(i) * 4], &v[i], 4);
      } else {
        const uint16_t h = dt == DType::kBF16 ? f32_to_bf16(v[i]) : f32_to_fp16(v[i]);
        std::memcpy(&b[size_t(i) * 2], &h, 2);
      }
    }
    bufs.push_back(std::move(b));
    tensors.push_back(Tensor{name, dt, std::move(shape), bufs.back().data()});
  };

  std::vector<float> gate_exps;  // held until up_exps arrives (the fused tensor needs both)
  generate_test_tensors(c, s.seed, [&](const std::string& g, const std::vector<int64_t>& shape,
                                       const std::vector<float>& v) {
    const int64_t n = int64_t(v.size());
    if (g == "token_embd.weight") return add(pre + "embed_tokens.weight", shape, v.data(), n);
    if (g == "output_norm.weight") return add(pre + "norm.weight", shape, v.data(), n);
    if (g == "output.weight") return add("lm_head.weight", shape, v.data(), n);
    const size_t dot = g.find('.', 4);
    const std::string layer = g.substr(4, dot - 4), suffix = g.substr(dot + 1);
    const std::string p = pre + "layers." + layer + ".";
    if (std::string hf = hf_layer_name(suffix); !hf.empty()) return add(p + hf, shape, v.data(), n);
    const int64_t E = shape[0], R = shape[1], C = shape[2];  // expert tensors [E, n_out, n_in]
    if (suffix == "ffn_gate_exps.weight") {
      gate_exps = v;
      return;
    }
    const bool fused = c.architecture == "qwen3vlmoe";
    if (suffix == "ffn_up_exps.weight" && fused) {
      // gate_up_proj [E, H, 2I] used as x @ W: column i < I is gate row i, I + i is up row i.
      std::vector<float> f(size_t(E * C * 2 * R));
      for (int64_t e = 0; e < E; ++e)
        for (int64_t i = 0; i < R; ++i)
          for (int64_t h = 0; h < C; ++h) {
            f[size_t((e * C + h) * 2 * R + i)] = gate_exps[size_t((e * R + i) * C + h)];
            f[size_t((e * C + h) * 2 * R + R + i)] = v[size_t((e * R + i) * C + h)];
          }
      return add(p + "mlp.experts.gate_up_proj", {E, C, 2 * R}, f.data(), int64_t(f.size()));
    }
    if (suffix == "ffn_down_exps.weight" && fused) {
      std::vector<float> f(v.size());  // [E, H, I] -> down_proj [E, I, H]
      for (int64_t e = 0; e < E; ++e)
        for (int64_t h = 0; h < R; ++h)
          for (int64_t i = 0; i < C; ++i) f[size_t((e * C + i) * R + h)] = v[size_t((e * R + h) * C + i)];
      return add(p + "mlp.experts.down_proj", {E, C, R}, f.data(), int64_t(f.size()));
    }
    QVL_CHECK(suffix == "ffn_up_exps.weight" || suffix == "ffn_down_exps.weight", "internal: no HF name for ", g);
    for (int64_t e = 0; e < E; ++e) {
      const std::string base = p + "mlp.experts." + std::to_string(e) + ".";
      if (suffix == "ffn_up_exps.weight") {
        add(base + "gate_proj.weight", {R, C}, gate_exps.data() + e * R * C, R * C);
        add(base + "up_proj.weight", {R, C}, v.data() + e * R * C, R * C);
      } else {
        add(base + "down_proj.weight", {R, C}, v.data() + e * R * C, R * C);
      }
    }
  });

  write_safetensors((dir / "model.safetensors").string(), tensors, {{"format", "pt"}});
  const char* torch_dtype = dt == DType::kBF16 ? "bfloat16" : dt == DType::kF16 ? "float16" : "float32";
  write_text(dir / "config.json", hf_config(s, c, torch_dtype).dump(2));

  QVL_CHECK(!s.tokenizer_json.empty(), "no tokenizer.json given (pass --tokenizer PATH)");
  fs::copy_file(s.tokenizer_json, dir / "tokenizer.json", fs::copy_options::overwrite_existing);
  nlohmann::json tc = nlohmann::json::object();
  const fs::path src_tc = fs::path(s.tokenizer_json).parent_path() / "tokenizer_config.json";
  if (fs::exists(src_tc)) tc = nlohmann::json::parse(read_text(src_tc));
  if (!s.chat_template.empty()) {
    tc["chat_template"] = s.chat_template;
    write_text(dir / "chat_template.jinja", s.chat_template);
  }
  write_text(dir / "tokenizer_config.json", tc.dump(2));
}

}  // namespace qvl
