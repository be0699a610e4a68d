// Prometheus text exposition (format 0.0.4) of the server counters.
#include "serve/deploy/metrics.h"

#include <chrono>
#include <sstream>

namespace qvl::serve {

static const std::vector<double> kTtftBounds = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
static const std::vector<double> kItlBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

static std::string num(double v) {
  std::ostringstream os;
  os.precision(15);
  os << v;
  return os.str();
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cum = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cum += counts_[i];
    const std::string le = i < bounds_.size() ? num(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + labels + ",le=\"" + le + "\"} " + std::to_string(cum) + "\n";
  }
  out += name + "_sum{" + labels + "} " + num(sum_) + "\n";
  out += name + "_count{" + labels + "} " + std::to_string(count_) + "\n";
}

Metrics::Metrics() {
  for (const char* m : {"instruct", "thinking"}) {
    ttft_.emplace(m, Histogram(kTtftBounds));
    itl_.emplace(m, Histogram(kItlBounds));
    tokens_[m] = {0, 0, 0};
  }
}

void Metrics::request(const std::string& endpoint, const std::string& mode, int status) {
  std::lock_guard<std::mutex> lk(mu_);
  ++requests_[{endpoint, mode, status}];
}

void Metrics::tokens(const std::string& mode, int prompt, int completion, int reasoning) {
  std::lock_guard<std::mutex> lk(mu_);
  auto& t = tokens_[mode];
  t[0] += prompt;
  t[1] += completion;
  t[2] += reasoning;
}

void Metrics::time_to_first_token(const std::string& mode, double s) {
  std::lock_guard<std::mutex> lk(mu_);
  ttft_.emplace(mode, Histogram(kTtftBounds)).first->second.observe(s);
}

void Metrics::inter_token_latency(const std::string& mode, double s) {
  std::lock_guard<std::mutex> lk(mu_);
  itl_.emplace(mode, Histogram(kItlBounds)).first->second.observe(s);
}

namespace {

void engine_gauges(std::string& o, const std::vector<Metrics::EngineGauge>& engines) {
  // Per mode, summed over engines (index = RequestClass: instruct, thinking).
  std::array<int64_t, kRequestClasses> queued{}, running{};
  for (const auto& e : engines)
    for (int c = 0; c < kRequestClasses; ++c) {
      queued[c] += e.load.queued[c];
      running[c] += e.load.running[c];
    }
  const char* mode[kRequestClasses] = {"instruct", "thinking"};
  o += "# HELP qvl_queue_depth_by_mode Requests waiting for an engine, by reasoning mode.\n";
  o += "# TYPE qvl_queue_depth_by_mode gauge\n";
  for (int c = 0; c < kRequestClasses; ++c)
    o += std::string("qvl_queue_depth_by_mode{mode=\"") + mode[c] + "\"} " + std::to_string(queued[c]) + "\n";
  o += "# HELP qvl_requests_running_by_mode Sequences being generated, by reasoning mode.\n";
  o += "# TYPE qvl_requests_running_by_mode gauge\n";
  for (int c = 0; c < kRequestClasses; ++c)
    o += std::string("qvl_requests_running_by_mode{mode=\"") + mode[c] + "\"} " + std::to_string(running[c]) + "\n";
  struct Series {
    const char *name, *type, *help;
    double (*value)(const GeneratorLoad&);
  };
  static const Series series[] = {
      {"qvl_kv_blocks_total", "gauge", "KV pool size in blocks, per checkpoint.",
       [](const GeneratorLoad& l) { return double(l.kv_blocks_total); }},
      {"qvl_kv_blocks_used", "gauge", "KV blocks held by sequences now, per checkpoint.",
       [](const GeneratorLoad& l) { return double(l.kv_blocks_used); }},
      {"qvl_kv_block_tokens", "gauge", "Token positions per KV block.",
       [](const GeneratorLoad& l) { return double(l.kv_block_tokens); }},
      {"qvl_kv_pool_bytes", "gauge", "KV pool capacity in bytes (memory is committed as blocks fill).",
       [](const GeneratorLoad& l) { return double(l.kv_blocks_total * l.kv_block_bytes); }},
      {"qvl_kv_used_bytes", "gauge", "Bytes of the KV blocks held by sequences now.",
       [](const GeneratorLoad& l) { return double(l.kv_blocks_used * l.kv_block_bytes); }},
      {"qvl_kv_blocks_cached", "gauge", "Free KV blocks still holding a shared prefix (reused or evicted on demand).",
       [](const GeneratorLoad& l) { return double(l.kv_blocks_cached); }},
      {"qvl_prefix_cache_query_tokens_total", "counter", "Prompt tokens looked up in the prefix cache.",
       [](const GeneratorLoad& l) { return double(l.prefix_query_tokens); }},
      {"qvl_prefix_cache_hit_tokens_total", "counter", "Prompt tokens whose KV came from the prefix cache.",
       [](const GeneratorLoad& l) { return double(l.prefix_hit_tokens); }},
      {"qvl_preemptions_total", "counter", "Sequences preempted (KV freed, recomputed later) for lack of KV blocks.",
       [](const GeneratorLoad& l) { return double(l.preemptions); }},
      {"qvl_engine_steps_total", "counter", "Batched forward passes, per checkpoint.",
       [](const GeneratorLoad& l) { return double(l.steps); }},
      {"qvl_batch_sequences_max", "gauge", "Most sequences that shared one forward pass since start.",
       [](const GeneratorLoad& l) { return double(l.max_batch_seqs); }},
  };
  for (const auto& s : series) {
    o += std::string("# HELP ") + s.name + " " + s.help + "\n# TYPE " + s.name + " " + s.type + "\n";
    for (const auto& e : engines)
      o += std::string(s.name) + "{model=\"" + e.model + "\",checkpoint=\"" + e.checkpoint + "\"} " +
           num(s.value(e.load)) + "\n";
  }
}

// The series the Gateway API Inference Extension's endpoint picker reads (its
// model-server protocol: docs/DEPLOYMENT.md, "Inference gateway"). Queue length and
// running requests are qvl_queue_depth / qvl_requests_running; these two complete it.
void gateway_gauges(std::string& o, const std::vector<Metrics::EngineGauge>& engines) {
  // KV-cache utilisation as the protocol defines it: the fraction (0..1) of KV
  // blocks held by sequences, over every engine of this server. Free blocks that
  // still hold a cached prefix count as free: they are evicted on demand.
  int64_t total = 0, used = 0;
  for (const auto& e : engines) {
    total += e.load.kv_blocks_total;
    used += e.load.kv_blocks_used;
  }
  o += "# HELP qvl_kv_cache_usage_perc Fraction of KV-cache blocks in use (0..1), all engines together.\n";
  o += "# TYPE qvl_kv_cache_usage_perc gauge\n";
  o += "qvl_kv_cache_usage_perc " + num(total > 0 ? double(used) / double(total) : 0.0) + "\n";
  // qvl serves no LoRA adapters: the info series says so (max_lora 0, none
  // running or waiting), its value the scrape time as the protocol asks.
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  o += "# HELP qvl_lora_requests_info LoRA adapters loaded and waiting (qvl serves none); value: scrape time.\n";
  o += "# TYPE qvl_lora_requests_info gauge\n";
  o += "qvl_lora_requests_info{max_lora=\"0\",running_lora_adapters=\"\",waiting_lora_adapters=\"\"} " +
       num(now) + "\n";
}

}  // namespace

std::string Metrics::render(int queue_depth, int running, const std::vector<EngineGauge>& engines) const {
  std::lock_guard<std::mutex> lk(mu_);
  std::string o;
  o += "# HELP qvl_requests_total HTTP requests by endpoint, reasoning mode and status code.\n";
  o += "# TYPE qvl_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    const auto& [ep, mode, status] = k;
    o += "qvl_requests_total{endpoint=\"" + ep + "\",mode=\"" + mode + "\",status=\"" + std::to_string(status) +
         "\"} " + std::to_string(v) + "\n";
  }
  const char* names[3] = {"prompt", "completion", "reasoning"};
  for (int i = 0; i < 3; ++i) {
    const std::string n = std::string("qvl_") + names[i] + "_tokens_total";
    o += "# HELP " + n + " " + names[i] + " tokens processed, by reasoning mode.\n";
    o += "# TYPE " + n + " counter\n";
    for (const auto& [mode, t] : tokens_) o += n + "{mode=\"" + mode + "\"} " + std::to_string(t[i]) + "\n";
  }
  o += "# HELP qvl_queue_depth Requests waiting for the engine.\n# TYPE qvl_queue_depth gauge\n";
  o += "qvl_queue_depth " + std::to_string(queue_depth) + "\n";
  o += "# HELP qvl_requests_running Sequences being generated.\n# TYPE qvl_requests_running gauge\n";
  o += "qvl_requests_running " + std::to_string(running) + "\n";
  engine_gauges(o, engines);
  gateway_gauges(o, engines);
  o += "# HELP qvl_time_to_first_token_seconds Time from request arrival to the first output token.\n";
  o += "# TYPE qvl_time_to_first_token_seconds histogram\n";
  for (const auto& [mode, h] : ttft_) h.render(o, "qvl_time_to_first_token_seconds", "mode=\"" + mode + "\"");
  o += "# HELP qvl_inter_token_latency_seconds Time between consecutive output tokens of a sequence.\n";
  o += "# TYPE qvl_inter_token_latency_seconds histogram\n";
  for (const auto& [mode, h] : itl_) h.render(o, "qvl_inter_token_latency_seconds", "mode=\"" + mode + "\"");
  return o;
}

}  // namespace qvl::serve
