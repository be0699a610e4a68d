// parse_lark: the EBNF of Lark grammars read as a character-level grammar.
// Rules `name: a b | c` (lower case) and terminals `NAME: ...` (upper case);
// "literal" (i flag), /regex/, "a".."z", ( ), [ ] optional, ? * +, ~ n and
// ~ n..m repetition, `-> alias` ignored, `//` comments, `%import common.X` for
// the usual common terminals, `%ignore X`: X may appear between any two items
// of a rule (not inside terminals), as Lark's lexer skips it between tokens.
// The start rule is `start`. Refused: %declare, %override, %extend, templates.
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "grammar/front_ends.h"
#include "grammar/regex.h"

namespace qvl::grammar {
namespace {

// Lark's common.lark terminals, as ECMAScript regexes.
const std::map<std::string, std::string> kCommon = {
    {"DIGIT", "[0-9]"}, {"HEXDIGIT", "[a-fA-F0-9]"}, {"INT", "[0-9]+"}, {"SIGNED_INT", "[+-]?[0-9]+"},
    {"DECIMAL", "[0-9]+\\.[0-9]*|\\.[0-9]+"}, {"_EXP", "[eE][+-]?[0-9]+"},
    {"FLOAT", "[0-9]+[eE][+-]?[0-9]+|([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?"},
    {"SIGNED_FLOAT", "[+-]?([0-9]+[eE][+-]?[0-9]+|([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?)"},
    {"NUMBER", "[0-9]+[eE][+-]?[0-9]+|([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?|[0-9]+"},
    {"SIGNED_NUMBER", "[+-]?([0-9]+[eE][+-]?[0-9]+|([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?|[0-9]+)"},
    {"ESCAPED_STRING", "\"([^\"\\\\]|\\\\.)*\""}, {"LCASE_LETTER", "[a-z]"}, {"UCASE_LETTER", "[A-Z]"},
    {"LETTER", "[a-zA-Z]"}, {"WORD", "[a-zA-Z]+"}, {"CNAME", "[_a-zA-Z][_a-zA-Z0-9]*"},
    {"WS_INLINE", "[ \\t]+"}, {"WS", "[ \\t\\f\\r\\n]+"}, {"CR", "\\r"}, {"LF", "\\n"},
    {"NEWLINE", "(\\r?\\n)+"}, {"SH_COMMENT", "#[^\\n]*"}, {"CPP_COMMENT", "//[^\\n]*"},
};

struct Tok {
  enum Kind { kName, kString, kRegex, kOp, kNumber, kDirective, kEnd } kind;
  std::string text;
  std::string flags;
  size_t line;
};

class LarkParser {
 public:
  explicit LarkParser(std::string_view t) : t_(t) {}

  Grammar parse() {
    lex();
    // Statements: a definition runs until the next line that starts a new one.
    size_t i = 0;
    while (toks_[i].kind != Tok::kEnd) {
      if (toks_[i].kind == Tok::kDirective) {
        i = directive(i);
        continue;
      }
      std::string name = toks_[i].text;
      if (toks_[i].kind != Tok::kName) fail(toks_[i], "expecting a rule or terminal name");
      if (!name.empty() && (name[0] == '?' || name[0] == '!')) name = name.substr(1);
      ++i;
      if (op(i, ".")) i += 2;  // priority
      if (op(i, "{")) throw Unsupported("lark templates");
      if (!op(i, ":")) fail(toks_[i], "expecting ':' after '" + name + "'");
      ++i;
      size_t end = i;
      while (toks_[end].kind != Tok::kEnd && !starts_statement(end)) ++end;
      if (bodies_.count(name)) fail(toks_[i - 1], "'" + name + "' defined twice");
      bodies_[name] = {i, end};
      order_.push_back(name);
      i = end;
    }
    if (!bodies_.count("start")) throw Error("lark: grammar has no 'start' rule");
    for (const auto& n : ignore_names_) ignore_.push_back(ref_named(n, toks_.back()));
    uint32_t root = rule_id("start");
    for (const auto& name : order_) define(name);
    while (!pending_.empty()) {
      std::string n = *pending_.begin();
      pending_.erase(pending_.begin());
      define(n);
    }
    Seq top;
    Seq ig = ignore_seq();
    top.insert(top.end(), ig.begin(), ig.end());
    top.push_back(b_.ref(root));
    top.insert(top.end(), ig.begin(), ig.end());
    uint32_t wrapper = b_.declare("lark_start");
    b_.add_alt(wrapper, top);
    return b_.finish(wrapper);
  }

 private:
  [[noreturn]] void fail(const Tok& at, const std::string& what) const {
    throw Error("lark: line " + std::to_string(at.line) + ": " + what);
  }
  bool op(size_t i, const char* o) const { return toks_[i].kind == Tok::kOp && toks_[i].text == o; }
  static bool is_terminal(const std::string& n) {
    std::string s = n[0] == '_' ? n.substr(1) : n;
    return !s.empty() && std::isupper(static_cast<unsigned char>(s[0]));
  }
  bool starts_statement(size_t i) const {
    if (toks_[i].kind == Tok::kDirective) return true;
    if (toks_[i].kind != Tok::kName || !line_start_.count(i)) return false;
    size_t j = i + 1;
    if (op(j, ".")) j += 2;
    return op(j, ":") || op(j, "{");
  }

  void lex() {
    size_t line = 1;
    bool at_line_start = true;
    for (size_t p = 0; p < t_.size();) {
      char c = t_[p];
      if (c == '\n') { ++line; ++p; at_line_start = true; continue; }
      if (c == ' ' || c == '\t' || c == '\r') { ++p; continue; }
      if (t_.substr(p, 2) == "//" || c == '#') {
        while (p < t_.size() && t_[p] != '\n') ++p;
        continue;
      }
      size_t idx = toks_.size();
      if (at_line_start) line_start_.insert(idx);
      at_line_start = false;
      if (c == '"') {
        std::string s;
        size_t q = p + 1;
        while (q < t_.size() && t_[q] != '"') {
          if (t_[q] == '\\' && q + 1 < t_.size()) s += t_[q++];
          if (t_[q] == '\n') break;
          s += t_[q++];
        }
        if (q >= t_.size() || t_[q] != '"') throw Error("lark: line " + std::to_string(line) + ": unterminated string");
        p = q + 1;
        std::string flags;
        if (p < t_.size() && t_[p] == 'i') { flags = "i"; ++p; }
        toks_.push_back({Tok::kString, s, flags, line});
      } else if (c == '/') {
        std::string s;
        size_t q = p + 1;
        bool in_class = false;
        while (q < t_.size() && (t_[q] != '/' || in_class) && t_[q] != '\n') {
          if (t_[q] == '\\' && q + 1 < t_.size()) s += t_[q++];
          else if (t_[q] == '[') in_class = true;
          else if (t_[q] == ']') in_class = false;
          s += t_[q++];
        }
        if (q >= t_.size() || t_[q] != '/') throw Error("lark: line " + std::to_string(line) + ": unterminated regex");
        p = q + 1;
        std::string flags;
        while (p < t_.size() && std::isalpha(static_cast<unsigned char>(t_[p]))) flags += t_[p++];
        toks_.push_back({Tok::kRegex, s, flags, line});
      } else if (c == '%') {
        size_t q = p + 1;
        while (q < t_.size() && std::isalpha(static_cast<unsigned char>(t_[q]))) ++q;
        toks_.push_back({Tok::kDirective, std::string(t_.substr(p, q - p)), "", line});
        p = q;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || ((c == '?' || c == '!') && p + 1 < t_.size() &&
                 (std::isalpha(static_cast<unsigned char>(t_[p + 1])) || t_[p + 1] == '_'))) {
        size_t q = p + 1;
        while (q < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[q])) || t_[q] == '_' ||
                                 (t_[q] == '.' && q + 1 < t_.size() && std::isalpha(static_cast<unsigned char>(t_[q + 1])) &&
                                  toks_.size() > 0 && toks_.back().kind == Tok::kDirective)))
          ++q;
        toks_.push_back({Tok::kName, std::string(t_.substr(p, q - p)), "", line});
        p = q;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t q = p;
        while (q < t_.size() && std::isdigit(static_cast<unsigned char>(t_[q]))) ++q;
        toks_.push_back({Tok::kNumber, std::string(t_.substr(p, q - p)), "", line});
        p = q;
      } else if (t_.substr(p, 2) == ".." || t_.substr(p, 2) == "->") {
        toks_.push_back({Tok::kOp, std::string(t_.substr(p, 2)), "", line});
        p += 2;
      } else if (std::string(":|()[]?*+~.,{}").find(c) != std::string::npos) {
        toks_.push_back({Tok::kOp, std::string(1, c), "", line});
        ++p;
      } else {
        throw Error("lark: line " + std::to_string(line) + ": unexpected character '" + std::string(1, c) + "'");
      }
    }
    toks_.push_back({Tok::kEnd, "", "", line});
  }

  size_t directive(size_t i) {
    const Tok& d = toks_[i];
    if (d.text == "%ignore") {
      if (toks_[i + 1].kind == Tok::kName) {
        ignore_names_.push_back(toks_[i + 1].text);
      } else {  // an inline pattern: give it a name
        std::string n = "__IGNORE" + std::to_string(ignore_names_.size());
        inline_terms_[n] = i + 1;
        ignore_names_.push_back(n);
      }
      return i + 2;
    }
    if (d.text == "%import") {
      const Tok& what = toks_[i + 1];
      if (what.kind != Tok::kName || what.text.rfind("common.", 0) != 0)
        throw Unsupported("lark %import other than common.X");
      std::string name = what.text.substr(7), alias = name;
      size_t j = i + 2;
      if (op(j, "->")) { alias = toks_[j + 1].text; j += 2; }
      if (!kCommon.count(name)) throw Unsupported("lark %import common." + name);
      imports_[alias] = kCommon.at(name);
      return j;
    }
    throw Unsupported("lark directive " + d.text);
  }

  uint32_t rule_id(const std::string& name) {
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    uint32_t id = b_.declare(name);
    ids_[name] = id;
    return id;
  }

  Element ref_named(const std::string& name, const Tok& at) {
    if (!bodies_.count(name) && !imports_.count(name) && !inline_terms_.count(name))
      fail(at, "undefined name '" + name + "'");
    if (!defined_.count(name)) pending_.insert(name);
    return b_.ref(rule_id(name));
  }

  void define(const std::string& name) {
    if (defined_.count(name)) return;
    defined_.insert(name);
    pending_.erase(name);
    uint32_t id = rule_id(name);
    if (imports_.count(name)) {
      b_.add_alt(id, regex_to_seq(b_, imports_.at(name), {}));
      return;
    }
    if (inline_terms_.count(name)) {
      size_t i = inline_terms_.at(name);
      b_.add_alt(id, atom(i, true));
      return;
    }
    auto [begin, end] = bodies_.at(name);
    bool terminal = is_terminal(name);
    size_t i = begin;
    for (Seq& alt : alternatives(i, end, terminal)) b_.add_alt(id, std::move(alt));
    if (i != end) fail(toks_[i], "unexpected '" + toks_[i].text + "'");
  }

  Seq ignore_seq() {
    if (ignore_.empty()) return {};
    if (!ignore_seq_) {
      std::vector<Seq> alts;
      for (const Element& e : ignore_) alts.push_back({e});
      ignore_seq_ = b_.group({b_.repeat(b_.group(std::move(alts), "ignore"), 0, -1, "ignored")}, "ignored");
    }
    return *ignore_seq_;
  }

  std::vector<Seq> alternatives(size_t& i, size_t end, bool terminal) {
    std::vector<Seq> alts;
    alts.push_back(sequence(i, end, terminal));
    while (i < end && op(i, "|")) {
      ++i;
      alts.push_back(sequence(i, end, terminal));
    }
    return alts;
  }

  Seq sequence(size_t& i, size_t end, bool terminal) {
    Seq seq;
    Seq ig = terminal ? Seq{} : ignore_seq();
    bool first = true;
    while (i < end && !op(i, "|") && !op(i, ")") && !op(i, "]")) {
      if (op(i, "->")) {  // an alias names the tree node; the language is unchanged
        i += 2;
        continue;
      }
      Seq item = postfix(i, end, terminal);
      if (!first) seq.insert(seq.end(), ig.begin(), ig.end());
      first = false;
      seq.insert(seq.end(), item.begin(), item.end());
    }
    return seq;
  }

  Seq postfix(size_t& i, size_t end, bool terminal) {
    Seq a = item(i, end, terminal);
    Seq ig = terminal ? Seq{} : ignore_seq();
    Seq sep_a = ig;  // between repetitions, ignored text may appear too
    sep_a.insert(sep_a.end(), a.begin(), a.end());
    for (;;) {
      if (op(i, "?")) { ++i; a = b_.repeat(a, 0, 1); }
      else if (op(i, "*") || op(i, "+")) {
        bool plus = op(i, "+");
        ++i;
        Seq rest = b_.repeat(sep_a, 0, -1, "lark_rep");
        Seq one = a;
        one.insert(one.end(), rest.begin(), rest.end());
        a = plus ? one : b_.repeat(one, 0, 1);
      } else if (op(i, "~")) {
        ++i;
        if (toks_[i].kind != Tok::kNumber) fail(toks_[i], "expecting a count after ~");
        uint32_t lo = static_cast<uint32_t>(std::stoul(toks_[i++].text)), hi = lo;
        if (op(i, "..")) {
          ++i;
          if (toks_[i].kind != Tok::kNumber) fail(toks_[i], "expecting a count after ..");
          hi = static_cast<uint32_t>(std::stoul(toks_[i++].text));
        }
        if (hi < lo) fail(toks_[i - 1], "repetition range out of order");
        if (lo == 0 && hi == 0) { a = {}; continue; }
        Seq tail = b_.repeat(sep_a, lo == 0 ? 0 : lo - 1, static_cast<int64_t>(hi) - 1, "lark_rep");
        Seq one = a;
        one.insert(one.end(), tail.begin(), tail.end());
        a = lo == 0 ? b_.repeat(one, 0, 1) : one;
      } else {
        return a;
      }
    }
  }

  Seq item(size_t& i, size_t end, bool terminal) {
    if (i >= end) fail(toks_[i], "unexpected end of definition");
    NestingGuard guard(nesting_, "lark: groups");
    if (op(i, "(")) {
      ++i;
      auto alts = alternatives(i, end, terminal);
      if (!op(i, ")")) fail(toks_[i], "expecting ')'");
      ++i;
      return b_.group(std::move(alts), "paren");
    }
    if (op(i, "[")) {
      ++i;
      auto alts = alternatives(i, end, terminal);
      if (!op(i, "]")) fail(toks_[i], "expecting ']'");
      ++i;
      alts.push_back({});
      return b_.group(std::move(alts), "opt");
    }
    return atom(i, terminal);
  }

  Seq atom(size_t& i, bool terminal) {
    const Tok& t = toks_[i];
    if (t.kind == Tok::kName) {
      ++i;
      return {ref_named(t.text, t)};
    }
    if (t.kind == Tok::kString) {
      ++i;
      std::string lit = unescape(t);
      if (op(i, "..")) {  // "a".."z"
        const Tok& hi = toks_[i + 1];
        if (hi.kind != Tok::kString) fail(hi, "expecting a string after ..");
        i += 2;
        std::string h = unescape(hi);
        size_t p = 0, q = 0;
        int32_t lo_cp = decode_utf8(lit, p), hi_cp = decode_utf8(h, q);
        if (lo_cp < 0 || hi_cp < 0 || p != lit.size() || q != h.size() || hi_cp < lo_cp)
          fail(t, "a range needs two single characters in order");
        return b_.chars({{static_cast<uint32_t>(lo_cp), static_cast<uint32_t>(hi_cp)}});
      }
      if (t.flags == "i") {
        Seq out;
        for (unsigned char c : lit) {
          if (std::isalpha(c)) {
            ByteSet s;
            s.set(static_cast<uint8_t>(std::tolower(c)));
            s.set(static_cast<uint8_t>(std::toupper(c)));
            out.push_back(b_.bytes(s));
          } else {
            out.push_back(b_.byte_range(c, c));
          }
        }
        return out;
      }
      return b_.literal(lit);
    }
    if (t.kind == Tok::kRegex) {
      ++i;
      if (!t.flags.empty()) throw Unsupported("lark regex flags /" + t.flags);
      return regex_to_seq(b_, t.text, {});
    }
    fail(t, "unexpected '" + t.text + "'");
  }

  std::string unescape(const Tok& t) {
    std::string out;
    for (size_t k = 0; k < t.text.size(); ++k) {
      char c = t.text[k];
      if (c != '\\' || k + 1 == t.text.size()) { out += c; continue; }
      char e = t.text[++k];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '\\': out += '\\'; break;
        case '"': out += '"'; break;
        default: out += '\\'; out += e;
      }
    }
    return out;
  }

  std::string_view t_;
  std::vector<Tok> toks_;
  std::set<size_t> line_start_;
  std::map<std::string, std::pair<size_t, size_t>> bodies_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> imports_;
  std::map<std::string, size_t> inline_terms_;
  std::vector<std::string> ignore_names_;
  std::vector<Element> ignore_;
  std::optional<Seq> ignore_seq_;
  int nesting_ = 0;
  std::map<std::string, uint32_t> ids_;
  std::set<std::string> defined_, pending_;
  GrammarBuilder b_;
};

}  // namespace

Grammar parse_lark(std::string_view text) { return LarkParser(text).parse(); }

}  // namespace qvl::grammar
