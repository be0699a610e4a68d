// GrammarBuilder: lowering of repetition and character classes to plain rules.
#include "grammar/ir.h"

#include <algorithm>

#include "base/error.h"

namespace qvl::grammar {

uint32_t GrammarBuilder::declare(const std::string& name) {
  QVL_CHECK(g_.rules.size() < kMaxRules, "grammar too large: more than ", kMaxRules, " rules");
  g_.rules.push_back({name, {}});
  return static_cast<uint32_t>(g_.rules.size() - 1);
}

void GrammarBuilder::charge(size_t n) {
  elements_ += n;
  QVL_CHECK(elements_ <= kMaxElements, "grammar too large: more than ", kMaxElements, " elements");
}

void GrammarBuilder::add_alt(uint32_t rule, Seq alt) {
  charge(alt.size() + 1);
  g_.rules[rule].alts.push_back(std::move(alt));
}

NestingGuard::NestingGuard(int& depth, const char* what) : depth_(depth) {
  QVL_CHECK(++depth_ <= GrammarBuilder::kMaxNesting, what, " nested more than ", GrammarBuilder::kMaxNesting, " deep");
}

Element GrammarBuilder::bytes(const ByteSet& set) {
  auto [it, fresh] = set_ids_.emplace(set, static_cast<uint32_t>(g_.sets.size()));
  if (fresh) g_.sets.push_back(set);
  return {Element::Kind::kBytes, it->second};
}

Element GrammarBuilder::byte_range(uint8_t lo, uint8_t hi) {
  ByteSet s;
  s.set_range(lo, hi);
  return bytes(s);
}

Seq GrammarBuilder::literal(std::string_view b) {
  charge(b.size());
  Seq out;
  for (unsigned char c : b) out.push_back(byte_range(c, c));
  return out;
}

Seq GrammarBuilder::nothing() {
  uint32_t r = declare("nothing");
  return {ref(r)};
}

Seq GrammarBuilder::group(std::vector<Seq> alts, const std::string& hint) {
  if (alts.size() == 1 && alts[0].size() == 1) return alts[0];
  uint32_t r = declare(hint + "_" + std::to_string(counter_++));
  for (auto& a : alts) add_alt(r, std::move(a));
  return {ref(r)};
}

Seq GrammarBuilder::repeat(const Seq& x, uint32_t min, int64_t max, const std::string& hint) {
  QVL_CHECK(min <= kMaxRepeat && max <= static_cast<int64_t>(kMaxRepeat), "repetition count over ", kMaxRepeat);
  QVL_CHECK(max < 0 || max >= min, "repetition {", min, ",", max, "} has max < min");
  Seq out;
  charge(x.size() * (max < 0 ? min + 1 : static_cast<size_t>(max)));  // what the copies below will hold
  for (uint32_t i = 0; i < min; ++i) out.insert(out.end(), x.begin(), x.end());
  if (max < 0) {  // R ::= x R | ε  (tail position: the matcher's stack does not grow)
    uint32_t r = declare(hint + "_" + std::to_string(counter_++));
    Seq loop = x;
    loop.push_back(ref(r));
    add_alt(r, std::move(loop));
    add_alt(r, {});
    out.push_back(ref(r));
  } else if (max > min) {  // O_k ::= x O_{k-1} | ε, nested so each x is optional after the previous
    Seq inner;
    for (int64_t k = 0; k < max - min; ++k) {
      uint32_t r = declare(hint + "_" + std::to_string(counter_++));
      Seq a = x;
      a.insert(a.end(), inner.begin(), inner.end());
      add_alt(r, std::move(a));
      add_alt(r, {});
      inner = {ref(r)};
    }
    out.insert(out.end(), inner.begin(), inner.end());
  }
  return out;
}

std::vector<CodeRange> normalize_ranges(std::vector<CodeRange> r) {
  std::vector<CodeRange> cut;
  for (auto [lo, hi] : r) {
    hi = std::min<uint32_t>(hi, 0x10FFFF);
    if (lo > hi) continue;
    if (lo < 0xD800 && hi >= 0xD800) {
      cut.push_back({lo, 0xD7FF});
      if (hi > 0xDFFF) cut.push_back({0xE000, hi});
    } else if (lo >= 0xD800 && lo <= 0xDFFF) {
      if (hi > 0xDFFF) cut.push_back({0xE000, hi});
    } else {
      cut.push_back({lo, hi});
    }
  }
  std::sort(cut.begin(), cut.end());
  std::vector<CodeRange> out;
  for (auto rg : cut) {
    if (!out.empty() && rg.first <= out.back().second + 1)
      out.back().second = std::max(out.back().second, rg.second);
    else
      out.push_back(rg);
  }
  return out;
}

std::vector<CodeRange> complement_ranges(const std::vector<CodeRange>& r) {
  std::vector<CodeRange> n = normalize_ranges(r), out;
  uint32_t next = 0;
  for (auto [lo, hi] : n) {
    if (lo > next) out.push_back({next, lo - 1});
    next = hi + 1;
  }
  if (next <= 0x10FFFF) out.push_back({next, 0x10FFFF});
  return normalize_ranges(out);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int32_t decode_utf8(std::string_view s, size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
  if (n < 0 || i + n >= s.size()) return -1;
  uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k <= n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d >> 6) != 2) return -1;
    cp = (cp << 6) | (d & 0x3F);
  }
  static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += n + 1;
  return static_cast<int32_t>(cp);
}

namespace {

using ByteRanges = std::vector<std::pair<uint8_t, uint8_t>>;

// Splits [lo, hi] (same UTF-8 length n) until every piece is a product of byte
// ranges: the classic UTF-8 range decomposition used by regex engines.
void split_utf8(uint32_t lo, uint32_t hi, int n, std::vector<ByteRanges>& out) {
  for (int i = 1; i < n; ++i) {
    uint32_t m = (1u << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        split_utf8(lo, lo | m, n, out);
        split_utf8((lo | m) + 1, hi, n, out);
        return;
      }
      if ((hi & m) != m) {
        split_utf8(lo, (hi & ~m) - 1, n, out);
        split_utf8(hi & ~m, hi, n, out);
        return;
      }
    }
  }
  std::string a, b;
  append_utf8(a, lo);
  append_utf8(b, hi);
  ByteRanges seq;
  for (size_t k = 0; k < a.size(); ++k)
    seq.push_back({static_cast<uint8_t>(a[k]), static_cast<uint8_t>(b[k])});
  out.push_back(seq);
}

}  // namespace

Seq GrammarBuilder::chars(std::vector<CodeRange> ranges, bool negate) {
  ranges = negate ? complement_ranges(ranges) : normalize_ranges(std::move(ranges));
  auto cached = class_cache_.find(ranges);
  if (cached != class_cache_.end()) return cached->second;
  // ASCII part is one byte set; the rest are byte-range sequences grouped by lead range.
  ByteSet ascii;
  bool any_ascii = false;
  std::vector<ByteRanges> seqs;
  static const uint32_t kLenMax[] = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  for (auto [lo, hi] : ranges) {
    uint32_t start = 0;
    for (int n = 1; n <= 4; ++n) {
      uint32_t l = std::max(lo, start), h = std::min(hi, kLenMax[n - 1]);
      start = kLenMax[n - 1] + 1;
      if (l > h) continue;
      if (n == 1) {
        ascii.set_range(static_cast<uint8_t>(l), static_cast<uint8_t>(h));
        any_ascii = true;
      } else {
        split_utf8(l, h, n, seqs);
      }
    }
  }
  std::vector<Seq> alts;
  if (any_ascii) alts.push_back({bytes(ascii)});
  for (const auto& s : seqs) {
    Seq a;
    for (auto [l, h] : s) a.push_back(byte_range(l, h));
    alts.push_back(std::move(a));
  }
  Seq result = alts.empty() ? nothing() : group(std::move(alts), "char");
  class_cache_[ranges] = result;
  return result;
}

Grammar GrammarBuilder::finish(uint32_t root) {
  g_.root = root;
  return std::move(g_);
}

}  // namespace qvl::grammar
