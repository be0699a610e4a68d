// write_test_mmproj: random Qwen3-VL vision towers of real shapes (see
// test_mmproj.h). Values are drawn once in F32, rounded to F16, and written as
// F16 matrices (GGUF) or F32 (HF), so both formats hold the same numbers.
#include "model/vision/test_mmproj.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fp16.h"
#include "model/gguf/gguf.h"
#include "model/hf/safetensors.h"
#include "model/vision/vision_model.h"

namespace qvl {

namespace {

VisionConfig shape_config(const std::string& shape, int64_t text_hidden) {
  VisionConfig c;
  if (shape == "tiny") {
    c.depth = 4, c.hidden_size = 128, c.num_heads = 2, c.intermediate_size = 512;
    c.deepstack_visual_indexes = {1, 2, 3};
  } else if (shape == "2b" || shape == "4b") {
    c.depth = 24, c.hidden_size = 1024, c.num_heads = 16, c.intermediate_size = 4096;
    c.deepstack_visual_indexes = {5, 11, 17};
  } else if (shape == "8b") {
    c.depth = 27, c.hidden_size = 1152, c.num_heads = 16, c.intermediate_size = 4304;
    c.deepstack_visual_indexes = {8, 16, 24};
  } else {
    QVL_FAIL("unknown vision shape '", shape, "' (expected tiny, 2b, 4b or 8b)");
  }
  QVL_CHECK(text_hidden > 0, "text hidden size must be positive");
  c.out_hidden_size = text_hidden;
  return c;
}

struct Rng {
  uint64_t s;
  double uniform() {  // splitmix64 -> [0, 1)
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
  }
};

struct Draft {
  std::string name;               // GGUF name
  std::vector<int64_t> shape;     // outermost first
  std::vector<float> values;      // already F16-representable
  bool matrix = false;            // written as F16 in GGUF
};

class Builder {
 public:
  explicit Builder(uint64_t seed) : rng_{seed * 0x2545F4914F6CDD1Dull + 1} {}
  // Uniform in [center - half, center + half], rounded through F16.
  void add(const std::string& name, std::vector<int64_t> shape, float center, float half, bool matrix) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    Draft d{name, std::move(shape), std::vector<float>(static_cast<size_t>(n)), matrix};
    for (float& v : d.values) v = fp16_to_f32(f32_to_fp16(center + half * static_cast<float>(2 * rng_.uniform() - 1)));
    drafts.push_back(std::move(d));
  }
  void linear(const std::string& name, int64_t out, int64_t in) {
    add(name + ".weight", {out, in}, 0.0f, std::sqrt(3.0f / in), true);  // unit-variance outputs
    add(name + ".bias", {out}, 0.0f, 0.02f, false);
  }
  void norm(const std::string& name, int64_t n) {
    add(name + ".weight", {n}, 1.0f, 0.1f, false);
    add(name + ".bias", {n}, 0.0f, 0.05f, false);
  }
  std::vector<Draft> drafts;

 private:
  Rng rng_;
};

std::vector<Draft> make_weights(const VisionConfig& c, uint64_t seed) {
  Builder b(seed);
  const int64_t hv = c.hidden_size, p = c.patch_size, wide = 4 * hv;
  const float patch_half = std::sqrt(3.0f / (3 * c.temporal_patch_size * p * p));
  for (int64_t t = 0; t < c.temporal_patch_size; ++t) {
    b.add(t == 0 ? "v.patch_embd.weight" : "v.patch_embd.weight." + std::to_string(t), {hv, 3, p, p}, 0.0f,
          patch_half, true);
  }
  b.add("v.patch_embd.bias", {hv}, 0.0f, 0.02f, false);
  b.add("v.position_embd.weight", {c.num_position_embeddings, hv}, 0.0f, 0.5f, false);
  for (int64_t l = 0; l < c.depth; ++l) {
    const std::string n = "v.blk." + std::to_string(l) + ".";
    b.norm(n + "ln1", hv);
    b.linear(n + "attn_qkv", 3 * hv, hv);
    b.linear(n + "attn_out", hv, hv);
    b.norm(n + "ln2", hv);
    b.linear(n + "ffn_up", c.intermediate_size, hv);
    b.linear(n + "ffn_down", hv, c.intermediate_size);
  }
  b.norm("v.post_ln", hv);
  b.linear("mm.0", wide, wide);
  b.linear("mm.2", c.out_hidden_size, wide);
  for (int64_t k : c.deepstack_visual_indexes) {
    const std::string n = "v.deepstack." + std::to_string(k) + ".";
    b.norm(n + "norm", wide);
    b.linear(n + "fc1", wide, wide);
    b.linear(n + "fc2", c.out_hidden_size, wide);
  }
  return std::move(b.drafts);
}

void write_gguf(const VisionConfig& c, const std::vector<Draft>& ws, const std::string& path, bool f32_matrices) {
  GgufWriter w;
  w.set_string("general.architecture", "clip");
  w.set_string("general.name", "qvl test mmproj");
  w.set_string("general.type", "mmproj");
  w.set_string("clip.projector_type", "qwen3vl_merger");
  w.set_string("clip.vision.projector_type", "qwen3vl_merger");
  w.set_bool("clip.has_vision_encoder", true);
  w.set_bool("clip.has_audio_encoder", false);
  w.set_bool("clip.has_llava_projector", false);
  w.set_bool("clip.use_gelu", true);
  w.set_bool("clip.use_silu", false);
  const int64_t side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(c.num_position_embeddings))));
  w.set_u32("clip.vision.image_size", static_cast<uint32_t>(side * c.patch_size));
  w.set_u32("clip.vision.patch_size", static_cast<uint32_t>(c.patch_size));
  w.set_u32("clip.vision.embedding_length", static_cast<uint32_t>(c.hidden_size));
  w.set_u32("clip.vision.feed_forward_length", static_cast<uint32_t>(c.intermediate_size));
  w.set_u32("clip.vision.block_count", static_cast<uint32_t>(c.depth));
  w.set_u32("clip.vision.attention.head_count", static_cast<uint32_t>(c.num_heads));
  w.set_f32("clip.vision.attention.layer_norm_epsilon", c.layer_norm_eps);
  w.set_u32("clip.vision.projection_dim", static_cast<uint32_t>(c.out_hidden_size));
  w.set_u32("clip.vision.spatial_merge_size", static_cast<uint32_t>(c.spatial_merge_size));
  w.set_f32_array("clip.vision.image_mean", {c.image_mean[0], c.image_mean[1], c.image_mean[2]});
  w.set_f32_array("clip.vision.image_std", {c.image_std[0], c.image_std[1], c.image_std[2]});
  GgufValue flags;
  flags.type = GgufType::kArray;
  flags.elem_type = GgufType::kBool;
  for (int64_t i = 0; i < c.depth; ++i) {
    GgufValue b;
    b.type = GgufType::kBool;
    b.scalar = std::find(c.deepstack_visual_indexes.begin(), c.deepstack_visual_indexes.end(), i) !=
               c.deepstack_visual_indexes.end();
    flags.array.push_back(b);
  }
  w.set("clip.vision.is_deepstack_layers", flags);
  for (const Draft& d : ws) {
    std::vector<uint8_t> bytes;
    const bool f16 = d.matrix && !f32_matrices;
    if (f16) {
      bytes.resize(d.values.size() * 2);
      for (size_t i = 0; i < d.values.size(); ++i) {
        const uint16_t h = f32_to_fp16(d.values[i]);
        std::memcpy(&bytes[i * 2], &h, 2);
      }
    } else {
      bytes.resize(d.values.size() * 4);
      std::memcpy(bytes.data(), d.values.data(), bytes.size());
    }
    w.add_tensor(d.name, f16 ? DType::kF16 : DType::kF32, d.shape, std::move(bytes));
  }
  w.write(path);
}

// GGUF name -> HF name (model.visual.*); the patch kernel is rebuilt as 5-D.
std::string hf_name(const std::string& g, const VisionConfig& c) {
  const std::string p = "model.visual.";
  struct R { const char* from; const char* to; };
  static const R fixed[] = {{"v.patch_embd.bias", "patch_embed.proj.bias"}, {"v.position_embd.weight", "pos_embed.weight"},
                            {"v.post_ln.", "merger.norm."}, {"mm.0.", "merger.linear_fc1."}, {"mm.2.", "merger.linear_fc2."}};
  for (const R& r : fixed)
    if (g.rfind(r.from, 0) == 0) return p + r.to + g.substr(std::strlen(r.from));
  if (g.rfind("v.blk.", 0) == 0) {
    std::string rest = g.substr(6);
    static const R parts[] = {{".ln1.", ".norm1."}, {".ln2.", ".norm2."}, {".attn_qkv.", ".attn.qkv."},
                              {".attn_out.", ".attn.proj."}, {".ffn_up.", ".mlp.linear_fc1."}, {".ffn_down.", ".mlp.linear_fc2."}};
    for (const R& r : parts) {
      const size_t at = rest.find(r.from);
      if (at != std::string::npos) return p + "blocks." + rest.replace(at, std::strlen(r.from), r.to);
    }
  }
  if (g.rfind("v.deepstack.", 0) == 0) {
    const std::string rest = g.substr(12);
    const size_t dot = rest.find('.');
    const int64_t idx = std::stoll(rest.substr(0, dot));
    const size_t slot = std::find(c.deepstack_visual_indexes.begin(), c.deepstack_visual_indexes.end(), idx) -
                        c.deepstack_visual_indexes.begin();
    std::string part = rest.substr(dot + 1);
    if (part.rfind("fc1.", 0) == 0) part = "linear_fc1." + part.substr(4);
    if (part.rfind("fc2.", 0) == 0) part = "linear_fc2." + part.substr(4);
    return p + "deepstack_merger_list." + std::to_string(slot) + "." + part;
  }
  QVL_FAIL("no HF name for ", g);
}

void write_hf(const VisionConfig& c, const std::vector<Draft>& ws, const std::string& dir) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  std::vector<Tensor> ts;
  std::vector<std::vector<float>> keep;
  const int64_t hv = c.hidden_size, pp = c.patch_size * c.patch_size, tp = c.temporal_patch_size;
  std::vector<float> patch(static_cast<size_t>(hv * 3 * tp * pp));
  for (const Draft& d : ws) {
    if (d.name.rfind("v.patch_embd.weight", 0) == 0) {
      const int64_t t = d.name == "v.patch_embd.weight" ? 0 : std::stoll(d.name.substr(20));
      for (int64_t o = 0; o < hv; ++o)
        for (int64_t ch = 0; ch < 3; ++ch)
          for (int64_t i = 0; i < pp; ++i) patch[((o * 3 + ch) * tp + t) * pp + i] = d.values[(o * 3 + ch) * pp + i];
      continue;
    }
    ts.push_back({hf_name(d.name, c), DType::kF32, d.shape, d.values.data()});
  }
  ts.push_back({"model.visual.patch_embed.proj.weight", DType::kF32, {hv, 3, tp, c.patch_size, c.patch_size},
                patch.data()});
  write_safetensors((fs::path(dir) / "model-visual.safetensors").string(), ts);

  // The tower lives in its own shard; the index lists it beside the text model's
  // tensors (an existing model.safetensors is indexed as it stands).
  const fs::path index_path = fs::path(dir) / "model.safetensors.index.json";
  nlohmann::json index = {{"metadata", nlohmann::json::object()}, {"weight_map", nlohmann::json::object()}};
  if (fs::exists(index_path)) {
    std::ifstream in(index_path);
    index = nlohmann::json::parse(in, nullptr, true);
    QVL_CHECK(index.is_object() && index.contains("weight_map"), index_path.string(), " has no weight_map");
  } else if (fs::exists(fs::path(dir) / "model.safetensors")) {
    const SafetensorsFile text((fs::path(dir) / "model.safetensors").string());
    for (const Tensor& t : text.tensors()) index["weight_map"][t.name] = "model.safetensors";
  }
  for (const Tensor& t : ts) index["weight_map"][t.name] = "model-visual.safetensors";
  std::ofstream idx(index_path);
  idx << index.dump(2) << "\n";
  QVL_CHECK(idx.good(), "cannot write ", index_path.string());

  const fs::path cfg_path = fs::path(dir) / "config.json";
  nlohmann::json root = nlohmann::json::object();
  if (fs::exists(cfg_path)) {
    std::ifstream in(cfg_path);
    root = nlohmann::json::parse(in, nullptr, true);
    QVL_CHECK(root.is_object(), cfg_path.string(), " is not a JSON object");
  }
  root["vision_config"] = {
      {"model_type", "qwen3_vl"},           {"depth", c.depth},
      {"hidden_size", c.hidden_size},       {"hidden_act", "gelu_pytorch_tanh"},
      {"intermediate_size", c.intermediate_size}, {"num_heads", c.num_heads},
      {"in_channels", c.in_channels},       {"patch_size", c.patch_size},
      {"spatial_merge_size", c.spatial_merge_size}, {"temporal_patch_size", c.temporal_patch_size},
      {"out_hidden_size", c.out_hidden_size}, {"num_position_embeddings", c.num_position_embeddings},
      {"deepstack_visual_indexes", c.deepstack_visual_indexes}, {"initializer_range", 0.02}};
  for (auto [k, v] : {std::pair{"image_token_id", 151655}, {"video_token_id", 151656},
                      {"vision_start_token_id", 151652}, {"vision_end_token_id", 151653}}) {
    if (!root.contains(k)) root[k] = v;
  }
  std::ofstream out(cfg_path);
  out << root.dump(2) << "\n";
  QVL_CHECK(out.good(), "cannot write ", cfg_path.string());
}

}  // namespace

void write_test_mmproj(const std::string& shape, int64_t text_hidden, uint64_t seed, const std::string& path,
                       const std::string& format, bool f32_matrices) {
  const VisionConfig cfg = shape_config(shape, text_hidden);
  cfg.validate();
  const std::vector<Draft> ws = make_weights(cfg, seed);
  if (format == "gguf") write_gguf(cfg, ws, path, f32_matrices);
  else if (format == "hf") write_hf(cfg, ws, path);
  else QVL_FAIL("unknown mmproj format '", format, "' (expected gguf or hf)");
}

}  // namespace qvl
