// Jinja lexer (see jinja_lexer.h). Every rule, including the odd ones (a `-` right after
// text is an error, `}}` inside an object literal closes the literal), mirrors the
// reference tokenizer so both engines accept and reject the same templates.
#include "input/chat_template/jinja_lexer.h"

#include <cctype>
#include <cstring>

#include "base/error.h"
#include "input/chat_template/js_compat.h"

namespace qvl::jinja {
namespace {

bool is_word(unsigned char c) { return std::isalnum(c) || c == '_'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool starts_with_at(std::string_view s, size_t i, std::string_view p) { return s.substr(i, p.size()) == p; }

// Line terminators as JS's multiline `^` sees them: \n, \r, U+2028, U+2029.
bool line_start(std::string_view s, size_t i) {
  if (i == 0) return true;
  char p = s[i - 1];
  if (p == '\n' || p == '\r') return true;
  return i >= 3 && (s.substr(i - 3, 3) == "\xE2\x80\xA8" || s.substr(i - 3, 3) == "\xE2\x80\xA9");
}

std::string lstrip_blocks(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (line_start(s, i)) {
      size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j + 1 < s.size() && s[j] == '{' && std::strchr("#%-", s[j + 1]) && s[j + 1] != '\0') {
        i = j;  // drop the indentation before a block or comment tag
      }
    }
    out += s[i++];
  }
  return out;
}

std::string trim_blocks(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (i + 2 < s.size() && std::strchr("#%-", s[i]) && s[i] != '\0' && s[i + 1] == '}' && s[i + 2] == '\n') {
      out += s.substr(i, 2);
      i += 3;
      continue;
    }
    out += s[i++];
  }
  return out;
}

// Matches `{%-?\s*(end)?generation\s*-?%}` at i; returns its length or 0, and the strip flags.
size_t generation_tag(std::string_view s, size_t i, bool& lstrip, bool& rstrip) {
  if (!starts_with_at(s, i, "{%")) return 0;
  size_t j = i + 2;
  lstrip = j < s.size() && s[j] == '-';
  if (lstrip) ++j;
  while (size_t n = js::space_len_at(s, j)) j += n;
  if (starts_with_at(s, j, "end")) j += 3;
  if (!starts_with_at(s, j, "generation")) return 0;
  j += 10;
  while (size_t n = js::space_len_at(s, j)) j += n;
  rstrip = j < s.size() && s[j] == '-';
  if (rstrip) ++j;
  if (!starts_with_at(s, j, "%}")) return 0;
  return j + 2 - i;
}

// transformers' `{% generation %}` markers vanish, taking surrounding whitespace
// with them when the tag asks for it (same regex semantics as the reference).
std::string strip_generation_tags(std::string_view s) {
  std::string out;
  size_t done = 0;  // everything before `done` is already copied or consumed
  for (size_t i = 0; i < s.size(); ++i) {
    bool lstrip = false, rstrip = false;
    size_t len = generation_tag(s, i, lstrip, rstrip);
    if (len == 0) continue;
    size_t ws_start = i;
    while (ws_start > done) {
      size_t n = js::space_len_before(s, ws_start);
      if (n == 0 || ws_start - n < done) break;
      ws_start -= n;
    }
    size_t end = i + len, ws_end = end;
    while (size_t n = js::space_len_at(s, ws_end)) ws_end += n;
    out.append(s.substr(done, ws_start - done));
    if (!lstrip) out.append(s.substr(ws_start, i - ws_start));
    if (!rstrip) out.append(s.substr(end, ws_end - end));
    done = ws_end;
    i = ws_end - 1;
  }
  out.append(s.substr(done));
  return out;
}

struct Table {
  const char* seq;
  Tok type;
};

// Order matters: longer operators before their prefixes.
const Table kTable[] = {
    {"{%", Tok::kOpenStatement}, {"%}", Tok::kCloseStatement}, {"{{", Tok::kOpenExpression},
    {"}}", Tok::kCloseExpression}, {"(", Tok::kOpenParen}, {")", Tok::kCloseParen}, {"{", Tok::kOpenCurly},
    {"}", Tok::kCloseCurly}, {"[", Tok::kOpenSquare}, {"]", Tok::kCloseSquare}, {",", Tok::kComma},
    {".", Tok::kDot}, {":", Tok::kColon}, {"|", Tok::kPipe}, {"<=", Tok::kComparison}, {">=", Tok::kComparison},
    {"==", Tok::kComparison}, {"!=", Tok::kComparison}, {"<", Tok::kComparison}, {">", Tok::kComparison},
    {"+", Tok::kAdditive}, {"-", Tok::kAdditive}, {"~", Tok::kAdditive}, {"**", Tok::kPower},
    {"*", Tok::kMultiplicative}, {"//", Tok::kMultiplicative}, {"/", Tok::kMultiplicative},
    {"%", Tok::kMultiplicative}, {"=", Tok::kEquals},
};

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {}

  std::vector<Token> run();

 private:
  [[noreturn]] void fail(const std::string& what) const {
    QVL_FAIL("chat template syntax error: ", what, " near ", excerpt(src_, pos_));
  }
  char at(size_t i) const { return i < src_.size() ? src_[i] : '\0'; }
  Tok last_type() const { return tokens_.empty() ? Tok::kText : tokens_.back().type; }
  void push(Tok t, std::string v, size_t pos) { tokens_.push_back({t, std::move(v), pos}); }
  std::string consume_string(char quote);
  std::string consume_digits();
  void consume_spaces();
  void strip_trailing_whitespace();
  void skip_leading_whitespace();
  bool lex_text();
  void lex_comment();
  bool lex_unary(char c);

  std::string src_;
  size_t pos_ = 0;
  int curly_depth_ = 0;
  std::vector<Token> tokens_;
};

// The reference reports "Unexpected end of input" whenever a token runs into the end
// of the source (even a complete identifier); we keep that so both reject alike.
std::string Lexer::consume_string(char quote) {
  std::string out;
  for (;;) {
    if (pos_ >= src_.size()) fail("unexpected end of input in string literal");
    char c = src_[pos_];
    if (c == quote) return out;
    if (c == '\\') {
      ++pos_;
      if (pos_ >= src_.size()) fail("unexpected end of input in string literal");
      char e = src_[pos_++];
      if (e == 'x' || e == 'u') {
        size_t n = e == 'x' ? 2 : 4;
        std::string hex = src_.substr(pos_, n);
        bool ok = hex.size() == n;
        for (char h : hex) ok = ok && std::isxdigit(static_cast<unsigned char>(h));
        if (!ok) fail("invalid hexadecimal escape \\" + std::string(1, e) + hex);
        // fromCharCode of one UTF-16 unit: a \uD83D\uDE00 pair joins into one code
        // point, a lone surrogate prints as U+FFFD in node.
        unsigned long cp = std::stoul(hex, nullptr, 16);
        pos_ += n;
        if (cp >= 0xD800 && cp <= 0xDBFF && src_.compare(pos_, 2, "\\u") == 0) {
          std::string low = src_.substr(pos_ + 2, 4);
          bool ok = low.size() == 4;
          for (char h : low) ok = ok && std::isxdigit(static_cast<unsigned char>(h));
          unsigned long lo = ok ? std::stoul(low, nullptr, 16) : 0;
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            js::append_utf8(out, static_cast<char32_t>(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)));
            pos_ += 6;
            continue;
          }
        }
        js::append_utf8(out, (cp >= 0xD800 && cp <= 0xDFFF) ? 0xFFFD : static_cast<char32_t>(cp));
        continue;
      }
      const char* from = "ntrbfv'\"\\";
      const char* to = "\n\t\r\b\f\v'\"\\";
      const char* hit = e ? std::strchr(from, e) : nullptr;
      if (!hit) fail("unexpected escaped character '" + std::string(1, e) + "'");
      out += to[hit - from];
      continue;
    }
    out += c;
    ++pos_;
    if (pos_ >= src_.size()) fail("unexpected end of input in string literal");
  }
}

std::string Lexer::consume_digits() {
  std::string out;
  while (pos_ < src_.size() && is_digit(src_[pos_])) {
    out += src_[pos_++];
    if (pos_ >= src_.size()) fail("unexpected end of input");
  }
  return out;
}

void Lexer::consume_spaces() {
  while (size_t n = js::space_len_at(src_, pos_)) {
    pos_ += n;
    if (pos_ >= src_.size()) fail("unexpected end of input");
  }
}

void Lexer::strip_trailing_whitespace() {
  if (tokens_.empty() || tokens_.back().type != Tok::kText) return;
  tokens_.back().value = js::trim_end(tokens_.back().value);
  if (tokens_.back().value.empty()) tokens_.pop_back();
}

void Lexer::skip_leading_whitespace() {
  while (size_t n = js::space_len_at(src_, pos_)) pos_ += n;
}

bool Lexer::lex_text() {
  Tok lt = last_type();
  if (!(tokens_.empty() || lt == Tok::kCloseStatement || lt == Tok::kCloseExpression || lt == Tok::kComment)) {
    return false;
  }
  size_t start = pos_;
  while (pos_ < src_.size() && !(src_[pos_] == '{' && (at(pos_ + 1) == '%' || at(pos_ + 1) == '{' || at(pos_ + 1) == '#'))) {
    ++pos_;
  }
  if (pos_ == start) return false;
  push(Tok::kText, src_.substr(start, pos_ - start), start);
  return true;
}

void Lexer::lex_comment() {
  size_t start = pos_;
  pos_ += 2;
  bool strip_before = at(pos_) == '-';
  if (strip_before) ++pos_;
  std::string comment;
  while (!(at(pos_) == '#' && at(pos_ + 1) == '}')) {
    if (pos_ + 2 >= src_.size()) fail("missing end of comment tag #}");
    comment += src_[pos_++];
  }
  bool strip_after = !comment.empty() && comment.back() == '-';
  if (strip_after) comment.pop_back();
  if (strip_before) strip_trailing_whitespace();
  push(Tok::kComment, comment, start);
  pos_ += 2;
  if (strip_after) skip_leading_whitespace();
}

// A sign right after an operand is binary; anywhere else it is unary and, when
// digits follow, part of a numeric literal (`-1`).
bool Lexer::lex_unary(char c) {
  if (tokens_.empty() || last_type() == Tok::kText) fail("unexpected character '" + std::string(1, c) + "'");
  switch (last_type()) {
    case Tok::kIdentifier: case Tok::kNumber: case Tok::kString: case Tok::kCloseParen: case Tok::kCloseSquare:
      return false;
    default: break;
  }
  size_t start = pos_++;
  std::string num = consume_digits();
  if (!num.empty() && at(pos_) == '.' && is_digit(at(pos_ + 1))) {
    ++pos_;
    num += "." + consume_digits();
  }
  push(num.empty() ? Tok::kUnary : Tok::kNumber, std::string(1, c) + num, start);
  return true;
}

std::vector<Token> Lexer::run() {
  while (pos_ < src_.size()) {
    if (lex_text()) continue;
    if (at(pos_) == '{' && at(pos_ + 1) == '#') { lex_comment(); continue; }
    if (src_.compare(pos_, 3, "{%-") == 0) {
      strip_trailing_whitespace();
      push(Tok::kOpenStatement, "{%", pos_);
      pos_ += 3;
      continue;
    }
    if (src_.compare(pos_, 3, "{{-") == 0) {
      strip_trailing_whitespace();
      push(Tok::kOpenExpression, "{{", pos_);
      curly_depth_ = 0;
      pos_ += 3;
      continue;
    }
    consume_spaces();
    if (src_.compare(pos_, 3, "-%}") == 0) {
      push(Tok::kCloseStatement, "%}", pos_);
      pos_ += 3;
      skip_leading_whitespace();
      continue;
    }
    if (src_.compare(pos_, 3, "-}}") == 0) {
      push(Tok::kCloseExpression, "}}", pos_);
      pos_ += 3;
      skip_leading_whitespace();
      continue;
    }
    char c = src_[pos_];
    if ((c == '-' || c == '+') && lex_unary(c)) continue;
    bool matched = false;
    for (const Table& t : kTable) {
      if (t.type == Tok::kCloseExpression && curly_depth_ > 0) continue;
      size_t n = std::strlen(t.seq);
      if (src_.compare(pos_, n, t.seq) != 0) continue;
      push(t.type, t.seq, pos_);
      if (t.type == Tok::kOpenExpression) curly_depth_ = 0;
      if (t.type == Tok::kOpenCurly) ++curly_depth_;
      if (t.type == Tok::kCloseCurly) --curly_depth_;
      pos_ += n;
      matched = true;
      break;
    }
    if (matched) continue;
    size_t start = pos_;
    if (c == '\'' || c == '"') {
      ++pos_;
      std::string s = consume_string(c);
      push(Tok::kString, std::move(s), start);
      ++pos_;
      continue;
    }
    if (is_digit(c)) {
      std::string num = consume_digits();
      if (last_type() != Tok::kDot && at(pos_) == '.' && is_digit(at(pos_ + 1))) {
        ++pos_;
        num += "." + consume_digits();
      }
      push(Tok::kNumber, num, start);
      continue;
    }
    if (is_word(c)) {
      std::string word;
      while (pos_ < src_.size() && is_word(src_[pos_])) {
        word += src_[pos_++];
        if (pos_ >= src_.size()) fail("unexpected end of input");
      }
      push(Tok::kIdentifier, word, start);
      continue;
    }
    fail("unexpected character '" + excerpt(src_, pos_).substr(1, 1) + "'");
  }
  return std::move(tokens_);
}

}  // namespace

const char* tok_name(Tok t) {
  static const char* const kNames[] = {
      "text", "number", "string", "identifier", "'='", "'('", "')'", "'{%'", "'%}'", "'{{'", "'}}'", "'['", "']'",
      "'{'", "'}'", "','", "'.'", "':'", "'|'", "additive operator", "multiplicative operator", "'**'",
      "comparison operator", "unary operator", "comment"};
  return kNames[static_cast<int>(t)];
}

std::string preprocess(std::string_view source) {
  std::string_view s = source;
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return strip_generation_tags(trim_blocks(lstrip_blocks(s)));
}

std::vector<Token> tokenize(std::string_view source) { return Lexer(preprocess(source)).run(); }

std::string excerpt(std::string_view src, size_t pos) {
  pos = std::min(pos, src.size());
  std::string out = "'";
  for (char c : src.substr(pos, 30)) {
    if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) out += '?';
    else out += c;
  }
  return out + (pos + 30 < src.size() ? "...'" : "'");
}

}  // namespace qvl::jinja
