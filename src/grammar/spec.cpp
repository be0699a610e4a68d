// compile_spec: the one entry point that maps a request's grammar kind to its front end.
#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"

namespace qvl::grammar {

Grammar compile_spec(std::string_view kind, const nlohmann::ordered_json& value, const JsonSchemaOptions& opt) {
  auto need_string = [&](const char* what) -> std::string {
    QVL_CHECK(value.is_string(), what, " must be a string");
    return value.get<std::string>();
  };
  try {
    if (kind == "json_schema") return compile_json_schema(value, opt);
    if (kind == "json_object") return compile_json_schema(nlohmann::ordered_json{{"type", "object"}}, opt);
    if (kind == "regex") return compile_regex(need_string("regex"));
    if (kind == "gbnf") return parse_gbnf(need_string("gbnf"));
    if (kind == "ebnf") return parse_lark(need_string("ebnf"));
    if (kind == "choice") {
      QVL_CHECK(value.is_array(), "choice must be an array of strings");
      std::vector<std::string> c;
      for (const auto& v : value) {
        QVL_CHECK(v.is_string(), "choice must be an array of strings");
        c.push_back(v.get<std::string>());
      }
      return compile_choices(c);
    }
  } catch (const nlohmann::json::exception& e) {
    // A schema keyword of the wrong JSON type (e.g. "minLength": "3").
    throw Error(std::string("json schema: ") + e.what());
  }
  throw Unsupported("grammar kind \"" + std::string(kind) + "\"");
}

}  // namespace qvl::grammar
