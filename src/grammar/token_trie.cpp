// TokenTrie construction: sort the usable tokens by bytes, then emit preorder nodes.
#include "grammar/token_trie.h"

#include <algorithm>
#include <numeric>

#include "base/error.h"

namespace qvl::grammar {

TokenTrie::TokenTrie(const std::vector<std::string>& token_bytes, const std::vector<bool>& usable,
                     std::vector<int32_t> eos_ids, int32_t padded_vocab)
    : vocab_size_(std::max(static_cast<int32_t>(token_bytes.size()), padded_vocab)), bytes_(token_bytes),
      usable_(usable), eos_(std::move(eos_ids)) {
  QVL_CHECK(usable.size() == token_bytes.size(), "token trie: usable flags do not match the vocabulary");
  bytes_.resize(vocab_size_);
  usable_.resize(vocab_size_, false);
  for (int32_t e : eos_) QVL_CHECK(e >= 0 && e < vocab_size_, "token trie: eos id ", e, " out of range");
  std::vector<int32_t> ids;
  for (int32_t i = 0; i < vocab_size_; ++i)
    if (usable_[i] && !bytes_[i].empty() && !is_eos(i)) ids.push_back(i);
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return bytes_[a] < bytes_[b]; });
  std::vector<uint32_t> path;  // node index at each depth of the current token
  const std::string* prev = nullptr;
  auto close_to = [&](size_t depth) {
    while (path.size() > depth) {
      node_[path.back()] |= static_cast<uint64_t>(node_.size()) << 32;
      path.pop_back();
    }
  };
  for (int32_t id : ids) {
    const std::string& s = bytes_[id];
    size_t common = 0;
    if (prev) {
      size_t lim = std::min(prev->size(), s.size());
      while (common < lim && (*prev)[common] == s[common]) ++common;
    }
    close_to(common);
    for (size_t d = common; d < s.size(); ++d) {
      path.push_back(static_cast<uint32_t>(node_.size()));
      QVL_CHECK(d + 1 < 65535, "token trie: token longer than 65534 bytes");
      node_.push_back(static_cast<uint8_t>(s[d]) | (static_cast<uint64_t>(d + 1) << 8));
      token_.push_back(-1);
    }
    uint32_t end = path.back();
    if (token_[end] < 0) {
      token_[end] = id;
      node_[end] |= uint64_t{1} << 24;
    }
    else
      extra_.push_back({end, id});
    max_depth_ = std::max(max_depth_, s.size());
    prev = &s;
  }
  close_to(0);
  // below_: bottom-up (reverse preorder visits children before parents).
  below_.assign(node_.size(), ByteSet{});
  for (size_t i = node_.size(); i-- > 0;)
    for (size_t c = i + 1; c < skip(node_[i]); c = skip(node_[c])) {
      for (int k = 0; k < 4; ++k) below_[i].w[k] |= below_[c].w[k];
      below_[i].set(byte(node_[c]));
    }
  // text_below: a UTF-8 decoder run bottom-up. ok[i] bit u: node i's byte and
  // everything under it are valid text when the decoder is in state u before it.
  // Decoder states: 0 boundary; 1-3 continuation bytes left; 4 after E0 (A0-BF
  // next), 5 after ED (80-9F), 6 after F0 (90-BF), 7 after F4 (80-8F).
  auto next = [](int u, uint8_t b) -> int {  // -1: invalid here
    auto cont = [&](uint8_t lo, uint8_t hi, int then) { return b >= lo && b <= hi ? then : -1; };
    switch (u) {
      case 0:
        if (b < 0x80) return is_text_ascii(b) ? 0 : -1;
        if (b >= 0xC2 && b <= 0xDF) return 1;
        if (b == 0xE0) return 4;
        if (b == 0xED) return 5;
        if (b >= 0xE1 && b <= 0xEF) return 2;
        if (b == 0xF0) return 6;
        if (b >= 0xF1 && b <= 0xF3) return 3;
        if (b == 0xF4) return 7;
        return -1;
      case 1: return cont(0x80, 0xBF, 0);
      case 2: return cont(0x80, 0xBF, 1);
      case 3: return cont(0x80, 0xBF, 2);
      case 4: return cont(0xA0, 0xBF, 1);
      case 5: return cont(0x80, 0x9F, 1);
      case 6: return cont(0x90, 0xBF, 2);
      default: return cont(0x80, 0x8F, 2);
    }
  };
  std::vector<uint8_t> ok(node_.size(), 0);
  for (size_t i = node_.size(); i-- > 0;) {
    uint8_t kids = 0xFF;  // bit v: every child is fine starting in state v
    for (size_t c = i + 1; c < skip(node_[i]); c = skip(node_[c])) kids &= ok[c];
    for (int u = 0; u < 8; ++u) {
      int v = next(u, byte(node_[i]));
      if (v >= 0 && ((kids >> v) & 1)) ok[i] |= static_cast<uint8_t>(1 << u);
    }
    if (kids & 1) node_[i] |= uint64_t{1} << 25;
  }
  tok_begin_.resize(node_.size() + 1);
  for (size_t i = 0; i < node_.size(); ++i) {
    tok_begin_[i] = static_cast<uint32_t>(tok_order_.size());
    if (token_[i] >= 0) tok_order_.push_back(token_[i]);
  }
  tok_begin_[node_.size()] = static_cast<uint32_t>(tok_order_.size());
}

bool TokenTrie::is_eos(int32_t id) const { return std::find(eos_.begin(), eos_.end(), id) != eos_.end(); }

}  // namespace qvl::grammar
