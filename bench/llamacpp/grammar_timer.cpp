// llama.cpp's grammar engine timed the way `qvl grammar --timings` times ours:
// for each (GBNF grammar, text) the text is tokenized (no special tokens), and
// before every token and after the last the grammar sampler is applied to a
// candidate array holding the whole vocabulary (what llama.cpp does when it
// constrains a full logit row); the token is then accepted. Only
// llama_sampler_apply is inside the timer (filling the candidate array is not).
// Not part of the build (outside the *_bench.cpp glob of bench/CMakeLists.txt): bench/grammar-vs-llamacpp.mjs compiles it against a
// local llama.cpp build (bench/build-llamacpp.sh) and drives it.
// usage: llamacpp_grammar_bench VOCAB.gguf CASE_DIR N_CASES REPEATS
//   CASE_DIR/I.gbnf and CASE_DIR/I.txt for I in [0, N_CASES); prints one line per
//   case and repeat: "I STATUS AT_TOKEN COMPILE_US MASK_US..." (AT_TOKEN -1 when accepted).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "llama.h"

static std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

static double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static void quiet(ggml_log_level, const char*, void*) {}

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s VOCAB.gguf CASE_DIR N_CASES REPEATS\n", argv[0]);
    return 2;
  }
  llama_log_set(quiet, nullptr);
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;
  llama_model* model = llama_model_load_from_file(argv[1], mp);
  if (!model) {
    std::fprintf(stderr, "cannot load %s\n", argv[1]);
    return 1;
  }
  const llama_vocab* vocab = llama_model_get_vocab(model);
  const int n_vocab = llama_vocab_n_tokens(vocab);
  const int n_cases = std::stoi(argv[3]), repeats = std::stoi(argv[4]);
  std::vector<llama_token_data> cand(n_vocab);
  for (int i = 0; i < n_cases; ++i) {
    const std::string dir = argv[2];
    const std::string gbnf = slurp(dir + "/" + std::to_string(i) + ".gbnf");
    const std::string text = slurp(dir + "/" + std::to_string(i) + ".txt");
    std::vector<llama_token> ids(text.size() + 16);
    int n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), ids.data(),
                           static_cast<int32_t>(ids.size()), false, false);
    if (n < 0) {
      std::fprintf(stderr, "case %d: tokenization failed\n", i);
      return 1;
    }
    ids.resize(n);
    for (int r = 0; r < repeats; ++r) {
      double t0 = now_us();
      llama_sampler* g = llama_sampler_init_grammar(vocab, gbnf.c_str(), "root");
      double compile = now_us() - t0;
      if (!g) {
        std::printf("%d unsupported -1 0\n", i);
        continue;
      }
      std::vector<double> masks;
      int at = -1;
      for (int k = 0; k <= n; ++k) {
        for (int t = 0; t < n_vocab; ++t) cand[t] = {t, 0.0f, 0.0f};
        llama_token_data_array arr = {cand.data(), cand.size(), -1, false};
        t0 = now_us();
        llama_sampler_apply(g, &arr);
        masks.push_back(now_us() - t0);
        if (k == n) break;
        if (!std::isfinite(cand[ids[k]].logit)) {  // the apply keeps the array in id order
          at = k;
          break;
        }
        llama_sampler_accept(g, ids[k]);
      }
      std::printf("%d %s %d %.0f", i, at < 0 ? "accepted" : "rejected", at, compile);
      for (double m : masks) std::printf(" %.1f", m);
      std::printf("\n");
      std::fflush(stdout);
      llama_sampler_free(g);
    }
  }
  llama_model_free(model);
  return 0;
}
