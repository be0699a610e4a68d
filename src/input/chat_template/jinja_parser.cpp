// Jinja parser for chat templates (input layer): tokens -> syntax tree. Precedence and
// the accepted forms mirror @huggingface/jinja's parser, so a template parses here
// exactly when it parses there. Nesting depth is capped so hostile input cannot
// exhaust the stack.
#include <set>

#include "base/error.h"
#include "input/chat_template/jinja_ast.h"
#include "input/chat_template/jinja_lexer.h"

namespace qvl::jinja {
namespace {

constexpr int kMaxDepth = 1000;

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const std::string& src) : t_(tokens), src_(src) {}

  NodePtr program() {
    auto prog = std::make_unique<Node>(NodeType::kProgram);
    while (cur_ < t_.size()) prog->body.push_back(any());
    return prog;
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth) p_.fail("template nesting too deep");
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  [[noreturn]] void fail(const std::string& what) const {
    if (cur_ >= t_.size()) QVL_FAIL("chat template syntax error: ", what, " at end of template");
    QVL_FAIL("chat template syntax error: ", what, " near ", excerpt(src_, t_[cur_].pos));
  }

  bool is(Tok a) const { return cur_ < t_.size() && t_[cur_].type == a; }
  bool is_ident(const char* name, size_t ahead = 0) const {
    return cur_ + ahead < t_.size() && t_[cur_ + ahead].type == Tok::kIdentifier && t_[cur_ + ahead].value == name;
  }
  bool is_statement(std::initializer_list<const char*> names) const {
    if (!(is(Tok::kOpenStatement) && cur_ + 1 < t_.size() && t_[cur_ + 1].type == Tok::kIdentifier)) return false;
    for (const char* n : names) {
      if (t_[cur_ + 1].value == n) return true;
    }
    return false;
  }
  const Token& next() {
    if (cur_ >= t_.size()) fail("unexpected end of template");
    return t_[cur_++];
  }
  void expect(Tok type, const char* what) {
    if (!is(type)) fail(std::string("expected ") + what);
    ++cur_;
  }
  void expect_ident(const char* name) {
    if (!is_ident(name)) fail(std::string("expected '") + name + "'");
    ++cur_;
  }
  // Body statements up to (not including) one of the closing tags.
  std::vector<NodePtr> block_until(std::initializer_list<const char*> ends, const char* tag) {
    std::vector<NodePtr> out;
    while (!is_statement(ends)) {
      if (cur_ >= t_.size()) fail(std::string("missing {% ") + tag + " %}");
      out.push_back(any());
    }
    return out;
  }
  void expect_end(const char* tag) {
    expect(Tok::kOpenStatement, "'{%'");
    expect_ident(tag);
    expect(Tok::kCloseStatement, "'%}'");
  }

  static NodePtr make(NodeType t) { return std::make_unique<Node>(t); }

  NodePtr any();
  NodePtr statement();
  NodePtr set_statement();
  NodePtr if_statement();
  NodePtr for_statement();
  NodePtr sequence(bool primary_only);
  NodePtr expression() { return if_expression(); }
  NodePtr if_expression();
  NodePtr or_expression();
  NodePtr and_expression();
  NodePtr not_expression();
  NodePtr comparison();
  NodePtr additive();
  NodePtr multiplicative();
  NodePtr power();
  NodePtr test_expression();
  NodePtr filter_expression();
  NodePtr unary_sign();
  NodePtr call_member();
  NodePtr call(NodePtr callee);
  std::vector<NodePtr> arguments(bool parameters);
  NodePtr subscript();
  NodePtr member(NodePtr object);
  NodePtr primary();

  const std::vector<Token>& t_;
  const std::string& src_;
  size_t cur_ = 0;
  int depth_ = 0;
};

NodePtr Parser::any() {
  DepthGuard guard(*this);
  const Token& tok = t_[cur_];
  switch (tok.type) {
    case Tok::kComment: ++cur_; return make(NodeType::kComment);
    case Tok::kText: {
      auto n = make(NodeType::kText);
      n->text = next().value;
      return n;
    }
    case Tok::kOpenStatement: return statement();
    case Tok::kOpenExpression: {
      ++cur_;
      NodePtr e = expression();
      expect(Tok::kCloseExpression, "'}}'");
      return e;
    }
    default: fail(std::string("unexpected ") + tok_name(tok.type));
  }
}

NodePtr Parser::statement() {
  expect(Tok::kOpenStatement, "'{%'");
  if (!is(Tok::kIdentifier)) fail("expected a statement name after '{%'");
  std::string name = t_[cur_].value;
  ++cur_;
  if (name == "set") return set_statement();
  if (name == "if") {
    NodePtr n = if_statement();
    expect_end("endif");
    return n;
  }
  if (name == "for") {
    NodePtr n = for_statement();
    expect_end("endfor");
    return n;
  }
  if (name == "macro") {
    NodePtr name_node = primary();
    if (name_node->type != NodeType::kIdentifier) fail("expected a name after 'macro'");
    auto n = make(NodeType::kMacro);
    n->text = name_node->text;
    n->args = arguments(true);
    expect(Tok::kCloseStatement, "'%}'");
    n->body = block_until({"endmacro"}, "endmacro");
    expect_end("endmacro");
    return n;
  }
  if (name == "break" || name == "continue") {
    expect(Tok::kCloseStatement, "'%}'");
    return make(name == "break" ? NodeType::kBreak : NodeType::kContinue);
  }
  if (name == "call") {
    auto n = make(NodeType::kCallBlock);
    if (is(Tok::kOpenParen)) n->args = arguments(true);
    NodePtr callee = primary();
    if (callee->type != NodeType::kIdentifier) fail("expected a macro name after 'call'");
    auto c = make(NodeType::kCall);
    c->kids.push_back(std::move(callee));
    c->args = arguments(false);
    n->kids.push_back(std::move(c));
    expect(Tok::kCloseStatement, "'%}'");
    n->body = block_until({"endcall"}, "endcall");
    expect_end("endcall");
    return n;
  }
  if (name == "filter") {
    auto n = make(NodeType::kFilterBlock);
    NodePtr f = primary();
    if (f->type == NodeType::kIdentifier && is(Tok::kOpenParen)) f = call(std::move(f));
    n->kids.push_back(std::move(f));
    expect(Tok::kCloseStatement, "'%}'");
    n->body = block_until({"endfilter"}, "endfilter");
    expect_end("endfilter");
    return n;
  }
  --cur_;
  static const std::set<std::string> kClosers = {"endif", "endfor", "endmacro", "endset", "endcall",
                                                 "endfilter", "elif", "else"};
  if (kClosers.count(name)) fail("unexpected '{% " + name + " %}'");
  fail("unsupported statement '{% " + name + " %}'");
}

NodePtr Parser::set_statement() {
  auto n = make(NodeType::kSet);
  n->kids.push_back(sequence(false));
  if (is(Tok::kEquals)) {
    ++cur_;
    n->kids.push_back(sequence(false));
  } else {
    n->kids.push_back(nullptr);
    expect(Tok::kCloseStatement, "'=' or '%}'");
    n->body = block_until({"endset"}, "endset");
    expect(Tok::kOpenStatement, "'{%'");
    expect_ident("endset");
  }
  expect(Tok::kCloseStatement, "'%}'");
  return n;
}

NodePtr Parser::if_statement() {
  DepthGuard guard(*this);
  auto n = make(NodeType::kIf);
  n->kids.push_back(expression());
  expect(Tok::kCloseStatement, "'%}'");
  n->body = block_until({"elif", "else", "endif"}, "endif");
  if (is_statement({"elif"})) {
    cur_ += 2;
    n->alt.push_back(if_statement());
  } else if (is_statement({"else"})) {
    cur_ += 2;
    expect(Tok::kCloseStatement, "'%}'");
    n->alt = block_until({"endif"}, "endif");
  }
  return n;
}

NodePtr Parser::for_statement() {
  auto n = make(NodeType::kFor);
  NodePtr var = sequence(true);
  if (var->type != NodeType::kIdentifier && var->type != NodeType::kTuple) fail("expected a loop variable");
  if (!is_ident("in")) fail("expected 'in' after the loop variable");
  ++cur_;
  n->kids.push_back(std::move(var));
  n->kids.push_back(expression());
  expect(Tok::kCloseStatement, "'%}'");
  n->body = block_until({"endfor", "else"}, "endfor");
  if (is_statement({"else"})) {
    cur_ += 2;
    expect(Tok::kCloseStatement, "'%}'");
    n->alt = block_until({"endfor"}, "endfor");
  }
  return n;
}

NodePtr Parser::sequence(bool primary_only) {
  std::vector<NodePtr> items;
  items.push_back(primary_only ? primary() : expression());
  if (!is(Tok::kComma)) return std::move(items[0]);
  while (true) {
    ++cur_;
    items.push_back(primary_only ? primary() : expression());
    if (!is(Tok::kComma)) break;
  }
  auto t = make(NodeType::kTuple);
  t->args = std::move(items);
  return t;
}

NodePtr Parser::if_expression() {
  DepthGuard guard(*this);
  NodePtr a = or_expression();
  if (!is_ident("if")) return a;
  ++cur_;
  NodePtr test = or_expression();
  if (is_ident("else")) {
    ++cur_;
    auto n = make(NodeType::kTernary);
    n->kids.push_back(std::move(test));
    n->kids.push_back(std::move(a));
    n->kids.push_back(if_expression());
    return n;
  }
  auto n = make(NodeType::kSelect);
  n->kids.push_back(std::move(a));
  n->kids.push_back(std::move(test));
  return n;
}

NodePtr binary(std::string op, NodePtr l, NodePtr r) {
  auto n = std::make_unique<Node>(NodeType::kBinary);
  n->text = std::move(op);
  n->kids.push_back(std::move(l));
  n->kids.push_back(std::move(r));
  return n;
}

NodePtr Parser::or_expression() {
  NodePtr left = and_expression();
  while (is_ident("or")) {
    ++cur_;
    left = binary("or", std::move(left), and_expression());
  }
  return left;
}

NodePtr Parser::and_expression() {
  NodePtr left = not_expression();
  while (is_ident("and")) {
    ++cur_;
    left = binary("and", std::move(left), not_expression());
  }
  return left;
}

NodePtr Parser::not_expression() {
  DepthGuard guard(*this);
  NodePtr result;
  while (is_ident("not")) {
    ++cur_;
    auto n = make(NodeType::kUnary);
    n->text = "not";
    n->kids.push_back(not_expression());
    result = std::move(n);
  }
  return result ? std::move(result) : comparison();
}

NodePtr Parser::comparison() {
  NodePtr left = additive();
  while (true) {
    std::string op;
    if (is_ident("not") && is_ident("in", 1)) {
      op = "not in";
      cur_ += 2;
    } else if (is_ident("in") || is(Tok::kComparison)) {
      op = t_[cur_++].value;
    } else {
      break;
    }
    left = binary(op, std::move(left), additive());
  }
  return left;
}

NodePtr Parser::additive() {
  NodePtr left = multiplicative();
  while (is(Tok::kAdditive)) {
    std::string op = t_[cur_++].value;
    left = binary(op, std::move(left), multiplicative());
  }
  return left;
}

NodePtr Parser::multiplicative() {
  NodePtr left = power();
  while (is(Tok::kMultiplicative)) {
    std::string op = t_[cur_++].value;
    left = binary(op, std::move(left), power());
  }
  return left;
}

NodePtr Parser::power() {
  NodePtr left = test_expression();
  while (is(Tok::kPower)) {
    ++cur_;
    left = binary("**", std::move(left), test_expression());
  }
  return left;
}

NodePtr Parser::test_expression() {
  NodePtr operand = filter_expression();
  while (is_ident("is")) {
    ++cur_;
    bool negate = is_ident("not");
    if (negate) ++cur_;
    NodePtr name = primary();
    if (name->type != NodeType::kIdentifier) fail("expected a test name after 'is'");
    auto n = make(NodeType::kTest);
    n->text = name->text;
    n->flag = negate;
    n->kids.push_back(std::move(operand));
    operand = std::move(n);
  }
  return operand;
}

NodePtr Parser::filter_expression() {
  NodePtr operand = unary_sign();
  while (is(Tok::kPipe)) {
    ++cur_;
    NodePtr f = primary();
    if (f->type != NodeType::kIdentifier) fail("expected a filter name after '|'");
    if (is(Tok::kOpenParen)) f = call(std::move(f));
    auto n = make(NodeType::kFilter);
    n->kids.push_back(std::move(operand));
    n->kids.push_back(std::move(f));
    operand = std::move(n);
  }
  return operand;
}

NodePtr Parser::unary_sign() {
  DepthGuard guard(*this);
  if ((is(Tok::kUnary) || is(Tok::kAdditive)) && (t_[cur_].value == "-" || t_[cur_].value == "+")) {
    auto n = make(NodeType::kUnary);
    n->text = t_[cur_++].value;
    n->kids.push_back(unary_sign());
    return n;
  }
  return call_member();
}

NodePtr Parser::call_member() {
  NodePtr m = member(primary());
  if (is(Tok::kOpenParen)) return call(std::move(m));
  return m;
}

NodePtr Parser::call(NodePtr callee) {
  DepthGuard guard(*this);
  auto n = make(NodeType::kCall);
  n->kids.push_back(std::move(callee));
  n->args = arguments(false);
  NodePtr e = member(std::move(n));
  if (is(Tok::kOpenParen)) e = call(std::move(e));
  return e;
}

std::vector<NodePtr> Parser::arguments(bool parameters) {
  expect(Tok::kOpenParen, "'('");
  std::vector<NodePtr> args;
  std::set<std::string> names;
  bool saw_keyword = false, saw_spread = false;
  while (!is(Tok::kCloseParen)) {
    bool kw_spread = is(Tok::kPower);
    bool spread = is(Tok::kMultiplicative) && t_[cur_].value == "*";
    if (parameters && (kw_spread || spread)) fail("argument unpacking is not allowed in parameter lists");
    if (kw_spread) {
      ++cur_;
      auto n = make(NodeType::kKeywordSpread);
      n->kids.push_back(expression());
      args.push_back(std::move(n));
      if (is(Tok::kComma)) ++cur_;
      if (!is(Tok::kCloseParen)) fail("'**' must be applied to the last argument");
      break;
    }
    NodePtr arg;
    if (spread) {
      if (saw_spread) fail("only one '*' argument unpacking is allowed");
      saw_spread = true;
      ++cur_;
      arg = make(NodeType::kSpread);
      arg->kids.push_back(expression());
    } else {
      arg = expression();
      if (is(Tok::kEquals)) {
        ++cur_;
        if (arg->type != NodeType::kIdentifier) fail("expected a name before '='");
        auto kw = make(NodeType::kKeywordArg);
        kw->text = arg->text;
        kw->kids.push_back(expression());
        arg = std::move(kw);
      }
      if (parameters) {
        if (arg->type != NodeType::kIdentifier && arg->type != NodeType::kKeywordArg) fail("expected a parameter name");
        if (!names.insert(arg->text).second) fail("duplicate parameter name '" + arg->text + "'");
      }
      if (arg->type == NodeType::kKeywordArg) {
        saw_keyword = true;
      } else if (saw_keyword) {
        fail(parameters ? "non-default parameter follows default parameter"
                        : "positional argument follows keyword argument");
      } else if (saw_spread) {
        fail("positional argument follows '*' unpacking");
      }
    }
    args.push_back(std::move(arg));
    if (is(Tok::kComma)) ++cur_;
  }
  expect(Tok::kCloseParen, "')'");
  return args;
}

NodePtr Parser::subscript() {
  std::vector<NodePtr> parts;
  bool is_slice = false;
  while (!is(Tok::kCloseSquare)) {
    if (cur_ >= t_.size()) fail("missing ']'");
    if (is(Tok::kColon)) {
      parts.push_back(nullptr);
      ++cur_;
      is_slice = true;
    } else {
      parts.push_back(expression());
      if (is(Tok::kColon)) {
        ++cur_;
        is_slice = true;
      }
    }
  }
  if (parts.empty()) fail("empty subscript '[]'");
  if (!is_slice) return std::move(parts[0]);
  if (parts.size() > 3) fail("a slice takes at most 3 parts");
  auto n = make(NodeType::kSlice);
  parts.resize(3);
  n->kids = std::move(parts);
  return n;
}

NodePtr Parser::member(NodePtr object) {
  while (is(Tok::kDot) || is(Tok::kOpenSquare)) {
    bool computed = is(Tok::kOpenSquare);
    ++cur_;
    NodePtr prop;
    if (computed) {
      prop = subscript();
      expect(Tok::kCloseSquare, "']'");
    } else {
      prop = primary();
      if (prop->type != NodeType::kIdentifier && prop->type != NodeType::kInteger) {
        fail("expected a name or integer after '.'");
      }
    }
    auto n = make(NodeType::kMember);
    n->flag = computed;
    n->kids.push_back(std::move(object));
    n->kids.push_back(std::move(prop));
    object = std::move(n);
  }
  return object;
}

NodePtr Parser::primary() {
  DepthGuard guard(*this);
  const Token& tok = next();
  switch (tok.type) {
    case Tok::kNumber: {
      bool is_float = tok.value.find('.') != std::string::npos;
      auto n = make(is_float ? NodeType::kFloat : NodeType::kInteger);
      n->number = std::strtod(tok.value.c_str(), nullptr);
      return n;
    }
    case Tok::kString: {
      auto n = make(NodeType::kString);
      n->text = tok.value;
      while (is(Tok::kString)) n->text += t_[cur_++].value;  // adjacent literals concatenate
      return n;
    }
    case Tok::kIdentifier: {
      auto n = make(NodeType::kIdentifier);
      n->text = tok.value;
      return n;
    }
    case Tok::kOpenParen: {
      NodePtr e = sequence(false);
      expect(Tok::kCloseParen, "')'");
      return e;
    }
    case Tok::kOpenSquare: {
      auto n = make(NodeType::kArray);
      while (!is(Tok::kCloseSquare)) {
        if (cur_ >= t_.size()) fail("missing ']'");
        n->args.push_back(expression());
        if (is(Tok::kComma)) ++cur_;
      }
      ++cur_;
      return n;
    }
    case Tok::kOpenCurly: {
      auto n = make(NodeType::kObject);
      while (!is(Tok::kCloseCurly)) {
        if (cur_ >= t_.size()) fail("missing '}'");
        n->args.push_back(expression());
        expect(Tok::kColon, "':' in object literal");
        n->args.push_back(expression());
        if (is(Tok::kComma)) ++cur_;
      }
      ++cur_;
      return n;
    }
    default:
      --cur_;
      fail(std::string("unexpected ") + tok_name(tok.type));
  }
}

}  // namespace

NodePtr parse(const std::vector<Token>& tokens, const std::string& source_for_errors) {
  return Parser(tokens, source_for_errors).program();
}

}  // namespace qvl::jinja
