// OpenAI-shaped API errors for the serve layer: a status code plus the
// {"error": {message, type, param, code}} body. Thrown by parsers and handlers;
// the HTTP glue turns them into responses. Knows nothing about httplib.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace qvl::serve {

class ApiError : public Error {
 public:
  ApiError(int status, std::string message, std::string param = "", std::string code = "")
      : Error(message), status_(status), param_(std::move(param)), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }
  std::string type() const;  // invalid_request_error, authentication_error, ...

 private:
  int status_;
  std::string param_, code_;
};

// 400 with the offending field named, the commonest error by far.
inline ApiError bad_param(const std::string& param, const std::string& message) {
  return ApiError(400, message, param, "invalid_value");
}

nlohmann::json error_body(int status, const std::string& message, const std::string& param = "",
                          const std::string& code = "");
nlohmann::json error_body(const ApiError& e);

}  // namespace qvl::serve
