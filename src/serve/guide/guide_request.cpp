// Guide endpoint inputs (multipart or JSON) and their run as a chat completion.
#include "serve/guide/guide_request.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "serve/http/api_error.h"
#include "serve/openai/grammar_budget.h"

namespace qvl::serve {
namespace {

using nlohmann::json;

const char* const kCommonFields[] = {"image", "text", "model", "mode", "max_tokens", "temperature", "seed"};

std::string base64(std::string_view in) {
  static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

bool known(const std::string& name, const std::vector<std::string>& extra) {
  return std::find(std::begin(kCommonFields), std::end(kCommonFields), name) != std::end(kCommonFields) ||
         std::find(extra.begin(), extra.end(), name) != extra.end();
}

// A form field's text as the JSON value the JSON spelling would carry.
json form_value(const std::string& name, const std::string& text) {
  if (name == "max_tokens" || name == "seed") {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != 0 || errno != 0) throw bad_param(name, "'" + name + "' must be an integer");
    return v;
  }
  if (name == "temperature") {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != 0) throw bad_param(name, "'temperature' must be a number");
    return v;
  }
  if (text == "true") return true;
  if (text == "false") return false;
  return text;
}

}  // namespace

GuideRequest parse_guide_request(const httplib::Request& req, const std::vector<std::string>& extra_fields) {
  json body = json::object();
  if (req.is_multipart_form_data()) {
    for (const auto& [name, p] : req.files) {
      if (!known(name, extra_fields)) throw bad_param(name, "unknown field '" + name + "'");
      if (body.contains(name)) throw bad_param(name, "field '" + name + "' given twice");
      if (name == "image" && (!p.filename.empty() || !p.content_type.empty())) {
        const std::string type = p.content_type.empty() ? "application/octet-stream" : p.content_type;
        body["image"] = "data:" + type + ";base64," + base64(p.content);
      } else {
        body[name] = form_value(name, p.content);
      }
    }
  } else {
    body = parse_body(req);
    for (const auto& [k, v] : body.items())
      if (!known(k, extra_fields)) throw bad_param(k, "unknown field '" + k + "'");
  }
  GuideRequest g;
  auto str_field = [&](const char* k) -> std::optional<std::string> {
    if (!body.contains(k) || body[k].is_null()) return std::nullopt;
    if (!body[k].is_string()) throw bad_param(k, std::string("'") + k + "' must be a string");
    return body[k].get<std::string>();
  };
  g.image_url = str_field("image").value_or("");
  g.text = str_field("text").value_or("");
  g.model = str_field("model").value_or("");
  g.mode = str_field("mode");
  if (body.contains("max_tokens") && !body["max_tokens"].is_null()) {
    if (!body["max_tokens"].is_number_integer()) throw bad_param("max_tokens", "'max_tokens' must be an integer");
    g.max_tokens = body["max_tokens"].get<int64_t>();
  }
  if (body.contains("seed") && !body["seed"].is_null()) {
    if (!body["seed"].is_number_integer()) throw bad_param("seed", "'seed' must be an integer");
    g.seed = body["seed"].get<int64_t>();
  }
  if (body.contains("temperature") && !body["temperature"].is_null()) {
    if (!body["temperature"].is_number()) throw bad_param("temperature", "'temperature' must be a number");
    g.temperature = body["temperature"].get<double>();
  }
  g.extra = json::object();
  for (const std::string& k : extra_fields)
    if (body.contains(k)) g.extra[k] = body[k];
  return g;
}

void require_image_or_text(const GuideRequest& in) {
  if (in.image_url.empty() && in.text.empty()) throw bad_param("text", "give an 'image', a 'text' or both");
}

GuideResult run_guided(ServerContext& ctx, const httplib::Request& req, const GuideRequest& in, const GuideRun& run) {
  json content = json::array();
  if (!in.image_url.empty()) content.push_back({{"type", "image_url"}, {"image_url", {{"url", in.image_url}}}});
  content.push_back({{"type", "text"}, {"text", run.instruction}});
  json chat = {{"messages", json::array({{{"role", "user"}, {"content", content}}})}};
  if (run.json_schema.is_null()) chat["guided_grammar"] = run.gbnf;
  else chat["response_format"] = {{"type", "json_schema"},
                                  {"json_schema", {{"name", "output"}, {"schema", run.json_schema}, {"strict", true}}}};
  if (run.logprobs) chat["logprobs"] = true;
  if (!in.model.empty()) chat["model"] = in.model;
  if (in.mode) chat["reasoning_mode"] = *in.mode;
  else if (!req.has_header("X-Reasoning-Mode")) chat["task"] = run.task;
  if (in.max_tokens) chat["max_tokens"] = *in.max_tokens;
  if (in.seed) chat["seed"] = *in.seed;
  if (in.temperature) chat["temperature"] = *in.temperature;

  httplib::Request inner = req;
  inner.body = chat.dump();
  inner.headers.erase("Content-Type");
  inner.headers.emplace("Content-Type", "application/json");
  httplib::Response out;
  try {
    RequireCompleteOutput complete;  // a max_tokens too small for any whole document is a 400
    handle_chat_completions(ctx, inner, out);
  } catch (const ApiError& e) {
    const std::string& p = e.param();
    const std::string renamed = p == "messages" ? "image" : p == "reasoning_mode" ? "mode" : p;
    throw ApiError(e.status(), e.what(), renamed, e.code());
  }
  json answer = json::parse(out.body, nullptr, false);
  if (out.status != 200 || answer.is_discarded() || !answer.contains("choices")) {
    const std::string why = answer.is_object() && answer.contains("error") ? answer["error"].value("message", "")
                                                                          : std::string("no answer");
    throw ApiError(out.status >= 400 ? out.status : 500, why, "", "generation_error");
  }
  const json& choice = answer["choices"][0];
  GuideResult r;
  r.content = choice["message"].value("content", "");
  if (choice["message"]["reasoning_content"].is_string()) r.reasoning = choice["message"]["reasoning_content"];
  r.finish_reason = choice.value("finish_reason", "");
  r.model = answer.value("model", in.model);
  r.usage = answer["usage"];
  r.mode = answer["reasoning_mode"];
  if (choice.contains("logprobs") && choice["logprobs"].is_object()) r.logprobs = choice["logprobs"].value("content", json::array());
  return r;
}

}  // namespace qvl::serve
