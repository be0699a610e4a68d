// Regex lowering shared by compile_regex and the JSON Schema front end (grammar
// layer, internal header). In JSON-string mode each character matches its JSON
// spellings inside a string literal instead of its raw UTF-8 bytes.
#pragma once
#include <string_view>
#include <vector>

#include "grammar/ir.h"

namespace qvl::grammar {

struct RegexMode {
  bool json_string = false;  // characters as they appear inside a JSON string literal
  bool search = false;       // JSON Schema "pattern": unanchored unless ^ / $ say otherwise
};

Seq regex_to_seq(GrammarBuilder& b, std::string_view pattern, RegexMode mode);

// Inside a JSON string literal: the raw UTF-8 of these characters where JSON
// allows it, the short escapes (\" \\ \/ \b \f \n \r \t) and \u00XX for controls.
Seq json_string_chars(GrammarBuilder& b, const std::vector<CodeRange>& ranges);
// Any one character of a JSON string literal, \uXXXX escapes included.
Seq json_string_any_char(GrammarBuilder& b);

}  // namespace qvl::grammar
