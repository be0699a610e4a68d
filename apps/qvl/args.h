// Minimal flag parser shared by the subcommands: --name value, --flag, positional.
// Unknown flags are errors (one line, via qvl::Error).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qvl::app {

class Args {
 public:
  // value_flags take a value (--model PATH); bool_flags do not (--chat).
  // Repeatable value flags (--image A --image B) keep every value.
  Args(const std::vector<std::string>& argv, const std::vector<std::string>& value_flags,
       const std::vector<std::string>& bool_flags);

  bool has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string get(const std::string& flag, const std::string& def = "") const;
  std::vector<std::string> get_all(const std::string& flag) const;
  int get_int(const std::string& flag, int def) const;
  double get_double(const std::string& flag, double def) const;
  std::string require(const std::string& flag) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

}  // namespace qvl::app
