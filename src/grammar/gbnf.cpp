// parse_gbnf: llama.cpp's GBNF grammar syntax (grammars/README.md of llama.cpp):
// rules "name ::= alternatives", literals, [classes], ".", groups, the postfix
// operators * + ? {m} {m,} {m,n} {,n}, comments. A rule ends at a newline unless
// inside parentheses. Token references (<[id]>, <token>) are refused.
#include <cstdlib>
#include <map>

#include "grammar/front_ends.h"

namespace qvl::grammar {
namespace {

class GbnfParser {
 public:
  explicit GbnfParser(std::string_view t) : t_(t) {}

  Grammar parse() {
    skip_space(true);
    while (p_ < t_.size()) {
      parse_rule();
      skip_space(true);
    }
    for (auto& [name, info] : rules_)
      if (!info.second) fail("undefined rule '" + name + "'");
    auto root = rules_.find("root");
    if (root == rules_.end()) fail("grammar has no 'root' rule");
    return b_.finish(root->second.first);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    size_t line = 1;
    for (size_t i = 0; i < p_ && i < t_.size(); ++i) line += t_[i] == '\n';
    throw Error("gbnf: line " + std::to_string(line) + ": " + what);
  }
  bool at_end() const { return p_ >= t_.size(); }
  char peek(size_t k = 0) const { return p_ + k < t_.size() ? t_[p_ + k] : '\0'; }
  static bool word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }

  void skip_space(bool newline_ok) {
    while (!at_end()) {
      char c = peek();
      if (c == ' ' || c == '\t' || (newline_ok && (c == '\n' || c == '\r'))) {
        ++p_;
      } else if (c == '#') {
        while (!at_end() && peek() != '\n') ++p_;
      } else {
        break;
      }
    }
  }

  std::string parse_name() {
    size_t s = p_;
    while (!at_end() && word_char(peek())) ++p_;
    if (s == p_) fail("expecting a rule name");
    return std::string(t_.substr(s, p_ - s));
  }

  uint32_t rule_id(const std::string& name) {
    auto it = rules_.find(name);
    if (it != rules_.end()) return it->second.first;
    uint32_t id = b_.declare(name);
    rules_[name] = {id, false};
    return id;
  }

  uint32_t hex(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      char c = peek();
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) fail("expecting " + std::to_string(n) + " hex digits");
      v = v * 16 + d;
      ++p_;
    }
    return v;
  }

  // One character of a literal or class (escapes decoded), as a code point.
  uint32_t parse_char() {
    if (at_end()) fail("unexpected end of grammar");
    if (peek() == '\\') {
      ++p_;
      char e = peek();
      ++p_;
      switch (e) {
        case 'x': return hex(2);
        case 'u': return hex(4);
        case 'U': return hex(8);
        case 't': return '\t';
        case 'r': return '\r';
        case 'n': return '\n';
        case '\\': case '"': case '[': case ']': case '-': case '^': return static_cast<uint8_t>(e);
        default: fail(std::string("unknown escape \\") + e);
      }
    }
    int32_t cp = decode_utf8(t_, p_);
    if (cp < 0) fail("invalid UTF-8");
    return static_cast<uint32_t>(cp);
  }

  void parse_rule() {
    std::string name = parse_name();
    skip_space(false);
    if (t_.substr(p_, 3) != "::=") fail("expecting ::= after '" + name + "'");
    p_ += 3;
    skip_space(true);
    uint32_t id = rule_id(name);
    if (rules_[name].second) fail("rule '" + name + "' defined twice");
    rules_[name].second = true;
    for (Seq& alt : parse_alternates(false)) b_.add_alt(id, std::move(alt));
    if (!at_end()) {
      if (peek() == '\r') ++p_;
      if (peek() != '\n') fail("expecting a newline or the end after rule '" + name + "'");
      ++p_;
    }
  }

  std::vector<Seq> parse_alternates(bool nested) {
    std::vector<Seq> alts;
    alts.push_back(parse_sequence(nested));
    while (peek() == '|') {
      ++p_;
      skip_space(true);
      alts.push_back(parse_sequence(nested));
    }
    return alts;
  }

  Seq parse_sequence(bool nested) {
    Seq seq;
    Seq last;  // the last element, which a postfix operator applies to
    auto flush = [&] {
      seq.insert(seq.end(), last.begin(), last.end());
      last.clear();
    };
    while (!at_end()) {
      char c = peek();
      if (c == '"') {
        flush();
        ++p_;
        std::string bytes;
        while (!at_end() && peek() != '"') append_utf8(bytes, parse_char());
        if (at_end()) fail("unterminated string literal");
        ++p_;
        last = b_.literal(bytes);
      } else if (c == '[') {
        flush();
        ++p_;
        bool neg = peek() == '^';
        if (neg) ++p_;
        std::vector<CodeRange> ranges;
        while (!at_end() && peek() != ']') {
          uint32_t lo = parse_char(), hi = lo;
          if (peek() == '-' && peek(1) != ']' && peek(1) != '\0') {
            ++p_;
            hi = parse_char();
          }
          if (hi < lo) fail("character range out of order");
          ranges.push_back({lo, hi});
        }
        if (at_end()) fail("unterminated character class");
        ++p_;
        last = b_.chars(ranges, neg);
      } else if (word_char(c)) {
        // A name followed by ::= starts the next rule: only possible at top level.
        size_t save = p_;
        std::string name = parse_name();
        size_t after = p_;
        skip_space(false);
        if (t_.substr(p_, 3) == "::=") {
          p_ = save;
          break;
        }
        p_ = after;
        flush();
        last = {b_.ref(rule_id(name))};
      } else if (c == '(') {
        flush();
        ++p_;
        skip_space(true);
        NestingGuard guard(nesting_, "gbnf: parentheses");
        auto alts = parse_alternates(true);
        if (peek() != ')') fail("expecting ')'");
        ++p_;
        last = b_.group(std::move(alts), "paren");
      } else if (c == '.') {
        flush();
        ++p_;
        last = b_.chars({{0, 0x10FFFF}});
      } else if (c == '<') {
        throw Unsupported("gbnf token references (<...>)");
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (last.empty()) fail(std::string("'") + c + "' without a preceding element");
        uint32_t lo = 0;
        int64_t hi = -1;
        ++p_;
        if (c == '+') lo = 1;
        if (c == '?') hi = 1;
        if (c == '{') {
          skip_space(nested);
          if (peek() != ',') lo = parse_count();
          skip_space(nested);
          if (peek() == ',') {
            ++p_;
            skip_space(nested);
            if (peek() != '}') hi = parse_count();
          } else {
            hi = lo;
          }
          skip_space(nested);
          if (peek() != '}') fail("expecting '}'");
          ++p_;
        }
        last = b_.repeat(last, lo, hi);
      } else {
        break;
      }
      skip_space(nested);
    }
    flush();
    return seq;
  }

  uint32_t parse_count() {
    size_t s = p_;
    while (peek() >= '0' && peek() <= '9') ++p_;
    if (s == p_ || p_ - s > 6) fail("expecting a repetition count");
    return static_cast<uint32_t>(std::strtoul(std::string(t_.substr(s, p_ - s)).c_str(), nullptr, 10));
  }

  std::string_view t_;
  size_t p_ = 0;
  int nesting_ = 0;
  GrammarBuilder b_;
  std::map<std::string, std::pair<uint32_t, bool>> rules_;  // name -> (id, defined)
};

}  // namespace

Grammar parse_gbnf(std::string_view text) { return GbnfParser(text).parse(); }

}  // namespace qvl::grammar
