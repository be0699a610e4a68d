// TextConfig from HF config.json: nesting, both rope spellings, MoE fields, and the
// checks that reject configs that lie.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/config.h"

namespace qvl {
namespace {

nlohmann::json vl_config() {
  return nlohmann::json::parse(R"({
    "model_type": "qwen3_vl", "tie_word_embeddings": true,
    "text_config": {"vocab_size": 151936, "hidden_size": 2560, "num_hidden_layers": 36,
      "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 9728,
      "rms_norm_eps": 1e-6, "rope_theta": 5000000, "max_position_embeddings": 262144,
      "rope_scaling": {"rope_type": "default", "mrope_interleaved": true, "mrope_section": [24, 20, 20]}},
    "vision_config": {"deepstack_visual_indexes": [5, 11, 17]}})");
}

TEST(ConfigTest, NestedVlConfig) {
  const TextConfig c = text_config_from_hf(vl_config());
  EXPECT_EQ(c.architecture, "qwen3vl");
  EXPECT_EQ(c.hidden_size, 2560);
  EXPECT_EQ(c.num_attention_heads * c.head_dim, 4096);  // q width != hidden for 4B
  EXPECT_FLOAT_EQ(c.rope_theta, 5e6f);
  EXPECT_EQ(c.mrope_section[1], 20);
  EXPECT_TRUE(c.mrope_interleaved);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.n_deepstack_layers, 3);
}

TEST(ConfigTest, RopeParametersSpelling) {
  nlohmann::json j = vl_config();
  auto& t = j["text_config"];
  t.erase("rope_scaling");
  t.erase("rope_theta");
  t["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 5000000}, {"mrope_interleaved", true},
                          {"mrope_section", {24, 20, 20}}};
  const TextConfig c = text_config_from_hf(j);
  EXPECT_FLOAT_EQ(c.rope_theta, 5e6f);
  EXPECT_EQ(c.mrope_section[0], 24);
  EXPECT_TRUE(c.mrope_interleaved);
}

TEST(ConfigTest, FlatMoeConfig) {
  const auto j = nlohmann::json::parse(R"({"model_type": "qwen3_moe", "vocab_size": 151936,
    "hidden_size": 2048, "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4,
    "head_dim": 128, "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768,
    "norm_topk_prob": true, "rope_theta": 1000000, "rope_scaling": null})");
  const TextConfig c = text_config_from_hf(j);
  EXPECT_EQ(c.architecture, "qwen3moe");
  EXPECT_TRUE(c.is_moe());
  EXPECT_EQ(c.mrope_section[0] + c.mrope_section[1] + c.mrope_section[2], 0);
}

TEST(ConfigTest, RejectsLies) {
  auto bad = [](auto edit) {
    nlohmann::json j = vl_config();
    edit(j["text_config"]);
    return j;
  };
  EXPECT_THROW(text_config_from_hf(bad([](auto& t) { t["num_key_value_heads"] = 5; })), Error);
  EXPECT_THROW(text_config_from_hf(bad([](auto& t) { t["head_dim"] = 100; })), Error);
  EXPECT_THROW(text_config_from_hf(bad([](auto& t) { t["hidden_size"] = -1; })), Error);
  EXPECT_THROW(text_config_from_hf(bad([](auto& t) { t["rope_scaling"]["mrope_section"] = {40, 20, 20}; })), Error);
  EXPECT_THROW(text_config_from_hf(bad([](auto& t) { t["rope_scaling"]["rope_type"] = "yarn"; })), Error);
  EXPECT_THROW(text_config_from_hf(bad([](auto& t) { t["num_experts"] = 4; })), Error);  // dense arch
  EXPECT_THROW(text_config_from_hf(bad([](auto& t) { t.erase("num_hidden_layers"); })), Error);
  EXPECT_THROW(text_config_from_hf(nlohmann::json::array()), Error);
}

}  // namespace
}  // namespace qvl
