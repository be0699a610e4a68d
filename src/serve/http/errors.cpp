// Maps API errors to OpenAI's error types and JSON body. No HTTP here.
#include "serve/http/api_error.h"

namespace qvl::serve {

static std::string type_for(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 408: return "request_timeout";
    case 413: return "request_too_large";
    case 431: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503: return "server_unavailable";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string ApiError::type() const { return type_for(status_); }

nlohmann::json error_body(int status, const std::string& message, const std::string& param,
                          const std::string& code) {
  nlohmann::json e = {{"message", message}, {"type", type_for(status)}};
  e["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
  e["code"] = code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code);
  return {{"error", e}};
}

nlohmann::json error_body(const ApiError& e) { return error_body(e.status(), e.what(), e.param(), e.code()); }

}  // namespace qvl::serve
