// The one log record per HTTP request (the access log): who asked for what, which
// mode and router rule served it, the answer's status, tokens and timings. In
// JSON mode (`--log-format json`) it is one JSON object per line, fields in
// docs/OPERATIONS.md. Completions write it themselves when the last token is out
// (a stream's tokens are unknown when the headers go); every other request gets
// it from the HTTP front's post-routing hook.
#pragma once
#include <string>

namespace qvl::serve {

struct RequestLogRecord {
  std::string request_id, method, endpoint, model;
  std::string mode, mode_source, router_rule;  // empty when the endpoint has no mode
  int status = 0;
  bool stream = false;
  std::string finish_reason;  // of the first choice; empty when not a completion
  // -1 = not applicable (not a completion).
  int prompt_tokens = -1, completion_tokens = -1, reasoning_tokens = -1, cached_tokens = -1;
  double queue_ms = -1, ttft_ms = -1, total_ms = -1;
};

void log_request(const RequestLogRecord& r);

// Per HTTP worker thread: set when a completion has taken over writing this
// request's record, so the post-routing hook does not write a second one.
void request_log_taken_over(bool taken);
bool request_log_taken_over();

}  // namespace qvl::serve
