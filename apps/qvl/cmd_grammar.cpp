// `qvl grammar`: walks texts through grammars token by token with the model's
// tokenizer, computing the full next-token mask at every step as generation
// would. For tests and benchmarks of the grammar layer; loads no weights.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "base/error.h"
#include "engine/grammar_vocabulary.h"
#include "grammar/compiled_grammar.h"
#include "grammar/front_ends.h"
#include "grammar/matcher.h"
#include "input/tokenizer/tokenizer.h"
#include "model/gguf/gguf.h"
#include "model/tokenizer_gguf.h"

namespace qvl::app {
namespace {

constexpr const char* kUsage =
    "usage: qvl grammar --model PATH --jsonl FILE [--timings] [--max-ws N]\n"
    "  PATH: a .gguf file, a tokenizer.json, or a Hugging Face model directory.\n"
    "  Each FILE line: {\"id\": .., one of \"json_schema\"|\"regex\"|\"gbnf\"|\"ebnf\" (Lark)|\"choice\": ..,\n"
    "  \"text\": \"..\"}. The text is tokenized (no special tokens) and walked token by\n"
    "  token; one line per input: {\"id\", \"status\": accepted|rejected|unsupported,\n"
    "  \"complete\", \"reason\"?, \"at_token\"?, \"compile_us\", \"mask_us\" (--timings)}.\n"
    "options:\n"
    "  --timings    add mask_us: the full-vocabulary mask time of every step\n"
    "  --cpu-clock  time compiles and masks by this thread's CPU time, not wall time\n"
    "               (a loaded, shared machine then does not inflate them)\n"
    "  --max-ws N   JSON Schema grammars allow at most N whitespace bytes per gap\n"
    "  --vocab-size N  masks cover N ids (the model's logits, e.g. 151936) when more\n"
    "               than the tokenizer has; the extra ids are never allowed\n";

constexpr const char* kKinds[] = {"json_schema", "regex", "gbnf", "ebnf", "choice"};

Tokenizer load_tokenizer(const std::string& path) {
  namespace fs = std::filesystem;
  QVL_CHECK(fs::exists(path), "no such file or directory: ", path);
  fs::path json_path = fs::is_directory(path) ? fs::path(path) / "tokenizer.json" : fs::path(path);
  if (json_path.extension() == ".json") return Tokenizer::from_hf_json(json_path.string());
  GgufFile f(path);
  return Tokenizer(tokenizer_data_from_gguf(f));
}

// The end-of-sequence tokens (the model's eos and Qwen's <|im_end|> / <|endoftext|>)
// end a complete grammar; engine/grammar_vocabulary.h decides which tokens are text.
std::shared_ptr<grammar::TokenTrie> vocabulary_trie(const Tokenizer& tok, int32_t padded_vocab) {
  std::vector<int32_t> eos;
  if (tok.data().eos_id >= 0) eos.push_back(tok.data().eos_id);
  for (const char* s : {"<|im_end|>", "<|endoftext|>"}) {
    int32_t id = tok.find_token(s);
    if (id >= 0 && std::find(eos.begin(), eos.end(), id) == eos.end()) eos.push_back(id);
  }
  return grammar_token_trie(tok, eos, padded_vocab);
}

// Microseconds on the wall clock, or on this thread's CPU clock.
class UsClock {
 public:
  explicit UsClock(bool cpu) : cpu_(cpu) { reset(); }
  void reset() { start_ = now(); }
  int64_t us() const { return static_cast<int64_t>((now() - start_) / 1000); }

 private:
  int64_t now() const {
    timespec ts;
    clock_gettime(cpu_ ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  }
  bool cpu_;
  int64_t start_ = 0;
};

nlohmann::ordered_json run_one(const nlohmann::ordered_json& in, const Tokenizer& tok,
                       const std::shared_ptr<grammar::TokenTrie>& trie, bool timings, bool cpu_clock,
                       const grammar::JsonSchemaOptions& opt) {
  nlohmann::ordered_json out;
  out["id"] = in.contains("id") ? in["id"] : nullptr;
  std::string kind;
  for (const char* k : kKinds)
    if (in.contains(k)) {
      QVL_CHECK(kind.empty(), "input has more than one grammar (", kind, ", ", k, ")");
      kind = k;
    }
  QVL_CHECK(!kind.empty(), "input has no grammar (json_schema, regex, gbnf, ebnf or choice)");
  QVL_CHECK(in.contains("text") && in["text"].is_string(), "input has no \"text\" string");
  std::shared_ptr<grammar::CompiledGrammar> g;
  UsClock t(cpu_clock);
  try {
    g = std::make_shared<grammar::CompiledGrammar>(grammar::compile_spec(kind, in[kind], opt));
  } catch (const Error& e) {
    out["status"] = "unsupported";
    out["complete"] = false;
    out["reason"] = e.what();
    return out;
  }
  out["compile_us"] = t.us();
  std::vector<int32_t> ids = tok.encode(in["text"].get<std::string>(), false);
  grammar::Matcher m(g, trie);
  std::vector<uint64_t> mask(trie->mask_words());
  nlohmann::json mask_us = nlohmann::json::array();
  out["status"] = "accepted";
  for (size_t i = 0; i <= ids.size(); ++i) {
    t.reset();
    m.fill_next_token_mask(mask.data());
    mask_us.push_back(t.us());
    if (i == ids.size()) break;
    int32_t id = ids[i];
    bool allowed = (mask[id >> 6] >> (id & 63)) & 1;
    bool advanced = allowed && m.accept_token(id);
    QVL_CHECK(allowed == advanced || !allowed, "internal: mask allows token ", id, " that the matcher refuses");
    if (!allowed) {
      QVL_CHECK(!m.accept_token(id), "internal: mask refuses token ", id, " that the matcher accepts");
      out["status"] = "rejected";
      out["at_token"] = i;
      out["reason"] = "token " + std::to_string(i) + " (id " + std::to_string(id) + ", " +
                      nlohmann::json(tok.token_bytes(id)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                      ") is not allowed after " + std::to_string(i) + " tokens";
      break;
    }
  }
  out["complete"] = out["status"] == "accepted" && m.is_complete();
  if (timings) out["mask_us"] = mask_us;
  return out;
}

int cmd_grammar(const std::vector<std::string>& argv) {
  Args args(argv, {"model", "jsonl", "max-ws", "vocab-size"}, {"timings", "cpu-clock", "help"});
  if (args.has("help") || !args.has("model") || !args.has("jsonl")) {
    std::fputs(kUsage, args.has("help") ? stdout : stderr);
    return args.has("help") ? 0 : 2;
  }
  Tokenizer tok = load_tokenizer(args.get("model"));
  auto trie = vocabulary_trie(tok, args.get_int("vocab-size", 0));
  grammar::JsonSchemaOptions opt;
  opt.max_ws = args.get_int("max-ws", -1);
  std::ifstream f(args.get("jsonl"), std::ios::binary);
  QVL_CHECK(f, "cannot open ", args.get("jsonl"));
  std::string line;
  size_t n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::ordered_json in = nlohmann::ordered_json::parse(line, nullptr, false);
    QVL_CHECK(!in.is_discarded() && in.is_object(), args.get("jsonl"), ":", n, ": not a JSON object");
    nlohmann::ordered_json out;
    try {
      out = run_one(in, tok, trie, args.has("timings"), args.has("cpu-clock"), opt);
    } catch (const Error& e) {
      throw Error(args.get("jsonl") + ":" + std::to_string(n) + ": " + e.what());
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  std::cout.flush();
  return 0;
}

}  // namespace

QVL_COMMAND("grammar", "walk texts through grammars token by token (mask tests and timings)", cmd_grammar);

}  // namespace qvl::app
