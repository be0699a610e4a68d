// Mode resolution order (header > body > alias > router), every body spelling,
// "auto", and 400s for values that mean nothing.
#include "serve/modes/mode_resolver.h"

#include <gtest/gtest.h>

#include "serve/http/api_error.h"

namespace qvl::serve {
namespace {

using nlohmann::json;

ModeDecision resolve(std::optional<std::string> header, const json& body, std::optional<Mode> alias = {},
                     const std::string& text = "hello") {
  ModeRequest r;
  r.header = std::move(header);
  r.body = &body;
  r.alias_mode = alias;
  r.alias = alias ? "m-alias" : "";
  r.router_input.text = text;
  static const Router router = Router::defaults();
  return resolve_mode(r, router);
}

TEST(ModeResolver, PriorityOrder) {
  const json body = {{"reasoning_mode", "instruct"}};
  auto d = resolve("thinking", body, Mode::kInstruct, "hello");
  EXPECT_EQ(d.mode, Mode::kThinking);
  EXPECT_EQ(d.source, "header");
  d = resolve(std::nullopt, body, Mode::kThinking, "why?");
  EXPECT_EQ(d.mode, Mode::kInstruct);
  EXPECT_EQ(d.source, "body");
  d = resolve(std::nullopt, json::object(), Mode::kThinking, "hello");
  EXPECT_EQ(d.mode, Mode::kThinking);
  EXPECT_EQ(d.source, "alias");
  EXPECT_EQ(d.field, "m-alias");
  d = resolve(std::nullopt, json::object(), std::nullopt, "why?");
  EXPECT_EQ(d.mode, Mode::kThinking);
  EXPECT_EQ(d.source, "router");
  EXPECT_EQ(d.rule, "en-why");
}

TEST(ModeResolver, EveryBodySpelling) {
  const std::vector<std::tuple<json, Mode, std::string>> cases = {
      {{{"reasoning_mode", "thinking"}}, Mode::kThinking, "reasoning_mode"},
      {{{"chat_template_kwargs", {{"enable_thinking", false}}}}, Mode::kInstruct, "chat_template_kwargs.enable_thinking"},
      {{{"chat_template_kwargs", {{"enable_thinking", true}}}}, Mode::kThinking, "chat_template_kwargs.enable_thinking"},
      {{{"enable_thinking", false}}, Mode::kInstruct, "enable_thinking"},
      {{{"reasoning_effort", "none"}}, Mode::kInstruct, "reasoning_effort"},
      {{{"reasoning_effort", "low"}}, Mode::kThinking, "reasoning_effort"},
      {{{"reasoning_effort", "minimal"}}, Mode::kInstruct, "reasoning_effort"},
      {{{"think", true}}, Mode::kThinking, "think"},
      {{{"think", "high"}}, Mode::kThinking, "think"},
      {{{"think", false}}, Mode::kInstruct, "think"},
  };
  for (const auto& [body, mode, field] : cases) {
    const auto d = resolve(std::nullopt, body);
    EXPECT_EQ(d.mode, mode) << body.dump();
    EXPECT_EQ(d.source, "body") << body.dump();
    EXPECT_EQ(d.field, field) << body.dump();
  }
  // reasoning_mode outranks the other spellings
  const auto d = resolve(std::nullopt, {{"reasoning_mode", "instruct"}, {"enable_thinking", true}});
  EXPECT_EQ(d.field, "reasoning_mode");
}

TEST(ModeResolver, AutoHandsOverToTheRouter) {
  auto d = resolve("auto", {{"reasoning_mode", "instruct"}}, std::nullopt, "prove it");
  EXPECT_EQ(d.source, "router");
  EXPECT_EQ(d.mode, Mode::kThinking);
  EXPECT_EQ(d.field, "X-Reasoning-Mode");
  d = resolve(std::nullopt, {{"reasoning_mode", "auto"}}, Mode::kInstruct, "why");
  EXPECT_EQ(d.source, "router");
  EXPECT_EQ(d.header_value(), "thinking; source=router; field=reasoning_mode; rule=en-why");
}

TEST(ModeResolver, InvalidValuesAre400) {
  for (const json& body : {json{{"reasoning_mode", "maybe"}}, json{{"reasoning_mode", 1}},
                           json{{"enable_thinking", "yes"}}, json{{"chat_template_kwargs", 5}},
                           json{{"reasoning_effort", "max"}}, json{{"think", 3}}}) {
    try {
      resolve(std::nullopt, body);
      ADD_FAILURE() << body.dump();
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), 400) << body.dump();
      EXPECT_FALSE(e.param().empty());
    }
  }
  EXPECT_THROW(resolve("loud", json::object()), ApiError);
}

TEST(ModeResolver, AliasSuffix) {
  EXPECT_EQ(mode_from_alias_suffix("qwen3-vl-thinking"), Mode::kThinking);
  EXPECT_EQ(mode_from_alias_suffix("qwen3-vl-instruct"), Mode::kInstruct);
  EXPECT_FALSE(mode_from_alias_suffix("qwen3-vl"));
}

}  // namespace
}  // namespace qvl::serve
