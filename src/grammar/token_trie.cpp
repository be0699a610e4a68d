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
  tok_begin_.resize(node_.size() + 1);
  for (size_t i = 0; i < node_.size(); ++i) {
    tok_begin_[i] = static_cast<uint32_t>(tok_order_.size());
    if (token_[i] >= 0) tok_order_.push_back(token_[i]);
  }
  tok_begin_[node_.size()] = static_cast<uint32_t>(tok_order_.size());
}

bool TokenTrie::is_eos(int32_t id) const { return std::find(eos_.begin(), eos_.end(), id) != eos_.end(); }

}  // namespace qvl::grammar
