// Depth- and size-bounded JSON parsing through nlohmann's parser callback: the
// callback sees every container start and value as the parser reaches it, so a
// body nested a million deep is refused at depth 65, not copied first.
#include "serve/http/request_limits.h"

#include "serve/http/api_error.h"

namespace qvl::serve {

template <class Json>
Json parse_bounded_json(const std::string& text) {
  using Event = nlohmann::detail::parse_event_t;
  size_t values = 0;
  auto bound = [&values](int depth, Event ev, Json&) {
    if (ev == Event::object_start || ev == Event::array_start) {
      if (depth + 1 > limits::kJsonDepth)
        throw ApiError(400, str("the JSON body nests deeper than ", limits::kJsonDepth, " levels"), "",
                       "json_too_deep");
    }
    if (ev == Event::object_start || ev == Event::array_start || ev == Event::value) {
      if (++values > limits::kJsonValues)
        throw ApiError(413, str("the JSON body holds more than ", limits::kJsonValues, " values"), "",
                       "json_too_large");
    }
    return true;
  };
  if (text.empty()) throw ApiError(400, "request body is empty; expected a JSON object", "", "invalid_json");
  Json j = Json::parse(text, bound, false);
  if (j.is_discarded()) throw ApiError(400, "request body is not valid JSON", "", "invalid_json");
  if (!j.is_object()) throw ApiError(400, "request body must be a JSON object", "", "invalid_json");
  return j;
}

template nlohmann::json parse_bounded_json<nlohmann::json>(const std::string&);
template nlohmann::ordered_json parse_bounded_json<nlohmann::ordered_json>(const std::string&);

}  // namespace qvl::serve
