// load_vision_model: mmproj GGUF (llama.cpp keys and tensor names, spec §9.2)
// or an HF directory (config.json "vision_config" + model.visual.* tensors,
// renamed to the GGUF names the tower resolves).
#include <filesystem>
#include <map>
#include <regex>

#include "base/error.h"
#include "model/gguf/gguf.h"
#include "model/hf/safetensors.h"
#include "model/vision/vision_internal.h"

namespace qvl {

namespace {

class GgufSource : public VisionTensorSource {
 public:
  explicit GgufSource(const std::string& path) : file_(path) {}
  const Tensor* find(const std::string& name) const override { return file_.find_tensor(name); }
  const GgufFile& file() const { return file_; }

 private:
  GgufFile file_;
};

class HfSource : public VisionTensorSource {
 public:
  HfSource(const std::string& dir, const VisionConfig& cfg) : ckpt_(dir) {
    for (const char* p : {"model.visual.", "visual.", "vision_tower."}) {
      if (ckpt_.find_tensor(std::string(p) + "patch_embed.proj.weight")) prefix_ = p;
    }
    QVL_CHECK(!prefix_.empty(), dir, ": no vision tower tensors (model.visual.patch_embed.proj.weight)");
    for (size_t k = 0; k < cfg.deepstack_visual_indexes.size(); ++k) ds_slot_[cfg.deepstack_visual_indexes[k]] = k;
  }
  const HfCheckpoint& checkpoint() const { return ckpt_; }
  const Tensor* find(const std::string& name) const override {
    const std::string hf = rename(name);
    return hf.empty() ? nullptr : ckpt_.find_tensor(prefix_ + hf);
  }

 private:
  std::string rename(const std::string& g) const {
    static const std::map<std::string, std::string> fixed = {
        {"v.patch_embd.weight", "patch_embed.proj.weight"}, {"v.patch_embd.bias", "patch_embed.proj.bias"},
        {"v.position_embd.weight", "pos_embed.weight"},     {"v.post_ln.weight", "merger.norm.weight"},
        {"v.post_ln.bias", "merger.norm.bias"},             {"mm.0.weight", "merger.linear_fc1.weight"},
        {"mm.0.bias", "merger.linear_fc1.bias"},            {"mm.2.weight", "merger.linear_fc2.weight"},
        {"mm.2.bias", "merger.linear_fc2.bias"}};
    if (auto it = fixed.find(g); it != fixed.end()) return it->second;
    static const std::regex blk(R"(v\.blk\.(\d+)\.(\w+)\.(weight|bias))");
    static const std::regex ds(R"(v\.deepstack\.(\d+)\.(\w+)\.(weight|bias))");
    static const std::map<std::string, std::string> blk_parts = {
        {"ln1", "norm1"}, {"ln2", "norm2"}, {"attn_qkv", "attn.qkv"}, {"attn_out", "attn.proj"},
        {"ffn_up", "mlp.linear_fc1"}, {"ffn_down", "mlp.linear_fc2"}};
    static const std::map<std::string, std::string> ds_parts = {
        {"norm", "norm"}, {"fc1", "linear_fc1"}, {"fc2", "linear_fc2"}};
    std::smatch m;
    if (std::regex_match(g, m, blk)) {
      auto it = blk_parts.find(m[2]);
      return it == blk_parts.end() ? "" : "blocks." + m[1].str() + "." + it->second + "." + m[3].str();
    }
    if (std::regex_match(g, m, ds)) {
      auto slot = ds_slot_.find(std::stoll(m[1]));
      auto it = ds_parts.find(m[2]);
      if (slot == ds_slot_.end() || it == ds_parts.end()) return "";
      return "deepstack_merger_list." + std::to_string(slot->second) + "." + it->second + "." + m[3].str();
    }
    return "";
  }

  HfCheckpoint ckpt_;
  std::string prefix_;
  std::map<int64_t, size_t> ds_slot_;
};

int64_t gguf_int(const GgufFile& f, const std::string& key, int64_t fallback, bool required = true) {
  const GgufValue* v = f.find(key);
  if (!v) {
    QVL_CHECK(!required, f.path(), ": missing metadata key ", key);
    return fallback;
  }
  return v->as_int();
}

VisionConfig config_from_gguf(const GgufFile& f) {
  const GgufValue* arch = f.find("general.architecture");
  QVL_CHECK(arch && arch->as_string() == "clip", f.path(), ": not an mmproj file (general.architecture is not 'clip')");
  const GgufValue* proj = f.find("clip.vision.projector_type");
  if (!proj) proj = f.find("clip.projector_type");
  QVL_CHECK(proj && proj->as_string() == "qwen3vl_merger", f.path(), ": projector type is '",
            proj ? proj->as_string() : std::string("(none)"), "', expected 'qwen3vl_merger'");
  VisionConfig c;
  c.depth = gguf_int(f, "clip.vision.block_count", 0);
  c.hidden_size = gguf_int(f, "clip.vision.embedding_length", 0);
  c.num_heads = gguf_int(f, "clip.vision.attention.head_count", 0);
  c.intermediate_size = gguf_int(f, "clip.vision.feed_forward_length", 0);
  c.out_hidden_size = gguf_int(f, "clip.vision.projection_dim", 0);
  c.patch_size = gguf_int(f, "clip.vision.patch_size", 16);
  c.spatial_merge_size = gguf_int(f, "clip.vision.spatial_merge_size", 2, false);
  if (const GgufValue* e = f.find("clip.vision.attention.layer_norm_epsilon")) c.layer_norm_eps = e->as_double();
  for (const char* key : {"clip.vision.image_mean", "clip.vision.image_std"}) {
    if (const GgufValue* v = f.find(key)) {
      const auto a = v->as_double_array();
      QVL_CHECK(a.size() == 3, f.path(), ": ", key, " must have 3 values");
      auto& dst = std::string(key).ends_with("mean") ? c.image_mean : c.image_std;
      for (int i = 0; i < 3; ++i) dst[i] = static_cast<float>(a[i]);
    }
  }
  const Tensor* pos = f.find_tensor("v.position_embd.weight");
  QVL_CHECK(pos != nullptr, f.path(), ": missing tensor v.position_embd.weight");
  c.num_position_embeddings = pos->shape.empty() ? 0 : pos->shape[0];
  if (const GgufValue* ds = f.find("clip.vision.is_deepstack_layers")) {
    for (size_t i = 0; i < ds->array.size(); ++i)
      if (ds->array[i].as_bool()) c.deepstack_visual_indexes.push_back(static_cast<int64_t>(i));
  } else {
    for (int64_t i = 0; i < c.depth; ++i)
      if (f.find_tensor("v.deepstack." + std::to_string(i) + ".fc1.weight")) c.deepstack_visual_indexes.push_back(i);
  }
  return c;
}

VisionConfig config_from_hf(const nlohmann::json& root, const std::string& dir) {
  QVL_CHECK(root.contains("vision_config") && root["vision_config"].is_object(), dir,
            "/config.json has no vision_config");
  const nlohmann::json& v = root["vision_config"];
  auto get = [&](const char* k, int64_t def) -> int64_t {
    if (!v.contains(k)) return def;
    QVL_CHECK(v[k].is_number_integer(), dir, "/config.json: vision_config.", k, " is not an integer");
    return v[k].get<int64_t>();
  };
  VisionConfig c;
  c.depth = get("depth", 0);
  c.hidden_size = get("hidden_size", 0);
  c.num_heads = get("num_heads", 0);
  c.intermediate_size = get("intermediate_size", 0);
  c.out_hidden_size = get("out_hidden_size", 0);
  c.in_channels = get("in_channels", 3);
  c.patch_size = get("patch_size", 16);
  c.temporal_patch_size = get("temporal_patch_size", 2);
  c.spatial_merge_size = get("spatial_merge_size", 2);
  c.num_position_embeddings = get("num_position_embeddings", 2304);
  if (v.contains("deepstack_visual_indexes")) {
    QVL_CHECK(v["deepstack_visual_indexes"].is_array(), dir, "/config.json: deepstack_visual_indexes is not a list");
    for (const auto& x : v["deepstack_visual_indexes"]) {
      QVL_CHECK(x.is_number_integer(), dir, "/config.json: bad deepstack_visual_indexes entry");
      c.deepstack_visual_indexes.push_back(x.get<int64_t>());
    }
  }
  if (v.contains("hidden_act") && v["hidden_act"].is_string()) {
    const std::string act = v["hidden_act"].get<std::string>();
    QVL_CHECK(act == "gelu_pytorch_tanh" || act == "gelu", dir, "/config.json: vision hidden_act '", act,
              "' is not supported");
  }
  return c;
}

}  // namespace

std::unique_ptr<VisionModel> load_vision_model(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const HfCheckpoint probe(path);
    const VisionConfig cfg = config_from_hf(probe.config(), path);
    cfg.validate();
    return make_vision_model(cfg, std::make_shared<HfSource>(path, cfg));
  }
  QVL_CHECK(fs::exists(path, ec), "vision model not found: ", path);
  auto src = std::make_shared<GgufSource>(path);
  const VisionConfig cfg = config_from_gguf(src->file());
  try {
    return make_vision_model(cfg, src);
  } catch (const Error& e) {
    throw Error(str(path, ": ", e.what()));
  }
}

}  // namespace qvl
