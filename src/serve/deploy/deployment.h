// Deployments: what model names the server answers to and which checkpoints back
// them. A name is served by one hybrid checkpoint (the mode sets the template's
// enable_thinking) or an instruct + thinking pair (the mode picks the weights).
// Parsed from command-line flags or a deployment file (JSON or YAML); no loading here.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/modes/mode.h"
#include "serve/modes/profiles.h"

namespace qvl::serve {

struct CheckpointSpec {
  std::string path;
  std::string mmproj;  // "" = no vision encoder
};

struct DeploymentSpec {
  std::string name;
  std::optional<CheckpointSpec> single;  // hybrid (or a checkpoint with one fixed mode)
  std::optional<CheckpointSpec> instruct, thinking;
  std::map<std::string, std::optional<Mode>> aliases;  // alias -> mode it implies (suffix or explicit)
  Profiles profiles = Profiles::qwen_defaults();

  bool is_pair() const { return instruct && thinking; }
};

struct ServeConfig {
  std::vector<DeploymentSpec> models;
  std::string router_file;  // "" = built-in rules
  int thinking_budget_max = 2048;
};

// Model name from a path: file stem without .gguf, or the directory's name.
std::string model_name_from_path(const std::string& path);
// Adds an alias, taking its mode from an explicit value or the -thinking/-instruct suffix.
void add_alias(DeploymentSpec& d, const std::string& alias, std::optional<Mode> mode = std::nullopt);
// Every deployment answers to <name>-thinking and <name>-instruct too.
void add_mode_aliases(DeploymentSpec& d);

// {models: [{name, model | (instruct + thinking), mmproj, aliases, profiles}],
//  router, thinking_budget_max}. Relative paths resolve against base_dir.
ServeConfig parse_serve_config(const nlohmann::json& j, const std::string& base_dir);
ServeConfig load_serve_config(const std::string& path);

}  // namespace qvl::serve
