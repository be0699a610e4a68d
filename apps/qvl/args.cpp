#include "apps/qvl/args.h"

#include <algorithm>
#include <cstdlib>

#include "base/error.h"

namespace qvl::app {

Args::Args(const std::vector<std::string>& argv, const std::vector<std::string>& value_flags,
           const std::vector<std::string>& bool_flags) {
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a.substr(2), value;
      const size_t eq = name.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (in(bool_flags, name)) {
        QVL_CHECK(!inline_value, "--", name, " takes no value");
        values_[name].push_back("1");
      } else if (in(value_flags, name)) {
        if (!inline_value) {
          QVL_CHECK(i + 1 < argv.size(), "--", name, " needs a value");
          value = argv[++i];
        }
        values_[name].push_back(value);
      } else {
        QVL_FAIL("unknown option --", name);
      }
    } else {
      positional_.push_back(a);
    }
  }
}

std::string Args::get(const std::string& flag, const std::string& def) const {
  auto it = values_.find(flag);
  return it == values_.end() ? def : it->second.back();
}

std::vector<std::string> Args::get_all(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int Args::get_int(const std::string& flag, int def) const {
  if (!has(flag)) return def;
  const std::string v = get(flag);
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  QVL_CHECK(!v.empty() && *end == 0, "--", flag, " expects an integer, got '", v, "'");
  return static_cast<int>(x);
}

double Args::get_double(const std::string& flag, double def) const {
  if (!has(flag)) return def;
  const std::string v = get(flag);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  QVL_CHECK(!v.empty() && *end == 0, "--", flag, " expects a number, got '", v, "'");
  return x;
}

std::string Args::require(const std::string& flag) const {
  QVL_CHECK(has(flag), "missing required option --", flag);
  return get(flag);
}

}  // namespace qvl::app
