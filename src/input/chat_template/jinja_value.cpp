// Runtime values (see jinja_value.h): JSON import, truthiness, printing, tojson,
// JS equality and sort order, each as @huggingface/jinja defines them.
#include "input/chat_template/jinja_value.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "input/chat_template/js_compat.h"

namespace qvl::jinja {
namespace {

// JS orders integer-like keys ("0", "17") first, ascending, whatever the JSON order.
bool array_index_key(const std::string& k, double& out) {
  if (k.empty() || k.size() > 10) return false;
  if (k.size() > 1 && k[0] == '0') return false;
  for (char c : k) if (c < '0' || c > '9') return false;
  out = std::strtod(k.c_str(), nullptr);
  return out < 4294967295.0;
}

// Primary rank of an ASCII character in ICU root collation (approximation of
// String.prototype.localeCompare, used only by tojson(sort_keys=true)).
int collation_rank(char32_t c) {
  static const std::string kOrder =
      "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";
  if (c >= 'A' && c <= 'Z') c += 32;
  if (c < 0x80) {
    size_t p = kOrder.find(static_cast<char>(c));
    return p == std::string::npos ? static_cast<int>(c) : static_cast<int>(p);
  }
  return 0x100 + static_cast<int>(c);
}

int locale_compare(const std::string& a, const std::string& b) {
  std::vector<int> pa, pb, ta, tb;
  for (size_t i = 0; i < a.size();) {
    char32_t c = js::next_code_point(a, i);
    pa.push_back(collation_rank(c));
    ta.push_back(c >= 'A' && c <= 'Z');
  }
  for (size_t i = 0; i < b.size();) {
    char32_t c = js::next_code_point(b, i);
    pb.push_back(collation_rank(c));
    tb.push_back(c >= 'A' && c <= 'Z');
  }
  if (pa != pb) return pa < pb ? -1 : 1;
  if (ta != tb) return ta < tb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

std::u16string utf16(const std::string& s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    char32_t c = js::next_code_point(s, i);
    if (c >= 0x10000) {
      out += static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10));
      out += static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF));
    } else {
      out += static_cast<char16_t>(c);
    }
  }
  return out;
}

// The JS type of the wrapped value, for == and ===.
enum class Raw { kUndefined, kNull, kBool, kNumber, kString, kObject };

Raw raw(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return Raw::kUndefined;
    case Kind::kNull: return Raw::kNull;
    case Kind::kBool: return Raw::kBool;
    case Kind::kInt: case Kind::kFloat: return Raw::kNumber;
    case Kind::kString: return Raw::kString;
    default: return Raw::kObject;
  }
}

const void* identity(const Value& v) {
  if (v.array) return v.array.get();
  if (v.object) return v.object.get();
  return v.function.get();
}

bool same_raw(const Value& a, const Value& b, Raw r) {
  switch (r) {
    case Raw::kUndefined: case Raw::kNull: return true;
    case Raw::kBool: return a.boolean == b.boolean;
    case Raw::kNumber: return a.number == b.number;
    case Raw::kString: return a.str == b.str;
    case Raw::kObject: return identity(a) == identity(b);
  }
  return false;
}

}  // namespace

const Value* ObjectMap::find(const std::string& key) const {
  for (const auto& kv : items) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

void ObjectMap::set(const std::string& key, Value v) {
  for (auto& kv : items) {
    if (kv.first == key) {
      kv.second = std::move(v);
      return;
    }
  }
  items.emplace_back(key, std::move(v));
}

Value Value::null() { Value v; v.kind = Kind::kNull; return v; }
Value Value::of_bool(bool b) { Value v; v.kind = Kind::kBool; v.boolean = b; return v; }
Value Value::of_int(double x) { Value v; v.kind = Kind::kInt; v.number = x; return v; }
Value Value::of_float(double x) { Value v; v.kind = Kind::kFloat; v.number = x; return v; }
Value Value::of_number(double x) { return std::isfinite(x) && std::trunc(x) == x ? of_int(x) : of_float(x); }
Value Value::of_string(std::string s) { Value v; v.kind = Kind::kString; v.str = std::move(s); return v; }
Value Value::of_array(std::vector<Value> items, Kind k) {
  Value v;
  v.kind = k;
  v.array = std::make_shared<std::vector<Value>>(std::move(items));
  return v;
}
Value Value::of_object(ObjectMap m, Kind k) {
  Value v;
  v.kind = k;
  v.object = std::make_shared<ObjectMap>(std::move(m));
  return v;
}
Value Value::of_function(std::string name, NativeFn fn) {
  Value v;
  v.kind = Kind::kFunction;
  v.function = std::make_shared<Function>(Function{std::move(name), std::move(fn)});
  return v;
}

const char* kind_name(Kind k) {
  static const char* const kNames[] = {"UndefinedValue", "NullValue",  "BooleanValue", "IntegerValue",
                                       "FloatValue",     "StringValue", "ArrayValue",  "TupleValue",
                                       "ObjectValue",    "KeywordArgumentsValue", "NamespaceValue", "FunctionValue"};
  return kNames[static_cast<int>(k)];
}

namespace {
constexpr int kMaxNesting = 256;  // bounds recursion on hostile input and cyclic namespaces

Value from_json_at(const nlohmann::ordered_json& j, int depth);
}  // namespace

Value from_json(const nlohmann::ordered_json& j) { return from_json_at(j, 0); }

namespace {
Value from_json_at(const nlohmann::ordered_json& j, int depth) {
  if (depth > kMaxNesting) QVL_FAIL("chat template: context nested deeper than ", kMaxNesting, " levels");
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::null();
    case nlohmann::ordered_json::value_t::boolean: return Value::of_bool(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value::of_int(static_cast<double>(j.get<int64_t>()));
    case nlohmann::ordered_json::value_t::number_unsigned: return Value::of_int(static_cast<double>(j.get<uint64_t>()));
    case nlohmann::ordered_json::value_t::number_float: return Value::of_number(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value::of_string(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json_at(e, depth + 1));
      return Value::of_array(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      std::vector<std::pair<double, std::string>> index_keys;
      ObjectMap rest;
      for (auto it = j.begin(); it != j.end(); ++it) {
        double idx = 0;
        if (array_index_key(it.key(), idx)) index_keys.emplace_back(idx, it.key());
        else rest.items.emplace_back(it.key(), from_json_at(it.value(), depth + 1));
      }
      std::sort(index_keys.begin(), index_keys.end());
      ObjectMap m;
      for (const auto& [idx, key] : index_keys) m.items.emplace_back(key, from_json_at(j.at(key), depth + 1));
      for (auto& kv : rest.items) m.items.push_back(std::move(kv));
      return Value::of_object(std::move(m));
    }
    default: QVL_FAIL("chat template: unsupported JSON value in context (binary data)");
  }
}
}  // namespace

bool truthy(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: case Kind::kNull: return false;
    case Kind::kBool: return v.boolean;
    case Kind::kInt: case Kind::kFloat: return v.number != 0 && !std::isnan(v.number);
    case Kind::kString: return !v.str.empty();
    case Kind::kArray: case Kind::kTuple: return !v.array->empty();
    case Kind::kObject: case Kind::kKwargs: return !v.object->items.empty();
    case Kind::kNamespace: case Kind::kFunction: return true;
  }
  return false;
}

std::string to_output(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return "undefined";
    case Kind::kNull: return "null";
    case Kind::kBool: return v.boolean ? "true" : "false";
    case Kind::kInt: return js::number_to_string(v.number);
    case Kind::kFloat: return js::float_to_string(v.number);
    case Kind::kString: return v.str;
    case Kind::kFunction: QVL_FAIL("chat template: cannot print function '", v.function->name, "' as text");
    default: return to_json(v, JsonOptions{}, false);
  }
}

std::string js_string(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return "undefined";
    case Kind::kNull: return "null";
    case Kind::kBool: return v.boolean ? "true" : "false";
    case Kind::kInt: case Kind::kFloat: return js::number_to_string(v.number);
    case Kind::kString: return v.str;
    case Kind::kArray: case Kind::kTuple: {
      std::string out;
      for (size_t i = 0; i < v.array->size(); ++i) {
        if (i) out += ",";
        out += to_output((*v.array)[i]);
      }
      return out;
    }
    case Kind::kObject: case Kind::kKwargs: case Kind::kNamespace: return "[object Map]";
    case Kind::kFunction: QVL_FAIL("chat template: cannot use function '", v.function->name, "' as text");
  }
  return "";
}

std::string to_json(const Value& v, const JsonOptions& opt, bool undefined_to_null, int depth) {
  if (depth > kMaxNesting) QVL_FAIL("chat template: value nested deeper than ", kMaxNesting, " levels (cyclic?)");
  std::string item_sep = opt.has_separators ? opt.item_sep : opt.indent ? "," : ", ";
  std::string key_sep = opt.has_separators ? opt.key_sep : ": ";
  switch (v.kind) {
    case Kind::kNull: return "null";
    case Kind::kUndefined: return undefined_to_null ? "null" : "undefined";
    case Kind::kInt: case Kind::kFloat: return std::isfinite(v.number) ? js::number_to_string(v.number) : "null";
    case Kind::kBool: return v.boolean ? "true" : "false";
    case Kind::kString: return js::json_quote(v.str, opt.ensure_ascii);
    case Kind::kArray: case Kind::kObject: case Kind::kNamespace: break;
    default: QVL_FAIL("chat template: cannot convert ", kind_name(v.kind), " to JSON");
  }
  std::string indent(opt.indent > 0 ? opt.indent : 0, ' ');
  std::string base = "\n";
  for (int d = 0; d < depth; ++d) base += indent;
  std::string child = base + indent;
  std::string out;
  if (v.kind == Kind::kArray) {
    const auto& a = *v.array;
    out = "[";
    for (size_t i = 0; i < a.size(); ++i) {
      if (i) out += item_sep;
      if (opt.indent > 0) out += child;
      out += to_json(a[i], opt, undefined_to_null, depth + 1);
    }
    if (opt.indent > 0 && !a.empty()) out += base;
    return out + "]";
  }
  std::vector<const std::pair<std::string, Value>*> entries;
  for (const auto& kv : v.object->items) entries.push_back(&kv);
  if (opt.sort_keys) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](auto* a, auto* b) { return locale_compare(a->first, b->first) < 0; });
  }
  out = "{";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += item_sep;
    if (opt.indent > 0) out += child;
    out += js::json_quote(entries[i]->first, opt.ensure_ascii) + key_sep;
    out += to_json(entries[i]->second, opt, undefined_to_null, depth + 1);
  }
  if (opt.indent > 0 && !entries.empty()) out += base;
  return out + "}";
}

bool strict_equals(const Value& a, const Value& b) {
  Raw ra = raw(a);
  return ra == raw(b) && same_raw(a, b, ra);
}

bool loose_equals(const Value& a, const Value& b) {
  Raw ra = raw(a), rb = raw(b);
  if (ra == rb) return same_raw(a, b, ra);
  auto nullish = [](Raw r) { return r == Raw::kNull || r == Raw::kUndefined; };
  if (nullish(ra) || nullish(rb)) return nullish(ra) && nullish(rb);
  if (ra == Raw::kBool) return loose_equals(Value::of_int(a.boolean ? 1 : 0), b);
  if (rb == Raw::kBool) return loose_equals(a, Value::of_int(b.boolean ? 1 : 0));
  if (ra == Raw::kNumber && rb == Raw::kString) return a.number == js::string_to_number(b.str);
  if (ra == Raw::kString && rb == Raw::kNumber) return js::string_to_number(a.str) == b.number;
  if (ra == Raw::kObject && b.kind != Kind::kFunction && a.kind != Kind::kFunction) {
    return loose_equals(Value::of_string(js_string(a)), b);
  }
  if (rb == Raw::kObject && a.kind != Kind::kFunction && b.kind != Kind::kFunction) {
    return loose_equals(a, Value::of_string(js_string(b)));
  }
  return false;
}

int compare(const Value& a, const Value& b, bool case_sensitive) {
  auto numeric = [](const Value& v) { return v.is_number() || v.kind == Kind::kBool; };
  auto num = [](const Value& v) { return v.kind == Kind::kBool ? (v.boolean ? 1.0 : 0.0) : v.number; };
  if (a.kind == Kind::kNull && b.kind == Kind::kNull) return 0;
  if (a.kind == Kind::kUndefined && b.kind == Kind::kUndefined) return 0;
  if (a.kind == Kind::kNull || b.kind == Kind::kNull || a.kind == Kind::kUndefined || b.kind == Kind::kUndefined) {
    QVL_FAIL("chat template: cannot compare ", kind_name(a.kind), " with ", kind_name(b.kind));
  }
  if (numeric(a) && numeric(b)) return num(a) < num(b) ? -1 : num(a) > num(b) ? 1 : 0;
  if (a.kind != b.kind) QVL_FAIL("chat template: cannot compare ", kind_name(a.kind), " with ", kind_name(b.kind));
  if (a.kind != Kind::kString) QVL_FAIL("chat template: cannot compare values of type ", kind_name(a.kind));
  std::u16string x = utf16(case_sensitive ? a.str : js::to_lower(a.str));
  std::u16string y = utf16(case_sensitive ? b.str : js::to_lower(b.str));
  return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace qvl::jinja
