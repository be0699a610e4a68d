// Bounds on what one request may carry, checked while the body is parsed or before
// any handler copies, recurses over, renders or tokenises it (issue 11: hostile
// input must never take the server down). Every number here is listed in
// docs/API.md, "Limits"; a request over one gets 400 or 413 naming the field.
#pragma once
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace qvl::serve {

namespace limits {
constexpr int kJsonDepth = 64;                // nested arrays/objects in one body
constexpr size_t kJsonValues = 1'000'000;     // values of any kind in one body
constexpr size_t kMessages = 4096;            // chat messages per request
constexpr size_t kContentParts = 1024;        // content parts per message
constexpr size_t kStopStrings = 16;
constexpr size_t kStopBytes = 1024;           // per stop string
constexpr size_t kLogitBias = 4096;           // entries
constexpr size_t kTools = 512;
constexpr size_t kTemplateKwargs = 64;        // keys of chat_template_kwargs
constexpr size_t kShortString = 1024;         // model, user, task, role names
constexpr size_t kHeaders = 128;              // request header lines
constexpr size_t kUrlBytes = 8192;            // request line / URI (cpp-httplib's own cap)
constexpr size_t kHeaderLineBytes = 8192;     // one header line (cpp-httplib's own cap)
}  // namespace limits

// Parses `text` as JSON, refusing while it parses (before any copy or recursion):
// ApiError 400 "json_too_deep" past kJsonDepth nesting, 413 "json_too_large" past
// kJsonValues values, 400 "invalid_json" when malformed or not an object.
template <class Json>
Json parse_bounded_json(const std::string& text);

extern template nlohmann::json parse_bounded_json<nlohmann::json>(const std::string&);
extern template nlohmann::ordered_json parse_bounded_json<nlohmann::ordered_json>(const std::string&);

}  // namespace qvl::serve
