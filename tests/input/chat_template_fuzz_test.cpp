// Fuzz test for the chat-template parser and interpreter: random token soup, random
// bytes, and mutations of the real Qwen templates must either render or throw
// qvl::Error, never crash, hang or throw anything else. Seeds are fixed so a failure
// reproduces; each test stops after a fixed number of cases or 8 s, whichever first.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "base/error.h"
#include "input/chat_template/chat_template.h"

namespace {

using json = nlohmann::ordered_json;
constexpr auto kTimeBudget = std::chrono::seconds(8);

const json& context() {
  static const json ctx = json::parse(R"({
    "messages": [
      {"role": "system", "content": "sys"},
      {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi é"}]},
      {"role": "assistant", "content": "<think>\nr\n</think>\n\nok", "tool_calls": [
        {"type": "function", "function": {"name": "f", "arguments": {"a": [1, 2.5, null]}}},
        {"type": "function", "function": {"name": "g", "arguments": "{\"b\": true}"}}]},
      {"role": "tool", "content": "res"},
      {"role": "user", "content": "again"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "add_generation_prompt": true, "enable_thinking": false, "add_vision_id": true})");
  return ctx;
}

std::string read_template(const std::string& name) {
  std::ifstream f(std::string(QVL_SOURCE_DIR) + "/data/templates/" + name + ".jinja", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Returns false (and records a failure) if src escapes as anything but qvl::Error.
bool survives(const std::string& src) {
  try {
    qvl::ChatTemplate t(src);
    t.render(context());
  } catch (const qvl::Error&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << "non-qvl exception " << e.what() << " for template: " << src;
    return false;
  } catch (...) {
    ADD_FAILURE() << "unknown exception for template: " << src;
    return false;
  }
  return true;
}

const std::vector<std::string> kPieces = {
    "{%", "%}", "{{", "}}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", " ", "\n", "\t", "if", "elif", "else", "endif",
    "for", "in", "endfor", "set", "endset", "macro", "endmacro", "call", "endcall", "filter", "endfilter", "break",
    "continue", "not", "and", "or", "is", "defined", "none", "true", "loop", "messages", "message", "content", "x",
    "ns", "namespace(", "range(", "caller(", ".", ",", ":", "(", ")", "[", "]", "{", "}", "|", "~", "+", "-", "*",
    "**", "/", "//", "%", "==", "!=", "<", ">=", "=", "'", "\"", "\\", "'a'", "\"b\"", "0", "1", "-1", "2.5",
    "tojson", "length", "items()", "split(", "strip(", "[::-1]", "[1:]", "loop.index0", "raise_exception(",
    "é", "😀", "\xff", "\xc3", "generation", "endgeneration", "{% generation %}", "\0"};

std::string random_soup(std::mt19937& rng) {
  std::uniform_int_distribution<size_t> len(0, 40), pick(0, kPieces.size() - 1);
  std::string s;
  for (size_t n = len(rng), i = 0; i < n; ++i) s += kPieces[pick(rng)];
  return s;
}

std::string random_bytes(std::mt19937& rng) {
  std::uniform_int_distribution<int> len(0, 120), byte(0, 255);
  std::string s;
  for (int n = len(rng), i = 0; i < n; ++i) s += static_cast<char>(byte(rng));
  return s;
}

std::string mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> ops(1, 4), kind(0, 4);
  for (int n = ops(rng), k = 0; k < n; ++k) {
    if (s.empty()) s = "x";
    std::uniform_int_distribution<size_t> pos(0, s.size() - 1), span(1, std::min<size_t>(s.size(), 64));
    size_t p = pos(rng), l = span(rng);
    switch (kind(rng)) {
      case 0: s.erase(p, l); break;                                                   // delete a range
      case 1: s.insert(p, kPieces[std::uniform_int_distribution<size_t>(0, kPieces.size() - 1)(rng)]); break;
      case 2: s.insert(p, s.substr(pos(rng), l)); break;                              // duplicate a range
      case 3: s[p] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)); break;
      case 4: std::swap(s[p], s[pos(rng)]); break;
    }
  }
  return s;
}

TEST(ChatTemplateFuzz, RandomTokenSoupAndBytes) {
  std::mt19937 rng(1234);
  auto start = std::chrono::steady_clock::now();
  int cases = 0;
  for (; cases < 20000 && std::chrono::steady_clock::now() - start < kTimeBudget; ++cases) {
    if (!survives(cases % 3 == 2 ? random_bytes(rng) : random_soup(rng))) break;
  }
  EXPECT_GT(cases, 500);
}

TEST(ChatTemplateFuzz, MutatedRealTemplates) {
  const std::string sources[] = {read_template("qwen3-hybrid"), read_template("qwen3-vl-instruct"),
                                 read_template("qwen3-vl-thinking")};
  for (const auto& s : sources) ASSERT_GT(s.size(), 1000u);
  std::mt19937 rng(5678);
  auto start = std::chrono::steady_clock::now();
  int cases = 0, rendered = 0;
  for (; cases < 3000 && std::chrono::steady_clock::now() - start < kTimeBudget; ++cases) {
    std::string m = mutate(sources[cases % 3], rng);
    try {
      qvl::ChatTemplate(m).render(context());
      ++rendered;
    } catch (const qvl::Error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << "non-qvl exception " << e.what() << " for mutated template:\n" << m;
      break;
    }
  }
  EXPECT_GT(cases, 300);
  EXPECT_GT(rendered, 0);  // some mutations stay valid, so rendering paths are exercised too
}

}  // namespace
