// Runs a validated completion request (chat or plain) on the engine and writes
// the OpenAI response: one JSON body, or an SSE stream of chunks with keep-alives.
// Splits reasoning from the answer (chat), builds logprobs, usage with
// reasoning_tokens, llama-server style timings, and the reasoning_mode report.
// Cancels the generation as soon as the client disconnects.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "base/timer.h"
#include "engine/request.h"
#include "serve/modes/mode.h"
#include "serve/openai/request_params.h"
#include "serve/deploy/server_context.h"

namespace qvl::serve {

struct CompletionRun {
  bool chat = true;
  std::string id, model;  // model: the name the client used
  int64_t created = 0;
  ModeDecision decision;
  Budget budget;
  RequestParams params;
  std::shared_ptr<Deployment> deployment;  // keeps the checkpoint alive
  const Checkpoint* cp = nullptr;
  std::string checkpoint_role;  // hybrid | instruct | thinking | single
  bool opens_think = false;
  bool split_reasoning = true;
  bool parse_tool_calls = false;  // chat with tools offered: <tool_call>s become message.tool_calls
  int prompt_tokens = 0;
  int image_tokens = 0;  // of prompt_tokens, those that carry image embeddings
  int video_tokens = 0;  // of prompt_tokens, those that carry video embeddings
  Timer arrival;
};

void run_completion(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, CompletionRun run,
                    GenerationRequest gen);

std::string new_request_id(const char* prefix);  // prefix + 24 random hex digits
std::optional<std::string> header_of(const httplib::Request& req, const char* name);
// How the deployment serves `mode`: hybrid | single | instruct | thinking (which of a pair).
std::string checkpoint_role(const Deployment& dep, Mode mode);

}  // namespace qvl::serve
