// `qvl score`: teacher-forced log-probabilities of given token sequences, every
// position in one prefill batch (the path a prompt takes). For perplexity-style
// checks and the parity tests, which compare these with llama.cpp's and with a
// high-precision reference forward (tests/parity/text_parity.test.mjs).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "base/cpu_features.h"
#include "base/error.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "model/model.h"

namespace qvl::app {
namespace {

const char* kScoreUsage = R"(usage: qvl score --model PATH --jsonl FILE [--top K] [--threads T] [--numerics default|ggml-scalar] [--kv-type f16|q8_0]
Each input line: {"tokens": [ids...], "ids": [[ids...] per position]} ("ids" optional).
One output line per input line, in order:
  {"isa", "numerics", "kv_type", "positions": [{"lse", "argmax", "margin", "logprobs"?, "top"?}, ...]}
position p holds the distribution of the token after tokens[0..p]: lse = log-sum-exp
of the logits, margin = top-1 minus top-2 logit, logprobs = ln p of ids[p],
top = the K most likely [id, logprob] pairs (--top K, default 0).)";

struct Position {
  double lse = 0, margin = 0;
  int32_t argmax = -1;
};

// Log-softmax facts of one logit row, in double.
Position summarise(const float* l, int64_t v) {
  Position p;
  int32_t best = 0;
  for (int64_t i = 1; i < v; ++i)
    if (l[i] > l[best]) best = int32_t(i);
  float second = -INFINITY;
  for (int64_t i = 0; i < v; ++i)
    if (i != best) second = std::max(second, l[i]);
  double sum = 0;
  for (int64_t i = 0; i < v; ++i) sum += std::exp(double(l[i]) - double(l[best]));
  p.lse = double(l[best]) + std::log(sum);
  p.argmax = best;
  p.margin = double(l[best]) - double(second);
  return p;
}

nlohmann::json score_line(Model& m, const nlohmann::json& in, int top, KvType kv_type, ThreadPool& pool) {
  QVL_CHECK(in.is_object() && in.contains("tokens") && in["tokens"].is_array(), "each line needs \"tokens\": [ids]");
  const auto toks = in["tokens"].get<std::vector<int32_t>>();
  const int64_t n = int64_t(toks.size()), vocab = m.config().vocab_size;
  QVL_CHECK(n > 0, "\"tokens\" is empty");
  for (int32_t t : toks) QVL_CHECK(t >= 0 && t < vocab, "token id ", t, " outside the vocabulary");
  const bool has_ids = in.contains("ids");
  if (has_ids) QVL_CHECK(in["ids"].is_array() && int64_t(in["ids"].size()) <= n, "\"ids\" needs at most one list per token");

  KvCache kv(m.config(), (n + KvCache::kBlockTokens - 1) / KvCache::kBlockTokens, kv_type);
  const int seq = kv.new_sequence();
  QVL_CHECK(kv.reserve(seq, n), "sequence of ", n, " tokens does not fit");
  Batch b;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t p = int32_t(i);
    b.tokens.push_back(toks[i]);
    b.seq.push_back(seq);
    b.kv_pos.push_back(p);
    b.pos.push_back({p, p, p});
    b.want_logits.push_back(1);
  }
  std::vector<float> logits(size_t(n * vocab));
  m.forward(b, kv, logits.data(), pool);

  nlohmann::json out = {{"isa", isa_name(active_isa())}, {"positions", nlohmann::json::array()}};
  std::vector<int32_t> order(top > 0 ? size_t(vocab) : 0);
  for (int64_t i = 0; i < n; ++i) {
    const float* l = &logits[size_t(i * vocab)];
    const Position p = summarise(l, vocab);
    nlohmann::json j = {{"lse", p.lse}, {"argmax", p.argmax}, {"margin", p.margin}};
    if (has_ids && i < int64_t(in["ids"].size())) {
      nlohmann::json lp = nlohmann::json::array();
      for (const auto& id : in["ids"][i]) {
        const int32_t t = id.get<int32_t>();
        QVL_CHECK(t >= 0 && t < vocab, "id ", t, " outside the vocabulary");
        lp.push_back(double(l[t]) - p.lse);
      }
      j["logprobs"] = std::move(lp);
    }
    if (top > 0) {
      for (int64_t k = 0; k < vocab; ++k) order[k] = int32_t(k);
      const int k = int(std::min<int64_t>(top, vocab));
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [&](int32_t a, int32_t c) { return l[a] > l[c] || (l[a] == l[c] && a < c); });
      nlohmann::json tj = nlohmann::json::array();
      for (int r = 0; r < k; ++r) tj.push_back({order[r], double(l[order[r]]) - p.lse});
      j["top"] = std::move(tj);
    }
    out["positions"].push_back(std::move(j));
  }
  return out;
}

int cmd_score(const std::vector<std::string>& argv) {
  std::vector<std::string> args;
  for (const auto& s : argv) args.push_back(s == "-h" ? "--help" : s);
  const Args a(args, {"model", "jsonl", "top", "threads", "numerics", "kv-type"}, {"help"});
  if (a.has("help")) {
    std::fprintf(stderr, "%s\n", kScoreUsage);
    return 0;
  }
  QVL_CHECK(a.positional().empty(), "unexpected argument '", a.positional().front(), "' (see qvl score --help)");
  if (a.has("threads")) set_default_threads(a.get_int("threads", 1));
  const std::string numerics = a.get("numerics", "default");
  ModelOptions opt;
  opt.numerics = parse_numerics(numerics);
  const KvType kv_type = parse_kv_type(a.get("kv-type", "f16"));
  auto model = load_model(a.require("model"), opt);
  const int top = a.get_int("top", 0);
  QVL_CHECK(top >= 0, "--top expects a non-negative integer");
  const std::string path = a.require("jsonl");
  std::ifstream f(path);
  QVL_CHECK(f.good(), path, ": cannot open");
  log_info("score: isa ", isa_name(active_isa()), ", numerics ", numerics, ", threads ", default_threads(), ", kv ", kv_type_name(kv_type));
  std::string line;
  int line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json in;
    try {
      in = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(path + ":" + std::to_string(line_no) + ": " + e.what());
    }
    nlohmann::json out = score_line(*model, in, top, kv_type, default_pool());
    out["numerics"] = numerics;
    out["kv_type"] = kv_type_name(kv_type);
    std::fputs((out.dump() + "\n").c_str(), stdout);
  }
  return 0;
}

}  // namespace

QVL_COMMAND("score", "teacher-forced log-probabilities of token sequences", cmd_score);

}  // namespace qvl::app
