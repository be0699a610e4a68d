// `qvl bench`: prefill and decode speed of a model on this machine, measured on
// Model::forward directly (no sampling, no scheduler), like llama-bench's pp/tg;
// with --mmproj, the vision encoder's time for one image (VisionModel::encode,
// preprocessing excluded, as llama.cpp's "image slice encoded in" is).
// Prints a small table (or --json); it measures and never asserts.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "apps/qvl/load_progress.h"
#include "base/error.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "base/timer.h"
#include "input/image/image.h"
#include "model/model.h"
#include "model/vision/vision_model.h"

namespace qvl::app {
namespace {

const char* kBenchUsage = R"(usage: qvl bench --model PATH [options]
       qvl bench --mmproj PATH [--image FILE | --image-size S|WxH] [options]
  --threads T   worker threads (default: all cores)
  -p N          prompt tokens for the prefill test (default 512)
  -n N          generated tokens for the decode test (default 128)
  -d N          context depth the decode test starts at, as llama-bench -d: N
                untimed prompt tokens first (default 0, an empty context)
  --batch B     sequences decoded together in the decode test (default 1)
  --reps R      repetitions, after one warm-up (default 3)
  --json        one JSON object instead of the table
  vision (--mmproj: time to encode one image; no text model is needed or run):
  --image FILE  the image (default: a generated one of --image-size)
  --image-size  S or WxH of the generated image (default 448)
  --vision-compat hf|llama  the encoder's arithmetic (default hf; llama is the slow
                parity path, see qvl run --help))";

struct Stat {
  double mean = 0, sd = 0;
};

Stat stat_of(const std::vector<double>& v) {
  Stat s;
  for (double x : v) s.mean += x / v.size();
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean) / std::max<size_t>(1, v.size() - 1);
  s.sd = std::sqrt(s.sd);
  return s;
}

int32_t argmax(const float* x, int64_t n) { return static_cast<int32_t>(std::max_element(x, x + n) - x); }

// Prefills tokens [0, len) of sequence s in 512-token batches; logits of the last.
void prefill(Model& m, KvCache& kv, ThreadPool& pool, int s, int len, float* logits) {
  const int64_t vocab = m.config().vocab_size;
  for (int begin = 0; begin < len; begin += 512) {
    const int end = std::min(len, begin + 512);
    Batch bt;
    for (int i = begin; i < end; ++i) {
      // Fixed, spread-out ids: speed does not depend on which tokens they are.
      bt.tokens.push_back(static_cast<int32_t>((static_cast<int64_t>(i) * 7919 + 13) % vocab));
      bt.seq.push_back(s);
      bt.kv_pos.push_back(i);
      bt.pos.push_back({i, i, i});
      bt.want_logits.push_back(i == len - 1);
    }
    m.forward(bt, kv, logits, pool);
  }
}

// One repetition, as llama-bench's pp and tg tests: prefill p tokens into a fresh
// sequence (timed); then give `batch` fresh sequences `depth` prompt tokens each
// (untimed; llama-bench -d) and decode n tokens for all of them in lockstep (timed).
void one_rep(Model& m, KvCache& kv, ThreadPool& pool, int p, int n, int depth, int batch, double* prefill_ms,
             double* decode_ms) {
  const int64_t vocab = m.config().vocab_size;
  std::vector<float> logits(static_cast<size_t>(vocab) * batch);
  {
    const int s = kv.new_sequence();
    QVL_CHECK(kv.reserve(s, p), "bench: KV cache too small");
    Timer t;
    prefill(m, kv, pool, s, p, logits.data());
    *prefill_ms = t.ms();
    kv.free_sequence(s);
  }
  std::vector<int> seqs;
  std::vector<int32_t> next(batch, static_cast<int32_t>(13 % vocab));  // depth 0: a fixed first token
  for (int b = 0; b < batch; ++b) {
    const int s = kv.new_sequence();
    QVL_CHECK(kv.reserve(s, depth + n), "bench: KV cache too small");
    seqs.push_back(s);
    if (depth > 0) {
      prefill(m, kv, pool, s, depth, logits.data());
      next[b] = argmax(logits.data(), vocab);
    }
  }
  Timer t;
  for (int step = 0; step < n; ++step) {
    Batch bt;
    for (int b = 0; b < batch; ++b) {
      const int pos = depth + step;
      bt.tokens.push_back(next[b]);
      bt.seq.push_back(seqs[b]);
      bt.kv_pos.push_back(pos);
      bt.pos.push_back({pos, pos, pos});
      bt.want_logits.push_back(1);
    }
    m.forward(bt, kv, logits.data(), pool);
    for (int b = 0; b < batch; ++b) next[b] = argmax(logits.data() + static_cast<size_t>(b) * vocab, vocab);
  }
  *decode_ms = t.ms();
  for (int s : seqs) kv.free_sequence(s);
}

// Deterministic test image: smooth gradients plus a little texture.
Image bench_image(int w, int h) {
  Image img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.at(x, y);
      p[0] = static_cast<uint8_t>(x * 255 / std::max(1, w - 1));
      p[1] = static_cast<uint8_t>(y * 255 / std::max(1, h - 1));
      p[2] = static_cast<uint8_t>((x * 7 + y * 13) & 255);
    }
  return img;
}

int bench_vision(const Args& a, int reps) {
  auto vm = load_vision_model(a.require("mmproj"));
  const std::string compat = a.get("vision-compat", "hf");
  QVL_CHECK(compat == "hf" || compat == "llama", "--vision-compat expects hf or llama, got '", compat, "'");
  PixelBudget budget;
  if (compat == "llama") vm->options() = llama_cpp_vision_options(), budget = llama_cpp_budget();
  vm->prepare(default_pool());  // weight packing is load time, not encode time
  Image img;
  std::string what;
  if (a.has("image")) {
    what = a.get("image");
    img = load_image_file(what);
  } else {
    const std::string size = a.get("image-size", "448");
    int w = 0, h = 0;
    const size_t x = size.find('x');
    try {
      w = std::stoi(size.substr(0, x));
      h = x == std::string::npos ? w : std::stoi(size.substr(x + 1));
    } catch (const std::exception&) {
      QVL_FAIL("--image-size expects S or WxH, got '", size, "'");
    }
    QVL_CHECK(w >= 1 && h >= 1 && int64_t{w} * h <= (int64_t{1} << 26), "--image-size ", size, " is out of range");
    img = bench_image(w, h);
    what = "generated";
  }
  const PixelValues pv = preprocess_image(img, vm->preprocess_options(budget));
  ThreadPool& pool = default_pool();
  vm->encode(pv, pool);  // warm-up: page weights in
  std::vector<double> ms;
  int64_t tokens = 0;
  for (int r = 0; r < reps; ++r) {
    Timer t;
    tokens = vm->encode(pv, pool).n_tokens;
    ms.push_back(t.ms());
    log_info("bench: rep ", r + 1, "/", reps, ": encode ", ms.back(), " ms");
  }
  const Stat st = stat_of(ms);
  const double tok_s = tokens * 1000.0 / st.mean;
  const int patches = static_cast<int>(pv.n_patches());
  const std::string px = std::to_string(img.width) + "x" + std::to_string(img.height),
                    grid = std::to_string(pv.grid_w * vm->config().patch_size) + "x" +
                                       std::to_string(pv.grid_h * vm->config().patch_size);
  if (a.has("json")) {
    nlohmann::json j = {{"mmproj", a.get("mmproj")}, {"image", what},       {"image_size", px},
                        {"encoded_size", grid},      {"patches", patches},  {"image_tokens", tokens},
                        {"threads", pool.size()},    {"reps", reps},        {"vision_compat", compat},
                        {"encode_ms", st.mean},      {"sd_ms", st.sd},      {"image_tok_s", tok_s}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("mmproj %s, image %s %s (encoded %s), threads %d, reps %d, %s arithmetic\n", a.get("mmproj").c_str(),
              what.c_str(), px.c_str(), grid.c_str(), pool.size(), reps, compat.c_str());
  std::printf("| test   | patches | image tokens | time               | image tok/s |\n");
  std::printf("|--------|---------|--------------|--------------------|-------------|\n");
  std::printf("| encode | %7d | %12lld | %8.1f ms ± %5.1f | %11.1f |\n", patches, static_cast<long long>(tokens), st.mean,
              st.sd, tok_s);
  return 0;
}

int cmd_bench(const std::vector<std::string>& argv) {
  std::vector<std::string> args;
  for (const auto& a : argv) args.push_back(a == "-p" ? "--p" : a == "-n" ? "--n" : a == "-d" ? "--d" : a == "-h" ? "--help" : a);
  const Args a(args, {"model", "threads", "p", "n", "d", "batch", "reps", "mmproj", "image", "image-size", "vision-compat"},
               {"json", "help"});
  if (a.has("help")) {
    std::fprintf(stderr, "%s\n", kBenchUsage);
    return 0;
  }
  QVL_CHECK(a.positional().empty(), "unexpected argument '", a.positional().front(), "' (see qvl bench --help)");
  if (a.has("threads")) set_default_threads(a.get_int("threads", 1));
  const int p = a.get_int("p", 512), n = a.get_int("n", 128), depth = a.get_int("d", 0),
            batch = a.get_int("batch", 1), reps = a.get_int("reps", 3);
  QVL_CHECK(p >= 1 && n >= 1 && batch >= 1 && reps >= 1, "-p, -n, --batch and --reps must be >= 1");
  QVL_CHECK(depth >= 0, "-d must be >= 0");
  if (a.has("mmproj")) return bench_vision(a, reps);

  auto model = load_model_with_progress(a.require("model"));
  const TextConfig& cfg = model->config();
  QVL_CHECK(int64_t{p} <= cfg.max_position_embeddings && int64_t{depth} + n <= cfg.max_position_embeddings,
            "-p, or -d + -n, exceeds the model's context (", cfg.max_position_embeddings, ")");
  const auto blocks_for = [](int64_t tokens) { return (tokens + KvCache::kBlockTokens - 1) / KvCache::kBlockTokens; };
  // The prefill sequence is freed before the decode ones start.
  const int64_t blocks = std::max(blocks_for(p), batch * blocks_for(int64_t{depth} + n));
  KvCache kv(cfg, blocks);
  ThreadPool& pool = default_pool();

  double pre_ms = 0, dec_ms = 0;
  one_rep(*model, kv, pool, std::min(p, 32), 2, 0, 1, &pre_ms, &dec_ms);  // warm-up: page weights in
  std::vector<double> pre_tps, dec_tps;
  ProgressBar bar("bench", reps, false);
  for (int r = 0; r < reps; ++r) {
    one_rep(*model, kv, pool, p, n, depth, batch, &pre_ms, &dec_ms);
    pre_tps.push_back(p * 1000.0 / pre_ms);
    dec_tps.push_back(static_cast<double>(n) * batch * 1000.0 / dec_ms);
    // With a bar on screen the numbers go into it; log lines would break its line.
    if (progress_enabled()) {
      bar.set_note("prefill " + std::to_string(static_cast<int>(pre_tps.back())) + " tok/s, decode " +
                   std::to_string(static_cast<int>(dec_tps.back())) + " tok/s");
    } else {
      log_info("bench: rep ", r + 1, "/", reps, ": prefill ", pre_tps.back(), " tok/s, decode ", dec_tps.back(),
               " tok/s");
    }
    bar.update(r + 1);
  }
  bar.finish();
  const Stat pre = stat_of(pre_tps), dec = stat_of(dec_tps);
  const int threads = pool.size();
  if (a.has("json")) {
    nlohmann::json j = {{"model", model->name()},
                        {"architecture", cfg.architecture},
                        {"threads", threads},
                        {"reps", reps},
                        {"prefill", {{"tokens", p}, {"tok_s", pre.mean}, {"sd", pre.sd}}},
                        {"decode", {{"tokens", n}, {"depth", depth}, {"batch", batch}, {"tok_s", dec.mean}, {"sd", dec.sd}}}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("model %s (%s), threads %d, reps %d\n", model->name().c_str(), cfg.architecture.c_str(), threads, reps);
  std::printf("| test    | tokens        | speed                    |\n");
  std::printf("|---------|---------------|--------------------------|\n");
  std::printf("| prefill | %-13d | %9.2f tok/s ± %7.2f |\n", p, pre.mean, pre.sd);
  std::string dec_tokens = batch == 1 ? std::to_string(n) : std::to_string(n) + " x " + std::to_string(batch);
  if (depth > 0) dec_tokens += " @ d" + std::to_string(depth);
  std::printf("| decode  | %-13s | %9.2f tok/s ± %7.2f |\n", dec_tokens.c_str(), dec.mean, dec.sd);
  return 0;
}

}  // namespace

QVL_COMMAND("bench", "prefill and decode speed (tok/s) of a model", cmd_bench);

}  // namespace qvl::app
