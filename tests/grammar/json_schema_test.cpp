// JSON Schema front end: each supported keyword on valid and invalid
// instances, numeric bounds checked exhaustively against arithmetic, and the
// refusals. (The public conformance suite runs in tests/parity.)
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"
#include "grammar_test_util.h"

namespace qvl::grammar {
namespace {

using json = nlohmann::ordered_json;
using testing::full_match;

bool ok(const char* schema, const std::string& text) {
  return full_match(compile_json_schema(json::parse(schema)), text);
}

TEST(JsonSchema, TypesAndWhitespace) {
  EXPECT_TRUE(ok(R"({"type":"string"})", R"( "a\"b\u00e9\n" )"));
  EXPECT_FALSE(ok(R"({"type":"string"})", "\"a\nb\""));  // raw control character
  EXPECT_TRUE(ok(R"({"type":["integer","null"]})", "null"));
  EXPECT_TRUE(ok(R"({"type":"integer"})", "-12"));
  EXPECT_FALSE(ok(R"({"type":"integer"})", "3.0"));  // an integer is generated as digits only
  EXPECT_FALSE(ok(R"({"type":"integer"})", "3.5"));
  EXPECT_FALSE(ok(R"({"type":"integer"})", "012"));
  EXPECT_TRUE(ok(R"({"type":"number"})", "-0.5e+10"));
  EXPECT_TRUE(ok(R"({"type":"boolean"})", "\n\ttrue\r\n"));
  EXPECT_TRUE(ok(R"({})", R"({"a": [1, {"b": null}], "c": "d"})"));
  EXPECT_TRUE(ok(R"(true)", "[]"));
  EXPECT_FALSE(ok(R"(false)", "1"));
}

TEST(JsonSchema, Objects) {
  const char* s = R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},
                      "required":["a"],"additionalProperties":false})";
  EXPECT_TRUE(ok(s, R"({"a": 1})"));
  EXPECT_TRUE(ok(s, R"({ "a" : 1 , "b" : "x" })"));
  EXPECT_FALSE(ok(s, R"({"b": "x"})"));
  EXPECT_FALSE(ok(s, R"({"a": 1, "c": 2})"));
  EXPECT_FALSE(ok(s, R"({"a": "1"})"));
  EXPECT_FALSE(ok(s, R"({"a": 1,})"));
  const char* open = R"({"properties":{"ab":{"type":"integer"}},"additionalProperties":{"type":"boolean"}})";
  EXPECT_TRUE(ok(open, R"({"ab": 1, "a": true, "abc": false, "": true})"));
  EXPECT_FALSE(ok(open, R"({"ab": 1, "ab": true})"));  // a declared key is not an additional one
  EXPECT_FALSE(ok(open, R"({"x": 1})"));
  EXPECT_TRUE(ok(open, R"({})"));
}

TEST(JsonSchema, Arrays) {
  EXPECT_TRUE(ok(R"({"items":{"type":"integer"},"minItems":1,"maxItems":3})", "[1, 2,3]"));
  EXPECT_FALSE(ok(R"({"items":{"type":"integer"},"minItems":1,"maxItems":3})", "[]"));
  EXPECT_FALSE(ok(R"({"items":{"type":"integer"},"minItems":1,"maxItems":3})", "[1,2,3,4]"));
  const char* tuple = R"({"prefixItems":[{"type":"string"},{"type":"integer"}],"items":false})";
  EXPECT_TRUE(ok(tuple, R"(["a", 1])"));
  EXPECT_TRUE(ok(tuple, R"(["a"])"));
  EXPECT_TRUE(ok(tuple, R"([])"));
  EXPECT_FALSE(ok(tuple, R"(["a", 1, 2])"));
  EXPECT_FALSE(ok(tuple, R"([1])"));
  const char* draft7 = R"({"items":[{"type":"string"}],"additionalItems":{"type":"integer"}})";
  EXPECT_TRUE(ok(draft7, R"(["a", 1, 2])"));
  EXPECT_FALSE(ok(draft7, R"(["a", "b"])"));
}

TEST(JsonSchema, EnumConstCombinatorsRefs) {
  EXPECT_TRUE(ok(R"({"enum":["red", 1, null, {"a": [true]}]})", R"({ "a" : [ true ] })"));
  EXPECT_FALSE(ok(R"({"enum":["red", 1]})", "1.0"));
  EXPECT_FALSE(ok(R"({"enum":["red", 1]})", R"("blue")"));
  EXPECT_TRUE(ok(R"({"const":"x"})", R"("x")"));
  EXPECT_TRUE(ok(R"({"anyOf":[{"type":"string"},{"type":"integer","minimum":5}]})", "7"));
  EXPECT_FALSE(ok(R"({"anyOf":[{"type":"string"},{"type":"integer","minimum":5}]})", "4"));
  EXPECT_TRUE(ok(R"({"allOf":[{"type":"integer"},{"minimum":2},{"maximum":3}]})", "3"));
  EXPECT_FALSE(ok(R"({"allOf":[{"type":"integer"},{"minimum":2},{"maximum":3}]})", "4"));
  const char* tree = R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
      "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"],"additionalProperties":false}},
      "$ref":"#/$defs/node"})";
  EXPECT_TRUE(ok(tree, R"({"v":1,"kids":[{"v":2},{"v":3,"kids":[{"v":4,"kids":[]}]}]})"));
  EXPECT_FALSE(ok(tree, R"({"v":1,"kids":[{"v":2},{"kids":[]}]})"));
  EXPECT_TRUE(ok(R"({"properties":{"next":{"$ref":"#"}},"additionalProperties":false})", R"({"next":{"next":{}}})"));
}

TEST(JsonSchema, StringsPatternsFormats) {
  EXPECT_TRUE(ok(R"({"type":"string","minLength":2,"maxLength":3})", R"("ab")"));
  EXPECT_TRUE(ok(R"({"type":"string","minLength":2,"maxLength":3})", R"("a\u00e9c")"));
  EXPECT_FALSE(ok(R"({"type":"string","minLength":2,"maxLength":3})", R"("abcd")"));
  EXPECT_TRUE(ok(R"({"type":"string","pattern":"b+c"})", R"("abbbcd")"));  // unanchored
  EXPECT_FALSE(ok(R"({"type":"string","pattern":"^b+c$"})", R"("abbbc")"));
  EXPECT_TRUE(ok(R"({"type":"string","pattern":"^a\"b$"})", R"("a\"b")"));
  EXPECT_TRUE(ok(R"({"format":"date-time"})", R"("2024-02-29T23:59:60.5+05:30")"));
  EXPECT_FALSE(ok(R"({"format":"date-time"})", R"("2024-13-01T00:00:00Z")"));
  EXPECT_TRUE(ok(R"({"format":"uuid"})", R"("123e4567-e89b-12d3-a456-426614174000")"));
  EXPECT_TRUE(ok(R"({"format":"email"})", R"("joe.bloggs@example.com")"));
  EXPECT_FALSE(ok(R"({"format":"email"})", R"("joe@")"));
  EXPECT_TRUE(ok(R"({"format":"ipv4"})", R"("192.168.0.255")"));
  EXPECT_FALSE(ok(R"({"format":"ipv4"})", R"("256.1.1.1")"));
  EXPECT_TRUE(ok(R"({"format":"date"})", R"("1999-12-31")"));
  EXPECT_TRUE(ok(R"({"format":"time"})", R"("08:30:00Z")"));
  EXPECT_TRUE(ok(R"({"format":"uri"})", R"("https://example.com/a?b=c#d")"));
  EXPECT_FALSE(ok(R"({"format":"uri"})", R"("no scheme")"));
}

// Integer and number bounds against arithmetic on every integer in [-130, 130]
// and on decimals around the bounds.
TEST(JsonSchema, NumericBoundsExhaustive) {
  struct B {
    const char* schema;
    double lo, hi;
    bool lo_incl, hi_incl;
  };
  const double inf = INFINITY;
  const B cases[] = {
      {R"({"type":"integer","minimum":-7,"maximum":105})", -7, 105, true, true},
      {R"({"type":"integer","exclusiveMinimum":-7,"exclusiveMaximum":105})", -7, 105, false, false},
      {R"({"type":"integer","minimum":17})", 17, inf, true, true},
      {R"({"type":"integer","maximum":-20})", -inf, -20, true, true},
      {R"({"type":"integer","minimum":0,"maximum":0})", 0, 0, true, true},
      {R"({"type":"integer","minimum":2.5})", 2.5, inf, true, true},
      {R"({"type":"number","minimum":-3,"exclusiveMaximum":10})", -3, 10, true, false},
      {R"({"type":"number","exclusiveMinimum":0})", 0, inf, false, true},
      {R"({"type":"number","minimum":-100,"maximum":-1})", -100, -1, true, true},
      {R"({"type":"number","exclusiveMinimum":-1,"exclusiveMaximum":1})", -1, 1, false, false},
      {R"({"type":"integer","minimum":5,"exclusiveMinimum":true})", 5, inf, false, true},  // draft 4
  };
  for (const B& c : cases) {
    CompiledGrammar cg(compile_json_schema(json::parse(c.schema)));
    bool integer = std::string(c.schema).find("integer") != std::string::npos;
    auto in = [&](double v) {
      return (c.lo_incl ? v >= c.lo : v > c.lo) && (c.hi_incl ? v <= c.hi : v < c.hi) &&
             (!integer || std::floor(v) == v);
    };
    int hits = 0;
    for (int i = -130; i <= 130; ++i)
      for (const char* frac : {"", ".0", ".5", ".25", ".00", ".01"}) {
        if (integer && *frac) continue;  // integers are digits only (see json_schema_scalars.cpp)
        std::string text = std::to_string(i) + frac;
        double v = std::stod(text);
        if (i == 0 && text[0] == '-') continue;
        auto st = cg.step(cg.initial(), text);
        bool ours = st != CompiledGrammar::kDead && cg.accepts(st);
        ASSERT_EQ(ours, in(v)) << c.schema << " on " << text;
        hits += ours;
      }
    for (const char* text : {"-0.5", "-0.25", "0.5"}) {
      auto st = cg.step(cg.initial(), std::string(text));
      ASSERT_EQ(st != CompiledGrammar::kDead && cg.accepts(st), in(std::stod(text))) << c.schema << " on " << text;
    }
    if (!(c.lo == 0 && c.hi == 0)) {
      EXPECT_GT(hits, 0) << c.schema;
    }
  }
}

TEST(JsonSchema, RefusesWhatItCannotEnforce) {
  for (const char* s : {R"({"not":{"type":"string"}})", R"({"type":"object","minProperties":1})",
                        R"({"type":"array","uniqueItems":true})", R"({"type":"number","multipleOf":0.5})",
                        R"({"type":"string","format":"ipv6-ish"})", R"({"$ref":"other.json#/a"})",
                        R"({"type":"number","minimum":0.5})", R"({"patternProperties":{"^a":{}}})",
                        R"({"if":{"type":"string"},"then":{"minLength":2}})"}) {
    try {
      compile_json_schema(json::parse(s));
      ADD_FAILURE() << s << " compiled";
    } catch (const Unsupported& e) {
      EXPECT_EQ(std::string(e.what()).rfind("unsupported: ", 0), 0u) << s;
    }
  }
  EXPECT_THROW(compile_json_schema(json::parse(R"({"$ref":"#/nowhere"})")), Error);
  EXPECT_THROW(compile_json_schema(json::parse(R"({"type":"strin"})")), Error);
}

TEST(JsonSchema, BoundedWhitespaceOption) {
  JsonSchemaOptions opt;
  opt.max_ws = 2;
  Grammar g = compile_json_schema(json::parse(R"({"type":"array"})"), opt);
  EXPECT_TRUE(full_match(g, "[  1,  2  ]"));
  EXPECT_FALSE(full_match(g, "[   1]"));
}

}  // namespace
}  // namespace qvl::grammar
