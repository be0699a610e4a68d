// Grammar front ends (grammar layer): each turns one surface syntax into the IR.
// Syntax errors throw qvl::Error naming the place; a feature that cannot be
// enforced throws Unsupported ("unsupported: <what>") at compile time, so no
// constraint is ever silently dropped.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.h"
#include "grammar/ir.h"

namespace qvl::grammar {

class Unsupported : public Error {
 public:
  explicit Unsupported(const std::string& what) : Error("unsupported: " + what) {}
};

// llama.cpp GBNF ("root ::= ..."); root is the start rule.
Grammar parse_gbnf(std::string_view text);

// A Lark grammar's EBNF ("start: ..."), read as a character-level grammar
// (src/grammar/lark.cpp says what is kept of Lark's lexer semantics).
Grammar parse_lark(std::string_view text);

// An ECMAScript regular expression that must match the whole text (no flags).
Grammar compile_regex(std::string_view pattern);

// Exactly one of the strings.
Grammar compile_choices(const std::vector<std::string>& choices);

struct JsonSchemaOptions {
  int max_ws = -1;  // JSON whitespace run between tokens: < 0 unbounded, else at most this many bytes
};
// A JSON Schema (drafts 4 to 2020-12 as real schemas use them) as a grammar of
// JSON text; see docs/GRAMMAR.md for the keywords enforced and refused.
Grammar compile_json_schema(const nlohmann::ordered_json& schema, const JsonSchemaOptions& opt = {});

}  // namespace qvl::grammar

namespace qvl::grammar {

// One grammar from a request-style spec: kind "json_schema" (value: a schema),
// "json_object" (any JSON object; value ignored), "regex", "gbnf", "ebnf" (Lark
// syntax) (value: a string) or "choice" (value: an array of strings).
Grammar compile_spec(std::string_view kind, const nlohmann::ordered_json& value, const JsonSchemaOptions& opt = {});

}  // namespace qvl::grammar
