// Reasoning modes and the record of how a request's mode was chosen (reported
// back to the client). Pure data; resolution lives in mode_resolver.h.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace qvl::serve {

enum class Mode { kInstruct, kThinking };

const char* mode_name(Mode m);
// "thinking" | "instruct" -> mode; "auto" -> nullopt with *is_auto set; else throws ApiError 400.
std::optional<Mode> parse_mode(const std::string& s, const std::string& param, bool* is_auto);

struct ModeDecision {
  Mode mode = Mode::kInstruct;
  std::string source;  // header | body | alias | router | checkpoint
  std::string field;   // which header/body field/alias, e.g. "chat_template_kwargs.enable_thinking"
  std::string rule;    // router rule that fired (source == router)
  std::string note;    // e.g. why a checkpoint overrode the request

  nlohmann::json to_json() const;
  std::string header_value() const;  // X-Reasoning-Mode-Used: "thinking; source=router; rule=en-why"
};

}  // namespace qvl::serve
