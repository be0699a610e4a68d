// ECMAScript regular expressions (no flags) lowered to the grammar IR: groups,
// alternation, classes and their escapes, quantifiers (lazy ones match the same
// language). Refused: backreferences, lookaround, \b \B, anchors inside the pattern.
#include "grammar/regex.h"

#include <cstdlib>

#include "grammar/front_ends.h"

namespace qvl::grammar {
namespace {

const std::vector<CodeRange> kDigit = {{'0', '9'}};
const std::vector<CodeRange> kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const std::vector<CodeRange> kSpace = {{'\t', '\r'}, {' ', ' '}, {0xA0, 0xA0}, {0x1680, 0x1680},
                                       {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F},
                                       {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
const std::vector<CodeRange> kDot = {{0, 9}, {11, 12}, {14, 0x2027}, {0x202A, 0x10FFFF}};

class RegexParser {
 public:
  RegexParser(GrammarBuilder& b, std::string_view p, RegexMode m) : b_(b), p_(p), mode_(m) {}

  Seq parse() {
    std::vector<Seq> alts;
    do {
      bool start_anchor = false, end_anchor = false;
      if (peek() == '^') { ++i_; start_anchor = true; }
      Seq s = parse_seq(0, &end_anchor);
      if (mode_.search) {
        Seq any = mode_.json_string ? json_string_any_char(b_) : b_.chars({{0, 0x10FFFF}});
        Seq full = start_anchor ? Seq{} : b_.repeat(any, 0, -1);
        full.insert(full.end(), s.begin(), s.end());
        if (!end_anchor) {
          Seq tail = b_.repeat(any, 0, -1);
          full.insert(full.end(), tail.begin(), tail.end());
        }
        s = std::move(full);
      }
      alts.push_back(std::move(s));
    } while (eat('|'));
    if (i_ < p_.size()) fail("unmatched ')'");
    return b_.group(std::move(alts), "re");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("regex: " + what + " at offset " + std::to_string(i_));
  }
  char peek(size_t k = 0) const { return i_ + k < p_.size() ? p_[i_ + k] : '\0'; }
  bool more() const { return i_ < p_.size(); }
  bool eat(char c) {
    if (more() && p_[i_] == c) { ++i_; return true; }
    return false;
  }

  Seq emit(const std::vector<CodeRange>& r) {
    return mode_.json_string ? json_string_chars(b_, r) : b_.chars(r);
  }

  Seq parse_alts(int depth) {
    NestingGuard guard(nesting_, "regex: groups");
    std::vector<Seq> alts;
    do alts.push_back(parse_seq(depth, nullptr));
    while (eat('|'));
    return b_.group(std::move(alts), "re");
  }

  // end_anchor non-null only at the top level, where a final '$' is allowed.
  Seq parse_seq(int depth, bool* end_anchor) {
    Seq seq;
    while (more() && peek() != '|' && peek() != ')') {
      if (peek() == '$' && end_anchor && (i_ + 1 == p_.size() || peek(1) == '|')) {
        ++i_;
        *end_anchor = true;
        break;
      }
      Seq atom = parse_atom(depth);
      atom = parse_quantifier(atom);
      seq.insert(seq.end(), atom.begin(), atom.end());
    }
    if (!end_anchor && depth == 0 && peek() == ')') fail("unmatched ')'");
    return seq;
  }

  bool read_int(uint32_t& v) {
    size_t s = i_;
    while (peek() >= '0' && peek() <= '9') ++i_;
    if (s == i_) return false;
    if (i_ - s > 6) fail("repetition count too large");
    v = static_cast<uint32_t>(std::strtoul(std::string(p_.substr(s, i_ - s)).c_str(), nullptr, 10));
    return true;
  }

  Seq parse_quantifier(const Seq& atom) {
    uint32_t lo = 0;
    int64_t hi = -1;
    char c = peek();
    if (c == '*') { ++i_; }
    else if (c == '+') { ++i_; lo = 1; }
    else if (c == '?') { ++i_; hi = 1; }
    else if (c == '{') {
      size_t save = i_++;
      uint32_t a = 0, bnd = 0;
      if (!read_int(a)) { i_ = save; return atom; }  // a literal '{'
      lo = a;
      hi = a;
      if (eat(',')) hi = read_int(bnd) ? int64_t{bnd} : -1;
      if (!eat('}')) { i_ = save; return atom; }
      if (hi >= 0 && hi < lo) fail("numbers out of order in {} quantifier");
    } else {
      return atom;
    }
    eat('?');  // lazy: the same language
    if (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{') {
      if (peek() != '{') fail("nothing to repeat");
    }
    return b_.repeat(atom, lo, hi);
  }

  Seq parse_atom(int depth) {
    char c = peek();
    if (c == '(') {
      ++i_;
      if (eat('?')) {
        if (eat(':')) {
        } else if (peek() == '<' && peek(1) != '=' && peek(1) != '!') {
          ++i_;
          while (more() && peek() != '>') ++i_;
          if (!eat('>')) fail("unterminated group name");
        } else {
          throw Unsupported("regex lookaround assertions");
        }
      }
      Seq s = parse_alts(depth + 1);
      if (!eat(')')) fail("missing ')'");
      return s;
    }
    if (c == '[') return emit(parse_class());
    if (c == '.') { ++i_; return emit(kDot); }
    if (c == '^' || c == '$') throw Unsupported("regex anchors inside the pattern");
    if (c == '*' || c == '+' || c == '?') fail("nothing to repeat");
    if (c == '\\') {
      std::vector<CodeRange> r;
      parse_escape(r, false);
      return emit(r);
    }
    size_t j = i_;
    int32_t cp = decode_utf8(p_, j);
    if (cp < 0) fail("invalid UTF-8");
    i_ = j;
    return emit({{static_cast<uint32_t>(cp), static_cast<uint32_t>(cp)}});
  }

  uint32_t hex(int n) {
    uint32_t v = 0;
    for (int k = 0; k < n; ++k) {
      char h = peek();
      int d = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10
              : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
      if (d < 0) fail("bad hex escape");
      v = v * 16 + d;
      ++i_;
    }
    return v;
  }

  // Appends the escape's characters; returns true when it named a single one.
  bool parse_escape(std::vector<CodeRange>& r, bool in_class) {
    ++i_;  // backslash
    if (!more()) fail("trailing backslash");
    char e = p_[i_++];
    auto one = [&](uint32_t cp) { r.push_back({cp, cp}); return true; };
    auto set = [&](const std::vector<CodeRange>& s, bool neg) {
      auto v = neg ? complement_ranges(s) : s;
      r.insert(r.end(), v.begin(), v.end());
      return false;
    };
    switch (e) {
      case 'd': return set(kDigit, false);
      case 'D': return set(kDigit, true);
      case 'w': return set(kWord, false);
      case 'W': return set(kWord, true);
      case 's': return set(kSpace, false);
      case 'S': return set(kSpace, true);
      case 't': return one('\t');
      case 'n': return one('\n');
      case 'r': return one('\r');
      case 'v': return one('\v');
      case 'f': return one('\f');
      case '0': return one(0);
      case 'x': return one(hex(2));
      case 'c': {
        char l = peek();
        if (!((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z'))) fail("bad \\c escape");
        ++i_;
        return one(static_cast<uint32_t>(l) % 32);
      }
      case 'u': {
        if (eat('{')) {
          uint32_t v = 0;
          size_t s = i_;
          while (more() && peek() != '}') v = v * 16 + hex(1);
          if (!eat('}') || s == i_ || v > 0x10FFFF) fail("bad \\u{} escape");
          return one(v);
        }
        uint32_t v = hex(4);
        if (v >= 0xD800 && v <= 0xDBFF && peek() == '\\' && peek(1) == 'u') {
          size_t save = i_;
          i_ += 2;
          uint32_t lo = hex(4);
          if (lo >= 0xDC00 && lo <= 0xDFFF) return one(0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00));
          i_ = save;
        }
        return one(v);
      }
      case 'b':
        if (in_class) return one('\b');
        throw Unsupported("regex word boundaries (\\b)");
      case 'B': throw Unsupported("regex word boundaries (\\B)");
      case 'k': throw Unsupported("regex backreferences");
      default:
        if (e >= '1' && e <= '9') throw Unsupported("regex backreferences");
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) fail(std::string("unknown escape \\") + e);
        --i_;
        {
          size_t j = i_;
          int32_t cp = decode_utf8(p_, j);
          if (cp < 0) fail("invalid UTF-8");
          i_ = j;
          return one(static_cast<uint32_t>(cp));
        }
    }
  }

  std::vector<CodeRange> parse_class() {
    ++i_;  // [
    bool neg = eat('^');
    std::vector<CodeRange> r;
    while (more() && peek() != ']') {
      std::vector<CodeRange> a;
      bool single = class_atom(a);
      if (single && peek() == '-' && peek(1) != ']' && peek(1) != '\0') {
        ++i_;
        std::vector<CodeRange> b;
        if (!class_atom(b)) fail("class escape in a range");
        if (b[0].first < a[0].first) fail("range out of order in character class");
        r.push_back({a[0].first, b[0].first});
      } else {
        r.insert(r.end(), a.begin(), a.end());
      }
    }
    if (!eat(']')) fail("missing ']'");
    return neg ? complement_ranges(r) : normalize_ranges(r);
  }

  bool class_atom(std::vector<CodeRange>& r) {
    if (peek() == '\\') return parse_escape(r, true);
    size_t j = i_;
    int32_t cp = decode_utf8(p_, j);
    if (cp < 0) fail("invalid UTF-8");
    i_ = j;
    r.push_back({static_cast<uint32_t>(cp), static_cast<uint32_t>(cp)});
    return true;
  }

  GrammarBuilder& b_;
  std::string_view p_;
  RegexMode mode_;
  size_t i_ = 0;
  int nesting_ = 0;
};

ByteSet hex_digit_set(uint32_t nibble) {
  ByteSet s;
  const char* up = "0123456789ABCDEF";
  const char* low = "0123456789abcdef";
  s.set(static_cast<uint8_t>(up[nibble]));
  s.set(static_cast<uint8_t>(low[nibble]));
  return s;
}

}  // namespace

Seq regex_to_seq(GrammarBuilder& b, std::string_view pattern, RegexMode mode) {
  return RegexParser(b, pattern, mode).parse();
}

Seq json_string_chars(GrammarBuilder& b, const std::vector<CodeRange>& ranges) {
  std::vector<CodeRange> r = normalize_ranges(ranges);
  std::vector<CodeRange> raw;
  std::vector<CodeRange> special = {{0, 0x1F}, {'"', '"'}, {'\\', '\\'}};
  std::vector<CodeRange> allowed = complement_ranges(special);
  // raw = r ∩ allowed
  for (auto [lo, hi] : r)
    for (auto [alo, ahi] : allowed) {
      uint32_t l = std::max(lo, alo), h = std::min(hi, ahi);
      if (l <= h) raw.push_back({l, h});
    }
  std::vector<Seq> alts;
  if (!raw.empty()) alts.push_back(b.chars(raw));
  auto has = [&](uint32_t c) {
    for (auto [lo, hi] : r)
      if (c >= lo && c <= hi) return true;
    return false;
  };
  const std::pair<uint32_t, char> kShort[] = {{'"', '"'}, {'\\', '\\'}, {'/', '/'}, {8, 'b'},
                                             {12, 'f'}, {10, 'n'}, {13, 'r'}, {9, 't'}};
  for (auto [c, e] : kShort)
    if (has(c)) alts.push_back(b.literal(std::string("\\") + e));
  for (uint32_t c = 0; c < 0x20; ++c) {
    if (!has(c)) continue;
    Seq s = b.literal("\\u00");
    s.push_back(b.bytes(hex_digit_set(c >> 4)));
    s.push_back(b.bytes(hex_digit_set(c & 15)));
    alts.push_back(std::move(s));
  }
  if (alts.empty()) return b.nothing();
  return b.group(std::move(alts), "jchar");
}

Seq json_string_any_char(GrammarBuilder& b) {
  std::vector<Seq> alts;
  alts.push_back(b.chars({{0, 0x1F}, {'"', '"'}, {'\\', '\\'}}, true));
  Seq esc = b.literal("\\");
  ByteSet e;
  for (char c : std::string("\"\\/bfnrt")) e.set(static_cast<uint8_t>(c));
  esc.push_back(b.bytes(e));
  alts.push_back(esc);
  Seq u = b.literal("\\u");
  ByteSet hx;
  hx.set_range('0', '9');
  hx.set_range('a', 'f');
  hx.set_range('A', 'F');
  for (int k = 0; k < 4; ++k) u.push_back(b.bytes(hx));
  alts.push_back(u);
  return b.group(std::move(alts), "jany");
}

Grammar compile_regex(std::string_view pattern) {
  GrammarBuilder b;
  uint32_t root = b.declare("root");
  b.add_alt(root, regex_to_seq(b, pattern, {}));
  return b.finish(root);
}

}  // namespace qvl::grammar
