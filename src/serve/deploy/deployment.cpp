// Deployment file parsing and validation (names unique, aliases unambiguous).
#include "serve/deploy/deployment.h"

#include <filesystem>
#include <set>

#include "base/error.h"
#include "serve/deploy/config_file.h"
#include "serve/modes/mode_resolver.h"

namespace qvl::serve {

namespace fs = std::filesystem;

std::string model_name_from_path(const std::string& path) {
  fs::path p(path);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();  // trailing slash
  std::string n = p.filename().string();
  if (n.ends_with(".gguf")) n.resize(n.size() - 5);
  return n.empty() ? "model" : n;
}

void add_alias(DeploymentSpec& d, const std::string& alias, std::optional<Mode> mode) {
  QVL_CHECK(!alias.empty(), "empty alias for model '", d.name, "'");
  d.aliases[alias] = mode ? mode : mode_from_alias_suffix(alias);
}

void add_mode_aliases(DeploymentSpec& d) {
  d.aliases.emplace(d.name + "-thinking", Mode::kThinking);
  d.aliases.emplace(d.name + "-instruct", Mode::kInstruct);
}

static std::string path_field(const nlohmann::json& m, const char* key, const std::string& base,
                              const std::string& name) {
  QVL_CHECK(m[key].is_string() && !m[key].get<std::string>().empty(), "model '", name, "': '", key,
            "' must be a path");
  fs::path p(m[key].get<std::string>());
  if (p.is_relative() && !base.empty()) p = fs::path(base) / p;
  return p.string();
}

static CheckpointSpec checkpoint(const nlohmann::json& m, const char* key, const std::string& base,
                                 const std::string& name) {
  // "instruct": "a.gguf" or "instruct": {"model": "a.gguf", "mmproj": "v.gguf"}
  const auto& v = m[key];
  CheckpointSpec c;
  if (v.is_object()) {
    QVL_CHECK(v.contains("model"), "model '", name, "': '", key, "' needs a 'model' path");
    c.path = path_field(v, "model", base, name);
    if (v.contains("mmproj")) c.mmproj = path_field(v, "mmproj", base, name);
  } else {
    c.path = path_field(m, key, base, name);
  }
  if (c.mmproj.empty() && m.contains("mmproj")) c.mmproj = path_field(m, "mmproj", base, name);
  return c;
}

ServeConfig parse_serve_config(const nlohmann::json& j, const std::string& base_dir) {
  QVL_CHECK(j.is_object() && j.contains("models") && j["models"].is_array() && !j["models"].empty(),
            "deployment: expected an object with a non-empty 'models' list");
  ServeConfig cfg;
  if (j.contains("router")) {
    QVL_CHECK(j["router"].is_string(), "deployment: 'router' must be a file path");
    cfg.router_file = path_field(j, "router", base_dir, "(top level)");
  }
  if (j.contains("thinking_budget_max")) {
    QVL_CHECK(j["thinking_budget_max"].is_number_integer() && j["thinking_budget_max"].get<int64_t>() >= 0,
              "deployment: 'thinking_budget_max' must be a non-negative integer");
    cfg.thinking_budget_max = j["thinking_budget_max"];
  }
  std::set<std::string> names;
  for (const auto& m : j["models"]) {
    QVL_CHECK(m.is_object(), "deployment: each model must be an object");
    DeploymentSpec d;
    if (m.contains("name")) {
      QVL_CHECK(m["name"].is_string() && !m["name"].get<std::string>().empty(), "deployment: bad model name");
      d.name = m["name"];
    }
    const bool has_single = m.contains("model"), has_i = m.contains("instruct"), has_t = m.contains("thinking");
    QVL_CHECK(has_single != (has_i || has_t), "model '", d.name,
              "': give either 'model' (one hybrid checkpoint) or 'instruct' + 'thinking' (a pair)");
    QVL_CHECK(has_single || (has_i && has_t), "model '", d.name, "': a pair needs both 'instruct' and 'thinking'");
    if (has_single) d.single = checkpoint(m, "model", base_dir, d.name);
    else {
      d.instruct = checkpoint(m, "instruct", base_dir, d.name);
      d.thinking = checkpoint(m, "thinking", base_dir, d.name);
    }
    if (d.name.empty()) d.name = model_name_from_path(d.single ? d.single->path : d.instruct->path);
    if (m.contains("aliases")) {
      QVL_CHECK(m["aliases"].is_array(), "model '", d.name, "': 'aliases' must be a list");
      for (const auto& a : m["aliases"]) {
        if (a.is_string()) add_alias(d, a.get<std::string>());
        else {
          QVL_CHECK(a.is_object() && a.contains("name") && a["name"].is_string(), "model '", d.name,
                    "': an alias is a string or {name, mode}");
          std::optional<Mode> mode;
          if (a.contains("mode")) {
            bool is_auto = false;
            QVL_CHECK(a["mode"].is_string(), "model '", d.name, "': alias mode must be a string");
            mode = parse_mode(a["mode"], "mode", &is_auto);
          }
          add_alias(d, a["name"], mode);
        }
      }
    }
    if (m.contains("profiles")) d.profiles.apply_json(m["profiles"]);
    add_mode_aliases(d);
    QVL_CHECK(names.insert(d.name).second, "deployment: model name '", d.name, "' used twice");
    cfg.models.push_back(std::move(d));
  }
  for (const auto& d : cfg.models)
    for (const auto& [a, mode] : d.aliases)
      QVL_CHECK(names.insert(a).second, "deployment: name or alias '", a, "' used twice");
  return cfg;
}

ServeConfig load_serve_config(const std::string& path) {
  try {
    return parse_serve_config(load_config_file(path), fs::path(path).parent_path().string());
  } catch (const Error& e) {
    QVL_FAIL(path, ": ", e.what());
  }
}

}  // namespace qvl::serve
