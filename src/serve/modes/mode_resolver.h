// Resolves a request's reasoning mode, highest priority first: the
// X-Reasoning-Mode header; body spellings (reasoning_mode,
// chat_template_kwargs.enable_thinking, enable_thinking, reasoning_effort, think);
// a model alias ending in -thinking / -instruct; else the router. "auto" at any
// level hands the choice to the router. Invalid values throw ApiError 400.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "serve/modes/mode.h"
#include "serve/modes/router.h"

namespace qvl::serve {

struct ModeRequest {
  std::optional<std::string> header;  // X-Reasoning-Mode value, if sent
  const nlohmann::json* body = nullptr;
  std::optional<Mode> alias_mode;     // mode implied by the model name used
  std::string alias;                  // that name
  RouterInput router_input;
};

ModeDecision resolve_mode(const ModeRequest& req, const Router& router);

// Mode implied by a model name's suffix (-thinking / -instruct), if any.
std::optional<Mode> mode_from_alias_suffix(const std::string& name);

}  // namespace qvl::serve
