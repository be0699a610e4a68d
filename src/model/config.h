// Text-decoder hyper-parameters, named exactly as Hugging Face's config.json keys
// (STYLE: code reads line by line against modeling_qwen3_vl.py). Filled from a
// GGUF's {arch}.* metadata or from config.json ("text_config" when nested).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace qvl {

class GgufFile;

struct TextConfig {
  std::string architecture;  // qwen3 | qwen3moe | qwen3vl | qwen3vlmoe (GGUF spelling)
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 128;
  int64_t intermediate_size = 0;
  float rms_norm_eps = 1e-6f;
  float rope_theta = 1e6f;
  int64_t max_position_embeddings = 40960;
  std::array<int32_t, 3> mrope_section = {0, 0, 0};  // all zero = plain 1-D RoPE
  bool mrope_interleaved = false;
  bool tie_word_embeddings = false;
  // MoE (num_experts == 0 for dense models)
  int64_t num_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t moe_intermediate_size = 0;
  bool norm_topk_prob = true;
  // Vision hooks
  int64_t n_deepstack_layers = 0;

  bool is_moe() const { return num_experts > 0; }
  void validate() const;  // throws qvl::Error on inconsistent values ("a config that lies")
};

// From a GGUF's general.architecture and {arch}.* keys; vocab_size and
// tie_word_embeddings come from the token_embd / output tensors. Validated.
TextConfig text_config_from_gguf(const GgufFile& f);
// From a parsed config.json (text_config when nested; rope_scaling or rope_parameters). Validated.
TextConfig text_config_from_hf(const nlohmann::json& config);
// GGUF spelling of an HF model_type ("qwen3_vl_moe" -> "qwen3vlmoe"); throws if unsupported.
std::string arch_from_hf_model_type(const std::string& model_type);

}  // namespace qvl
