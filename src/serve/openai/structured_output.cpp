// requested_grammar / make_matcher: request spellings -> one grammar spec ->
// compiled grammar (400 on any failure); per-checkpoint token tries.
#include "serve/openai/structured_output.h"

#include <map>
#include <mutex>

#include "engine/grammar_vocabulary.h"
#include "grammar/front_ends.h"
#include "serve/http/api_error.h"

namespace qvl::serve {
namespace {

using ojson = nlohmann::ordered_json;

struct Spec {
  std::string param;  // where it came from, for errors
  std::string kind;   // grammar::compile_spec kind
  ojson value;
};

// A schema may arrive as an object or as a JSON string holding one.
ojson schema_value(const ojson& v, const std::string& param) {
  if (v.is_object() || v.is_boolean()) return v;
  if (v.is_string()) {
    ojson parsed = ojson::parse(v.get<std::string>(), nullptr, false);
    if (!parsed.is_discarded() && (parsed.is_object() || parsed.is_boolean())) return parsed;
  }
  throw bad_param(param, "'" + param + "' must be a JSON Schema (an object)");
}

std::vector<Spec> collect(const ojson& body) {
  std::vector<Spec> specs;
  auto present = [&](const char* k) { return body.contains(k) && !body[k].is_null(); };
  if (present("response_format")) {
    const ojson& rf = body["response_format"];
    if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string())
      throw bad_param("response_format", "'response_format' must be an object with a 'type'");
    const std::string type = rf["type"].get<std::string>();
    if (type == "json_object") {
      // OpenAI's json_object may carry a schema (llama.cpp and vLLM accept one there).
      if (rf.contains("schema")) specs.push_back({"response_format.schema", "json_schema", schema_value(rf["schema"], "response_format.schema")});
      else specs.push_back({"response_format", "json_object", nullptr});
    } else if (type == "json_schema") {
      if (!rf.contains("json_schema") || !rf["json_schema"].is_object())
        throw bad_param("response_format", "'response_format.json_schema' must be an object with a 'schema'");
      const ojson& js = rf["json_schema"];
      if (js.contains("schema"))
        specs.push_back({"response_format.json_schema.schema", "json_schema",
                         schema_value(js["schema"], "response_format.json_schema.schema")});
      else  // no schema: any JSON object, as OpenAI does
        specs.push_back({"response_format", "json_object", nullptr});
    } else if (type != "text") {
      throw bad_param("response_format", "response_format type '" + type + "' is not supported");
    }
  }
  if (present("json_schema")) specs.push_back({"json_schema", "json_schema", schema_value(body["json_schema"], "json_schema")});
  if (present("guided_json")) specs.push_back({"guided_json", "json_schema", schema_value(body["guided_json"], "guided_json")});
  for (const auto& [key, kind] : {std::pair<const char*, const char*>{"grammar", "gbnf"}, {"guided_regex", "regex"},
                                  {"guided_grammar", "gbnf"}, {"guided_choice", "choice"}}) {
    if (!present(key)) continue;
    std::string k = kind;
    if (std::string(key) == "guided_grammar" && body[key].is_string() &&
        body[key].get<std::string>().find("::=") == std::string::npos)
      k = "ebnf";  // vLLM's Lark-style grammars; GBNF rules use ::=
    specs.push_back({key, k, body[key]});
  }
  return specs;
}

}  // namespace

std::shared_ptr<grammar::CompiledGrammar> requested_grammar(const ojson& body) {
  std::vector<Spec> specs = collect(body);
  if (specs.empty()) return nullptr;
  if (specs.size() > 1)
    throw bad_param(specs[1].param, "only one structured-output constraint per request ('" + specs[0].param +
                                        "' and '" + specs[1].param + "' given)");
  const Spec& s = specs[0];
  // Generation bounds JSON whitespace per gap (llama.cpp's converter allows a
  // newline and 20 more): enough to pretty-print, never an endless run of it.
  grammar::JsonSchemaOptions opt;
  opt.max_ws = kMaxJsonWhitespace;
  try {
    return std::make_shared<grammar::CompiledGrammar>(grammar::compile_spec(s.kind, s.value, opt));
  } catch (const Error& e) {
    throw ApiError(400, "'" + s.param + "': " + e.what(), s.param, "invalid_grammar");
  }
}

std::shared_ptr<grammar::Matcher> make_matcher(const Checkpoint& cp, std::shared_ptr<grammar::CompiledGrammar> g) {
  static std::mutex mu;
  static std::map<const Tokenizer*, std::shared_ptr<const grammar::TokenTrie>> tries;
  std::shared_ptr<const grammar::TokenTrie> trie;
  {
    std::lock_guard<std::mutex> lk(mu);
    auto& slot = tries[cp.tokenizer];
    if (!slot) slot = grammar_token_trie(*cp.tokenizer, cp.stop_ids);
    trie = slot;
  }
  return std::make_shared<grammar::Matcher>(std::move(g), std::move(trie));
}

}  // namespace qvl::serve
