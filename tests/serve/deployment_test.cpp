// Deployment files: hybrid vs pair, aliases and the modes they imply, profile
// overrides, name clashes, and the shipped example parsing.
#include "serve/deploy/deployment.h"

#include <gtest/gtest.h>

#include "base/error.h"

#include "serve/deploy/config_file.h"

namespace qvl::serve {
namespace {

using nlohmann::json;

TEST(Deployment, ShippedExampleParses) {
  const ServeConfig c = load_serve_config(std::string(QVL_SOURCE_DIR) + "/data/deployments/example.yaml");
  ASSERT_EQ(c.models.size(), 2u);
  EXPECT_EQ(c.thinking_budget_max, 4096);
  const DeploymentSpec& vl = c.models[0];
  EXPECT_TRUE(vl.is_pair());
  EXPECT_EQ(vl.thinking->mmproj, "/models/mmproj-Qwen3-VL-4B-Thinking-F16.gguf");
  EXPECT_EQ(vl.aliases.at("qwen-vl"), std::nullopt);
  EXPECT_EQ(vl.aliases.at("qwen-vl-fast"), Mode::kInstruct);
  EXPECT_EQ(vl.aliases.at("qwen-vl-deep"), Mode::kThinking);
  EXPECT_EQ(vl.aliases.at("qwen3-vl-4b-thinking"), Mode::kThinking);
  EXPECT_EQ(vl.profiles.thinking.wrapup, "\n\nTime is up, so I will answer now.\n</think>\n\n");
  const DeploymentSpec& text = c.models[1];
  EXPECT_FALSE(text.is_pair());
  EXPECT_EQ(text.single->path, "/models/Qwen3-8B-Q4_K_M.gguf");
  EXPECT_EQ(text.aliases.at("qwen3-8b-instruct"), Mode::kInstruct);
}

TEST(Deployment, RelativePathsAndDefaultNames) {
  const ServeConfig c = parse_serve_config(json::parse(R"({"models": [{"model": "m/tiny.gguf"}]})"), "/base");
  EXPECT_EQ(c.models[0].single->path, "/base/m/tiny.gguf");
  EXPECT_EQ(c.models[0].name, "tiny");
  EXPECT_EQ(model_name_from_path("/x/Qwen3-VL-4B/"), "Qwen3-VL-4B");
}

TEST(Deployment, InvalidFilesAreClearErrors) {
  const char* bad[] = {
      R"({})",
      R"({"models": []})",
      R"({"models": [{"name": "a"}]})",
      R"({"models": [{"name": "a", "model": "x.gguf", "instruct": "y.gguf"}]})",
      R"({"models": [{"name": "a", "instruct": "y.gguf"}]})",
      R"({"models": [{"name": "a", "model": "x"}, {"name": "a", "model": "y"}]})",
      R"({"models": [{"name": "a", "model": "x", "aliases": ["b"]}, {"name": "b", "model": "y"}]})",
      R"({"models": [{"name": "a", "model": "x", "profiles": {"thinking": {"tempreature": 1}}}]})",
      R"({"models": [{"name": "a", "model": "x", "profiles": {"thinking": {"wrapup": "no close tag"}}}]})",
      R"({"models": [{"name": "a", "model": "x", "aliases": [{"name": "b", "mode": "fast"}]}]})",
  };
  for (const char* j : bad) EXPECT_THROW(parse_serve_config(json::parse(j), ""), Error) << j;
}

}  // namespace
}  // namespace qvl::serve
