// Chat-template filters (`x | name` and `x | name(args)`), with the reference's
// per-type dispatch: a filter the reference lacks for a type is an error naming both.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "input/chat_template/jinja_interpreter.h"
#include "input/chat_template/js_compat.h"

namespace qvl::jinja {
namespace {

[[noreturn]] void unsupported(const std::string& name, const Value& v) {
  QVL_FAIL("chat template: unsupported filter '", name, "' for ", kind_name(v.kind));
}

// Array.prototype.join on the wrapped values: none/undefined become "".
std::string join_values(const std::vector<Value>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    if (items[i].kind != Kind::kNull && items[i].kind != Kind::kUndefined) out += js_string(items[i]);
  }
  return out;
}

std::string indent_lines(const std::string& s, const std::string& pad, bool first, bool blank) {
  std::string out;
  size_t start = 0, line = 0;
  while (true) {
    size_t nl = s.find('\n', start);
    std::string part = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    bool skip = (!first && line == 0) || (!blank && part.empty());
    out += (skip ? "" : pad) + part;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
    ++line;
  }
  return out;
}

const Value* kwarg(const ObjectMap& kw, const char* name) { return kw.find(name); }

// args.at(i) ?? kwargs.get(name) ?? fallback
Value pick(const Args& args, size_t i, const ObjectMap& kw, const char* name, Value fallback) {
  if (i < args.size()) return args[i];
  if (const Value* v = kwarg(kw, name)) return *v;
  return fallback;
}

Value to_int_filter(const Value& v, const Value& fallback_for_string) {
  if (v.kind == Kind::kString) {
    double x = js::parse_int(v.str);
    return std::isnan(x) ? fallback_for_string : Value::of_int(x);
  }
  return v;
}

}  // namespace

Value Interpreter::apply_filter(const Value& operand, const Node& filter, const EnvPtr& env) {
  if (filter.type == NodeType::kIdentifier) return apply_named_filter(operand, filter.text, env);
  return apply_call_filter(operand, filter, env);
}

Value Interpreter::apply_named_filter(const Value& v, const std::string& name, const EnvPtr& env) {
  if (name == "safe") return v;
  if (name == "tojson") return Value::of_string(to_json(v, JsonOptions{}));
  if (v.is_array_like()) {
    const auto& a = *v.array;
    if (name == "list") return v;
    // The reference yields a raw JS undefined here, which breaks whatever uses it.
    if ((name == "first" || name == "last") && a.empty()) QVL_FAIL("chat template: '", name, "' of an empty list");
    if (name == "first") return a.front();
    if (name == "last") return a.back();
    if (name == "length") return Value::of_int(static_cast<double>(a.size()));
    if (name == "reverse") return Value::of_array(std::vector<Value>(a.rbegin(), a.rend()));
    if (name == "sort") {
      std::vector<Value> items = a;
      std::stable_sort(items.begin(), items.end(), [](const Value& x, const Value& y) { return compare(x, y, false) < 0; });
      return Value::of_array(std::move(items));
    }
    if (name == "join") return Value::of_string(join_values(a, ""));
    if (name == "string") return Value::of_string(to_json(v, JsonOptions{}, false));
    if (name == "unique") {
      std::vector<Value> out;
      for (const Value& x : a) {
        bool seen = false;
        for (const Value& y : out) {
          seen = seen || strict_equals(x, y) || (x.is_number() && y.is_number() && std::isnan(x.number) && std::isnan(y.number));
        }
        if (!seen) out.push_back(x);
      }
      return Value::of_array(std::move(out));
    }
    unsupported(name, v);
  }
  if (v.kind == Kind::kString) {
    if (name == "length") return Value::of_int(static_cast<double>(js::utf16_length(v.str)));
    if (name == "upper") return Value::of_string(js::to_upper(v.str));
    if (name == "lower") return Value::of_string(js::to_lower(v.str));
    if (name == "title") return Value::of_string(js::title_case(v.str));
    if (name == "capitalize") return Value::of_string(js::capitalize(v.str));
    if (name == "trim") return Value::of_string(js::trim(v.str));
    if (name == "indent") return Value::of_string(indent_lines(v.str, "    ", false, false));
    if (name == "join" || name == "string") return v;
    if (name == "int") return to_int_filter(v, Value::of_int(0));
    if (name == "float") {
      double x = js::parse_float(v.str);
      return Value::of_float(std::isnan(x) ? 0.0 : x);
    }
    unsupported(name, v);
  }
  if (v.is_number()) {
    if (name == "abs") return v.kind == Kind::kInt ? Value::of_int(std::fabs(v.number)) : Value::of_float(std::fabs(v.number));
    if (name == "int") return Value::of_int(std::floor(v.number));
    if (name == "float") return Value::of_float(v.number);
    if (name == "string") return Value::of_string(to_output(v));
    unsupported(name, v);
  }
  if (v.is_object_like()) {
    if (name == "length") return Value::of_int(static_cast<double>(v.object->items.size()));
    Value b = member_builtin(v, name);  // items, keys, values, dictsort, get
    if (b.kind == Kind::kFunction) {
      Args none;
      return call_function(b, none, env);
    }
    unsupported(name, v);
  }
  if (v.kind == Kind::kBool) {
    if (name == "bool") return v;
    if (name == "int") return Value::of_int(v.boolean ? 1 : 0);
    if (name == "float") return Value::of_float(v.boolean ? 1 : 0);
    if (name == "string") return Value::of_string(v.boolean ? "true" : "false");
  }
  unsupported(name, v);
}

Value Interpreter::apply_call_filter(const Value& v, const Node& call, const EnvPtr& env) {
  if (call.kids[0]->type != NodeType::kIdentifier) QVL_FAIL("chat template: unsupported filter expression");
  const std::string& name = call.kids[0]->text;
  if (name == "tojson") {
    auto [args, kw] = eval_args(call.args, env);
    JsonOptions opt;
    if (const Value* x = kwarg(kw, "indent"); x && x->kind != Kind::kNull) {
      if (x->kind != Kind::kInt) QVL_FAIL("chat template: tojson indent must be an integer");
      if (x->number < 0) QVL_FAIL("chat template: tojson indent must not be negative");
      opt.indent = static_cast<int>(std::min(x->number, 64.0));
    }
    if (const Value* x = kwarg(kw, "ensure_ascii")) {
      if (x->kind != Kind::kBool) QVL_FAIL("chat template: tojson ensure_ascii must be a boolean");
      opt.ensure_ascii = x->boolean;
    }
    if (const Value* x = kwarg(kw, "sort_keys")) {
      if (x->kind != Kind::kBool) QVL_FAIL("chat template: tojson sort_keys must be a boolean");
      opt.sort_keys = x->boolean;
    }
    if (const Value* x = kwarg(kw, "separators"); x && x->kind != Kind::kNull) {
      bool ok = x->is_array_like() && x->array->size() == 2 && (*x->array)[0].kind == Kind::kString &&
                (*x->array)[1].kind == Kind::kString;
      if (!ok) QVL_FAIL("chat template: tojson separators must be a pair of strings");
      opt.has_separators = true;
      opt.item_sep = (*x->array)[0].str;
      opt.key_sep = (*x->array)[1].str;
    }
    return Value::of_string(to_json(v, opt));
  }
  if (name == "join") {
    if (!v.is_array_like() && v.kind != Kind::kString) unsupported(name, v);
    auto [args, kw] = eval_args(call.args, env);
    Value sep = pick(args, 0, kw, "separator", Value::of_string(""));
    if (sep.kind != Kind::kString) QVL_FAIL("chat template: join separator must be a string");
    if (v.is_array_like()) {
      check_size(sep.str.size() * v.array->size());
      return Value::of_string(join_values(*v.array, sep.str));
    }
    std::vector<std::string> cps = js::code_points(v.str);
    check_size(v.str.size() + sep.str.size() * cps.size());
    std::string out;
    for (size_t i = 0; i < cps.size(); ++i) out += (i ? sep.str : "") + cps[i];
    check_size(out.size());
    return Value::of_string(std::move(out));
  }
  if (name == "int" || name == "float") {
    auto [args, kw] = eval_args(call.args, env);
    Value fallback = pick(args, 0, kw, "default", name == "int" ? Value::of_int(0) : Value::of_float(0));
    if (v.kind == Kind::kString) {
      double x = name == "int" ? js::parse_int(v.str) : js::parse_float(v.str);
      if (std::isnan(x)) return fallback;
      return name == "int" ? Value::of_int(x) : Value::of_float(x);
    }
    if (v.is_number()) return v;
    if (v.kind == Kind::kBool) return name == "int" ? Value::of_int(v.boolean) : Value::of_float(v.boolean);
    unsupported(name, v);
  }
  if (name == "default") {
    auto [args, kw] = eval_args(call.args, env);
    Value fallback = args.size() > 0 ? args[0] : Value::of_string("");
    Value boolean = pick(args, 1, kw, "boolean", Value::of_bool(false));
    if (boolean.kind != Kind::kBool) QVL_FAIL("chat template: default's boolean flag must be a boolean");
    if (v.kind == Kind::kUndefined || (boolean.boolean && !truthy(v))) return fallback;
    return v;
  }
  if (v.is_array_like()) return array_call_filter(v, name, call, env);
  if (v.kind == Kind::kString) {
    if (name == "indent") {
      auto [args, kw] = eval_args(call.args, env);
      Value width = pick(args, 0, kw, "width", Value::of_int(4));
      if (width.kind != Kind::kInt) QVL_FAIL("chat template: indent width must be an integer");
      Value first = pick(args, 1, kw, "first", Value::of_bool(false));
      Value blank = pick(args, 2, kw, "blank", Value::of_bool(false));
      std::string pad(static_cast<size_t>(std::clamp(width.number, 0.0, 1024.0)), ' ');
      check_size(v.str.size() + pad.size() * (std::count(v.str.begin(), v.str.end(), '\n') + 1));
      return Value::of_string(indent_lines(v.str, pad, truthy(first), truthy(blank)));
    }
    if (name == "replace") {
      auto [args, kw] = eval_args(call.args, env);
      args.push_back(Value::of_object(std::move(kw), Kind::kKwargs));
      return call_function(member_builtin(v, "replace"), args, env);
    }
    unsupported(name, v);
  }
  if (v.is_object_like()) {
    Value b = member_builtin(v, name);
    if (b.kind != Kind::kFunction) unsupported(name, v);
    auto [args, kw] = eval_args(call.args, env);
    if (!kw.items.empty()) args.push_back(Value::of_object(std::move(kw), Kind::kKwargs));
    return call_function(b, args, env);
  }
  unsupported(name, v);
}

Value Interpreter::array_call_filter(const Value& v, const std::string& name, const Node& call, const EnvPtr& env) {
  const auto& items = *v.array;
  if (name == "sort") {
    auto [args, kw] = eval_args(call.args, env);
    Value reverse = pick(args, 0, kw, "reverse", Value::of_bool(false));
    Value case_sensitive = pick(args, 1, kw, "case_sensitive", Value::of_bool(false));
    Value attribute = pick(args, 2, kw, "attribute", Value::null());
    if (reverse.kind != Kind::kBool || case_sensitive.kind != Kind::kBool) {
      QVL_FAIL("chat template: sort's reverse and case_sensitive must be booleans");
    }
    if (attribute.kind != Kind::kString && attribute.kind != Kind::kInt && attribute.kind != Kind::kNull) {
      QVL_FAIL("chat template: sort attribute must be a string, integer or none");
    }
    auto key = [&](const Value& x) {
      if (attribute.kind == Kind::kNull) return x;
      return attribute_path(x, attribute.kind == Kind::kInt ? js::number_to_string(attribute.number) : attribute.str);
    };
    std::vector<Value> out = items;
    std::stable_sort(out.begin(), out.end(), [&](const Value& a, const Value& b) {
      int r = compare(key(a), key(b), case_sensitive.boolean);
      return (reverse.boolean ? -r : r) < 0;
    });
    return Value::of_array(std::move(out));
  }
  if (name == "selectattr" || name == "rejectattr") {
    bool select = name == "selectattr";
    for (const Value& x : items) {
      if (!x.is_container()) QVL_FAIL("chat template: ", name, " needs a list of mappings");
    }
    for (const auto& a : call.args) {
      if (a->type != NodeType::kString) QVL_FAIL("chat template: arguments of ", name, " must be string literals");
    }
    if (call.args.empty()) QVL_FAIL("chat template: ", name, " needs an attribute name");
    std::string attr = call.args[0]->text;
    std::string test = call.args.size() > 1 ? call.args[1]->text : "";
    Value test_arg = call.args.size() > 2 ? Value::of_string(call.args[2]->text) : Value::undefined();
    if (!test.empty() && !test_exists(test)) QVL_FAIL("chat template: unsupported test '", test, "'");
    std::vector<Value> out;
    for (const Value& x : items) {
      const Value* a = x.object->find(attr);
      bool r = a ? (test.empty() ? truthy(*a) : run_test(test, *a, &test_arg, call.args.size() > 2)) : false;
      if (r == select) out.push_back(x);
    }
    return Value::of_array(std::move(out));
  }
  if (name == "map") {
    auto [args, kw] = eval_args(call.args, env);
    const Value* attr = kwarg(kw, "attribute");
    if (!attr) QVL_FAIL("chat template: map() without attribute= is unsupported");
    if (attr->kind != Kind::kString) QVL_FAIL("chat template: map attribute must be a string");
    const Value* fallback = kwarg(kw, "default");
    std::vector<Value> out;
    for (const Value& x : items) {
      if (!x.is_container()) QVL_FAIL("chat template: map(attribute=...) needs a list of mappings");
      Value r = attribute_path(x, attr->str);
      out.push_back(r.kind == Kind::kUndefined && fallback ? *fallback : r);
    }
    return Value::of_array(std::move(out));
  }
  unsupported(name, v);
}

}  // namespace qvl::jinja
