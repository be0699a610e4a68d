// Mode names and the report of a mode decision.
#include "serve/modes/mode.h"

#include "serve/http/api_error.h"

namespace qvl::serve {

const char* mode_name(Mode m) { return m == Mode::kThinking ? "thinking" : "instruct"; }

std::optional<Mode> parse_mode(const std::string& s, const std::string& param, bool* is_auto) {
  *is_auto = false;
  if (s == "thinking") return Mode::kThinking;
  if (s == "instruct") return Mode::kInstruct;
  if (s == "auto") {
    *is_auto = true;
    return std::nullopt;
  }
  throw bad_param(param, "'" + param + "' must be one of thinking, instruct, auto (got '" + s + "')");
}

nlohmann::json ModeDecision::to_json() const {
  nlohmann::json j = {{"mode", mode_name(mode)}, {"source", source}};
  if (!field.empty()) j["field"] = field;
  if (!rule.empty()) j["rule"] = rule;
  if (!note.empty()) j["note"] = note;
  return j;
}

std::string ModeDecision::header_value() const {
  std::string v = std::string(mode_name(mode)) + "; source=" + source;
  if (!field.empty()) v += "; field=" + field;
  if (!rule.empty()) v += "; rule=" + rule;
  return v;
}

}  // namespace qvl::serve
