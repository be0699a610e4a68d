// The inputs shared by the guide's generation endpoints (serve layer):
// POST /v1/generate/html as multipart form data or as JSON, and the way such a
// request runs: as a chat completion with one user message (image + text) under
// an endpoint-specific grammar, answered in the endpoint's own shape.
#pragma once
#include <optional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "serve/deploy/server_context.h"

namespace qvl::serve {

struct GuideRequest {
  std::string image_url;  // data: URL (uploaded file or JSON) or an allowed http(s) URL; "" = none
  std::string text;
  std::string model;
  std::optional<std::string> mode;  // instruct | thinking | auto
  std::optional<int64_t> max_tokens, seed;
  std::optional<double> temperature;
  nlohmann::json extra;  // endpoint-specific fields (e.g. allow_script), validated by the endpoint
};

// Parses the body: multipart form data (an `image` file part and text fields,
// split by cpp-httplib while the body is read, see http_server.cpp) or a JSON object (`image` as a data: or http(s) URL). Unknown fields other
// than `extra_fields` are a 400 naming them.
GuideRequest parse_guide_request(const httplib::Request& req, const std::vector<std::string>& extra_fields);

// html and drawio: at least one of `image` and `text` (a 400 naming `text`).
void require_image_or_text(const GuideRequest& in);

struct GuideRun {
  std::string instruction;  // the user text the model gets (the client's text, framed by the endpoint)
  std::string gbnf;         // the output grammar (GBNF), or
  nlohmann::json json_schema;  // ... a JSON Schema for the output (when not null)
  bool logprobs = false;    // ask for the answer's token log-probabilities (GuideResult::logprobs)
  std::string task;         // router task hint when the client sets no mode ("code", "agent")
};

struct GuideResult {
  std::string content, reasoning, model, finish_reason;
  nlohmann::json usage, mode;
  nlohmann::json logprobs;  // choices[0].logprobs.content when GuideRun::logprobs (reasoning tokens too)
};

// Runs the request through the chat completion path (mode resolution, router,
// vision, structured output, steering to completion) and returns its answer.
// Errors come back as ApiError, with `messages` renamed to the field the client sent.
GuideResult run_guided(ServerContext& ctx, const httplib::Request& req, const GuideRequest& in, const GuideRun& run);

}  // namespace qvl::serve
