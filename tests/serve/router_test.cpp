// Router: built-in rules for English and Chinese cues, rule conditions, config
// parsing errors, and data/router/default.yaml staying equal to the built-in text.
#include "serve/modes/router.h"

#include <gtest/gtest.h>

#include "base/error.h"

#include <fstream>
#include <sstream>

#include "serve/deploy/config_file.h"

namespace qvl::serve {
namespace {

RouteResult route(const Router& r, const std::string& text, bool image = false, const std::string& task = "") {
  return r.route({text, image, task});
}

TEST(Router, DefaultRulesFireOnCues) {
  const Router r = Router::defaults();
  const std::vector<std::tuple<std::string, Mode, std::string>> cases = {
      {"Prove that there are infinitely many primes", Mode::kThinking, "en-proof"},
      {"please DERIVE the formula", Mode::kThinking, "en-proof"},
      {"Why is the sky blue?", Mode::kThinking, "en-why"},
      {"Explain it step by step", Mode::kThinking, "en-steps"},
      {"What if gravity doubled?", Mode::kThinking, "en-what-if"},
      {"Write HTML and CSS for a landing page", Mode::kThinking, "en-web"},
      {"draw a flowchart of the login process", Mode::kThinking, "en-web"},
      {"为什么会下雨", Mode::kThinking, "zh-reasoning"},
      {"请推理一下", Mode::kThinking, "zh-reasoning"},
      {"证明勾股定理", Mode::kThinking, "zh-reasoning"},
      {"假设明天下雨", Mode::kThinking, "zh-reasoning"},
      {"列出步骤", Mode::kThinking, "zh-reasoning"},
      {"如果太阳消失会怎样", Mode::kThinking, "zh-what-if"},
      {"帮我生成HTML页面", Mode::kThinking, "zh-web"},
      {"写CSS样式", Mode::kThinking, "zh-web"},
      {"画流程图", Mode::kThinking, "zh-web"},
      {"Hello! Translate 'cat' to French.", Mode::kInstruct, "default"},
      {"somewhy is not a word", Mode::kInstruct, "default"},  // \b keeps "why" a whole word
  };
  for (const auto& [text, mode, rule] : cases) {
    const RouteResult got = route(r, text);
    EXPECT_EQ(got.mode, mode) << text;
    EXPECT_EQ(got.rule, rule) << text;
  }
}

TEST(Router, ImageAndTaskConditions) {
  const Router r = Router::defaults();
  EXPECT_EQ(route(r, "tap the settings icon on this screen", true).rule, "gui-agent");
  EXPECT_EQ(route(r, "点击登录按钮", true).rule, "gui-agent");
  EXPECT_EQ(route(r, "tap the settings icon", false).rule, "default");  // needs a screenshot
  EXPECT_EQ(route(r, "hello", false, "MATH").rule, "task-thinking");
  EXPECT_EQ(route(r, "why is this so", false, "translation").mode, Mode::kInstruct);  // task wins: earlier rule
}

TEST(Router, CustomRulesFromJson) {
  const Router r = Router::from_json(nlohmann::json::parse(R"({
    "default_mode": "thinking",
    "rules": [
      {"name": "short", "mode": "instruct", "regex": ["^.{0,10}$"]},
      {"name": "long", "mode": "thinking", "min_chars": 100}
    ]})"));
  EXPECT_EQ(route(r, "hi").rule, "short");
  EXPECT_EQ(route(r, std::string(120, 'x')).rule, "long");
  EXPECT_EQ(route(r, std::string(50, 'x')).mode, Mode::kThinking);
  EXPECT_EQ(route(r, std::string(50, 'x')).rule, "default");
}

TEST(Router, BadConfigsAreClearErrors) {
  auto bad = [](const char* j) { return Router::from_json(nlohmann::json::parse(j)); };
  EXPECT_THROW(bad(R"({"rules": [{"mode": "thinking", "keywords": ["a"]}]})"), Error);
  EXPECT_THROW(bad(R"({"rules": [{"name": "x", "mode": "sleepy", "keywords": ["a"]}]})"), Error);
  EXPECT_THROW(bad(R"({"rules": [{"name": "x", "mode": "thinking"}]})"), Error);  // would always fire
  EXPECT_THROW(bad(R"({"rules": [{"name": "x", "mode": "thinking", "regex": ["(unclosed"]}]})"), Error);
  EXPECT_THROW(bad(R"({"rules": [{"name": "x", "mode": "thinking", "keywords": "why"}]})"), Error);
  EXPECT_THROW(bad(R"({"default_mode": 3})"), Error);
}

// Issue 11: libstdc++'s std::regex recursed once per character and overflowed the
// stack on a few hundred kB after a keyword. RE2 is linear and non-recursive: these
// inputs must simply return (a crash or hang fails the test binary).
TEST(Router, HugeInputsMatchWithoutRecursion) {
  const Router r = Router::defaults();
  const std::string pad(800 * 1024, 'a');
  EXPECT_EQ(route(r, "write " + pad + " html").rule, "default");  // en-web's .{0,40} cannot span the pad
  EXPECT_EQ(route(r, "write " + std::string(30, 'x') + " html").rule, "en-web");
  EXPECT_EQ(route(r, pad + " why").rule, "en-why");
  std::string zh = "如果";
  for (int i = 0; i < 100000; ++i) zh += "会";
  EXPECT_EQ(route(r, zh).rule, "default");
  EXPECT_EQ(route(r, zh + "怎样").rule, "zh-what-if");
  std::string words;
  for (int i = 0; i < 200000; ++i) words += "tap ";
  EXPECT_EQ(route(r, words, true).rule, "gui-agent");
  // A rule written to backtrack catastrophically in a backtracking engine.
  const Router evil = Router::from_json(nlohmann::json::parse(
      R"({"rules": [{"name": "evil", "mode": "thinking", "regex": ["^(a+)+$", "(x+x+)+y"]}]})"));
  EXPECT_EQ(route(evil, std::string(100000, 'a')).rule, "evil");
  EXPECT_EQ(route(evil, std::string(100000, 'a') + "!").rule, "default");
  EXPECT_EQ(route(evil, std::string(100000, 'x')).rule, "default");
}

TEST(Router, NonRe2SyntaxIsAConfigError) {
  auto bad = [](const char* re) {
    return Router::from_json({{"rules", {{{"name", "x"}, {"mode", "thinking"}, {"regex", {re}}}}}});
  };
  EXPECT_THROW(bad("(?=look)ahead"), Error);
  EXPECT_THROW(bad("(a)\\1"), Error);
  EXPECT_NO_THROW(bad("\\bwhy\\b"));
}

TEST(Router, ShippedYamlEqualsBuiltIn) {
  std::ifstream f(std::string(QVL_SOURCE_DIR) + "/data/router/default.yaml");
  ASSERT_TRUE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), default_router_yaml());
  const Router file = Router::from_file(std::string(QVL_SOURCE_DIR) + "/data/router/default.yaml");
  EXPECT_EQ(file.to_json(), Router::defaults().to_json());
  EXPECT_GE(file.rules().size(), 10u);
}

TEST(ConfigFile, YamlScalarsAreTyped) {
  const auto j = parse_yaml("a: 1\nb: 2.5\nc: true\nd: '7'\ne: ~\nf: [x, 'y']\n");
  EXPECT_EQ(j["a"], 1);
  EXPECT_EQ(j["b"], 2.5);
  EXPECT_EQ(j["c"], true);
  EXPECT_EQ(j["d"], "7");
  EXPECT_TRUE(j["e"].is_null());
  EXPECT_EQ(j["f"], nlohmann::json::array({"x", "y"}));
  EXPECT_THROW(parse_yaml("a: [1, 2"), Error);
  const auto k = parse_yaml("a: -12\nb: .5\nc: 1e3\nd: 1.\ne: 1.2.3\nf: +\ng: 12abc\nh: 99999999999999999999\n");
  EXPECT_EQ(k["a"], -12);
  EXPECT_EQ(k["b"], 0.5);
  EXPECT_EQ(k["c"], 1000.0);
  EXPECT_EQ(k["d"], 1.0);
  EXPECT_EQ(k["e"], "1.2.3");
  EXPECT_EQ(k["f"], "+");
  EXPECT_EQ(k["g"], "12abc");
  EXPECT_TRUE(k["h"].is_number());
  const auto big = parse_yaml("a: '" + std::string(300000, '9') + "1'\nb: " + std::string(300000, '9') + "x\n");
  EXPECT_TRUE(big["a"].is_string());
  EXPECT_TRUE(big["b"].is_string());
}

}  // namespace
}  // namespace qvl::serve
