// Router rule matching and rule-file parsing.
#include "serve/modes/router.h"

#include <re2/re2.h>

#include <algorithm>

#include "base/error.h"
#include "serve/deploy/config_file.h"

namespace qvl::serve {

// RE2's DFA memory per pattern; a pathological rule fails to compile rather than
// growing without bound. 8 MiB is RE2's default, stated here so it is a decision.
constexpr int64_t kRegexMaxMem = 8 << 20;

static std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

Router::Router(std::vector<RouterRule> rules, Mode default_mode)
    : rules_(std::move(rules)), default_mode_(default_mode) {
  for (auto& r : rules_) {
    QVL_CHECK(!r.name.empty(), "router: every rule needs a name");
    const bool has_condition = !r.keywords.empty() || !r.regexes.empty() || r.has_image.has_value() ||
                               !r.tasks.empty() || r.min_chars > 0;
    QVL_CHECK(has_condition, "router: rule '", r.name, "' has no condition and would always fire");
    for (auto& k : r.keywords) k = ascii_lower(k);
    for (auto& t : r.tasks) t = ascii_lower(t);
    r.compiled.clear();
    for (const auto& re : r.regexes) {
      RE2::Options o;
      o.set_case_sensitive(false);
      o.set_log_errors(false);
      o.set_max_mem(kRegexMaxMem);
      auto compiled = std::make_shared<const RE2>(re, o);
      QVL_CHECK(compiled->ok(), "router: rule '", r.name, "': bad regex '", re, "': ", compiled->error(),
                " (RE2 syntax: no look-around or back-references)");
      r.compiled.push_back(std::move(compiled));
    }
  }
}

RouteResult Router::route(const RouterInput& in) const {
  const std::string lower = ascii_lower(in.text);
  const std::string task = ascii_lower(in.task);
  for (const auto& r : rules_) {
    if (r.has_image && *r.has_image != in.has_image) continue;
    if (!r.tasks.empty() && std::find(r.tasks.begin(), r.tasks.end(), task) == r.tasks.end()) continue;
    if (r.min_chars > 0 && static_cast<int>(in.text.size()) < r.min_chars) continue;
    if (!r.keywords.empty() || !r.compiled.empty()) {
      bool hit = false;
      for (const auto& k : r.keywords) hit = hit || lower.find(k) != std::string::npos;
      for (const auto& re : r.compiled) hit = hit || RE2::PartialMatch(in.text, *re);
      if (!hit) continue;
    }
    return {r.mode, r.name};
  }
  return {default_mode_, "default"};
}

static std::vector<std::string> strings(const nlohmann::json& r, const char* key, const std::string& rule) {
  std::vector<std::string> out;
  if (!r.contains(key)) return out;
  const auto& v = r.at(key);
  QVL_CHECK(v.is_array(), "router: rule '", rule, "': '", key, "' must be a list of strings");
  for (const auto& s : v) {
    QVL_CHECK(s.is_string(), "router: rule '", rule, "': '", key, "' must be a list of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

static Mode mode_of(const nlohmann::json& v, const std::string& where) {
  QVL_CHECK(v.is_string() && (v == "thinking" || v == "instruct"), "router: ", where,
            " must be 'thinking' or 'instruct'");
  return v == "thinking" ? Mode::kThinking : Mode::kInstruct;
}

Router Router::from_json(const nlohmann::json& j) {
  QVL_CHECK(j.is_object(), "router: config must be an object with 'rules'");
  const Mode def = j.contains("default_mode") ? mode_of(j["default_mode"], "default_mode") : Mode::kInstruct;
  std::vector<RouterRule> rules;
  if (j.contains("rules")) {
    QVL_CHECK(j["rules"].is_array(), "router: 'rules' must be a list");
    for (const auto& r : j["rules"]) {
      QVL_CHECK(r.is_object() && r.contains("name") && r["name"].is_string(), "router: every rule needs a name");
      RouterRule rule;
      rule.name = r["name"];
      QVL_CHECK(r.contains("mode"), "router: rule '", rule.name, "' needs a mode");
      rule.mode = mode_of(r["mode"], "rule '" + rule.name + "' mode");
      rule.keywords = strings(r, "keywords", rule.name);
      rule.regexes = strings(r, "regex", rule.name);
      rule.tasks = strings(r, "task", rule.name);
      if (r.contains("has_image")) {
        QVL_CHECK(r["has_image"].is_boolean(), "router: rule '", rule.name, "': has_image must be true/false");
        rule.has_image = r["has_image"].get<bool>();
      }
      if (r.contains("min_chars")) {
        QVL_CHECK(r["min_chars"].is_number_integer(), "router: rule '", rule.name, "': min_chars must be an integer");
        rule.min_chars = r["min_chars"];
      }
      rules.push_back(std::move(rule));
    }
  }
  return Router(std::move(rules), def);
}

Router Router::from_file(const std::string& path) {
  try {
    return from_json(load_config_file(path));
  } catch (const Error& e) {
    QVL_FAIL(path, ": ", e.what());
  }
}

Router Router::defaults() { return from_json(parse_yaml(default_router_yaml())); }

nlohmann::json Router::to_json() const {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : rules_) {
    nlohmann::json o = {{"name", r.name}, {"mode", mode_name(r.mode)}};
    if (!r.keywords.empty()) o["keywords"] = r.keywords;
    if (!r.regexes.empty()) o["regex"] = r.regexes;
    if (r.has_image) o["has_image"] = *r.has_image;
    if (!r.tasks.empty()) o["task"] = r.tasks;
    if (r.min_chars) o["min_chars"] = r.min_chars;
    rules.push_back(o);
  }
  return {{"default_mode", mode_name(default_mode_)}, {"rules", rules}};
}

}  // namespace qvl::serve
