// Chat-template built-ins: tests (`is defined`), methods of strings and mappings
// (`s.split()`, `d.items()`), and globals (namespace, range, raise_exception,
// strftime_now). Python-only methods the reference lacks are reported as unsupported.
#include <algorithm>
#include <cmath>
#include <ctime>

#include "base/error.h"
#include "input/chat_template/jinja_interpreter.h"
#include "input/chat_template/js_compat.h"

namespace qvl::jinja {
namespace {

constexpr double kMaxRange = 1e5;  // items; templates index messages, never more
constexpr size_t kMaxReplaced = 64u << 20;  // bytes a replace() may produce

Value fn(const char* name, NativeFn f) { return Value::of_function(name, std::move(f)); }

Value split(const std::string& s, Args& args) {
  Value sep = args.size() > 0 ? args[0] : Value::null();
  Value maxsplit = args.size() > 1 ? args[1] : Value::of_int(-1);
  if (sep.kind != Kind::kString && sep.kind != Kind::kNull) QVL_FAIL("chat template: split separator must be a string or none");
  if (maxsplit.kind != Kind::kInt) QVL_FAIL("chat template: split maxsplit must be an integer");
  double limit = maxsplit.number;
  std::vector<Value> out;
  if (sep.kind == Kind::kNull) {  // runs of whitespace separate; no empty strings
    std::string text = js::trim_start(s);
    size_t i = 0;
    while (i < text.size()) {
      size_t start = i;
      while (i < text.size() && !js::space_len_at(text, i)) {
        js::next_code_point(text, i);
      }
      if (limit != -1 && static_cast<double>(out.size()) >= limit) {
        out.push_back(Value::of_string(text.substr(start)));
        break;
      }
      out.push_back(Value::of_string(text.substr(start, i - start)));
      while (size_t n = js::space_len_at(text, i)) i += n;
    }
    return Value::of_array(std::move(out));
  }
  if (sep.str.empty()) QVL_FAIL("chat template: split with an empty separator");
  size_t start = 0;
  while (true) {
    size_t hit = s.find(sep.str, start);
    if (hit == std::string::npos || (limit != -1 && static_cast<double>(out.size()) >= limit)) {
      out.push_back(Value::of_string(s.substr(start)));
      break;
    }
    out.push_back(Value::of_string(s.substr(start, hit - start)));
    start = hit + sep.str.size();
  }
  return Value::of_array(std::move(out));
}

Value replace(const std::string& s, Args& args) {
  if (args.size() < 2) QVL_FAIL("chat template: replace() needs two arguments");
  if (args[0].kind != Kind::kString || args[1].kind != Kind::kString) {
    QVL_FAIL("chat template: replace() arguments must be strings");
  }
  Value count = Value::null();
  if (args.size() > 2) {
    if (args[2].kind == Kind::kKwargs) {
      const Value* c = args[2].object->find("count");
      if (c) count = *c;
    } else {
      count = args[2];
    }
  }
  if (count.kind != Kind::kInt && count.kind != Kind::kNull) QVL_FAIL("chat template: replace() count must be an integer");
  if (count.kind == Kind::kInt && count.number == 0) return Value::of_string(s);
  double remaining = (count.kind == Kind::kNull || count.number < 0) ? INFINITY : count.number;
  const std::string& from = args[0].str;
  const std::string& to = args[1].str;
  double inserts = 0;  // how many times `to` goes in, to refuse huge results up front
  if (from.empty()) {
    inserts = std::min(remaining, static_cast<double>(js::code_points(s).size() + 1));
  } else {
    for (size_t p = s.find(from); p != std::string::npos && inserts < remaining; p = s.find(from, p + from.size())) ++inserts;
  }
  if (static_cast<double>(s.size()) + inserts * static_cast<double>(to.size()) > static_cast<double>(kMaxReplaced)) {
    QVL_FAIL("chat template: replace() result would be too large");
  }
  std::string out;
  if (from.empty()) {  // inserts at every code point boundary, ends included
    size_t i = 0;
    while (true) {
      if (remaining > 0) {
        out += to;
        --remaining;
      }
      if (i >= s.size()) break;
      size_t start = i;
      js::next_code_point(s, i);
      out.append(s, start, i - start);
    }
    return Value::of_string(std::move(out));
  }
  size_t pos = 0;
  while (true) {
    size_t hit = remaining > 0 ? s.find(from, pos) : std::string::npos;
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += to;
    --remaining;
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  return Value::of_string(std::move(out));
}

Value starts_or_ends(const std::string& s, Args& args, bool start, const char* name) {
  if (args.empty()) QVL_FAIL("chat template: ", name, "() needs an argument");
  auto match = [&](const std::string& p) {
    if (p.size() > s.size()) return false;
    return start ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0;
  };
  if (args[0].kind == Kind::kString) return Value::of_bool(match(args[0].str));
  if (args[0].is_array_like()) {
    for (const Value& p : *args[0].array) {
      if (p.kind != Kind::kString) QVL_FAIL("chat template: ", name, "() tuple elements must be strings");
      if (match(p.str)) return Value::of_bool(true);
    }
    return Value::of_bool(false);
  }
  QVL_FAIL("chat template: ", name, "() argument must be a string or tuple of strings");
}

Value string_method(const std::string& s, const std::string& name) {
  // strip/lstrip/rstrip ignore their argument and trim whitespace: the reference does.
  if (name == "upper") return fn("upper", [s](Args&, const EnvPtr&) { return Value::of_string(js::to_upper(s)); });
  if (name == "lower") return fn("lower", [s](Args&, const EnvPtr&) { return Value::of_string(js::to_lower(s)); });
  if (name == "strip") return fn("strip", [s](Args&, const EnvPtr&) { return Value::of_string(js::trim(s)); });
  if (name == "lstrip") return fn("lstrip", [s](Args&, const EnvPtr&) { return Value::of_string(js::trim_start(s)); });
  if (name == "rstrip") return fn("rstrip", [s](Args&, const EnvPtr&) { return Value::of_string(js::trim_end(s)); });
  if (name == "title") return fn("title", [s](Args&, const EnvPtr&) { return Value::of_string(js::title_case(s)); });
  if (name == "capitalize") {
    return fn("capitalize", [s](Args&, const EnvPtr&) { return Value::of_string(js::capitalize(s)); });
  }
  if (name == "length") return Value::of_int(static_cast<double>(js::utf16_length(s)));
  if (name == "startswith") {
    return fn("startswith", [s](Args& a, const EnvPtr&) { return starts_or_ends(s, a, true, "startswith"); });
  }
  if (name == "endswith") {
    return fn("endswith", [s](Args& a, const EnvPtr&) { return starts_or_ends(s, a, false, "endswith"); });
  }
  if (name == "split") return fn("split", [s](Args& a, const EnvPtr&) { return split(s, a); });
  if (name == "replace") return fn("replace", [s](Args& a, const EnvPtr&) { return replace(s, a); });
  return Value::undefined();
}

Value items_of(const ObjectMap& m) {
  std::vector<Value> out;
  for (const auto& [k, v] : m.items) out.push_back(Value::of_array({Value::of_string(k), v}));
  return Value::of_array(std::move(out));
}

Value dictsort(const std::shared_ptr<ObjectMap>& m, Args& args) {
  ObjectMap kw;
  Args pos;
  for (Value& a : args) {
    if (a.kind == Kind::kKwargs) kw = *a.object; else pos.push_back(a);
  }
  auto pick = [&](size_t i, const char* name, Value def) {
    if (i < pos.size()) return pos[i];
    const Value* v = kw.find(name);
    return v ? *v : def;
  };
  Value case_sensitive = pick(0, "case_sensitive", Value::of_bool(false));
  Value by = pick(1, "by", Value::of_string("key"));
  Value reverse = pick(2, "reverse", Value::of_bool(false));
  if (case_sensitive.kind != Kind::kBool || reverse.kind != Kind::kBool) {
    QVL_FAIL("chat template: dictsort flags must be booleans");
  }
  if (by.kind != Kind::kString || (by.str != "key" && by.str != "value")) {
    QVL_FAIL("chat template: dictsort by must be 'key' or 'value'");
  }
  std::vector<Value> out = *items_of(*m).array;
  size_t idx = by.str == "key" ? 0 : 1;
  std::stable_sort(out.begin(), out.end(), [&](const Value& a, const Value& b) {
    int r = compare((*a.array)[idx], (*b.array)[idx], case_sensitive.boolean);
    return (reverse.boolean ? -r : r) < 0;
  });
  return Value::of_array(std::move(out));
}

Value object_method(const Value& obj, const std::string& name) {
  std::shared_ptr<ObjectMap> m = obj.object;
  if (name == "get") {
    return fn("get", [m](Args& a, const EnvPtr&) {
      if (a.empty() || a[0].kind != Kind::kString) QVL_FAIL("chat template: get() key must be a string");
      if (const Value* v = m->find(a[0].str)) return *v;
      return a.size() > 1 ? a[1] : Value::null();
    });
  }
  if (name == "items") return fn("items", [m](Args&, const EnvPtr&) { return items_of(*m); });
  if (name == "keys") {
    return fn("keys", [m](Args&, const EnvPtr&) {
      std::vector<Value> out;
      for (const auto& kv : m->items) out.push_back(Value::of_string(kv.first));
      return Value::of_array(std::move(out));
    });
  }
  if (name == "values") {
    return fn("values", [m](Args&, const EnvPtr&) {
      std::vector<Value> out;
      for (const auto& kv : m->items) out.push_back(kv.second);
      return Value::of_array(std::move(out));
    });
  }
  if (name == "dictsort") return fn("dictsort", [m](Args& a, const EnvPtr&) { return dictsort(m, a); });
  return Value::undefined();
}

std::string strftime_js(const std::string& format) {
  static const char* const kShort[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static const char* const kLong[] = {"January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December"};
  std::time_t now = std::time(nullptr);
  std::tm t{};
  localtime_r(&now, &t);
  auto pad2 = [](int n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = i + 1 < format.size() && format[i] == '%' ? format[i + 1] : '\0';
    std::string rep;
    switch (c) {
      case 'Y': rep = std::to_string(t.tm_year + 1900); break;
      case 'm': rep = pad2(t.tm_mon + 1); break;
      case 'd': rep = pad2(t.tm_mday); break;
      case 'b': rep = kShort[t.tm_mon]; break;
      case 'B': rep = kLong[t.tm_mon]; break;
      case 'H': rep = pad2(t.tm_hour); break;
      case 'M': rep = pad2(t.tm_min); break;
      case '%': rep = "%"; break;
      default: out += format[i]; continue;
    }
    out += rep;
    ++i;
  }
  return out;
}

}  // namespace

bool test_exists(const std::string& name) {
  static const char* const kTests[] = {"boolean", "callable", "odd",      "even",    "false",    "true",
                                       "none",    "string",   "number",   "integer", "iterable", "mapping",
                                       "sequence", "lower",   "upper",    "defined", "undefined", "equalto", "eq"};
  for (const char* t : kTests) {
    if (name == t) return true;
  }
  return false;
}

bool run_test(const std::string& name, const Value& v, const Value* arg, bool has_arg) {
  Kind k = v.kind;
  if (name == "boolean") return k == Kind::kBool;
  if (name == "callable") return k == Kind::kFunction;
  if (name == "odd" || name == "even") {
    if (k != Kind::kInt) QVL_FAIL("chat template: test '", name, "' needs an integer, got ", kind_name(k));
    bool odd = std::fmod(v.number, 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  if (name == "false") return k == Kind::kBool && !v.boolean;
  if (name == "true") return k == Kind::kBool && v.boolean;
  if (name == "none") return k == Kind::kNull;
  if (name == "string") return k == Kind::kString;
  if (name == "number") return v.is_number();
  if (name == "integer") return k == Kind::kInt;
  if (name == "iterable") return k == Kind::kArray || k == Kind::kString;  // not tuples or mappings, as in the reference
  if (name == "mapping") return v.is_object_like();
  if (name == "sequence") return v.is_array_like() || v.is_object_like() || k == Kind::kString;
  if (name == "lower") return k == Kind::kString && v.str == js::to_lower(v.str);
  if (name == "upper") return k == Kind::kString && v.str == js::to_upper(v.str);
  if (name == "defined") return k != Kind::kUndefined;
  if (name == "undefined") return k == Kind::kUndefined;
  if (name == "equalto" || name == "eq") {
    if (!has_arg || !arg) QVL_FAIL("chat template: test '", name, "' needs a value to compare with");
    return strict_equals(v, *arg);
  }
  QVL_FAIL("chat template: unsupported test 'is ", name, "'");
}

Value member_builtin(const Value& object, const std::string& name) {
  if (object.kind == Kind::kString) return string_method(object.str, name);
  if (object.is_array_like()) {
    return name == "length" ? Value::of_int(static_cast<double>(object.array->size())) : Value::undefined();
  }
  if (object.is_object_like()) return object_method(object, name);
  return Value::undefined();
}

Value attribute_path(const Value& item, const std::string& path) {
  Value cur = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (cur.is_container()) {
      const Value* v = cur.object->find(part);
      cur = v ? *v : Value::undefined();
    } else if (cur.is_array_like()) {
      double idx = js::parse_int(part);
      if (std::isnan(idx) || idx < 0 || idx >= static_cast<double>(cur.array->size())) return Value::undefined();
      cur = (*cur.array)[static_cast<size_t>(idx)];
    } else {
      return Value::undefined();
    }
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

Value make_namespace_function(std::vector<std::weak_ptr<ObjectMap>>* made) {
  return fn("namespace", [made](Args& args, const EnvPtr&) {
    Args pos = args;
    ObjectMap kw;
    if (!pos.empty() && pos.back().kind == Kind::kKwargs) {
      kw = *pos.back().object;
      pos.pop_back();
    }
    if (pos.size() > 1) QVL_FAIL("chat template: namespace() takes at most 1 positional argument");
    ObjectMap entries;
    if (pos.size() == 1) {
      const Value& src = pos[0];
      if (src.is_object_like()) {
        for (const auto& [k, v] : src.object->items) entries.set(k, v);
      } else if (src.is_array_like()) {
        for (const Value& pair : *src.array) {
          std::vector<Value> kv;
          if (pair.is_array_like()) kv = *pair.array;
          else if (pair.kind == Kind::kString) for (auto& c : js::code_points(pair.str)) kv.push_back(Value::of_string(c));
          if (kv.size() != 2) QVL_FAIL("chat template: namespace() expects a mapping or [key, value] pairs");
          if (kv[0].kind != Kind::kString) QVL_FAIL("chat template: namespace keys must be strings");
          entries.set(kv[0].str, kv[1]);
        }
      } else {
        QVL_FAIL("chat template: namespace() cannot take ", kind_name(src.kind));
      }
    }
    for (const auto& [k, v] : kw.items) entries.set(k, v);
    Value ns = Value::of_object(std::move(entries), Kind::kNamespace);
    made->push_back(ns.object);
    return ns;
  });
}

void install_globals(Env& env, Interpreter& interp) {
  env.set("false", Value::of_bool(false));
  env.set("true", Value::of_bool(true));
  env.set("none", Value::null());
  env.set("False", Value::of_bool(false));
  env.set("True", Value::of_bool(true));
  env.set("None", Value::null());
  env.set("raise_exception", fn("raise_exception", [](Args& a, const EnvPtr&) -> Value {
    std::string msg = a.empty() ? "undefined" : a[0].kind == Kind::kString ? a[0].str : js_string(a[0]);
    QVL_FAIL("chat template raised an exception: ", msg);
  }));
  env.set("range", fn("range", [&interp](Args& a, const EnvPtr&) {
    if (a.empty() || a.size() > 3) QVL_FAIL("chat template: range() takes 1 to 3 numbers");
    for (const Value& x : a) {
      if (!x.is_number()) QVL_FAIL("chat template: range() arguments must be numbers");
    }
    double start = a.size() == 1 ? 0 : a[0].number;
    double stop = a.size() == 1 ? a[0].number : a[1].number;
    double step = a.size() == 3 ? a[2].number : 1;
    if (step == 0) QVL_FAIL("chat template: range() step must not be zero");
    double n = std::max(0.0, std::ceil((stop - start) / step));
    if (!(n <= kMaxRange)) QVL_FAIL("chat template: range() of more than ", kMaxRange, " items");
    interp.charge(static_cast<size_t>(n));
    std::vector<Value> out;
    for (double i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(Value::of_number(i));
    return Value::of_array(std::move(out));
  }));
  env.set("strftime_now", fn("strftime_now", [](Args& a, const EnvPtr&) {
    if (a.empty() || a[0].kind != Kind::kString) QVL_FAIL("chat template: strftime_now() needs a format string");
    return Value::of_string(strftime_js(a[0].str));
  }));
}

}  // namespace qvl::jinja
