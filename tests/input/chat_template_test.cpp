// ChatTemplate unit tests: the real Qwen3 / Qwen3-VL templates on known prompts
// (expected strings follow the spec, docs/spec §7, and were checked against
// @huggingface/jinja), error reporting, resource bounds, thread safety, and
// find_chat_template_in_hf_dir. Byte parity on many inputs lives in
// chat_template.test.mjs / chat_template_features.test.mjs.
#include "input/chat_template/chat_template.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/error.h"

namespace {

using qvl::ChatTemplate;
using json = nlohmann::ordered_json;

std::string read_template(const std::string& name) {
  std::ifstream f(std::string(QVL_SOURCE_DIR) + "/data/templates/" + name + ".jinja", std::ios::binary);
  EXPECT_TRUE(f) << name;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string render(const std::string& src, const json& ctx) { return ChatTemplate(src).render(ctx); }

// The error message of rendering src, or "" when it renders.
std::string error_of(const std::string& src, const json& ctx = json::object()) {
  try {
    ChatTemplate(src).render(ctx);
  } catch (const qvl::Error& e) {
    return e.what();
  }
  return "";
}

const json kImageConversation = json::parse(R"({
  "messages": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe this image."}]}],
  "add_generation_prompt": true})");

TEST(ChatTemplate, Qwen3VlInstructImagePrompt) {
  ChatTemplate t(read_template("qwen3-vl-instruct"));
  EXPECT_EQ(t.apply(kImageConversation),
            "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe this image.<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, Qwen3VlThinkingOpensThinkBlock) {
  ChatTemplate t(read_template("qwen3-vl-thinking"));
  EXPECT_EQ(t.apply(kImageConversation),
            "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe this image.<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n");
}

TEST(ChatTemplate, Qwen3HybridThinkingSwitch) {
  ChatTemplate t(read_template("qwen3-hybrid"));
  json conv = json::parse(R"({"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true})");
  EXPECT_EQ(t.apply(conv), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  conv["enable_thinking"] = false;
  EXPECT_EQ(t.apply(conv), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  conv["enable_thinking"] = true;
  EXPECT_EQ(t.apply(conv), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, ThinkingHistoryKeepsOnlyCurrentToolLoopReasoning) {
  ChatTemplate t(read_template("qwen3-vl-thinking"));
  json conv = json::parse(R"({"messages": [
    {"role": "user", "content": "Q1"},
    {"role": "assistant", "content": "A1", "reasoning_content": "old thoughts"},
    {"role": "user", "content": "Q2"},
    {"role": "assistant", "content": "", "reasoning_content": "call it",
     "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"x": 1}}}]},
    {"role": "tool", "content": "42"}], "add_generation_prompt": true})");
  EXPECT_EQ(t.apply(conv),
            "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
            "<|im_start|>user\nQ2<|im_end|>\n"
            "<|im_start|>assistant\n<think>\ncall it\n</think>\n\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n</tool_call><|im_end|>\n"
            "<|im_start|>user\n<tool_response>\n42\n</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n<think>\n");
}

TEST(ChatTemplate, ToolsKeepRequestKeyOrder) {
  ChatTemplate t(read_template("qwen3-vl-instruct"));
  json conv = json::parse(R"({"messages": [{"role": "user", "content": "x"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"z": 1, "a": "é"}}}]})");
  std::string out = t.apply(conv);
  EXPECT_NE(out.find("\n{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"z\": 1, \"a\": \"é\"}}}\n"),
            std::string::npos)
      << out;
}

TEST(ChatTemplate, ApplyDefaultsLikeTransformers) {
  ChatTemplate t("{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ enable_thinking is defined }}");
  EXPECT_EQ(t.apply(json{{"messages", json::array()}}), "true|true|false|false");
  EXPECT_THROW(t.apply(json{{"no_messages", 1}}), qvl::Error);
}

TEST(ChatTemplate, PlainJsonContextConverts) {
  nlohmann::json ctx = {{"x", {{"b", 1}, {"a", 2}}}};
  EXPECT_EQ(ChatTemplate("{{ x|tojson }}").render(ctx), "{\"a\": 2, \"b\": 1}");  // nlohmann::json sorts keys
}

TEST(ChatTemplate, WhitespaceControlMatchesHuggingFace) {
  // trim_blocks + lstrip_blocks: block lines vanish, expression indentation stays.
  EXPECT_EQ(render("a\n  {% if true %}\n  b\n  {% endif %}\n  {{ 'c' }}\n", json::object()), "a\n  b\n  c");
  EXPECT_EQ(render("x  {%- if true -%}  y  {%- endif -%}  z", json::object()), "xyz");
}

TEST(ChatTemplate, ReferenceQuirksAreKept) {
  // @huggingface/jinja prints booleans in lowercase, ignores strip()'s argument and
  // keeps Python's floor division: the reference is the spec here.
  EXPECT_EQ(render("{{ true }}|{{ s.strip('x') }}|{{ -7 // 2 }}|{{ 1.0 }}", json{{"s", " xa "}}), "true|xa|-4|1.0");
}

TEST(ChatTemplate, StringRepetitionExtension) {
  EXPECT_EQ(render("{{ '=' * 3 }}{{ 2 * 'ab' }}", json::object()), "===abab");
}

TEST(ChatTemplate, ErrorsNameWhatIsWrong) {
  EXPECT_NE(error_of("{% include 'x.jinja' %}").find("unsupported statement '{% include %}'"), std::string::npos);
  EXPECT_NE(error_of("{{ 'a'|frobnicate }}").find("unsupported filter 'frobnicate'"), std::string::npos);
  EXPECT_NE(error_of("{{ 1 is prime }}").find("unsupported test 'is prime'"), std::string::npos);
  EXPECT_NE(error_of("{{ 'a'.zfill(3) }}").find("'zfill' is not a function"), std::string::npos);
  EXPECT_NE(error_of("{{ raise_exception('no system role') }}").find("no system role"), std::string::npos);
  EXPECT_NE(error_of("{% if x %}open").find("missing {% endif %}"), std::string::npos);
  EXPECT_NE(error_of("{{ 'open }}").find("syntax error"), std::string::npos);
  EXPECT_NE(error_of("{% for x in 5 %}{% endfor %}").find("cannot loop over IntegerValue"), std::string::npos);
  EXPECT_NE(error_of("{{ x }}", json{{"true", 1}}).find("collides"), std::string::npos);
}

TEST(ChatTemplate, MalformedInputsFailCleanly) {
  ChatTemplate t(read_template("qwen3-vl-instruct"));
  EXPECT_THROW(t.render(json::array()), qvl::Error);                                   // context not an object
  EXPECT_THROW(t.apply(json{{"messages", 5}}), qvl::Error);                            // messages not a list
  EXPECT_THROW(t.apply(json{{"messages", {{{"role", "user"}, {"content", 7}}}}}), qvl::Error);  // content not iterable
  json deep = json::array();
  for (int i = 0; i < 1000; ++i) deep = json::array({deep});
  EXPECT_THROW(t.apply(json{{"messages", json::array()}, {"x", deep}}), qvl::Error);    // nesting bound
}

// Each runaway stops at a step, depth or size budget (the error names which). No
// wall-clock assertion: the budgets count work, so the verdict holds on a slow or
// emulated CPU; a hang would still fail through ctest's time-out.
TEST(ChatTemplate, RunawayTemplatesAreBounded) {
  EXPECT_NE(error_of("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").find("nested deeper"), std::string::npos);
  EXPECT_NE(error_of("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
                .find("budget"),
            std::string::npos);
  EXPECT_NE(error_of("{{ range(100000000) }}").find("range()"), std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}").find("nested deeper"), std::string::npos);
  EXPECT_NE(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}").find("too deep"), std::string::npos);
  // Doubling a list or a string, or blowing one up with replace/indent, stops at the caps.
  EXPECT_NE(error_of("{% set ns = namespace(a=[1]) %}{% for i in range(60) %}{% set ns.a = ns.a + ns.a %}{% endfor %}")
                .find("budget"),
            std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
                .find("MiB"),
            std::string::npos);
  EXPECT_NE(error_of("{{ ('x' * 1000000)|replace('x', '" + std::string(100, 'y') + "') }}").find("too large"),
            std::string::npos);
  EXPECT_NE(error_of("{{ ('\\n' * 1000000)|indent(1000, true, true) }}").find("MiB"), std::string::npos);
}

TEST(ChatTemplate, ConcurrentRendersAgree) {
  ChatTemplate t(read_template("qwen3-vl-thinking"));
  std::string expected = t.apply(kImageConversation);
  std::vector<std::thread> threads;
  std::vector<std::string> got(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 50; ++k) got[i] = t.apply(kImageConversation);
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

class HfDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qvl_tpl_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name, std::ios::binary) << text; }
  std::string find() { return qvl::find_chat_template_in_hf_dir(dir_.string()); }
  std::filesystem::path dir_;
};

TEST_F(HfDirTest, EmptyDirectoryHasNone) { EXPECT_EQ(find(), ""); }

TEST_F(HfDirTest, TokenizerConfigString) {
  write("tokenizer_config.json", R"({"chat_template": "{{ 'tc' }}"})");
  EXPECT_EQ(find(), "{{ 'tc' }}");
}

TEST_F(HfDirTest, TokenizerConfigListPicksDefault) {
  write("tokenizer_config.json",
        R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  EXPECT_EQ(find(), "D");
}

TEST_F(HfDirTest, ListWithoutDefaultIsAnError) {
  write("tokenizer_config.json", R"({"chat_template": [{"name": "rag", "template": "R"}]})");
  EXPECT_THROW(find(), qvl::Error);
}

TEST_F(HfDirTest, ChatTemplateJsonBeatsTokenizerConfig) {
  write("tokenizer_config.json", R"({"chat_template": "TC"})");
  write("chat_template.json", R"({"chat_template": "CJ"})");
  EXPECT_EQ(find(), "CJ");
}

TEST_F(HfDirTest, JinjaFileBeatsEverything) {
  write("tokenizer_config.json", R"({"chat_template": "TC"})");
  write("chat_template.json", R"({"chat_template": "CJ"})");
  write("chat_template.jinja", "JJ\n");
  EXPECT_EQ(find(), "JJ\n");
}

TEST_F(HfDirTest, MalformedJsonIsAnError) {
  write("chat_template.json", "{not json");
  EXPECT_THROW(find(), qvl::Error);
}

}  // namespace
