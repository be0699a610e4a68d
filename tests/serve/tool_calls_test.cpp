// Tool calling in the serve layer: the <tool_call> parser (whole, cut at every
// byte, several calls, malformed and unclosed calls degrade to content), the
// stream wrapper's OpenAI deltas, the request fields' 400s, the call grammar
// (names, argument schemas, parallel_tool_calls, auto mode's trigger) and the
// content-part flattening for text-only templates.
#include <gtest/gtest.h>

#include "grammar/compiled_grammar.h"
#include "serve/http/api_error.h"
#include "serve/openai/chat_messages.h"
#include "serve/tools/tool_call_parser.h"
#include "serve/tools/tool_call_stream.h"
#include "serve/tools/tool_grammar.h"
#include "serve/tools/tool_request.h"

namespace qvl::serve {
namespace {

using ojson = nlohmann::ordered_json;

struct Whole {
  std::string content;
  std::vector<ParsedToolCall> calls;
};

// Feeds `text` in pieces of `step` bytes (0: all at once), then finishes.
Whole parse(const std::string& text, size_t step = 0) {
  ToolCallParser p;
  Whole w;
  auto take = [&](ToolParse t) {
    w.content += t.content;
    for (auto& c : t.calls) w.calls.push_back(c);
  };
  if (step == 0) take(p.push(text));
  else
    for (size_t i = 0; i < text.size(); i += step) take(p.push(text.substr(i, step)));
  take(p.finish());
  return w;
}

const std::string kCall = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>";

TEST(ToolCallParser, OneCallAfterText) {
  const Whole w = parse("Let me check.\n" + kCall);
  EXPECT_EQ(w.content, "Let me check.");
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0].name, "get_weather");
  EXPECT_EQ(w.calls[0].arguments, "{\"city\":\"Paris\",\"days\":2}");
}

TEST(ToolCallParser, SameResultHoweverTheStreamIsCut) {
  const std::string text = "Sure <b>x</b> < tool " + kCall + "\n" + kCall + "\n<tool_call>\nnot json\n</tool_call> tail <tool_ca";
  const Whole ref = parse(text);
  EXPECT_EQ(ref.calls.size(), 2u);
  EXPECT_EQ(ref.content, "Sure <b>x</b> < tool\n<tool_call>\nnot json\n</tool_call> tail <tool_ca");
  for (size_t step = 1; step <= 13; ++step) {
    const Whole w = parse(text, step);
    EXPECT_EQ(w.content, ref.content) << "step " << step;
    ASSERT_EQ(w.calls.size(), ref.calls.size()) << "step " << step;
    for (size_t i = 0; i < w.calls.size(); ++i) {
      EXPECT_EQ(w.calls[i].name, ref.calls[i].name);
      EXPECT_EQ(w.calls[i].arguments, ref.calls[i].arguments);
    }
  }
}

TEST(ToolCallParser, SeveralCallsWithoutText) {
  const Whole w = parse(kCall + "\n" + kCall + "\n");
  EXPECT_EQ(w.content, "");
  EXPECT_EQ(w.calls.size(), 2u);
}

TEST(ToolCallParser, MalformedCallsAreContent) {
  for (const std::string body : {"{\"arguments\": {}}", "[1, 2]", "{\"name\": 3}", "{\"name\": \"f\", \"arguments\": \"{oops\"}",
                                 "{\"name\": \"f\", \"arguments\": {", "{\"name\": \"\"}"}) {
    const std::string text = "<tool_call>\n" + body + "\n</tool_call>";
    const Whole w = parse(text, 3);
    EXPECT_TRUE(w.calls.empty()) << body;
    EXPECT_EQ(w.content, text) << body;
  }
}

TEST(ToolCallParser, UnclosedCallAtTheEndIsContent) {
  const Whole w = parse("ok " + kCall + "<tool_call>\n{\"name\": \"get_weather\", \"argu", 4);
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.content, "ok<tool_call>\n{\"name\": \"get_weather\", \"argu");
}

TEST(ToolCallParser, ArgumentsSpellings) {
  ParsedToolCall c;
  ASSERT_TRUE(ToolCallParser::parse_call("{\"name\":\"f\",\"arguments\":\"{\\\"a\\\": 1}\"}", &c));
  EXPECT_EQ(c.arguments, "{\"a\":1}");
  ASSERT_TRUE(ToolCallParser::parse_call("{\"name\":\"f\"}", &c));
  EXPECT_EQ(c.arguments, "{}");
  ASSERT_TRUE(ToolCallParser::parse_call(" {\"name\":\"f\",\"parameters\":{\"z\":[1]}} ", &c));
  EXPECT_EQ(c.arguments, "{\"z\":[1]}");
}

TEST(ToolCallParser, PlainTextKeepsItsWhitespaceWhenNoCallIsMade) {
  EXPECT_EQ(parse("Hello  world \n", 1).content, "Hello  world \n");
  EXPECT_EQ(parse("a <tool_callx> b", 2).content, "a <tool_callx> b");
}

TEST(ToolCallStream, DeltasAccumulateToTheMessage) {
  ToolCallStream s;
  std::string acc_content;
  std::map<int, nlohmann::json> acc;  // what the openai SDK builds from the deltas
  const std::string text = "Hi " + kCall + "\n" + kCall;
  auto absorb = [&](const std::vector<nlohmann::json>& ds) {
    for (const auto& d : ds)
      for (const auto& t : d) {
        auto& a = acc[t["index"].get<int>()];
        if (t.contains("id")) {
          a["id"] = t["id"];
          a["type"] = t["type"];
          a["name"] = t["function"]["name"];
          a["arguments"] = "";
        }
        a["arguments"] = a["arguments"].get<std::string>() + t["function"]["arguments"].get<std::string>();
      }
  };
  for (size_t i = 0; i < text.size(); i += 5) {
    std::string c = text.substr(i, 5);
    absorb(s.push(c));
    acc_content += c;
  }
  std::string c;
  absorb(s.finish(c));
  acc_content += c;
  EXPECT_EQ(acc_content, "Hi");
  ASSERT_EQ(s.tool_calls().size(), 2u);
  ASSERT_EQ(acc.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const auto& m = s.tool_calls()[i];
    EXPECT_EQ(m["id"], acc[i]["id"]);
    EXPECT_EQ(m["type"], "function");
    EXPECT_EQ(m["function"]["name"], acc[i]["name"]);
    EXPECT_EQ(m["function"]["arguments"], acc[i]["arguments"]);
    EXPECT_EQ(m["id"].get<std::string>().rfind("call_", 0), 0u);
  }
  EXPECT_NE(s.tool_calls()[0]["id"], s.tool_calls()[1]["id"]);
}

// The 400 a body gets, as "param: message".
std::string refusal(const std::string& body) {
  try {
    parse_tool_request(ojson::parse(body));
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    return e.param();
  }
  return "accepted";
}

const char* kTools = R"([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
  "properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer","minimum":1,"maximum":7}},
  "required":["city","days"],"additionalProperties":false}}},{"type":"function","function":{"name":"ping"}}])";

TEST(ToolRequest, ChoicesAndDefaults) {
  ToolRequest r = parse_tool_request(ojson::parse(std::string("{\"tools\":") + kTools + "}"));
  EXPECT_EQ(r.choice, ToolRequest::Choice::kAuto);
  EXPECT_EQ(r.tools.size(), 2u);
  EXPECT_EQ(r.tools[1].parameters, ojson({{"type", "object"}}));
  r = parse_tool_request(ojson::parse(std::string("{\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"ping\"}},"
                                                  "\"parallel_tool_calls\":false,\"tools\":") + kTools + "}"));
  EXPECT_EQ(r.choice, ToolRequest::Choice::kNamed);
  EXPECT_EQ(r.named, "ping");
  EXPECT_FALSE(r.parallel);
  EXPECT_EQ(parse_tool_request(ojson::parse("{}")).choice, ToolRequest::Choice::kNone);
  EXPECT_EQ(parse_tool_request(ojson::parse("{\"tool_choice\":\"auto\"}")).choice, ToolRequest::Choice::kNone);
}

TEST(ToolRequest, BadFieldsAreNamed) {
  const std::string t = kTools;
  EXPECT_EQ(refusal("{\"tools\":{}}"), "tools");
  EXPECT_EQ(refusal("{\"tools\":[1]}"), "tools[0]");
  EXPECT_EQ(refusal("{\"tools\":[{\"type\":\"retrieval\",\"function\":{\"name\":\"a\"}}]}"), "tools[0].type");
  EXPECT_EQ(refusal("{\"tools\":[{\"type\":\"function\"}]}"), "tools[0].function");
  EXPECT_EQ(refusal("{\"tools\":[{\"function\":{\"name\":\"has space\"}}]}"), "tools[0].function.name");
  EXPECT_EQ(refusal("{\"tools\":[{\"function\":{\"name\":\"a\",\"parameters\":[]}}]}"), "tools[0].function.parameters");
  EXPECT_EQ(refusal("{\"tools\":[{\"function\":{\"name\":\"a\"}},{\"function\":{\"name\":\"a\"}}]}"), "tools[1].function.name");
  EXPECT_EQ(refusal("{\"tools\":" + t + ",\"tool_choice\":\"always\"}"), "tool_choice");
  EXPECT_EQ(refusal("{\"tools\":" + t + ",\"tool_choice\":7}"), "tool_choice");
  EXPECT_EQ(refusal("{\"tools\":" + t + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}}"),
            "tool_choice.function.name");
  EXPECT_EQ(refusal("{\"tools\":" + t + ",\"tool_choice\":{\"type\":\"function\"}}"), "tool_choice.function.name");
  EXPECT_EQ(refusal("{\"tools\":" + t + ",\"parallel_tool_calls\":\"yes\"}"), "parallel_tool_calls");
  EXPECT_EQ(refusal("{\"tool_choice\":\"required\"}"), "tool_choice");
  std::string many = "{\"tools\":[";
  for (int i = 0; i < 513; ++i) many += std::string(i ? "," : "") + "{\"function\":{\"name\":\"f" + std::to_string(i) + "\"}}";
  EXPECT_EQ(refusal(many + "]}"), "tools");
}

bool matches(grammar::CompiledGrammar& g, const std::string& text) {
  const auto s = g.step(g.initial(), text);
  return s != grammar::CompiledGrammar::kDead && g.accepts(s);
}
bool alive(grammar::CompiledGrammar& g, const std::string& text) {
  return g.step(g.initial(), text) != grammar::CompiledGrammar::kDead;
}

std::string call(const std::string& name, const std::string& args) {
  return "<tool_call>\n{\"name\": \"" + name + "\", \"arguments\": " + args + "}\n</tool_call>";
}

TEST(ToolGrammar, RequiredAllowsOnlyValidCalls) {
  ToolRequest r = parse_tool_request(ojson::parse(std::string("{\"tool_choice\":\"required\",\"tools\":") + kTools + "}"));
  auto g = compile_tool_grammar(r, 20);
  EXPECT_TRUE(matches(*g, call("get_weather", "{\"city\": \"Paris\", \"days\": 3}")));
  EXPECT_TRUE(matches(*g, "\n" + call("ping", "{}") + "\n" + call("ping", "{\"any\": [1]}")));
  EXPECT_TRUE(matches(*g, "<tool_call>\n{\"name\":\"ping\",\"arguments\":{}}\n</tool_call>"));
  EXPECT_FALSE(matches(*g, call("get_weather", "{\"city\": \"Paris\", \"days\": 9}")));
  EXPECT_FALSE(matches(*g, call("get_weather", "{\"city\": \"Paris\"}")));
  EXPECT_FALSE(alive(*g, call("get_weather", "{\"city\": \"a very long city name\"")));
  EXPECT_FALSE(alive(*g, call("weather", "{}")));
  EXPECT_FALSE(alive(*g, "Sure"));
  EXPECT_FALSE(matches(*g, ""));
}

TEST(ToolGrammar, NamedAndSingleCall) {
  ToolRequest r = parse_tool_request(ojson::parse(std::string("{\"tool_choice\":{\"type\":\"function\",\"function\":"
                                                              "{\"name\":\"get_weather\"}},\"parallel_tool_calls\":false,\"tools\":") + kTools + "}"));
  auto g = compile_tool_grammar(r, 20);
  const std::string ok = call("get_weather", "{\"city\": \"Oslo\", \"days\": 1}");
  EXPECT_TRUE(matches(*g, ok));
  EXPECT_FALSE(alive(*g, call("ping", "{}")));
  EXPECT_FALSE(alive(*g, ok + "\n<"));
}

TEST(ToolGrammar, AutoTakesTextThenTheSchemaFromTheTrigger) {
  ToolRequest r = parse_tool_request(ojson::parse(std::string("{\"tools\":") + kTools + "}"));
  auto g = compile_tool_grammar(r, 20);
  EXPECT_TRUE(matches(*g, ""));
  EXPECT_TRUE(matches(*g, "Any text, <b>tags</b>, <tool_cal and <<tool_call almost."));
  EXPECT_TRUE(matches(*g, "Checking.\n" + call("get_weather", "{\"city\": \"Rome\", \"days\": 7}")));
  EXPECT_TRUE(matches(*g, "x <<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>"));
  EXPECT_FALSE(alive(*g, "Checking. <tool_call>\nhello"));
  EXPECT_FALSE(alive(*g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": 5"));
  EXPECT_FALSE(matches(*g, "text <tool_call>\n"));
  EXPECT_FALSE(alive(*g, call("ping", "{}") + " trailing text"));
}

TEST(ToolGrammar, BadParametersSchemaNamesTheTool) {
  const auto body = ojson::parse(R"({"tool_choice":"required","tools":[{"function":{"name":"a"}},
    {"function":{"name":"b","parameters":{"type":"object","not":{}}}}]})");
  try {
    compile_tool_grammar(parse_tool_request(body), 20);
    FAIL() << "compiled";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.param(), "tools[1].function.parameters");
    EXPECT_NE(std::string(e.what()).find("unsupported"), std::string::npos);
  }
}

TEST(FlattenContentParts, TextAndPlaceholdersInOrder) {
  ojson msgs = ojson::parse(R"([{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"Look: "},
    {"type":"image"},{"type":"text","text":" and "},{"type":"video"}]}])");
  flatten_content_parts(msgs);
  EXPECT_EQ(msgs[0]["content"], "s");
  EXPECT_EQ(msgs[1]["content"],
            "Look: <|vision_start|><|image_pad|><|vision_end|> and <|vision_start|><|video_pad|><|vision_end|>");
}

}  // namespace
}  // namespace qvl::serve
