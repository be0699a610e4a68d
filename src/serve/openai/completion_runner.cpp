// Engine events -> OpenAI responses, streamed or whole. The same per-token code
// path feeds both, so streamed deltas concatenate to the non-streamed result.
#include "serve/openai/completion_runner.h"

#include <httplib.h>

#include <algorithm>
#include <random>

#include "base/log.h"
#include "serve/http/api_error.h"
#include "serve/http/connection_watch.h"
#include "serve/http/request_log.h"
#include "serve/openai/generation_job.h"
#include "serve/openai/reasoning_parser.h"
#include "serve/http/sse.h"
#include "serve/tools/tool_call_stream.h"

namespace qvl::serve {

using nlohmann::json;

std::string new_request_id(const char* prefix) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* hex = "0123456789abcdef";
  std::string s(prefix);
  for (int i = 0; i < 24; ++i) s += hex[rng() % 16];
  return s;
}

namespace {

const char* finish_name(FinishReason f) {
  switch (f) {
    case FinishReason::kLength: return "length";
    case FinishReason::kError: return "error";
    default: return "stop";
  }
}

json bytes_of(const std::string& s) {
  json a = json::array();
  for (unsigned char c : s) a.push_back(static_cast<int>(c));
  return a;
}

struct Choice {
  std::unique_ptr<ReasoningParser> parser;
  std::unique_ptr<ToolCallStream> tools;  // set when tool calls are parsed
  std::string reasoning, content;
  json lp_chat = json::array();                                  // chat: logprobs.content
  json lp_tokens = json::array(), lp_values = json::array(), lp_top = json::array(), lp_offsets = json::array();
  int tokens = 0;
  bool done = false;
  GenerationResult result;
  double first_ms = -1, last_ms = -1;
};

// Everything one request needs after the handler returns (streaming runs in
// httplib's content provider, later, on the same thread).
struct Run {
  ServerContext& ctx;
  CompletionRun r;
  GenerationJob job;
  std::vector<Choice> choices;
  ConnectionWatch watch;
  int n_done = 0;
  bool budget_hit = false;
  std::string path;     // the endpoint, for the request log
  bool logged = false;  // the request log record is written once, when the run ends

  Run(ServerContext& c, CompletionRun run, Generator& g, const httplib::Request& req)
      : ctx(c), r(std::move(run)), job(g), watch(req.local_addr, req.local_port, req.remote_addr, req.remote_port),
        path(req.path) {
    choices.resize(r.params.n);
    for (auto& ch : choices) {
      ch.parser = std::make_unique<ReasoningParser>(r.split_reasoning ? r.cp->think_start : -1,
                                                    r.split_reasoning ? r.cp->think_end : -1, r.opens_think);
      if (r.parse_tool_calls) ch.tools = std::make_unique<ToolCallStream>();
    }
  }

  // A run dropped without an ending (the stream never started) still gets its record.
  ~Run() { log_finished(499); }

  const char* mode() const { return mode_name(r.decision.mode); }

  // The request log record (serve/http/request_log.h): status, tokens, timings.
  void log_finished(int status) noexcept {
    if (logged) return;
    logged = true;
    try {
      const Choice& ch = choices[0];
      int completion = 0, reasoning = 0;
      for (const auto& c : choices) {
        completion += c.tokens;
        reasoning += c.parser->reasoning_tokens();
      }
      RequestLogRecord rec;
      rec.request_id = r.id;
      rec.method = "POST";
      rec.endpoint = path;
      rec.model = r.model;
      rec.mode = mode();
      rec.mode_source = r.decision.source;
      rec.router_rule = r.decision.rule;
      rec.status = status;
      rec.stream = r.params.stream;
      rec.finish_reason = ch.done ? finish_of(ch) : "cancelled";
      rec.prompt_tokens = r.prompt_tokens;
      rec.completion_tokens = completion;
      rec.reasoning_tokens = reasoning;
      rec.cached_tokens = ch.result.cached_tokens;
      rec.queue_ms = ch.result.queue_ms;
      rec.ttft_ms = ch.first_ms;
      rec.total_ms = r.arrival.ms();
      log_request(rec);
    } catch (...) {  // a log line must never take a request (or a destructor) down
    }
  }

  // Logprob entries for one token, in the request's wire format.
  void add_logprobs(Choice& ch, const TokenEvent& t, json* chat_entries, json* cmpl) {
    const Tokenizer& tok = *r.cp->tokenizer;
    const std::string piece = tok.token_bytes(t.token);
    if (r.chat) {
      json top = json::array();
      for (const auto& a : t.top) {
        const std::string p = tok.token_bytes(a.id);
        top.push_back({{"token", p}, {"logprob", a.logprob}, {"bytes", bytes_of(p)}});
      }
      json e = {{"token", piece}, {"logprob", t.logprob}, {"bytes", bytes_of(piece)}, {"top_logprobs", top}};
      ch.lp_chat.push_back(e);
      chat_entries->push_back(e);
    } else {
      json top = json::object();
      for (const auto& a : t.top) top[tok.token_bytes(a.id)] = a.logprob;
      const int offset = static_cast<int>(ch.content.size());
      for (auto* dst : {&ch.lp_tokens, &(*cmpl)["tokens"]}) dst->push_back(piece);
      for (auto* dst : {&ch.lp_values, &(*cmpl)["token_logprobs"]}) dst->push_back(t.logprob);
      for (auto* dst : {&ch.lp_top, &(*cmpl)["top_logprobs"]}) dst->push_back(top);
      for (auto* dst : {&ch.lp_offsets, &(*cmpl)["text_offset"]}) dst->push_back(offset);
    }
  }

  // Applies one event; returns the streamed choice objects for it (none if nothing to send).
  std::vector<json> apply(const JobEvent& ev) {
    Choice& ch = choices[ev.choice];
    const double now = r.arrival.ms();
    TextDelta d;
    json lp_chat = json::array(), lp_cmpl = {{"tokens", json::array()}, {"token_logprobs", json::array()},
                                             {"top_logprobs", json::array()}, {"text_offset", json::array()}};
    if (!ev.done) {
      if (ch.first_ms < 0) {
        ch.first_ms = now;
        if (ev.choice == 0) ctx.metrics.time_to_first_token(mode(), now / 1000.0);
      } else {
        ctx.metrics.inter_token_latency(mode(), (now - ch.last_ms) / 1000.0);
      }
      ch.last_ms = now;
      ++ch.tokens;
      if (r.params.logprobs) add_logprobs(ch, ev.token, &lp_chat, &lp_cmpl);
      d = ch.parser->push(ev.token.token, ev.token.text);
    } else {
      ch.done = true;
      ch.result = ev.result;
      budget_hit = budget_hit || ev.result.budget_hit;
      ++n_done;
    }
    std::vector<json> tool_deltas;
    if (ch.tools) tool_deltas = ev.done ? ch.tools->finish(d.content) : ch.tools->push(d.content);
    ch.reasoning += d.reasoning;
    ch.content += d.content;
    const bool has_lp = r.params.logprobs && !ev.done;
    std::vector<json> out;
    if (!d.empty() || has_lp || (ev.done && tool_deltas.empty())) {
      json c = {{"index", ev.choice}, {"finish_reason", nullptr}};
      if (r.chat) {
        json delta = json::object();
        if (!d.reasoning.empty()) delta["reasoning_content"] = delta["reasoning"] = d.reasoning;
        if (!d.content.empty()) delta["content"] = d.content;
        c["delta"] = delta;
        c["logprobs"] = has_lp ? json{{"content", lp_chat}} : json(nullptr);
      } else {
        c["text"] = d.content;
        c["logprobs"] = has_lp ? lp_cmpl : json(nullptr);
      }
      out.push_back(std::move(c));
    }
    for (json& t : tool_deltas)
      out.push_back({{"index", ev.choice}, {"delta", {{"tool_calls", std::move(t)}}}, {"logprobs", nullptr},
                     {"finish_reason", nullptr}});
    if (ev.done) out.back()["finish_reason"] = finish_of(ch);
    return out;
  }

  // "tool_calls" when an answer that ended on its own made calls.
  static const char* finish_of(const Choice& ch) {
    if (ch.tools && ch.tools->any() && ch.result.finish == FinishReason::kStop) return "tool_calls";
    return finish_name(ch.result.finish);
  }

  json usage() const {
    int completion = 0, reasoning = 0;
    for (const auto& ch : choices) {
      completion += ch.tokens;
      reasoning += ch.parser->reasoning_tokens();
    }
    return {{"prompt_tokens", r.prompt_tokens}, {"completion_tokens", completion},
            {"total_tokens", r.prompt_tokens + completion},
            {"prompt_tokens_details", {{"cached_tokens", choices[0].result.cached_tokens},
                                       {"image_tokens", r.image_tokens}, {"video_tokens", r.video_tokens}}},
            {"completion_tokens_details", {{"reasoning_tokens", reasoning}}}};
  }

  // llama-server's timings object, from the engine's numbers or, if it gave none, our clock.
  json timings() const {
    const Choice& ch = choices[0];
    const double prompt_ms = ch.result.prefill_ms > 0 ? ch.result.prefill_ms : std::max(0.0, ch.first_ms);
    const double decode_ms = ch.result.decode_ms > 0 ? ch.result.decode_ms : std::max(0.0, ch.last_ms - ch.first_ms);
    const int pn = r.prompt_tokens, dn = ch.tokens;
    return {{"prompt_n", pn}, {"prompt_ms", prompt_ms},
            {"prompt_per_token_ms", pn ? prompt_ms / pn : 0.0}, {"prompt_per_second", prompt_ms > 0 ? pn * 1000.0 / prompt_ms : 0.0},
            {"predicted_n", dn}, {"predicted_ms", decode_ms},
            {"predicted_per_token_ms", dn ? decode_ms / dn : 0.0},
            {"predicted_per_second", decode_ms > 0 ? dn * 1000.0 / decode_ms : 0.0}, {"queue_ms", ch.result.queue_ms}};
  }

  json mode_report() const {
    json m = r.decision.to_json();
    m["checkpoint"] = r.checkpoint_role;
    if (r.budget.thinking_budget >= 0) {
      m["thinking_budget"] = r.budget.thinking_budget;
      m["budget_hit"] = budget_hit;
    }
    return m;
  }

  json envelope(const char* object) const {
    return {{"id", r.id}, {"object", object}, {"created", r.created}, {"model", r.model}, {"system_fingerprint", "qvl"}};
  }

  void record_tokens() {
    const json u = usage();
    ctx.metrics.tokens(mode(), u["prompt_tokens"], u["completion_tokens"],
                       u["completion_tokens_details"]["reasoning_tokens"]);
  }

  const GenerationResult* error() const {
    for (const auto& ch : choices)
      if (ch.result.finish == FinishReason::kError) return &ch.result;
    return nullptr;
  }
};

void respond_whole(Run& run, httplib::Response& res) {
  JobEvent ev;
  // The hang-up check runs on a clock, not only when no event came: a fast model
  // delivers a token every few ms and would otherwise never be checked.
  auto next_check = std::chrono::steady_clock::now();
  while (!run.job.finished()) {
    const bool got = run.job.next(ev, std::chrono::milliseconds(50));
    if (std::chrono::steady_clock::now() >= next_check) {
      next_check = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
      if (run.watch.closed()) {
        log_info(run.r.id, ": client disconnected, generation cancelled");
        run.job.cancel();
        res.status = 499;  // nginx's "client closed request"; nobody reads it
        run.log_finished(499);
        return;
      }
    }
    if (got) run.apply(ev);
  }
  run.record_tokens();
  if (const GenerationResult* e = run.error()) {
    send_json(res, 500, error_body(500, "generation failed: " + e->error, "", "generation_error"));
    run.log_finished(500);
    return;
  }
  json out = run.envelope(run.r.chat ? "chat.completion" : "text_completion");
  json choices = json::array();
  for (size_t i = 0; i < run.choices.size(); ++i) {
    const Choice& ch = run.choices[i];
    json c = {{"index", i}, {"finish_reason", Run::finish_of(ch)}};
    if (run.r.chat) {
      const json reasoning = ch.reasoning.empty() ? json(nullptr) : json(ch.reasoning);
      // With tools offered, no text is null content (as OpenAI answers a call), which is
      // also what the SDK accumulates from a stream that never sent content.
      const bool calls = ch.tools && ch.tools->any();
      c["message"] = {{"role", "assistant"}, {"content", ch.tools && ch.content.empty() ? json(nullptr) : json(ch.content)},
                      {"reasoning_content", reasoning}, {"reasoning", reasoning}};
      if (calls) c["message"]["tool_calls"] = ch.tools->tool_calls();
      c["logprobs"] = run.r.params.logprobs ? json{{"content", ch.lp_chat}} : json(nullptr);
    } else {
      c["text"] = ch.content;
      c["logprobs"] = run.r.params.logprobs ? json{{"tokens", ch.lp_tokens}, {"token_logprobs", ch.lp_values},
                                                   {"top_logprobs", ch.lp_top}, {"text_offset", ch.lp_offsets}}
                                             : json(nullptr);
    }
    choices.push_back(c);
  }
  out["choices"] = choices;
  out["usage"] = run.usage();
  out["timings"] = run.timings();
  out["reasoning_mode"] = run.mode_report();
  send_json(res, 200, out);
  run.log_finished(200);
}

// The whole stream, inside one content-provider call. Returns false when the client left.
bool stream_all(Run& run, httplib::DataSink& sink) {
  const char* object = run.r.chat ? "chat.completion.chunk" : "text_completion";
  auto send = [&](const std::string& s) { return sink.write(s.data(), s.size()); };
  auto chunk = [&](json choice) {
    json c = run.envelope(object);
    c["choices"] = json::array({std::move(choice)});
    return c;
  };
  Timer since_write;
  // The first chunk carries the role (chat) and the mode report.
  for (int i = 0; i < run.r.params.n; ++i) {
    json role = {{"role", "assistant"}};
    if (!run.r.parse_tool_calls) role["content"] = "";
    json first = run.r.chat ? json{{"index", i}, {"delta", role},
                                   {"logprobs", nullptr}, {"finish_reason", nullptr}}
                            : json{{"index", i}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
    json c = chunk(first);
    c["reasoning_mode"] = run.mode_report();
    if (!send(sse_data(c))) return false;
  }
  JobEvent ev;
  const auto keepalive_ms = run.ctx.opt.keepalive_s * 1000.0;
  while (!run.job.finished()) {
    if (!run.job.next(ev, std::chrono::milliseconds(50))) {
      if (run.watch.closed()) return false;
      if (since_write.ms() >= keepalive_ms) {
        if (!send(sse_keepalive())) return false;
        since_write.reset();
      }
      continue;
    }
    std::vector<json> cs = run.apply(ev);
    if (ev.done && ev.result.finish == FinishReason::kError) {
      if (!send(sse_data(error_body(500, "generation failed: " + ev.result.error, "", "generation_error"))))
        return false;
      continue;
    }
    for (size_t k = 0; k < cs.size(); ++k) {
      json out = chunk(std::move(cs[k]));
      if (ev.done && run.job.finished() && k + 1 == cs.size()) {
        out["timings"] = run.timings();
        out["reasoning_mode"] = run.mode_report();  // final: includes budget_hit
      }
      if (!send(sse_data(out))) return false;
      since_write.reset();
    }
  }
  run.record_tokens();
  if (run.r.params.include_usage) {
    json u = run.envelope(object);
    u["choices"] = json::array();
    u["usage"] = run.usage();
    u["timings"] = run.timings();
    if (!send(sse_data(u))) return false;
  }
  return send(sse_done());
}

// 429 with Retry-After: an estimate in seconds of when a slot frees up (one
// second per waiting request per running one, 1 to 30).
[[noreturn]] void queue_full(const ServerContext& ctx, httplib::Response& res, const std::string& message) {
  const int waiting = ctx.queue_depth(), running = std::max(1, ctx.running());
  res.set_header("Retry-After", std::to_string(std::clamp(1 + waiting / running, 1, 30)));
  throw ApiError(429, message, "", "queue_full");
}

}  // namespace

void run_completion(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, CompletionRun r,
                    GenerationRequest gen) {
  if (ctx.opt.max_queue > 0 && ctx.queue_depth() >= ctx.opt.max_queue)
    queue_full(ctx, res, "the server is busy (request queue full); retry later");
  const int n = r.params.n;
  const bool stream = r.params.stream;
  gen.request_class = r.decision.mode == Mode::kThinking ? RequestClass::kThinking : RequestClass::kInstruct;
  Generator& generator = *r.cp->generator;
  auto run = std::make_shared<Run>(ctx, std::move(r), generator, req);
  try {
    run->job.submit(gen, n);
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    const std::string why = e.what();
    if (why.find("queue full") != std::string::npos || why.find("shutting down") != std::string::npos)
      queue_full(ctx, res, "the engine refused the request: " + why);
    // Everything else the engine checks (prompt length, token ids, spans) was
    // validated above as a 400: a refusal here is our inconsistency, a 500.
    throw;
  }
  res.set_header("X-Reasoning-Mode-Used", run->r.decision.header_value());
  request_log_taken_over(true);  // the run writes this request's log record when it ends
  if (!stream) return respond_whole(*run, res);
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider("text/event-stream", [run](size_t, httplib::DataSink& sink) {
    bool ok = false;
    try {
      ok = stream_all(*run, sink);
    } catch (const std::exception& e) {  // headers are gone: all we can do is end the stream
      log_error(run->r.id, ": stream failed: ", e.what());
    }
    if (!ok) {
      log_info(run->r.id, ": client disconnected, generation cancelled");
      run->job.cancel();
      run->log_finished(499);
      return false;
    }
    sink.done();
    run->log_finished(200);  // errors after the headers travel inside the stream
    return true;
  });
}

}  // namespace qvl::serve
