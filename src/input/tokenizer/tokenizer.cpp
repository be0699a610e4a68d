// Tokenizer: added/special-token split, NFC, Qwen2 pre-tokenizer, cached BPE, and
// decoding back to bytes (input layer). Loading files lives in hf_json.cpp.
#include "input/tokenizer/tokenizer.h"

#include <algorithm>
#include <unordered_map>

#include "base/error.h"
#include "input/tokenizer/bpe.h"
#include "input/tokenizer/byte_level.h"
#include "input/tokenizer/pretokenizer.h"
#include "input/tokenizer/unicode.h"
#include "input/tokenizer/word_cache.h"

namespace qvl {

struct Tokenizer::Impl {
  TokenizerData data;
  std::vector<std::string> raw;                      // id -> raw bytes
  std::unordered_map<std::string, int32_t> by_bytes;  // raw bytes -> id (normal tokens win)
  std::unique_ptr<BpeMerger> bpe;
  struct Special {
    std::string text;
    int32_t id;
    bool control;
  };
  std::vector<Special> specials;  // longest first, so the longest match wins
  bool special_first_byte[256] = {};
  WordCache cache;

  explicit Impl(const TokenizerData& d);
  void encode_plain(std::string_view text, std::vector<int32_t>& out) const;
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;
};

Tokenizer::Impl::Impl(const TokenizerData& d) : data(d) {
  const size_t n = data.tokens.size();
  QVL_CHECK(n > 0, "tokenizer has no tokens");
  QVL_CHECK(n < INT32_MAX, "tokenizer has too many tokens (", n, ")");
  if (data.token_types.empty()) data.token_types.assign(n, TokenType::kNormal);
  QVL_CHECK(data.token_types.size() == n, "tokenizer has ", n, " tokens but ", data.token_types.size(),
            " token types");
  QVL_CHECK(data.pre == "qwen2", "unsupported pre-tokenizer '", data.pre, "' (qvl implements 'qwen2')");
  for (int32_t id : {data.eos_id, data.bos_id, data.pad_id})
    QVL_CHECK(id >= -1 && id < static_cast<int64_t>(n), "special token id ", id, " out of range");

  raw.resize(n);
  by_bytes.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    TokenType t = data.token_types[i];
    raw[i] = t == TokenType::kNormal ? byte_level_to_bytes(data.tokens[i]) : data.tokens[i];
    auto [it, fresh] = by_bytes.emplace(raw[i], static_cast<int32_t>(i));
    if (!fresh && t == TokenType::kNormal && data.token_types[it->second] != TokenType::kNormal) it->second = i;
    bool added = t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
    if (added && !data.tokens[i].empty()) specials.push_back({data.tokens[i], static_cast<int32_t>(i), t != TokenType::kUserDefined});
  }
  std::stable_sort(specials.begin(), specials.end(),
                   [](const Special& a, const Special& b) { return a.text.size() > b.text.size(); });
  for (const Special& s : specials) special_first_byte[static_cast<uint8_t>(s.text[0])] = true;

  auto normal_id = [&](const std::string& bytes) -> int32_t {
    auto it = by_bytes.find(bytes);
    return it != by_bytes.end() && data.token_types[it->second] == TokenType::kNormal ? it->second : -1;
  };
  int32_t byte_ids[256];
  for (int b = 0; b < 256; ++b) {
    byte_ids[b] = normal_id(std::string(1, static_cast<char>(b)));
    QVL_CHECK(byte_ids[b] >= 0, "byte-level vocabulary lacks a token for byte 0x", std::hex, b);
  }
  std::vector<BpeMerger::Merge> merges;
  merges.reserve(data.merges.size());
  for (size_t r = 0; r < data.merges.size(); ++r) {
    const std::string& m = data.merges[r];
    size_t sp = m.find(' ');
    QVL_CHECK(sp != std::string::npos && sp > 0 && sp + 1 < m.size() && m.find(' ', sp + 1) == std::string::npos,
              "merge ", r, " is not two pieces separated by one space: '", m, "'");
    std::string left = byte_level_to_bytes(std::string_view(m).substr(0, sp));
    std::string right = byte_level_to_bytes(std::string_view(m).substr(sp + 1));
    int32_t l = normal_id(left), rt = normal_id(right), res = normal_id(left + right);
    QVL_CHECK(l >= 0 && rt >= 0 && res >= 0, "merge ", r, " ('", m, "') uses a piece missing from the vocabulary");
    merges.push_back({l, rt, res});
  }
  bpe = std::make_unique<BpeMerger>(byte_ids, merges);
}

void Tokenizer::Impl::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.size() == 1 || word.size() > WordCache::kMaxWordBytes) {
    bpe->encode(word, out);
    return;
  }
  if (cache.lookup(word, out)) return;
  size_t before = out.size();
  bpe->encode(word, out);
  cache.insert(word, out.data() + before, out.size() - before);
}

void Tokenizer::Impl::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  std::string nfc;
  if (data.normalize_nfc && unicode::needs_nfc(text)) {
    nfc = unicode::to_nfc(text);
    text = nfc;
  }
  thread_local std::vector<Span> spans;
  spans.clear();
  pretokenize_qwen2(text, spans);
  for (const Span& s : spans) encode_word(text.substr(s.begin, s.end - s.begin), out);
  // A multi-megabyte prompt leaves millions of spans here; do not pin them to the
  // (long-lived HTTP) thread afterwards.
  if (spans.capacity() > (size_t{1} << 16)) std::vector<Span>().swap(spans);
}

Tokenizer::Tokenizer(const TokenizerData& data) : impl_(std::make_unique<Impl>(data)) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::from_hf_json(const std::string& path) { return Tokenizer(data_from_hf_json(path)); }

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  std::string repaired;
  if (!unicode::is_valid_utf8(text)) {
    repaired = unicode::repair_utf8(text);
    text = repaired;
  }
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  const Impl& im = *impl_;
  size_t seg = 0, i = 0;
  while (i < text.size()) {
    const Impl::Special* hit = nullptr;
    if (im.special_first_byte[static_cast<uint8_t>(text[i])]) {
      for (const Impl::Special& s : im.specials) {
        if ((parse_special || !s.control) && text.compare(i, s.text.size(), s.text) == 0) {
          hit = &s;
          break;
        }
      }
    }
    if (!hit) {
      ++i;
      continue;
    }
    im.encode_plain(text.substr(seg, i - seg), out);
    out.push_back(hit->id);
    i += hit->text.size();
    seg = i;
  }
  im.encode_plain(text.substr(seg), out);
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string out;
  for (int32_t id : ids) {
    QVL_CHECK(id >= 0 && id < vocab_size(), "token id ", id, " out of range (vocabulary has ", vocab_size(), ")");
    if (skip_special && impl_->data.token_types[id] == TokenType::kControl) continue;
    out += impl_->raw[id];
  }
  return out;
}

std::string Tokenizer::token_bytes(int32_t id) const {
  QVL_CHECK(id >= 0 && id < vocab_size(), "token id ", id, " out of range (vocabulary has ", vocab_size(), ")");
  return impl_->raw[id];
}

int32_t Tokenizer::find_token(std::string_view bytes) const {
  auto it = impl_->by_bytes.find(std::string(bytes));
  return it == impl_->by_bytes.end() ? -1 : it->second;
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->raw.size()); }

bool Tokenizer::is_control(int32_t id) const {
  return id >= 0 && id < vocab_size() && impl_->data.token_types[id] == TokenType::kControl;
}

const TokenizerData& Tokenizer::data() const { return impl_->data; }

}  // namespace qvl
