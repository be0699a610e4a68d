// Reads a configuration file (JSON, or YAML when the name ends in .yaml/.yml)
// into nlohmann::json, so every config has one validation path. Throws qvl::Error.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace qvl::serve {

nlohmann::json load_config_file(const std::string& path);
nlohmann::json parse_yaml(const std::string& text);  // scalars typed: bool, int, float, null, string

}  // namespace qvl::serve
