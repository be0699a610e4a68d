// Chat-template interpreter: expressions, blocks and the render entry point (statements
// are in jinja_statements.cpp, filters in jinja_filters.cpp, built-ins in
// jinja_builtins.cpp). Each rule follows @huggingface/jinja's runtime.
#include "input/chat_template/jinja_interpreter.h"

#include <cmath>

#include "base/error.h"
#include "input/chat_template/js_compat.h"

namespace qvl::jinja {
namespace {

constexpr size_t kMaxWork = 2'000'000;        // loop iterations + calls + range items per render
constexpr size_t kMaxString = 64u << 20;      // bytes in any one string
constexpr int kMaxCallDepth = 200;

const char* const kReservedGlobals[] = {"false", "true", "none", "False", "True", "None",
                                        "raise_exception", "range", "strftime_now", "namespace"};

// Python-style slicing with the reference's clamping rules (utils.slice).
template <typename T>
std::vector<T> slice_items(const std::vector<T>& a, const Value& start, const Value& stop, const Value& step) {
  double len = static_cast<double>(a.size());
  double st = step.kind == Kind::kUndefined ? 1 : step.number;
  double dir = st > 0 ? 1 : st < 0 ? -1 : 0;
  double s, e;
  if (dir >= 0) {
    s = start.kind == Kind::kUndefined ? 0 : start.number;
    s = s < 0 ? std::max(len + s, 0.0) : std::min(s, len);
    e = stop.kind == Kind::kUndefined ? len : stop.number;
    e = e < 0 ? std::max(len + e, 0.0) : std::min(e, len);
  } else {
    s = start.kind == Kind::kUndefined ? len - 1 : start.number;
    s = s < 0 ? std::max(len + s, -1.0) : std::min(s, len - 1);
    e = stop.kind == Kind::kUndefined ? -1 : stop.number;
    e = e < -1 ? std::max(len + e, -1.0) : std::min(e, len - 1);
  }
  std::vector<T> out;
  if (dir == 0) return out;
  for (double i = s; dir * i < dir * e; i += st) out.push_back(a[static_cast<size_t>(i)]);
  return out;
}

}  // namespace

const Value* Env::find_local(const std::string& name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : &it->second;
}

const Value* Env::find(const std::string& name) const {
  for (const Env* e = this; e; e = e->parent_.get()) {
    if (const Value* v = e->find_local(name)) return v;
  }
  return nullptr;
}

void Interpreter::charge(size_t units) {
  work_ += units;
  if (work_ > kMaxWork) QVL_FAIL("chat template: evaluation budget exceeded (runaway loop or recursion?)");
}

void Interpreter::check_size(size_t bytes) const {
  if (bytes > kMaxString) QVL_FAIL("chat template: output larger than ", kMaxString >> 20, " MiB");
}

std::string Interpreter::run(const Node& program, const Value& context) {
  global_ = std::make_shared<Env>();
  namespace_fn_ = make_namespace_function(&namespaces_);
  // `{% set ns.me = ns %}` makes a shared_ptr cycle; empty every namespace on the way out.
  struct BreakCycles {
    std::vector<std::weak_ptr<ObjectMap>>& made;
    ~BreakCycles() {
      for (auto& w : made) {
        if (auto m = w.lock()) m->items.clear();
      }
      made.clear();
    }
  } break_cycles{namespaces_};
  install_globals(*global_, *this);
  if (context.is_object_like()) {
    for (const auto& [key, value] : context.object->items) {
      for (const char* r : kReservedGlobals) {
        if (key == r) QVL_FAIL("chat template: context key '", key, "' collides with a built-in name");
      }
      global_->set(key, value);
    }
  }
  try {
    return block(program.body, global_);
  } catch (const BreakSignal&) {
    QVL_FAIL("chat template: {% break %} outside a loop");
  } catch (const ContinueSignal&) {
    QVL_FAIL("chat template: {% continue %} outside a loop");
  }
}

// Every scope in the reference starts with its own `namespace` entry, so the
// innermost scope decides what `namespace` means.
Value Interpreter::lookup(const std::string& name, const EnvPtr& env) const {
  if (name == "namespace") {
    const Value* v = env->find_local(name);
    return v ? *v : namespace_fn_;
  }
  const Value* v = env->find(name);
  return v ? *v : Value::undefined();
}

std::string Interpreter::block(const std::vector<NodePtr>& stmts, const EnvPtr& env) {
  std::string out;
  for (const auto& s : stmts) {
    Value v = eval(*s, env);
    if (v.kind == Kind::kNull || v.kind == Kind::kUndefined) continue;
    out += v.kind == Kind::kString ? v.str : to_output(v);
    check_size(out.size());
  }
  return out;
}

Value Interpreter::eval(const Node& n, const EnvPtr& env) {
  switch (n.type) {
    case NodeType::kProgram: return Value::of_string(block(n.body, env));
    case NodeType::kText: case NodeType::kString: return Value::of_string(n.text);
    case NodeType::kComment: return Value::null();
    case NodeType::kSet: return eval_set(n, env);
    case NodeType::kIf: return Value::of_string(block(truthy(eval(*n.kids[0], env)) ? n.body : n.alt, env));
    case NodeType::kFor: return eval_for(n, env);
    case NodeType::kMacro: return eval_macro(n, env);
    case NodeType::kCallBlock: return eval_call_block(n, env);
    case NodeType::kFilterBlock: return apply_filter(Value::of_string(block(n.body, env)), *n.kids[0], env);
    case NodeType::kBreak: throw BreakSignal{};
    case NodeType::kContinue: throw ContinueSignal{};
    case NodeType::kInteger: return Value::of_int(n.number);
    case NodeType::kFloat: return Value::of_float(n.number);
    case NodeType::kArray: case NodeType::kTuple: {
      std::vector<Value> items;
      for (const auto& a : n.args) items.push_back(eval(*a, env));
      return Value::of_array(std::move(items), n.type == NodeType::kArray ? Kind::kArray : Kind::kTuple);
    }
    case NodeType::kObject: {
      ObjectMap m;
      for (size_t i = 0; i + 1 < n.args.size(); i += 2) {
        Value k = eval(*n.args[i], env);
        if (k.kind != Kind::kString) QVL_FAIL("chat template: object keys must be strings, got ", kind_name(k.kind));
        m.set(k.str, eval(*n.args[i + 1], env));
      }
      return Value::of_object(std::move(m));
    }
    case NodeType::kIdentifier: return lookup(n.text, env);
    case NodeType::kCall: return eval_call(n, env);
    case NodeType::kMember: return eval_member(n, env);
    case NodeType::kUnary: return eval_unary(n, env);
    case NodeType::kBinary: return eval_binary(n, env);
    case NodeType::kFilter: return apply_filter(eval(*n.kids[0], env), *n.kids[1], env);
    case NodeType::kTest: return eval_test(n, env);
    case NodeType::kSelect:
      return truthy(eval(*n.kids[1], env)) ? eval(*n.kids[0], env) : Value::undefined();
    case NodeType::kTernary:
      return eval(*n.kids[truthy(eval(*n.kids[0], env)) ? 1 : 2], env);
    case NodeType::kSlice: case NodeType::kKeywordArg: case NodeType::kSpread: case NodeType::kKeywordSpread:
      QVL_FAIL("chat template: misplaced slice or argument syntax");
  }
  QVL_FAIL("chat template: unknown syntax node");
}

Value Interpreter::eval_binary(const Node& n, const EnvPtr& env) {
  const std::string& op = n.text;
  Value l = eval(*n.kids[0], env);
  if (op == "and") return truthy(l) ? eval(*n.kids[1], env) : l;
  if (op == "or") return truthy(l) ? l : eval(*n.kids[1], env);
  Value r = eval(*n.kids[1], env);
  if (op == "==") return Value::of_bool(loose_equals(l, r));
  if (op == "!=") return Value::of_bool(!loose_equals(l, r));
  bool in_op = op == "in" || op == "not in";
  if (l.kind == Kind::kUndefined || r.kind == Kind::kUndefined) {
    // `x in undefined` is false; anything else on undefined is an error.
    if (r.kind == Kind::kUndefined && in_op) return Value::of_bool(op == "not in");
    QVL_FAIL("chat template: cannot apply '", op, "' to an undefined value");
  }
  if (l.kind == Kind::kNull || r.kind == Kind::kNull) QVL_FAIL("chat template: cannot apply '", op, "' to none");
  if (op == "~") {
    std::string s = js_string(l) + js_string(r);
    check_size(s.size());
    return Value::of_string(std::move(s));
  }
  auto numeric_like = [](const Value& v) { return v.is_number() || v.kind == Kind::kBool; };
  auto num = [](const Value& v) { return v.kind == Kind::kBool ? (v.boolean ? 1.0 : 0.0) : v.number; };
  if (op == "**" && numeric_like(l) && numeric_like(r)) {
    double a = num(l), b = num(r);
    if (a == 0 && b < 0) QVL_FAIL("chat template: 0.0 cannot be raised to a negative power");
    double res = std::pow(a, b);
    if (!std::isfinite(res)) QVL_FAIL("chat template: exponentiation result is not a finite real number");
    bool is_float = l.kind == Kind::kFloat || r.kind == Kind::kFloat || b < 0;
    return is_float ? Value::of_float(res) : Value::of_int(res);
  }
  if (l.is_number() && r.is_number()) {
    double a = l.number, b = r.number;
    bool is_float = l.kind == Kind::kFloat || r.kind == Kind::kFloat;
    auto result = [&](double v) { return is_float ? Value::of_float(v) : Value::of_int(v); };
    if (op == "+") return result(a + b);
    if (op == "-") return result(a - b);
    if (op == "*") return result(a * b);
    if (op == "/") return Value::of_float(a / b);
    if (op == "//") return result(std::floor(a / b));
    if (op == "%") return result(std::fmod(a, b));  // JS remainder: sign of the dividend
    if (op == "<") return Value::of_bool(a < b);
    if (op == ">") return Value::of_bool(a > b);
    if (op == ">=") return Value::of_bool(a >= b);
    if (op == "<=") return Value::of_bool(a <= b);
  } else if (l.is_array_like() && r.is_array_like()) {
    if (op == "+") {
      charge(l.array->size() + r.array->size());  // repeated doubling must hit the budget
      std::vector<Value> items = *l.array;
      items.insert(items.end(), r.array->begin(), r.array->end());
      return Value::of_array(std::move(items));
    }
  } else if (r.is_array_like() && in_op) {
    bool member = false;
    for (const Value& x : *r.array) member = member || strict_equals(x, l);
    return Value::of_bool(member == (op == "in"));
  }
  if ((l.kind == Kind::kString || r.kind == Kind::kString) && op == "+") {
    std::string s = js_string(l) + js_string(r);
    check_size(s.size());
    return Value::of_string(std::move(s));
  }
  if (l.kind == Kind::kString && r.kind == Kind::kString && in_op) {
    return Value::of_bool((r.str.find(l.str) != std::string::npos) == (op == "in"));
  }
  if (l.kind == Kind::kString && r.is_object_like() && in_op) {
    return Value::of_bool((r.object->find(l.str) != nullptr) == (op == "in"));
  }
  // Python's string repetition: the reference rejects it, we accept it (extension).
  if (op == "*" && ((l.kind == Kind::kString && r.kind == Kind::kInt) || (l.kind == Kind::kInt && r.kind == Kind::kString))) {
    const Value& s = l.kind == Kind::kString ? l : r;
    double times = l.kind == Kind::kInt ? l.number : r.number;
    if (times * static_cast<double>(s.str.size()) > static_cast<double>(kMaxString)) check_size(kMaxString + 1);
    std::string out;
    for (double i = 0; i < times; ++i) out += s.str;
    return Value::of_string(std::move(out));
  }
  QVL_FAIL("chat template: unsupported operator '", op, "' between ", kind_name(l.kind), " and ", kind_name(r.kind));
}

Value Interpreter::eval_unary(const Node& n, const EnvPtr& env) {
  Value v = eval(*n.kids[0], env);
  if (n.text == "not") return Value::of_bool(!truthy(v));
  if (v.is_number() || v.kind == Kind::kBool) {
    double x = v.kind == Kind::kBool ? (v.boolean ? 1 : 0) : v.number;
    double r = n.text == "-" ? -x : x;
    return v.kind == Kind::kFloat ? Value::of_float(r) : Value::of_int(r);
  }
  QVL_FAIL("chat template: unary '", n.text, "' needs a number, got ", kind_name(v.kind));
}

Value Interpreter::eval_slice(const Value& object, const Node& slice, const EnvPtr& env) {
  if (!object.is_array_like() && object.kind != Kind::kString) {
    QVL_FAIL("chat template: only lists and strings can be sliced, got ", kind_name(object.kind));
  }
  Value parts[3];
  for (int i = 0; i < 3; ++i) {
    if (slice.kids[i]) parts[i] = eval(*slice.kids[i], env);
    if (parts[i].kind != Kind::kInt && parts[i].kind != Kind::kUndefined) {
      QVL_FAIL("chat template: slice bounds must be integers, got ", kind_name(parts[i].kind));
    }
  }
  if (object.is_array_like()) return Value::of_array(slice_items(*object.array, parts[0], parts[1], parts[2]));
  std::string out;
  for (const auto& cp : slice_items(js::code_points(object.str), parts[0], parts[1], parts[2])) out += cp;
  return Value::of_string(std::move(out));
}

Value Interpreter::eval_member(const Node& n, const EnvPtr& env) {
  Value object = eval(*n.kids[0], env);
  const Node& p = *n.kids[1];
  Value prop;
  if (n.flag) {
    if (p.type == NodeType::kSlice) return eval_slice(object, p, env);
    prop = eval(p, env);
  } else if (p.type == NodeType::kInteger) {
    prop = Value::of_int(p.number);
  } else {
    prop = Value::of_string(p.text);
  }
  if (object.is_container()) {
    if (prop.kind != Kind::kString) {
      QVL_FAIL("chat template: mapping keys must be strings, got ", kind_name(prop.kind));
    }
    if (const Value* v = object.object->find(prop.str)) return *v;
    return object.kind == Kind::kNamespace ? Value::undefined() : member_builtin(object, prop.str);
  }
  if (object.is_array_like() || object.kind == Kind::kString) {
    if (prop.kind == Kind::kInt) {
      if (object.kind == Kind::kString) {
        return js::utf16_in_range(object.str, prop.number) ? Value::of_string(js::utf16_at(object.str, prop.number))
                                                            : Value::undefined();
      }
      double len = static_cast<double>(object.array->size());
      double k = std::trunc(prop.number);
      if (k < 0) k += len;
      return k >= 0 && k < len ? (*object.array)[static_cast<size_t>(k)] : Value::undefined();
    }
    if (prop.kind == Kind::kString) return member_builtin(object, prop.str);
    QVL_FAIL("chat template: index must be an integer or string, got ", kind_name(prop.kind));
  }
  if (prop.kind != Kind::kString) {
    QVL_FAIL("chat template: cannot index ", kind_name(object.kind), " with ", kind_name(prop.kind));
  }
  return Value::undefined();  // attributes of none/undefined/numbers/functions are undefined
}

std::pair<Args, ObjectMap> Interpreter::eval_args(const std::vector<NodePtr>& args, const EnvPtr& env) {
  Args positional;
  ObjectMap keywords;
  auto add_keyword = [&](const std::string& k, Value v) {
    if (keywords.find(k)) QVL_FAIL("chat template: got multiple values for keyword argument '", k, "'");
    keywords.set(k, std::move(v));
  };
  for (const auto& a : args) {
    if (a->type == NodeType::kSpread) {
      Value v = eval(*a->kids[0], env);
      if (!v.is_array_like()) QVL_FAIL("chat template: cannot unpack ", kind_name(v.kind), " with '*'");
      positional.insert(positional.end(), v.array->begin(), v.array->end());
    } else if (a->type != NodeType::kKeywordArg && a->type != NodeType::kKeywordSpread) {
      positional.push_back(eval(*a, env));
    }
  }
  for (const auto& a : args) {
    if (a->type == NodeType::kKeywordArg) {
      add_keyword(a->text, eval(*a->kids[0], env));
    } else if (a->type == NodeType::kKeywordSpread) {
      Value v = eval(*a->kids[0], env);
      if (!v.is_object_like()) QVL_FAIL("chat template: argument after ** must be a mapping, got ", kind_name(v.kind));
      for (const auto& [k, x] : v.object->items) add_keyword(k, x);
    }
  }
  return {std::move(positional), std::move(keywords)};
}

Value Interpreter::call_function(const Value& fn, Args& args, const EnvPtr& caller) {
  charge();
  if (call_depth_ >= kMaxCallDepth) {
    QVL_FAIL("chat template: calls nested deeper than ", kMaxCallDepth, " (runaway recursion?)");
  }
  ++call_depth_;
  struct Unwind {
    int& depth;
    ~Unwind() { --depth; }
  } unwind{call_depth_};
  return fn.function->fn(args, caller);
}

Value Interpreter::eval_call(const Node& n, const EnvPtr& env) {
  auto [args, keywords] = eval_args(n.args, env);
  if (!keywords.items.empty()) args.push_back(Value::of_object(std::move(keywords), Kind::kKwargs));
  Value fn = eval(*n.kids[0], env);
  if (fn.kind != Kind::kFunction) {
    QVL_FAIL("chat template: ", describe_callee(*n.kids[0]), " is not a function (", kind_name(fn.kind),
             "); unsupported method or undefined macro");
  }
  return call_function(fn, args, env);
}

Value Interpreter::eval_test(const Node& n, const EnvPtr& env) {
  Value operand = eval(*n.kids[0], env);
  if (!test_exists(n.text)) QVL_FAIL("chat template: unsupported test 'is ", n.text, "'");
  bool r = run_test(n.text, operand, nullptr, false);
  return Value::of_bool(n.flag ? !r : r);
}

}  // namespace qvl::jinja
