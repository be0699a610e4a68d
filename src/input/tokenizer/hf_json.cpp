// Reads a Hugging Face tokenizer.json (and tokenizer_config.json beside it) into
// TokenizerData (input layer). Accepts only what qvl implements: a byte-level BPE
// model with the Qwen2 split pattern and an optional NFC normaliser.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "input/tokenizer/tokenizer.h"

namespace qvl {
namespace {

using nlohmann::json;

constexpr const char* kQwen2Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";

json read_json(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  QVL_CHECK(f, "cannot open ", path);
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const json::exception& e) {
    QVL_FAIL(path, ": not valid JSON (", e.what(), ")");
  }
}

// True for a pre_tokenizer (or Sequence member) that splits with the Qwen2 pattern.
bool has_qwen2_split(const json& pre) {
  if (!pre.is_object()) return false;
  if (pre.value("type", "") == "Sequence" && pre.contains("pretokenizers")) {
    for (const json& p : pre["pretokenizers"])
      if (has_qwen2_split(p)) return true;
    return false;
  }
  return pre.value("type", "") == "Split" && pre.contains("pattern") && pre["pattern"].is_object() &&
         pre["pattern"].value("Regex", "") == kQwen2Pattern;
}

bool normalizer_is_nfc(const json& norm, const std::string& path) {
  if (norm.is_null()) return false;
  std::string type = norm.value("type", "");
  if (type == "NFC") return true;
  if (type == "Sequence" && norm.contains("normalizers") && norm["normalizers"].empty()) return false;
  QVL_FAIL(path, ": unsupported normalizer '", type, "' (qvl supports NFC or none)");
}

}  // namespace

TokenizerData Tokenizer::data_from_hf_json(const std::string& path) {
  json j = read_json(path);
  try {
    QVL_CHECK(j.is_object() && j.contains("model") && j["model"].is_object(), path, ": no \"model\" object");
    const json& model = j["model"];
    QVL_CHECK(model.value("type", "") == "BPE", path, ": model type '", model.value("type", ""),
              "' is not BPE");
    QVL_CHECK(has_qwen2_split(j.value("pre_tokenizer", json())), path,
              ": pre-tokenizer is not the Qwen2 byte-level split (the only one qvl implements)");
    TokenizerData d;
    d.normalize_nfc = normalizer_is_nfc(j.value("normalizer", json()), path);

    const json& vocab = model.at("vocab");
    QVL_CHECK(vocab.is_object(), path, ": model.vocab is not an object");
    size_t n = 0;
    for (auto it = vocab.begin(); it != vocab.end(); ++it) n = std::max<size_t>(n, it.value().get<int64_t>() + 1);
    const json added = j.value("added_tokens", json::array());
    for (const json& a : added) n = std::max<size_t>(n, a.at("id").get<int64_t>() + 1);
    QVL_CHECK(n > 0 && n < (1u << 24), path, ": implausible vocabulary size ", n);

    d.tokens.assign(n, std::string());
    d.token_types.assign(n, TokenType::kUnused);
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
      int64_t id = it.value().get<int64_t>();
      QVL_CHECK(id >= 0, path, ": negative token id for '", it.key(), "'");
      d.tokens[id] = it.key();
      d.token_types[id] = TokenType::kNormal;
    }
    for (const json& a : added) {
      int64_t id = a.at("id").get<int64_t>();
      QVL_CHECK(id >= 0, path, ": negative added-token id");
      std::string content = a.at("content").get<std::string>();
      bool looks_special = content.size() >= 4 && content.rfind("<|", 0) == 0 &&
                           content.compare(content.size() - 2, 2, "|>") == 0;
      d.tokens[id] = content;
      d.token_types[id] = a.value("special", false) || looks_special ? TokenType::kControl : TokenType::kUserDefined;
    }
    for (size_t i = 0; i < n; ++i)
      if (d.token_types[i] == TokenType::kUnused) d.tokens[i] = "[PAD" + std::to_string(i) + "]";

    for (const json& m : model.at("merges")) {
      if (m.is_string()) {
        d.merges.push_back(m.get<std::string>());
      } else {
        QVL_CHECK(m.is_array() && m.size() == 2, path, ": a merge is neither \"a b\" nor [a, b]");
        d.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
      }
    }

    // Named special tokens come from tokenizer_config.json when it is there.
    auto find = [&](const std::string& s) -> int32_t {
      for (const json& a : added)
        if (a.at("content").get<std::string>() == s) return a.at("id").get<int32_t>();
      auto it = vocab.find(s);
      return it == vocab.end() ? -1 : it.value().get<int32_t>();
    };
    std::filesystem::path cfg_path = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
    if (std::filesystem::exists(cfg_path)) {
      json cfg = read_json(cfg_path.string());
      auto token_of = [&](const char* key) -> int32_t {
        if (!cfg.contains(key) || cfg[key].is_null()) return -1;
        const json& v = cfg[key];
        return find(v.is_string() ? v.get<std::string>() : v.value("content", ""));
      };
      d.eos_id = token_of("eos_token");
      d.bos_id = token_of("bos_token");
      d.pad_id = token_of("pad_token");
    }
    return d;
  } catch (const json::exception& e) {
    QVL_FAIL(path, ": malformed tokenizer.json (", e.what(), ")");
  }
}

}  // namespace qvl
