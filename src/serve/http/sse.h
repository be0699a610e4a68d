// Server-sent events framing for streamed completions: data lines, the [DONE]
// terminator and comment lines used as keep-alives during long prefills.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace qvl::serve {

std::string sse_data(const nlohmann::json& j);  // "data: {...}\n\n"
inline std::string sse_done() { return "data: [DONE]\n\n"; }
inline std::string sse_keepalive() { return ": keep-alive\n\n"; }

}  // namespace qvl::serve
