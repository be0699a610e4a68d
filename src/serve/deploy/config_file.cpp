// JSON/YAML config loading. YAML scalars are typed by what they look like, as YAML 1.2's
// core schema does, because yaml-cpp keeps every scalar as a string.
#include "serve/deploy/config_file.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace qvl::serve {

// YAML 1.2 core-schema numbers, matched by hand (a linear scan, no regex engine):
// int = [-+]?[0-9]+, float = [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
static size_t digits(const std::string& s, size_t i) {
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i;
}

static bool is_int(const std::string& s) {
  const size_t b = !s.empty() && (s[0] == '-' || s[0] == '+');
  return s.size() > b && digits(s, b) == s.size();
}

static bool is_float(const std::string& s) {
  size_t i = !s.empty() && (s[0] == '-' || s[0] == '+');
  const size_t int_end = digits(s, i);
  bool mantissa = int_end > i;
  i = int_end;
  if (i < s.size() && s[i] == '.') {
    const size_t frac_end = digits(s, i + 1);
    mantissa = mantissa || frac_end > i + 1;
    i = frac_end;
  }
  if (!mantissa) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t e = i + 1 + (i + 1 < s.size() && (s[i + 1] == '-' || s[i + 1] == '+'));
    const size_t exp_end = digits(s, e);
    if (exp_end == e) return false;
    i = exp_end;
  }
  return i == s.size();
}

static nlohmann::json scalar(const YAML::Node& n) {
  const std::string s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  if (is_int(s)) {
    errno = 0;
    const long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno != ERANGE) return v;
    return std::strtod(s.c_str(), nullptr);  // too big for 64 bits: keep it a number
  }
  if (is_float(s)) return std::strtod(s.c_str(), nullptr);
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
