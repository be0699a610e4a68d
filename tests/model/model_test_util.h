// Helpers for the model-layer tests: a small-vocabulary copy of the real Qwen3
// tokenizer (so tiny random models stay a few MB) and tiny test models written by
// the same code as `qvl make-test-model`.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/test_model/test_model.h"
#include "../reference_required.h"

namespace qvl::testing {

inline constexpr int64_t kSmallVocab = 1024;

// Directories made by temp_dir(), removed when the test binary exits.
struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
  }
};
inline TempDirs& temp_dirs() {
  static TempDirs t;
  return t;
}

inline std::string temp_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("qvl-model-test-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  temp_dirs().dirs.push_back(p.string());
  return p.string();
}

// The real tokenizer.json cut to ids < kSmallVocab (bytes and early merges only;
// added tokens dropped). Written once per process.
inline const std::string& small_tokenizer_json() {
  static const std::string path = [] {
    const std::string real = find_qwen3_tokenizer_json({".", QVL_SOURCE_DIR});
    if (real.empty()) return std::string();
    std::ifstream in(real);
    nlohmann::json j = nlohmann::json::parse(in);
    nlohmann::json vocab = nlohmann::json::object();
    std::set<std::string> keep;
    for (auto& [tok, id] : j["model"]["vocab"].items())
      if (id.get<int64_t>() < kSmallVocab) {
        vocab[tok] = id;
        keep.insert(tok);
      }
    nlohmann::json merges = nlohmann::json::array();
    for (const auto& m : j["model"]["merges"]) {
      std::string a, b;
      if (m.is_array()) {
        a = m[0].get<std::string>();
        b = m[1].get<std::string>();
      } else {
        const std::string s = m.get<std::string>();
        a = s.substr(0, s.find(' '));
        b = s.substr(s.find(' ') + 1);
      }
      if (keep.count(a) && keep.count(b) && keep.count(a + b)) merges.push_back(m);
    }
    j["model"]["vocab"] = vocab;
    j["model"]["merges"] = merges;
    j["added_tokens"] = nlohmann::json::array();
    const std::string dir = temp_dir("tokenizer");
    std::ofstream(dir + "/tokenizer.json") << j.dump();
    return dir + "/tokenizer.json";
  }();
  return path;
}

// Writes a tiny model (small vocab) and returns its path; skips the test when the
// npm tokenizer is not installed.
inline std::string write_tiny(const std::string& arch, const std::string& format, const std::string& quant,
                              const std::string& name, uint64_t seed = 7) {
  TestModelSpec s;
  s.arch = arch;
  s.shape = "tiny";
  s.format = format;
  s.quant = quant;
  s.seed = seed;
  s.vocab_size = kSmallVocab;
  s.tokenizer_json = small_tokenizer_json();
  s.chat_template = "{{ messages[0]['content'] }}";
  const std::string dir = temp_dir(name);
  s.out = format == "gguf" ? dir + "/model.gguf" : dir;
  write_test_model(s);
  return s.out;
}

}  // namespace qvl::testing
