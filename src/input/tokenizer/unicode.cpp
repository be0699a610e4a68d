// Lookups over the generated Unicode tables, UTF-8 repair and NFC (input layer).
// NFC follows UAX #15: full canonical decomposition, canonical ordering, then
// canonical composition; Hangul syllables are handled algorithmically.
#include "input/tokenizer/unicode.h"

#include <algorithm>
#include <vector>

#include "input/tokenizer/unicode_tables.h"

namespace qvl::unicode {
namespace {

constexpr uint32_t kMaxCodepoint = 0x10FFFF;
constexpr uint32_t kHangulS = 0xAC00, kHangulL = 0x1100, kHangulV = 0x1161, kHangulT = 0x11A7;
constexpr uint32_t kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr uint32_t kHangulNCount = kHangulVCount * kHangulTCount, kHangulSCount = kHangulLCount * kHangulNCount;

// Flags in a two-stage table: blocks of 256 code points, identical blocks shared
// (about 100 kB in all), so lookups stay in cache even on CJK text.
struct FlagTable {
  static constexpr uint32_t kBlock = 256, kBlocks = (kMaxCodepoint + 1) / kBlock;
  std::vector<uint16_t> index;  // block -> offset / kBlock into data
  std::vector<uint8_t> data;
  FlagTable() {
    std::vector<uint8_t> bits(kMaxCodepoint + 1, 0);
    auto mark = [&](const Range* r, size_t n, uint8_t f) {
      for (size_t i = 0; i < n; ++i)
        for (uint32_t c = r[i].lo; c <= r[i].hi; ++c) bits[c] |= f;
    };
    mark(kLetterRanges, kLetterRangesCount, kLetter);
    mark(kNumberRanges, kNumberRangesCount, kNumber);
    mark(kWhiteSpaceRanges, kWhiteSpaceRangesCount, kWhiteSpace);
    mark(kNfcUnstableRanges, kNfcUnstableRangesCount, kNfcUnstable);
    index.resize(kBlocks);
    for (uint32_t b = 0; b < kBlocks; ++b) {
      const uint8_t* block = bits.data() + b * kBlock;
      size_t found = data.size();
      for (size_t off = 0; off < data.size(); off += kBlock)
        if (std::equal(block, block + kBlock, data.data() + off)) {
          found = off;
          break;
        }
      if (found == data.size()) data.insert(data.end(), block, block + kBlock);
      index[b] = static_cast<uint16_t>(found / kBlock);
    }
  }
  uint8_t get(uint32_t cp) const { return data[index[cp / kBlock] * kBlock + cp % kBlock]; }
};

const FlagTable& flag_table() {
  static const FlagTable t;
  return t;
}

uint8_t combining_rank(uint32_t cp) {
  const ClassRange* end = kCombiningClassRanges + kCombiningClassRangesCount;
  const ClassRange* it = std::upper_bound(kCombiningClassRanges, end, cp,
                                          [](uint32_t c, const ClassRange& r) { return c < r.lo; });
  if (it == kCombiningClassRanges) return 0;
  --it;
  return cp <= it->hi ? it->rank : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp >= kHangulS && cp < kHangulS + kHangulSCount) {
    uint32_t s = cp - kHangulS;
    out.push_back(kHangulL + s / kHangulNCount);
    out.push_back(kHangulV + (s % kHangulNCount) / kHangulTCount);
    if (s % kHangulTCount) out.push_back(kHangulT + s % kHangulTCount);
    return;
  }
  const Decomposition* end = kDecompositions + kDecompositionsCount;
  const Decomposition* it =
      std::lower_bound(kDecompositions, end, cp, [](const Decomposition& d, uint32_t c) { return d.cp < c; });
  if (it != end && it->cp == cp) {
    out.insert(out.end(), kDecompositionData + it->offset, kDecompositionData + it->offset + it->length);
  } else {
    out.push_back(cp);
  }
}

// The primary composite of (first, second), or 0 when there is none.
uint32_t compose(uint32_t first, uint32_t second) {
  if (first >= kHangulL && first < kHangulL + kHangulLCount && second >= kHangulV &&
      second < kHangulV + kHangulVCount) {
    return kHangulS + ((first - kHangulL) * kHangulVCount + (second - kHangulV)) * kHangulTCount;
  }
  if (first >= kHangulS && first < kHangulS + kHangulSCount && (first - kHangulS) % kHangulTCount == 0 &&
      second > kHangulT && second < kHangulT + kHangulTCount) {
    return first + (second - kHangulT);
  }
  const Composition* end = kCompositions + kCompositionsCount;
  const Composition* it = std::lower_bound(kCompositions, end, std::make_pair(first, second),
                                           [](const Composition& c, const std::pair<uint32_t, uint32_t>& k) {
                                             return c.first != k.first ? c.first < k.first : c.second < k.second;
                                           });
  return it != end && it->first == first && it->second == second ? it->composite : 0;
}

}  // namespace

uint8_t flags(uint32_t cp) { return cp <= kMaxCodepoint ? flag_table().get(cp) : 0; }

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t utf8_sequence_length(std::string_view s, size_t i, size_t* prefix) {
  uint8_t b = static_cast<uint8_t>(s[i]);
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte (Unicode Table 3-7)
  if (b < 0x80) {
    *prefix = 1;
    return 1;
  } else if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    *prefix = 1;
    return 0;
  }
  size_t k = 1;
  for (; k < need && i + k < s.size(); ++k) {
    uint8_t c = static_cast<uint8_t>(s[i + k]);
    if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) break;
  }
  *prefix = k;
  return k == need ? need : 0;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0, n = s.size(), prefix;
  while (i < n) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len = utf8_sequence_length(s, i, &prefix);
    if (!len) return false;
    i += len;
  }
  return true;
}

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0, prefix;
  while (i < s.size()) {
    size_t len = utf8_sequence_length(s, i, &prefix);
    if (len) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      i += prefix;
    }
  }
  return out;
}

bool needs_nfc(std::string_view s) {
  const FlagTable& table = flag_table();
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0xCC) {  // below U+0300 nothing is unstable
      i += static_cast<uint8_t>(s[i]) < 0x80 ? 1 : 2;
      continue;
    }
    if (table.get(next_codepoint(s, i)) & kNfcUnstable) return true;
  }
  return false;
}

std::string to_nfc(std::string_view s) {
  std::vector<uint32_t> d;
  d.reserve(s.size());
  for (size_t i = 0; i < s.size();) decompose(next_codepoint(s, i), d);
  // Canonical ordering: stable sort of every run of non-starters by class.
  std::vector<uint8_t> rank(d.size());
  for (size_t i = 0; i < d.size(); ++i) rank[i] = combining_rank(d[i]);
  for (size_t i = 0; i < d.size();) {
    if (!rank[i]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && rank[j]) ++j;
    for (size_t a = i + 1; a < j; ++a)  // insertion sort: runs are short and it is stable
      for (size_t b = a; b > i && rank[b - 1] > rank[b]; --b) {
        std::swap(rank[b - 1], rank[b]);
        std::swap(d[b - 1], d[b]);
      }
    i = j;
  }
  // Canonical composition: a character joins the last starter unless blocked by
  // an intervening character of equal or higher class (or any starter).
  std::vector<uint32_t> out;
  std::vector<uint8_t> out_rank;
  out.reserve(d.size());
  size_t starter = SIZE_MAX;
  for (size_t i = 0; i < d.size(); ++i) {
    uint32_t c = d[i];
    uint8_t r = rank[i];
    if (starter != SIZE_MAX) {
      uint8_t last = out_rank.back();
      bool blocked = out.size() - 1 != starter && (last == 0 || last >= r);
      if (!blocked) {
        if (uint32_t comp = compose(out[starter], c)) {
          out[starter] = comp;
          continue;
        }
      }
    }
    if (r == 0) starter = out.size();
    out.push_back(c);
    out_rank.push_back(r);
  }
  std::string res;
  res.reserve(s.size());
  for (uint32_t c : out) append_utf8(res, c);
  return res;
}

}  // namespace qvl::unicode
