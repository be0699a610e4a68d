// Mode router: ordered rules (keywords, regexes, has-image, task hints, length)
// that pick instruct or thinking for requests that did not ask for a mode.
// Explainable: route() names the rule that fired. Regexes run on RE2, whose
// matching is linear in the text and uses no recursion, so a hostile prompt of any
// size cannot blow the stack or take exponential time. Rules come from a config file
// (JSON or YAML, see data/router/default.yaml) or the built-in defaults.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace re2 {
class RE2;
}

#include "serve/modes/mode.h"

namespace qvl::serve {

// A rule fires when every condition it sets holds; keywords and regexes together
// count as one condition ("any of them matches").
struct RouterRule {
  std::string name;
  Mode mode = Mode::kThinking;
  std::vector<std::string> keywords;  // substrings; ASCII letters compared case-insensitively
  std::vector<std::string> regexes;   // RE2 syntax, case-insensitive
  std::optional<bool> has_image;
  std::vector<std::string> tasks;     // request task hint values
  int min_chars = 0;                  // prompt text length in bytes

  std::vector<std::shared_ptr<const re2::RE2>> compiled;  // filled by Router
};

struct RouterInput {
  std::string text;  // the text the rules read: the last user message
  bool has_image = false;
  std::string task;  // body "task" or header X-Task, lower-cased; "" if none
};

struct RouteResult {
  Mode mode;
  std::string rule;  // "default" when no rule fired
};

class Router {
 public:
  Router(std::vector<RouterRule> rules, Mode default_mode);
  static Router defaults();
  static Router from_json(const nlohmann::json& j);  // {default_mode, rules: [...]}; throws qvl::Error
  static Router from_file(const std::string& path);

  RouteResult route(const RouterInput& in) const;
  const std::vector<RouterRule>& rules() const { return rules_; }
  Mode default_mode() const { return default_mode_; }
  nlohmann::json to_json() const;

 private:
  std::vector<RouterRule> rules_;
  Mode default_mode_;
};

const char* default_router_yaml();  // the built-in rules, same text as data/router/default.yaml

}  // namespace qvl::serve
