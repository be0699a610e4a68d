// Grammar IR (grammar layer): rules of alternatives, each a sequence of byte-set
// terminals and rule references. Every front end (GBNF, regex, JSON Schema,
// choices) builds one of these through GrammarBuilder; characters become UTF-8
// byte sequences here, so the matcher only ever sees bytes.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qvl::grammar {

// 256-bit byte set.
struct ByteSet {
  std::array<uint64_t, 4> w{};
  bool test(uint8_t b) const { return (w[b >> 6] >> (b & 63)) & 1; }
  void set(uint8_t b) { w[b >> 6] |= uint64_t{1} << (b & 63); }
  void set_range(uint8_t lo, uint8_t hi) {
    for (int b = lo; b <= hi; ++b) set(static_cast<uint8_t>(b));
  }
  bool operator<(const ByteSet& o) const { return w < o.w; }
  bool operator==(const ByteSet& o) const { return w == o.w; }
};

struct Element {
  enum class Kind : uint8_t { kBytes, kRule };
  Kind kind;
  uint32_t id;  // index into Grammar::sets (kBytes) or Grammar::rules (kRule)
};
using Seq = std::vector<Element>;

struct Rule {
  std::string name;
  std::vector<Seq> alts;  // no alternatives: the rule matches nothing
};

// Inclusive code point range.
using CodeRange = std::pair<uint32_t, uint32_t>;

struct Grammar {
  std::vector<Rule> rules;
  std::vector<ByteSet> sets;
  uint32_t root = 0;
};

// Builds a Grammar; helpers create the auxiliary rules that repetition and
// character classes need. Limits keep a hostile grammar from exhausting memory.
class GrammarBuilder {
 public:
  static constexpr size_t kMaxRules = 200000;
  static constexpr uint32_t kMaxRepeat = 10000;  // bound on {m,n} counts
  static constexpr size_t kMaxElements = 4000000;  // all alternatives' elements together
  static constexpr int kMaxNesting = 200;          // groups / schemas inside each other

  uint32_t declare(const std::string& name);  // a rule with no alternatives yet
  void add_alt(uint32_t rule, Seq alt);
  Element ref(uint32_t rule) const { return {Element::Kind::kRule, rule}; }

  Element bytes(const ByteSet& set);
  Element byte_range(uint8_t lo, uint8_t hi);
  Seq literal(std::string_view bytes);
  // A set of code points (any order, may overlap; surrogates are dropped) as UTF-8.
  Seq chars(std::vector<CodeRange> ranges, bool negate = false);
  // One element standing for the alternatives (a new rule unless trivial).
  Seq group(std::vector<Seq> alts, const std::string& hint = "group");
  // x{min,max}; max < 0 means unbounded.
  Seq repeat(const Seq& x, uint32_t min, int64_t max, const std::string& hint = "rep");
  Seq nothing();  // matches no string at all

  Grammar finish(uint32_t root);
  const std::string& rule_name(uint32_t r) const { return g_.rules[r].name; }
  size_t rule_count() const { return g_.rules.size(); }
  bool has_alts(uint32_t r) const { return !g_.rules[r].alts.empty(); }

 private:
  Grammar g_;
  std::map<ByteSet, uint32_t> set_ids_;
  std::map<std::vector<CodeRange>, Seq> class_cache_;
  uint32_t counter_ = 0;
  size_t elements_ = 0;
  void charge(size_t n);  // throws past kMaxElements
};

// Counts nesting depth for the recursive-descent front ends (RAII).
class NestingGuard {
 public:
  NestingGuard(int& depth, const char* what);
  ~NestingGuard() { --depth_; }
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;

 private:
  int& depth_;
};

// Normalises code point ranges: sorted, merged, surrogates and > U+10FFFF removed.
std::vector<CodeRange> normalize_ranges(std::vector<CodeRange> r);
std::vector<CodeRange> complement_ranges(const std::vector<CodeRange>& r);
// Appends the UTF-8 encoding of cp.
void append_utf8(std::string& out, uint32_t cp);
// Decodes one UTF-8 code point at s[i] (advancing i); returns -1 on invalid input.
int32_t decode_utf8(std::string_view s, size_t& i);

}  // namespace qvl::grammar
