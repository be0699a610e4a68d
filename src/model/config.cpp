// TextConfig parsing from GGUF metadata and HF config.json, and the sanity checks
// that turn a lying config into a one-line error (model layer).
#include "model/config.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/gguf/gguf.h"

namespace qvl {

void TextConfig::validate() const {
  const bool known = architecture == "qwen3" || architecture == "qwen3moe" || architecture == "qwen3vl" ||
                     architecture == "qwen3vlmoe";
  QVL_CHECK(known, "unsupported architecture '", architecture, "' (expected qwen3, qwen3moe, qwen3vl or qwen3vlmoe)");
  QVL_CHECK(hidden_size > 0, "config: hidden_size must be positive, got ", hidden_size);
  QVL_CHECK(num_hidden_layers > 0, "config: num_hidden_layers must be positive, got ", num_hidden_layers);
  QVL_CHECK(num_attention_heads > 0 && num_key_value_heads > 0, "config: head counts must be positive (",
            num_attention_heads, " query, ", num_key_value_heads, " kv)");
  QVL_CHECK(num_attention_heads % num_key_value_heads == 0, "config: num_attention_heads ", num_attention_heads,
            " is not a multiple of num_key_value_heads ", num_key_value_heads);
  QVL_CHECK(head_dim > 0 && head_dim % 16 == 0 && head_dim <= 512, "config: head_dim ", head_dim,
            " unsupported (needs a positive multiple of 16, at most 512)");
  QVL_CHECK(vocab_size > 0, "config: vocab_size must be positive, got ", vocab_size);
  QVL_CHECK(rms_norm_eps > 0 && rms_norm_eps < 1, "config: rms_norm_eps ", rms_norm_eps, " out of range");
  QVL_CHECK(rope_theta > 1, "config: rope_theta ", rope_theta, " out of range");
  const int64_t sec = int64_t(mrope_section[0]) + mrope_section[1] + mrope_section[2];
  QVL_CHECK(mrope_section[0] >= 0 && mrope_section[1] >= 0 && mrope_section[2] >= 0 && sec <= head_dim / 2,
            "config: mrope_section [", mrope_section[0], ", ", mrope_section[1], ", ", mrope_section[2],
            "] does not fit head_dim/2 = ", head_dim / 2);
  const bool moe_arch = architecture == "qwen3moe" || architecture == "qwen3vlmoe";
  if (moe_arch) {
    QVL_CHECK(num_experts > 0, "config: MoE architecture ", architecture, " needs num_experts > 0");
    QVL_CHECK(num_experts_per_tok > 0 && num_experts_per_tok <= num_experts, "config: num_experts_per_tok ",
              num_experts_per_tok, " must be in [1, num_experts = ", num_experts, "]");
    QVL_CHECK(moe_intermediate_size > 0, "config: moe_intermediate_size must be positive, got ",
              moe_intermediate_size);
  } else {
    QVL_CHECK(num_experts == 0, "config: dense architecture ", architecture, " has num_experts ", num_experts);
    QVL_CHECK(intermediate_size > 0, "config: intermediate_size must be positive, got ", intermediate_size);
  }
  // More DeepStack features than decoder layers is legal (HF and llama.cpp ignore the extra ones).
  QVL_CHECK(n_deepstack_layers >= 0 && n_deepstack_layers <= 64, "config: n_deepstack_layers ", n_deepstack_layers,
            " out of range");
}

TextConfig text_config_from_gguf(const GgufFile& f) {
  TextConfig c;
  c.architecture = f.get("general.architecture").as_string();
  QVL_CHECK(c.architecture == "qwen3" || c.architecture == "qwen3moe" || c.architecture == "qwen3vl" ||
                c.architecture == "qwen3vlmoe",
            f.path(), ": unsupported architecture '", c.architecture,
            "' (expected qwen3, qwen3moe, qwen3vl or qwen3vlmoe)");
  const std::string a = c.architecture + ".";
  auto get_int = [&](const std::string& k, int64_t def, bool required) -> int64_t {
    const GgufValue* v = f.find(a + k);
    QVL_CHECK(v || !required, f.path(), ": missing metadata key ", a + k);
    return v ? v->as_int() : def;
  };
  c.hidden_size = get_int("embedding_length", 0, true);
  c.num_hidden_layers = get_int("block_count", 0, true);
  c.num_attention_heads = get_int("attention.head_count", 0, true);
  c.num_key_value_heads = get_int("attention.head_count_kv", c.num_attention_heads, false);
  const int64_t def_head = c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
  c.head_dim = get_int("attention.key_length", def_head, false);
  const int64_t vdim = get_int("attention.value_length", c.head_dim, false);
  QVL_CHECK(vdim == c.head_dim, f.path(), ": key_length ", c.head_dim, " != value_length ", vdim, " (unsupported)");
  c.intermediate_size = get_int("feed_forward_length", 0, false);
  c.max_position_embeddings = get_int("context_length", c.max_position_embeddings, false);
  if (const GgufValue* v = f.find(a + "rope.freq_base")) c.rope_theta = float(v->as_double());
  c.rms_norm_eps = float(f.get(a + "attention.layer_norm_rms_epsilon").as_double());
  c.num_experts = get_int("expert_count", 0, false);
  c.num_experts_per_tok = get_int("expert_used_count", 0, false);
  c.moe_intermediate_size = get_int("expert_feed_forward_length", 0, false);
  c.norm_topk_prob = true;  // llama.cpp's qwen3moe graph always renormalises the top-k weights
  c.n_deepstack_layers = get_int("n_deepstack_layers", 0, false);
  if (const GgufValue* v = f.find(a + "rope.dimension_sections")) {
    const std::vector<int64_t> s = v->as_int_array();
    QVL_CHECK(s.size() >= 3, f.path(), ": ", a, "rope.dimension_sections has ", s.size(), " values, need >= 3");
    c.mrope_section = {int32_t(s[0]), int32_t(s[1]), int32_t(s[2])};
  }
  // ggml rope type per arch: qwen3/qwen3moe NEOX (1-D), qwen3vl/qwen3vlmoe IMROPE (interleaved).
  c.mrope_interleaved = c.architecture == "qwen3vl" || c.architecture == "qwen3vlmoe";
  QVL_CHECK(!c.mrope_interleaved || c.mrope_section[0] + c.mrope_section[1] + c.mrope_section[2] > 0, f.path(),
            ": ", c.architecture, " needs ", a, "rope.dimension_sections");
  const Tensor* embd = f.find_tensor("token_embd.weight");
  QVL_CHECK(embd, f.path(), ": missing tensor token_embd.weight");
  QVL_CHECK(embd->shape.size() == 2, f.path(), ": token_embd.weight has shape ", embd->shape_str(), ", want 2-D");
  c.vocab_size = embd->shape[0];
  QVL_CHECK(embd->shape[1] == c.hidden_size, f.path(), ": token_embd.weight width ", embd->shape[1],
            " does not match ", a, "embedding_length ", c.hidden_size);
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;
  c.validate();
  return c;
}

std::string arch_from_hf_model_type(const std::string& t) {
  if (t == "qwen3" || t == "qwen3_text") return "qwen3";
  if (t == "qwen3_moe") return "qwen3moe";
  if (t == "qwen3_vl" || t == "qwen3_vl_text") return "qwen3vl";
  if (t == "qwen3_vl_moe" || t == "qwen3_vl_moe_text") return "qwen3vlmoe";
  QVL_FAIL("unsupported model_type '", t, "' (expected qwen3, qwen3_moe, qwen3_vl or qwen3_vl_moe)");
}

static TextConfig parse_hf(const nlohmann::json& top) {
  QVL_CHECK(top.is_object(), "config.json is not a JSON object");
  QVL_CHECK(top.contains("model_type") && top["model_type"].is_string(), "config.json has no model_type");
  const nlohmann::json& t = top.contains("text_config") ? top["text_config"] : top;
  QVL_CHECK(t.is_object(), "config.json: text_config is not an object");
  TextConfig c;
  c.architecture = arch_from_hf_model_type(top["model_type"].get<std::string>());
  auto num = [&](const char* k, auto def, bool required) {
    using T = decltype(def);
    if (!t.contains(k) || t[k].is_null()) {
      QVL_CHECK(!required, "config.json: missing ", k);
      return def;
    }
    QVL_CHECK(t[k].is_number(), "config.json: ", k, " is not a number");
    return t[k].get<T>();
  };
  c.vocab_size = num("vocab_size", int64_t(0), true);
  c.hidden_size = num("hidden_size", int64_t(0), true);
  c.num_hidden_layers = num("num_hidden_layers", int64_t(0), true);
  c.num_attention_heads = num("num_attention_heads", int64_t(0), true);
  c.num_key_value_heads = num("num_key_value_heads", c.num_attention_heads, false);
  c.head_dim = num("head_dim", c.num_attention_heads ? c.hidden_size / c.num_attention_heads : int64_t(0), false);
  c.intermediate_size = num("intermediate_size", int64_t(0), false);
  c.rms_norm_eps = num("rms_norm_eps", 1e-6f, false);
  c.max_position_embeddings = num("max_position_embeddings", c.max_position_embeddings, false);
  c.rope_theta = num("rope_theta", c.rope_theta, false);
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    if (!t.contains(key) || !t[key].is_object()) continue;
    const nlohmann::json& r = t[key];
    if (r.contains("rope_theta")) c.rope_theta = r["rope_theta"].get<float>();
    if (r.contains("rope_type") && r["rope_type"].is_string()) {
      const std::string rt = r["rope_type"].get<std::string>();
      QVL_CHECK(rt == "default" || rt == "mrope", "config.json: ", key, ".rope_type '", rt, "' is not supported");
    }
    if (r.contains("mrope_section")) {
      const auto s = r["mrope_section"].get<std::vector<int32_t>>();
      QVL_CHECK(s.size() == 3, "config.json: ", key, ".mrope_section has ", s.size(), " values, want 3");
      c.mrope_section = {s[0], s[1], s[2]};
    }
    if (r.contains("mrope_interleaved")) c.mrope_interleaved = r["mrope_interleaved"].get<bool>();
  }
  bool tie = false;
  if (t.contains("tie_word_embeddings")) tie = t["tie_word_embeddings"].get<bool>();
  if (top.contains("tie_word_embeddings")) tie = top["tie_word_embeddings"].get<bool>();
  c.tie_word_embeddings = tie;
  c.num_experts = num("num_experts", int64_t(0), false);
  c.num_experts_per_tok = num("num_experts_per_tok", int64_t(0), false);
  c.moe_intermediate_size = num("moe_intermediate_size", int64_t(0), false);
  if (t.contains("norm_topk_prob")) c.norm_topk_prob = t["norm_topk_prob"].get<bool>();
  if (top.contains("vision_config") && top["vision_config"].contains("deepstack_visual_indexes"))
    c.n_deepstack_layers = int64_t(top["vision_config"]["deepstack_visual_indexes"].size());
  c.validate();
  return c;
}

TextConfig text_config_from_hf(const nlohmann::json& config) {
  try {
    return parse_hf(config);
  } catch (const nlohmann::json::exception& e) {
    // A wrong JSON type (e.g. a string where a number belongs) is bad input, not a crash.
    QVL_FAIL("config.json: ", e.what());
  }
}

}  // namespace qvl
