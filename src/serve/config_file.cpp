// JSON/YAML config loading. YAML scalars are typed by what they look like, as YAML 1.2's
// core schema does, because yaml-cpp keeps every scalar as a string.
#include "serve/config_file.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "base/error.h"

namespace qvl::serve {

static nlohmann::json scalar(const YAML::Node& n) {
  const std::string s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  static const std::regex int_re("[-+]?[0-9]+"), float_re("[-+]?([0-9]*\\.[0-9]+|[0-9]+\\.?)([eE][-+]?[0-9]+)?");
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  if (std::regex_match(s, int_re)) return std::strtoll(s.c_str(), nullptr, 10);
  if (std::regex_match(s, float_re)) return std::strtod(s.c_str(), nullptr);
  return s;
}

static nlohmann::json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return scalar(n);
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& x : n) a.push_back(to_json(x));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
      return o;
    }
  }
  return nullptr;
}

nlohmann::json parse_yaml(const std::string& text) {
  try {
    return to_json(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    QVL_FAIL("invalid YAML: ", e.what());
  }
}

nlohmann::json load_config_file(const std::string& path) {
  std::ifstream f(path);
  QVL_CHECK(f.good(), "cannot open config file ", path);
  std::stringstream ss;
  ss << f.rdbuf();
  const bool yaml = path.size() > 5 && (path.ends_with(".yaml") || path.ends_with(".yml"));
  if (yaml) {
    try {
      return parse_yaml(ss.str());
    } catch (const Error& e) {
      QVL_FAIL(path, ": ", e.what());
    }
  }
  try {
    return nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    QVL_FAIL(path, ": invalid JSON: ", e.what());
  }
}

}  // namespace qvl::serve
