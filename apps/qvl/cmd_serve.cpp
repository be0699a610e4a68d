// `qvl serve`: the OpenAI-compatible HTTP server. Parses flags or a deployment
// file, starts listening at once (GET /health says 503 until the models are
// loaded), loads every checkpoint with its own engine thread and KV pool (all
// engines share the compute threads through default_scheduler()), then serves
// until SIGINT/SIGTERM. HTTP handling lives in src/serve; this file only wires it.
#include <csignal>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "apps/qvl/load_progress.h"
#include "apps/qvl/hub_models.h"
#include "base/error.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "engine/engine.h"
#include "engine/kv_budget.h"
#include "hub/model_ref.h"
#include "model/model.h"
#include "serve/deploy/config_file.h"
#include "serve/deploy/deployment.h"
#include "serve/http/http_server.h"
#include "serve/media/serve_vision.h"

namespace qvl::app {
namespace {

const char* kServeUsage = R"(usage: qvl serve (--model PATH [--thinking-model PATH] | --deployment FILE) [options]
  --model PATH            a GGUF file or HF directory; alone it is a hybrid (or single-mode) checkpoint.
                          Any model or mmproj path may be a hub reference, ORG/NAME:FILE (one file) or
                          ORG/NAME (an HF directory), pulled into the hub cache on first use (qvl pull --help)
  --endpoint URL --offline  the hub for those references (default $HF_ENDPOINT); --offline: cache only
  --thinking-model PATH   makes --model the instruct half of an instruct + thinking pair
  --mmproj PATH           vision encoder for --model (and for --thinking-model unless --thinking-mmproj)
  --thinking-mmproj PATH  vision encoder for --thinking-model
  --name NAME             model name clients use (default: the file name); --alias NAME (repeatable)
  --deployment FILE       JSON or YAML file describing several models (see data/deployments/)
  --router FILE           mode-router rules (JSON or YAML; default: data/router/default.yaml, built in)
  --host H --port P       listen address (default 127.0.0.1:8080; port 0 = any free port)
  --api-key KEY           require Authorization: Bearer KEY (except /health and /metrics)
  --cors-origin ORIGIN    allow browser calls from ORIGIN ("*" for any); repeatable
  --thinking-budget-max N ceiling for per-request thinking budgets (default 2048)
  --effort-budgets SPEC   thinking budgets for reasoning_effort (default low=512,medium=2048,high=max)
  --allow-image-urls H,H  fetch http(s) image URLs from these hosts ("*" = any; default: none, data: URLs only)
  --allow-private-image-urls  also fetch from loopback / private / link-local addresses
  --image-url-timeout-s S time-out per image fetch (default 10); --image-url-max-mb N size cap (default 20)
  --profiles FILE         per-mode profiles for every model (JSON/YAML {instruct: {...}, thinking: {...}})
  --wrapup TEXT           line injected when the thinking budget is spent (must contain </think>)
  --ctx N                 context length per sequence (default: min(model maximum, 8192))
  --kv-memory SIZE        KV cache memory over all checkpoints, e.g. 4G, 512M (default: half of the
                          available RAM less the model files; a checkpoint never takes more than
                          --max-running contexts); printed at start. Blocks fill as sequences grow.
  --max-running N         sequences decoded together per checkpoint (default 8)
  --max-running-thinking N  of those, at most N thinking-mode sequences (default: 3/4 of --max-running,
                          so instruct requests always find a slot; = --max-running to turn off; the
                          halves of an instruct + thinking pair have no default cap)
  --max-running-instruct N  at most N instruct-mode sequences (default --max-running)
  --max-batch-tokens N    tokens per forward pass, decode + prefill chunks (default 512)
  --no-prefix-cache       do not share KV blocks of equal prompt prefixes between requests
  --kv-type f16|q8_0      KV cache element type (default f16); q8_0 takes 0.53x the memory for a small
                          accuracy cost (docs/decisions/0014-kv-q8_0.md)
  --max-queue N           waiting requests before 429 (default 64)
  --max-body-mb N         request body limit (default 32); --max-images N (default 8)
  --threads N             compute threads; --http-threads N (warm HTTP workers, default 16)
  --max-connections N     connections served at once (default 256; past it only /health, /metrics)
  --read-timeout-s S      one socket read/write may block this long (default 15)
  --upload-deadline-s S   a whole request body must arrive within this (default 120)
  --keepalive-s S         SSE keep-alive comment interval (default 5)
  --log-format FMT        text (default) or json: one JSON object per stderr line, one per request
                          with id, mode, router rule, tokens and timings (docs/OPERATIONS.md)
  --no-webui              do not serve the built-in web UI at /
The port is printed on stderr as "listening on http://HOST:PORT".)";

struct Loaded {
  std::unique_ptr<Model> model;
  std::unique_ptr<Engine> engine;  // declared after the model: destroyed first
  std::shared_ptr<void> vision;
};

struct KvBudget {
  int64_t per_checkpoint = 0;
};

// --kv-memory, or half of what the machine has available once the model files
// are in memory; split evenly between the checkpoints (a pair gets two pools).
KvBudget kv_budget_for(const Args& a, const serve::ServeConfig& cfg) {
  namespace fs = std::filesystem;
  int n = 0;
  int64_t files = 0;
  auto add = [&](const std::string& p) {
    if (p.empty()) return;
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p, ec))
        if (e.is_regular_file(ec)) files += static_cast<int64_t>(e.file_size(ec));
    } else {
      files += static_cast<int64_t>(fs::file_size(p, ec));
    }
  };
  for (const auto& d : cfg.models)
    for (const auto* c : {&d.single, &d.instruct, &d.thinking})
      if (*c) {
        ++n;
        add((*c)->path);
        add((*c)->mmproj);
      }
  KvBudget b;
  int64_t total = 0;
  if (a.has("kv-memory")) {
    total = parse_memory_size(a.get("kv-memory"));
    log_info("kv memory: ", total >> 20, " MiB (--kv-memory) over ", n, " checkpoint(s)");
  } else {
    const int64_t avail = available_memory_bytes();
    QVL_CHECK(avail > 0, "cannot read MemAvailable from /proc/meminfo; give --kv-memory");
    total = std::max<int64_t>((avail - files) / 2, int64_t(256) << 20);
    log_info("kv memory: ", total >> 20, " MiB over ", n, " checkpoint(s) (half of ", avail >> 20,
             " MiB available less ", files >> 20, " MiB of model files; set with --kv-memory)");
  }
  b.per_checkpoint = total / std::max(1, n);
  return b;
}

serve::ServeConfig config_from(const Args& a) {
  if (a.has("deployment")) {
    QVL_CHECK(!a.has("model") && !a.has("thinking-model"), "give either --deployment or --model, not both");
    serve::ServeConfig cfg = serve::load_serve_config(a.get("deployment"));
    if (a.has("router")) cfg.router_file = a.get("router");
    if (a.has("thinking-budget-max")) cfg.thinking_budget_max = a.get_int("thinking-budget-max", 2048);
    return cfg;
  }
  serve::ServeConfig cfg;
  serve::DeploymentSpec d;
  const std::string model = a.require("model");
  // A hub reference is named after its file (or repository), as a local path is.
  const auto ref = hub::parse_model_ref(model);
  d.name = a.get("name", serve::model_name_from_path(ref ? (ref->file.empty() ? ref->repo : ref->file) : model));
  if (a.has("thinking-model")) {
    d.instruct = serve::CheckpointSpec{model, a.get("mmproj")};
    d.thinking = serve::CheckpointSpec{a.get("thinking-model"), a.get("thinking-mmproj", a.get("mmproj"))};
  } else {
    QVL_CHECK(!a.has("thinking-mmproj"), "--thinking-mmproj needs --thinking-model");
    d.single = serve::CheckpointSpec{model, a.get("mmproj")};
  }
  for (const auto& al : a.get_all("alias")) serve::add_alias(d, al);
  serve::add_mode_aliases(d);
  cfg.models.push_back(std::move(d));
  cfg.router_file = a.get("router");
  cfg.thinking_budget_max = a.get_int("thinking-budget-max", 2048);
  QVL_CHECK(cfg.thinking_budget_max >= 0, "--thinking-budget-max must be >= 0");
  return cfg;
}

int serve_main(const std::vector<std::string>& argv) {
  for (const auto& s : argv)
    if (s == "--help" || s == "-h") {
      std::puts(kServeUsage);
      return 0;
    }
  Args a(argv,
         {"model", "thinking-model", "mmproj", "thinking-mmproj", "name", "alias", "deployment", "router", "host",
          "port", "api-key", "cors-origin", "thinking-budget-max", "ctx", "kv-memory", "kv-type", "max-running", "max-running-thinking",
          "max-running-instruct", "max-batch-tokens", "max-queue", "max-body-mb",
          "max-images", "threads", "http-threads", "max-connections", "read-timeout-s", "upload-deadline-s", "keepalive-s", "profiles", "wrapup", "effort-budgets", "allow-image-urls", "image-url-timeout-s",
          "image-url-max-mb", "log-format", "endpoint"},
         {"allow-private-image-urls", "no-prefix-cache", "no-webui", "offline"});
  // First, so every later line (loading, errors) is in the chosen format.
  const std::string log_format = a.get("log-format", "text");
  QVL_CHECK(log_format == "text" || log_format == "json", "--log-format expects text or json, got '", log_format, "'");
  set_log_format(log_format == "json" ? LogFormat::kJson : LogFormat::kText);
  // A log pipeline reads stderr line by line: no progress bars unless asked for.
  if (log_format == "json" && progress_mode() == ProgressMode::kAuto) set_progress_mode(ProgressMode::kNever);
  serve::ServeConfig cfg = config_from(a);
  const KvType kv_type = parse_kv_type(a.get("kv-type", "f16"));  // before listening: a typo fails fast
  for (auto& d : cfg.models) {
    if (a.has("profiles")) d.profiles.apply_json(serve::load_config_file(a.get("profiles")));
    if (a.has("wrapup")) d.profiles.apply_json({{"thinking", {{"wrapup", a.get("wrapup")}}}});
  }
  if (a.has("threads")) set_default_threads(a.get_int("threads", 1));

  // Signals go to sigwait below, never to a random thread.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  serve::ServerContext ctx;
  ctx.opt.host = a.get("host", "127.0.0.1");
  ctx.opt.port = a.get_int("port", 8080);
  ctx.opt.api_key = a.get("api-key");
  ctx.opt.webui = !a.has("no-webui");
  ctx.opt.cors_origins = a.get_all("cors-origin");
  ctx.opt.max_queue = a.get_int("max-queue", 64);
  ctx.opt.max_body_bytes = static_cast<size_t>(a.get_int("max-body-mb", 32)) << 20;
  ctx.opt.http_threads = a.get_int("http-threads", 16);
  ctx.opt.keepalive_s = a.get_double("keepalive-s", 5);
  ctx.opt.max_connections = a.get_int("max-connections", 256);
  ctx.opt.read_timeout_s = a.get_double("read-timeout-s", 15);
  ctx.opt.upload_deadline_s = a.get_double("upload-deadline-s", 120);
  QVL_CHECK(ctx.opt.max_connections >= 1 && ctx.opt.read_timeout_s > 0 && ctx.opt.upload_deadline_s > 0,
            "--max-connections, --read-timeout-s and --upload-deadline-s must be positive");
  ctx.opt.limits.thinking_budget_max = cfg.thinking_budget_max;
  ctx.opt.limits.max_images = a.get_int("max-images", 8);
  for (const auto& list : a.get_all("allow-image-urls"))
    for (size_t p = 0; p <= list.size();) {
      const size_t e = std::min(list.find(',', p), list.size());
      std::string h = list.substr(p, e - p);
      for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!h.empty()) ctx.opt.image_fetch.allowed_hosts.push_back(h);
      p = e + 1;
    }
  ctx.opt.image_fetch.allow_private = a.has("allow-private-image-urls");
  ctx.opt.image_fetch.timeout_s = a.get_double("image-url-timeout-s", 10);
  ctx.opt.image_fetch.max_bytes = static_cast<size_t>(a.get_int("image-url-max-mb", 20)) << 20;
  QVL_CHECK(ctx.opt.image_fetch.timeout_s > 0 && a.get_int("image-url-max-mb", 20) > 0,
            "--image-url-timeout-s and --image-url-max-mb must be positive");
  if (a.has("effort-budgets")) serve::parse_effort_budgets(a.get("effort-budgets"), ctx.opt.limits);
  QVL_CHECK(ctx.opt.http_threads >= 1 && ctx.opt.keepalive_s > 0, "--http-threads and --keepalive-s must be positive");
  ctx.router = std::make_shared<serve::Router>(cfg.router_file.empty() ? serve::Router::defaults()
                                                                       : serve::Router::from_file(cfg.router_file));

  serve::HttpServer http(ctx);
  const int port = http.bind();
  log_info("listening on http://", ctx.opt.host, ":", port);
  std::thread listener([&] { http.listen(); });

  EngineOptions eopt;
  eopt.context_length = a.get_int("ctx", 0);
  eopt.max_running = a.get_int("max-running", 8);
  eopt.max_running_thinking = a.get_int("max-running-thinking", std::max(1, eopt.max_running * 3 / 4));
  eopt.max_running_instruct = a.get_int("max-running-instruct", 0);
  eopt.max_batch_tokens = a.get_int("max-batch-tokens", 512);
  eopt.max_queue = ctx.opt.max_queue;
  eopt.prefix_cache = !a.has("no-prefix-cache");
  eopt.kv_type = kv_type;
  QVL_CHECK(eopt.max_running >= 1 && eopt.max_running_thinking >= 1 && eopt.max_running_instruct >= 0 &&
                eopt.max_batch_tokens >= 1,
            "--max-running, --max-running-thinking and --max-batch-tokens must be >= 1");
  // Hub references are pulled now, while /health answers "loading".
  try {
    auto progress = std::make_shared<PullProgress>();
    resolve_hub_models(cfg, hub_options(a, progress));
    progress->finish();
  } catch (const Error& e) {
    std::lock_guard<std::mutex> lk(ctx.load_mu);
    ctx.load_error = e.what();
    log_error("pulling the model failed: ", e.what());
    http.stop();
    listener.join();
    return 1;
  }
  const KvBudget kv_budget = kv_budget_for(a, cfg);
  auto loader = [&](const serve::CheckpointSpec& spec) {
    auto l = std::make_shared<Loaded>();
    l->model = load_model_with_progress(spec.path);
    EngineOptions o = eopt;
    // Half of an instruct + thinking pair: one mode only, nothing to keep slots free for.
    bool pair_half = false;
    for (const auto& d : cfg.models)
      pair_half = pair_half || (d.is_pair() && (&spec == &*d.instruct || &spec == &*d.thinking));
    if (pair_half && !a.has("max-running-thinking")) o.max_running_thinking = o.max_running;
    const int ctx_len = engine_context_length(l->model->config(), eopt.context_length);
    const KvPlan plan = plan_kv_pool(l->model->config(), kv_budget.per_checkpoint, ctx_len, eopt.max_running, o.kv_type);
    o.kv_tokens = plan.tokens;
    log_info("kv cache for ", spec.path, ": ", plan.tokens, " tokens (", plan.tokens / KvCache::kBlockTokens,
             " blocks of ", KvCache::kBlockTokens, "), up to ", plan.bytes >> 20, " MiB ", kv_type_name(o.kv_type),
             plan.capped ? " (= --max-running x --ctx; the budget allows more)" : " (the whole budget)",
             "; context ", ctx_len);
    l->engine = std::make_unique<Engine>(*l->model, o);
    auto cp = std::make_shared<serve::Checkpoint>();
    cp->path = spec.path;
    cp->tokenizer = &l->model->tokenizer();
    cp->generator = l->engine.get();
    cp->template_source = l->model->chat_template_source();
    if (!spec.mmproj.empty()) l->vision = serve::attach_vision(*cp, spec.mmproj, l->model->config());
    cp->owner = l;
    return cp;
  };
  int rc = 0;
  try {
    serve::load_deployments(cfg, loader, ctx.registry);
    ctx.ready = true;
    log_info("ready: ", cfg.models.size(), " model(s)");
    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("signal ", sig, ": shutting down");
  } catch (const Error& e) {
    std::lock_guard<std::mutex> lk(ctx.load_mu);
    ctx.load_error = e.what();
    log_error("loading failed: ", e.what());
    rc = 1;
  }
  http.stop();
  listener.join();
  return rc;
}

}  // namespace

QVL_COMMAND("serve", "OpenAI-compatible HTTP server (chat, completions, instruct/thinking modes)", serve_main);

}  // namespace qvl::app
